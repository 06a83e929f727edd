/*
 * The log callback from C: what it receives, on which thread, at which
 * levels, and that replacing it is safe while calls are in flight and from
 * inside itself.
 *
 * Environment (set by tests/logging.rs and tests/sanitizers.rs):
 *   UIZA_BASE_URL   a sandbox
 *   UIZA_API_KEY    its API key
 *   UIZA_CA_FILE    its CA (PEM), for an https:// base URL
 *
 * Modes (argv[1]):
 *
 *   steps STEP...   runs the steps in order on one client and prints, for
 *                   each, "STEP <step>", any "CALL status=<n> json=<doc>",
 *                   then one "LOG <level> <caller|other> <message>" per
 *                   line the callback received during the step ("caller":
 *                   the thread running the steps). Steps:
 *                     level=N        install the capturing callback, max N
 *                     null           uiza_set_log_callback(NULL, NULL, TRACE)
 *                     reset:ID       blocking uiza_client_reset_stream_key
 *                     rotate-async:ID  uiza_client_rotate_stream_key_async,
 *                                    waited for
 *                   The harness checks the lines; the program checks only
 *                   what C alone can (levels in range, messages non-empty).
 *
 *   swap SWAPS      16 threads make blocking and async calls while the main
 *                   thread swaps between two callbacks and NULL SWAPS
 *                   times, each callback with its own heap user_data that
 *                   is marked freed and freed as soon as
 *                   uiza_set_log_callback() returns. A callback that sees
 *                   its user_data marked freed (or, under ASan/valgrind,
 *                   touches it freed) fails the run.
 *
 *   reentrant       callbacks that replace themselves, turn logging off and
 *                   make library calls from inside, on the calling thread
 *                   and on a worker; it must not deadlock (the harness
 *                   bounds its time) and nested lines must be dropped.
 *
 * Prints "log_test: N passed, M failed" and exits 1 if any check failed.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, nanosleep */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uiza.h"
#include "check.h"

static const char *base_url, *api_key, *ca_file;
static pthread_t main_thread;

static UizaClient *new_client(void) {
    UizaClient *client = uiza_client_new(api_key);
    CHECK(client != NULL, "uiza_client_new");
    CHECK(uiza_client_set_base_url(client, base_url) == UIZA_STATUS_OK, "base url %s", base_url);
    if (ca_file != NULL && ca_file[0] != '\0') {
        CHECK(uiza_client_set_ca_file(client, ca_file) == UIZA_STATUS_OK, "CA file %s", ca_file);
    }
    return client;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int level_ok(UizaLogLevel level) {
    return level >= UIZA_LOG_ERROR && level <= UIZA_LOG_TRACE;
}

/* ---- An async call waited for. ---- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    UizaStatus status;
    char *json;
} waiter;

static void waiter_init(waiter *w) {
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->done = 0;
    w->json = NULL;
}

static void on_done(void *user_data, UizaStatus status, const char *json) {
    waiter *w = user_data;
    pthread_mutex_lock(&w->lock);
    w->status = status;
    w->json = strdup(json);
    w->done = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Waits for the callback, then frees what it kept and the waiter's own
 * lock and condition. Returns the call's status. */
static UizaStatus waiter_wait(waiter *w, char **json) {
    pthread_mutex_lock(&w->lock);
    while (!w->done) {
        pthread_cond_wait(&w->cond, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    if (json != NULL) {
        *json = w->json;
    } else {
        free(w->json);
    }
    return w->status;
}

static UizaStatus rotate_async_and_wait(UizaClient *client, const char *id, char **json) {
    waiter w;
    waiter_init(&w);
    UizaStatus accepted = uiza_client_rotate_stream_key_async(client, id, NULL, NULL, on_done, &w);
    CHECK(accepted == UIZA_STATUS_OK, "async call accepted: %d", accepted);
    if (accepted != UIZA_STATUS_OK) {
        return accepted;
    }
    return waiter_wait(&w, json);
}

/* ---- steps: capture and print. ---- */

#define MAX_LINES 4096

typedef struct {
    int level;
    int on_caller;
    char *message;
} captured;

static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static captured lines[MAX_LINES];
static int n_lines;
static int capture_tag = 1;

static void capture(void *user_data, UizaLogLevel level, const char *message) {
    CHECK(user_data == &capture_tag, "user_data is passed as given");
    CHECK(level_ok(level), "level %d out of range", (int)level);
    CHECK(message != NULL && message[0] != '\0' && strchr(message, '\n') == NULL,
          "one non-empty line");
    pthread_mutex_lock(&capture_lock);
    if (n_lines < MAX_LINES) {
        lines[n_lines].level = (int)level;
        lines[n_lines].on_caller = pthread_equal(pthread_self(), main_thread);
        lines[n_lines].message = strdup(message);
        n_lines++;
    }
    pthread_mutex_unlock(&capture_lock);
}

static void print_captured(void) {
    pthread_mutex_lock(&capture_lock);
    for (int i = 0; i < n_lines; i++) {
        printf("LOG %d %s %s\n", lines[i].level, lines[i].on_caller ? "caller" : "other",
               lines[i].message);
        free(lines[i].message);
    }
    n_lines = 0;
    pthread_mutex_unlock(&capture_lock);
}

static void print_call(UizaStatus status, char *json) {
    printf("CALL status=%d json=%s\n", (int)status, json != NULL ? json : "(null)");
    uiza_string_free(json);
}

static int run_steps(int argc, char **argv) {
    UizaClient *client = new_client();
    for (int i = 0; i < argc; i++) {
        const char *step = argv[i];
        printf("STEP %s\n", step);
        if (strncmp(step, "level=", 6) == 0) {
            uiza_set_log_callback(capture, &capture_tag, (UizaLogLevel)atoi(step + 6));
        } else if (strcmp(step, "null") == 0) {
            uiza_set_log_callback(NULL, NULL, UIZA_LOG_TRACE);
        } else if (strncmp(step, "reset:", 6) == 0) {
            char *json = NULL;
            UizaStatus status = uiza_client_reset_stream_key(client, step + 6, &json);
            print_call(status, json);
        } else if (strncmp(step, "rotate-async:", 13) == 0) {
            char *json = NULL;
            UizaStatus status = rotate_async_and_wait(client, step + 13, &json);
            printf("CALL status=%d json=%s\n", (int)status, json != NULL ? json : "(null)");
            free(json);
        } else {
            fprintf(stderr, "unknown step %s\n", step);
            return 2;
        }
        print_captured();
    }
    uiza_set_log_callback(NULL, NULL, UIZA_LOG_TRACE);
    print_captured();
    uiza_client_free(client);
    return 0;
}

/* ---- swap: replace the callback under load. ---- */

#define THREADS 16
#define MAGIC 0x10a7ca11u

typedef struct {
    unsigned magic;
    atomic_int freed;
    int which; /* 0: sink_a, 1: sink_b */
} sink_data;

static atomic_long delivered[2];
static atomic_int stale; /* lines that reached freed user_data */
static atomic_int stop;
static atomic_long calls_ok, calls_other;

static void check_alive(const sink_data *d, int which) {
    if (d->magic != MAGIC || atomic_load(&d->freed) || d->which != which) {
        atomic_fetch_add(&stale, 1);
    }
}

/* The two callbacks: each checks its user_data on entry, lingers a
 * little so that a setter that did not wait would free it meanwhile, and
 * checks it again. */
static void sink(void *user_data, UizaLogLevel level, const char *message, int which) {
    sink_data *d = user_data;
    check_alive(d, which);
    CHECK(level_ok(level) && message != NULL, "level %d", (int)level);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", message);
    sched_yield();
    check_alive(d, which);
    atomic_fetch_add(&delivered[which], (long)(copy[0] != '\0'));
}

static void sink_a(void *user_data, UizaLogLevel level, const char *message) {
    sink(user_data, level, message, 0);
}

static void sink_b(void *user_data, UizaLogLevel level, const char *message) {
    sink(user_data, level, message, 1);
}

static void *caller(void *arg) {
    UizaClient *client = arg;
    const char *id = getenv("UIZA_ENTITY_ID");
    for (long i = 0; !atomic_load(&stop); i++) {
        UizaStatus status;
        char *json = NULL;
        if (i % 2 == 0) {
            status = uiza_client_reset_stream_key(client, id, &json);
            uiza_string_free(json);
        } else {
            status = rotate_async_and_wait(client, id, NULL);
        }
        atomic_fetch_add(status == UIZA_STATUS_OK ? &calls_ok : &calls_other, 1);
    }
    return NULL;
}

static int run_swap(int swaps) {
    UizaClient *client = new_client();
    CHECK(uiza_set_max_worker_threads(8) == UIZA_STATUS_OK, "worker bound");
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        pthread_create(&threads[t], NULL, caller, client);
    }
    /* Start swapping once lines are flowing. */
    while (atomic_load(&calls_ok) + atomic_load(&calls_other) < THREADS) {
        sleep_us(1000);
    }
    sink_data *old = NULL;
    for (int i = 0; i < swaps; i++) {
        sink_data *next = NULL;
        UizaLogCallback callback = NULL;
        if (i % 3 != 2) {
            next = malloc(sizeof *next);
            next->magic = MAGIC;
            atomic_init(&next->freed, 0);
            next->which = i % 3;
            callback = next->which == 0 ? sink_a : sink_b;
        }
        uiza_set_log_callback(callback, next, UIZA_LOG_TRACE);
        if (old != NULL) {
            /* No thread runs the old callback any more: free at once. */
            atomic_store(&old->freed, 1);
            old->magic = 0;
            free(old);
        }
        old = next;
        if (i % 16 == 0) {
            sleep_us(200); /* let calls make progress between bursts */
        }
    }
    uiza_set_log_callback(NULL, NULL, UIZA_LOG_TRACE);
    if (old != NULL) {
        atomic_store(&old->freed, 1);
        free(old);
    }
    atomic_store(&stop, 1);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
    }
    uiza_client_free(client);
    long ok = atomic_load(&calls_ok), other = atomic_load(&calls_other);
    printf("swap: swaps=%d calls=%ld (%ld not OK) lines_a=%ld lines_b=%ld stale=%d\n", swaps,
           ok + other, other, atomic_load(&delivered[0]), atomic_load(&delivered[1]),
           atomic_load(&stale));
    CHECK(atomic_load(&stale) == 0, "%d lines reached a callback whose user_data was freed",
          atomic_load(&stale));
    CHECK(other == 0, "%ld calls failed", other);
    CHECK(atomic_load(&delivered[0]) > 0 && atomic_load(&delivered[1]) > 0,
          "both callbacks received lines");
    return 0;
}

/* ---- reentrant: callbacks that call the library. ---- */

static atomic_int a_calls, b_calls, c_calls, d_calls, nested_lines;
static _Thread_local int inside_d;
static UizaClient *reentrant_client;
static int tag_a, tag_b, tag_c[2], tag_d;

static void cb_b(void *user_data, UizaLogLevel level, const char *message);

/* Replaces itself with cb_b on its first line. */
static void cb_a(void *user_data, UizaLogLevel level, const char *message) {
    (void)level;
    (void)message;
    CHECK(user_data == &tag_a, "user_data of a");
    if (atomic_fetch_add(&a_calls, 1) == 0) {
        uiza_set_log_callback(cb_b, &tag_b, UIZA_LOG_TRACE);
    }
}

/* Turns logging off from inside after a few lines. */
static void cb_b(void *user_data, UizaLogLevel level, const char *message) {
    (void)level;
    (void)message;
    CHECK(user_data == &tag_b, "user_data of b");
    if (atomic_fetch_add(&b_calls, 1) == 2) {
        uiza_set_log_callback(NULL, NULL, UIZA_LOG_TRACE);
    }
}

/* Replaces itself with itself (a new user_data) on every line, on
 * whichever thread the line comes from. */
static void cb_c(void *user_data, UizaLogLevel level, const char *message) {
    (void)level;
    (void)message;
    int *tag = user_data;
    CHECK(tag == &tag_c[0] || tag == &tag_c[1], "user_data of c");
    atomic_fetch_add(&c_calls, 1);
    uiza_set_log_callback(cb_c, tag == &tag_c[0] ? &tag_c[1] : &tag_c[0], UIZA_LOG_TRACE);
}

/* Makes a blocking call from inside: the lines that call produces on
 * this thread must be dropped, not delivered recursively. */
static void cb_d(void *user_data, UizaLogLevel level, const char *message) {
    (void)level;
    (void)message;
    CHECK(user_data == &tag_d, "user_data of d");
    if (inside_d) {
        atomic_fetch_add(&nested_lines, 1);
        return;
    }
    if (atomic_fetch_add(&d_calls, 1) == 0) {
        inside_d = 1;
        char *json = NULL;
        UizaStatus status =
            uiza_client_get_live_entity(reentrant_client, getenv("UIZA_ENTITY_ID"), &json);
        CHECK(status == UIZA_STATUS_OK, "nested call: %d", status);
        uiza_string_free(json);
        inside_d = 0;
    }
}

static void reset_once(const char *what) {
    char *json = NULL;
    UizaStatus status =
        uiza_client_reset_stream_key(reentrant_client, getenv("UIZA_ENTITY_ID"), &json);
    CHECK(status == UIZA_STATUS_OK, "%s: %d %s", what, status, json);
    uiza_string_free(json);
}

static int run_reentrant(void) {
    reentrant_client = new_client();
    const char *id = getenv("UIZA_ENTITY_ID");

    /* a replaces itself with b, which turns logging off after 3 lines. */
    uiza_set_log_callback(cb_a, &tag_a, UIZA_LOG_TRACE);
    reset_once("a then b");
    CHECK(atomic_load(&a_calls) == 1, "a ran once, then was replaced: %d", atomic_load(&a_calls));
    CHECK(atomic_load(&b_calls) == 3, "b ran until it turned logging off: %d",
          atomic_load(&b_calls));
    reset_once("after off");
    CHECK(atomic_load(&a_calls) == 1 && atomic_load(&b_calls) == 3, "off stays off");

    /* c replaces itself on every line, on the caller and on a worker. */
    uiza_set_log_callback(cb_c, &tag_c[0], UIZA_LOG_TRACE);
    reset_once("c, blocking");
    int blocking = atomic_load(&c_calls);
    CHECK(blocking > 3, "c ran for each line of a blocking call: %d", blocking);
    CHECK(rotate_async_and_wait(reentrant_client, id, NULL) == UIZA_STATUS_OK, "c, async");
    CHECK(atomic_load(&c_calls) > blocking + 3, "c ran on the worker too: %d",
          atomic_load(&c_calls));

    /* d calls the library from inside; the nested call's lines are dropped. */
    uiza_set_log_callback(cb_d, &tag_d, UIZA_LOG_TRACE);
    reset_once("d, blocking");
    CHECK(rotate_async_and_wait(reentrant_client, id, NULL) == UIZA_STATUS_OK, "d, async");
    uiza_set_log_callback(NULL, NULL, UIZA_LOG_TRACE);
    CHECK(atomic_load(&d_calls) > 3, "d ran: %d", atomic_load(&d_calls));
    CHECK(atomic_load(&nested_lines) == 0, "%d nested lines were delivered",
          atomic_load(&nested_lines));
    printf("reentrant: a=%d b=%d c=%d d=%d\n", atomic_load(&a_calls), atomic_load(&b_calls),
           atomic_load(&c_calls), atomic_load(&d_calls));
    uiza_client_free(reentrant_client);
    return 0;
}

int main(int argc, char **argv) {
    main_thread = pthread_self();
    base_url = getenv("UIZA_BASE_URL");
    api_key = getenv("UIZA_API_KEY");
    ca_file = getenv("UIZA_CA_FILE");
    if (argc < 2 || base_url == NULL || api_key == NULL) {
        fprintf(stderr, "usage: UIZA_BASE_URL=.. UIZA_API_KEY=.. log_test steps|swap|reentrant ...\n");
        return 2;
    }
    int rc;
    if (strcmp(argv[1], "steps") == 0) {
        rc = run_steps(argc - 2, argv + 2);
    } else if (strcmp(argv[1], "swap") == 0 && argc == 3) {
        rc = run_swap(atoi(argv[2]));
    } else if (strcmp(argv[1], "reentrant") == 0) {
        rc = run_reentrant();
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    printf("log_test: %d passed, %d failed\n", atomic_load(&passed), atomic_load(&failed));
    fflush(stdout);
    return rc != 0 ? rc : atomic_load(&failed) != 0;
}
