/*
 * Async calls from C: every accepted call calls back exactly once, the
 * rotations of each entity happen exactly once per successful call, and
 * the worker threads stay bounded and go away when idle.
 *
 * Environment (set by tests/async_calls.rs and tests/sanitizers.rs):
 *   UIZA_BASE_URL      a sandbox with entities e-00..e-NN and random faults
 *   UIZA_SLOW_URL      a sandbox that delays every request
 *   UIZA_API_KEY       the sandboxes' API key
 *   UIZA_ENTITIES      how many entities (e-00 ...)
 *   UIZA_CHAIN_LEN     rotations per entity
 *
 * Phases:
 *   1. chains: 8 threads start one chain of rotations per entity; each
 *      callback checks its outcome and starts the chain's next rotation
 *      with the key it learned. Tokens: some cancelled before the call,
 *      some freed while it is in flight, some cancelled from inside
 *      another call's callback.
 *   2. free a client with 100 calls in flight.
 *   3. a lowered worker bound holds.
 *   4. idle workers exit.
 * Prints "entity e-NN ok=A unknown=B final=KEY" lines for the harness,
 * then "async: N passed, M failed".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _WIN32
#include <windows.h>
#include <tlhelp32.h>
#else
#include <dirent.h>
#endif

#include "uiza.h"
#include "check.h"

#define MAX_ENTITIES 64
#define MAX_CALLS 4096
#define KEY_MAX 128

static UizaClient *client;
static int n_entities, chain_len;

/* One record per call: how often its callback ran. */
typedef struct {
    int chain;
    int cancelled_before; /* its token was cancelled before the call */
    atomic_int callbacks;
} call_rec;

static call_rec calls[MAX_CALLS];
static atomic_int next_call;

/* Every token made, freed at the end (except those freed in flight). */
static UizaCancelToken *tokens[MAX_CALLS];

typedef struct {
    int index;
    char current[KEY_MAX]; /* "" when unknown: the next call reads it */
    int started, ok, unknown, cancelled, other;
} chain_t;

static chain_t chains[MAX_ENTITIES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static int chains_left;

/* The token that the next callback to run cancels (cancelling from inside
 * a callback). Guarded by `lock`. */
static UizaCancelToken *victim;

static unsigned rand_r_locked(void) {
    static unsigned seed = 12345;
    unsigned r;
    pthread_mutex_lock(&lock);
    r = (unsigned)rand_r(&seed);
    pthread_mutex_unlock(&lock);
    return r;
}

static void start_rotation(chain_t *c);

static void on_rotated(void *user_data, UizaStatus status, const char *json) {
    call_rec *rec = user_data;
    int n = atomic_fetch_add(&rec->callbacks, 1) + 1;
    CHECK(n == 1, "call %ld called back %d times", (long)(rec - calls), n);
    CHECK(json != NULL, "json is never NULL");
    chain_t *c = &chains[rec->chain];

    /* Cancel whichever call registered itself as the victim. */
    pthread_mutex_lock(&lock);
    UizaCancelToken *v = victim;
    victim = NULL;
    pthread_mutex_unlock(&lock);
    uiza_cancel_token_cancel(v);

    if (rec->cancelled_before) {
        CHECK(status == UIZA_STATUS_CANCELLED, "a token cancelled before the call gives CANCELLED, got %d", status);
    }
    if (status == UIZA_STATUS_OK) {
        UizaLiveEntity *e = NULL;
        CHECK(uiza_live_entity_parse(json, &e) == UIZA_STATUS_OK, "entity parses");
        const char *key = uiza_live_entity_ingest_key(e);
        CHECK(key != NULL && strcmp(key, c->current) != 0, "OK means a new key");
        if (key != NULL) {
            snprintf(c->current, sizeof c->current, "%s", key);
        }
        uiza_live_entity_free(e);
        c->ok++;
    } else if (strstr(json, "\"rotated\":null") != NULL) {
        c->unknown++;
        c->current[0] = '\0'; /* read it again before trusting it */
    } else {
        CHECK(strstr(json, "\"rotated\":false") != NULL, "status %d: %s", status, json);
        if (status == UIZA_STATUS_CANCELLED) {
            c->cancelled++;
        } else {
            c->other++;
        }
    }
    if (c->started < chain_len) {
        start_rotation(c); /* a callback that starts another async call */
    } else {
        pthread_mutex_lock(&lock);
        if (--chains_left == 0) {
            pthread_cond_broadcast(&all_done);
        }
        pthread_mutex_unlock(&lock);
    }
}

static void start_rotation(chain_t *c) {
    int i = atomic_fetch_add(&next_call, 1);
    if (i >= MAX_CALLS) {
        CHECK(0, "too many calls");
        abort();
    }
    call_rec *rec = &calls[i];
    rec->chain = c->index;
    c->started++;
    char id[16];
    snprintf(id, sizeof id, "e-%02d", c->index);

    unsigned dice = rand_r_locked() % 10;
    UizaCancelToken *t = NULL;
    int free_after = 0;
    if (dice < 3) {
        t = uiza_cancel_token_new();
        if (dice == 0) {
            uiza_cancel_token_cancel(t);
            rec->cancelled_before = 1;
            tokens[i] = t;
        } else if (dice == 1) {
            free_after = 1; /* freed while the call is in flight */
        } else {
            tokens[i] = t;
            pthread_mutex_lock(&lock);
            victim = t;
            pthread_mutex_unlock(&lock);
        }
    }
    UizaStatus st = uiza_client_rotate_stream_key_async(
        client, id, c->current[0] ? c->current : NULL, t, on_rotated, rec);
    CHECK(st == UIZA_STATUS_OK, "async rotation accepted, got %d", st);
    if (free_after) {
        uiza_cancel_token_free(t);
    }
}

static void *starter(void *arg) {
    long t = (long)arg;
    for (int e = (int)t; e < n_entities; e += 8) {
        start_rotation(&chains[e]);
    }
    return NULL;
}

/* The threads of this process: /proc/self/task on Linux, a Toolhelp
 * snapshot on Windows (tests/windows.rs runs this under wine). */
#ifdef _WIN32
static int thread_count(void) {
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE) {
        return -1;
    }
    THREADENTRY32 te = {.dwSize = sizeof te};
    DWORD self = GetCurrentProcessId();
    int n = 0;
    for (BOOL more = Thread32First(snap, &te); more; more = Thread32Next(snap, &te)) {
        n += te.th32OwnerProcessID == self;
    }
    CloseHandle(snap);
    return n;
}
#else
static int thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *de;
    if (d == NULL) {
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        n += de->d_name[0] != '.';
    }
    closedir(d);
    return n;
}
#endif

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int wait_all_done(int seconds) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    int rc = 0;
    pthread_mutex_lock(&lock);
    while (chains_left > 0 && rc == 0) {
        rc = pthread_cond_timedwait(&all_done, &lock, &until);
    }
    int left = chains_left;
    pthread_mutex_unlock(&lock);
    return left == 0;
}

/* Phase 2 and 3: a counter of callbacks per call. */
static atomic_int plain_callbacks[256];
static atomic_int plain_total;

static void on_plain(void *user_data, UizaStatus status, const char *json) {
    atomic_int *slot = user_data;
    int n = atomic_fetch_add(slot, 1) + 1;
    CHECK(n == 1, "called back %d times", n);
    CHECK(json != NULL && (status == UIZA_STATUS_OK || strstr(json, "\"message\"") != NULL),
          "status %d json %s", status, json ? json : "(null)");
    atomic_fetch_add(&plain_total, 1);
}

static void wait_plain(int expected, int seconds) {
    for (int i = 0; i < seconds * 100 && atomic_load(&plain_total) < expected; i++) {
        sleep_ms(10);
    }
}

int main(void) {
    const char *base = getenv("UIZA_BASE_URL");
    const char *slow = getenv("UIZA_SLOW_URL");
    const char *key = getenv("UIZA_API_KEY");
    if (!base || !slow || !key || !getenv("UIZA_ENTITIES") || !getenv("UIZA_CHAIN_LEN")) {
        fprintf(stderr, "set UIZA_BASE_URL, UIZA_SLOW_URL, UIZA_API_KEY, UIZA_ENTITIES, UIZA_CHAIN_LEN\n");
        return 2;
    }
    n_entities = atoi(getenv("UIZA_ENTITIES"));
    chain_len = atoi(getenv("UIZA_CHAIN_LEN"));
    if (n_entities < 1 || n_entities > MAX_ENTITIES || chain_len < 1 ||
        n_entities * chain_len > MAX_CALLS) {
        fprintf(stderr, "bad UIZA_ENTITIES or UIZA_CHAIN_LEN\n");
        return 2;
    }
    int baseline = thread_count();

    /* The contract's refusals: the callback never runs. */
    CHECK(uiza_client_rotate_stream_key_async(NULL, "e-00", NULL, NULL, on_plain, &plain_callbacks[0]) ==
              UIZA_STATUS_INVALID_ARGUMENT, "NULL client");
    client = uiza_client_new(key);
    CHECK(uiza_client_set_base_url(client, base) == UIZA_STATUS_OK, "base url");
    CHECK(uiza_client_set_timeout_ms(client, 5000) == UIZA_STATUS_OK, "timeout");
    CHECK(uiza_client_rotate_stream_key_async(client, "e-00", NULL, NULL, NULL, NULL) ==
              UIZA_STATUS_INVALID_ARGUMENT, "NULL callback");
    CHECK(uiza_client_get_live_entity_async(client, "../x", NULL, on_plain, &plain_callbacks[0]) ==
              UIZA_STATUS_INVALID_ARGUMENT, "bad id");
    CHECK(uiza_set_max_worker_threads(0) == UIZA_STATUS_INVALID_ARGUMENT, "0 workers");
    sleep_ms(50);
    CHECK(atomic_load(&plain_callbacks[0]) == 0, "a refused call never calls back");

    /* Phase 1. */
    chains_left = n_entities;
    for (int e = 0; e < n_entities; e++) {
        chains[e].index = e;
    }
    pthread_t th[8];
    for (long t = 0; t < 8; t++) {
        pthread_create(&th[t], NULL, starter, (void *)t);
    }
    for (int t = 0; t < 8; t++) {
        pthread_join(th[t], NULL);
    }
    CHECK(wait_all_done(600), "all chains finished");
    int total = atomic_load(&next_call);
    CHECK(total == n_entities * chain_len, "%d calls made", total);
    for (int i = 0; i < total; i++) {
        CHECK(atomic_load(&calls[i].callbacks) == 1, "call %d: %d callbacks", i,
              atomic_load(&calls[i].callbacks));
    }
    for (int e = 0; e < n_entities; e++) {
        chain_t *c = &chains[e];
        printf("entity e-%02d ok=%d unknown=%d cancelled=%d other=%d final=%s\n", e, c->ok,
               c->unknown, c->cancelled, c->other, c->current[0] ? c->current : "-");
    }
    for (int i = 0; i < total; i++) {
        uiza_cancel_token_free(tokens[i]);
    }

    /* Phase 2: free a client with 100 calls in flight on a slow server. */
    UizaClient *doomed = uiza_client_new(key);
    CHECK(uiza_client_set_base_url(doomed, slow) == UIZA_STATUS_OK, "slow base url");
    for (int i = 0; i < 100; i++) {
        UizaStatus st = i % 2
            ? uiza_client_get_live_entity_async(doomed, "22013d8a-d5fa-48f0-9a63-1f471ca9e81d", NULL,
                                                on_plain, &plain_callbacks[i])
            : uiza_client_rotate_stream_key_async(doomed, "22013d8a-d5fa-48f0-9a63-1f471ca9e81d",
                                                  NULL, NULL, on_plain, &plain_callbacks[i]);
        CHECK(st == UIZA_STATUS_OK, "accepted %d", st);
    }
    uiza_client_free(doomed);
    wait_plain(100, 60);
    CHECK(atomic_load(&plain_total) == 100, "%d of 100 callbacks after free", atomic_load(&plain_total));

    /* Phase 3: a lowered bound holds while 20 slow calls queue. */
    CHECK(uiza_set_max_worker_threads(2) == UIZA_STATUS_OK, "bound 2");
    UizaClient *slow_client = uiza_client_new(key);
    uiza_client_set_base_url(slow_client, slow);
    /* Workers beyond the new bound exit as soon as they are idle. */
    for (int i = 0; i < 200 && thread_count() - baseline > 2; i++) {
        sleep_ms(10);
    }
    int before = atomic_load(&plain_total);
    int most = 0;
    for (int i = 0; i < 20; i++) {
        uiza_client_get_live_entity_async(slow_client, "22013d8a-d5fa-48f0-9a63-1f471ca9e81d",
                                          NULL, on_plain, &plain_callbacks[100 + i]);
    }
    while (atomic_load(&plain_total) < before + 20) {
        int n = thread_count() - baseline;
        most = n > most ? n : most;
        sleep_ms(5);
    }
    CHECK(most >= 1 && most <= 2, "worker threads with a bound of 2: %d", most);
    uiza_client_free(slow_client);
    uiza_set_max_worker_threads(4);

    /* Phase 4: idle workers exit (after 10 s). */
    int left = -1;
    for (int i = 0; i < 1500; i++) {
        left = thread_count() - baseline;
        if (left == 0) {
            break;
        }
        sleep_ms(10);
    }
    CHECK(left == 0, "%d library threads left after idling", left);

    uiza_client_free(client);
    printf("async: %d passed, %d failed\n", atomic_load(&passed), atomic_load(&failed));
    return atomic_load(&failed) == 0 ? 0 : 1;
}
