/*
 * libuiza vs libcurl: the same PUT, driven from C, in one run.
 *
 * Every case measures two sides, A and B, RUNS times. A run is the whole
 * batch sequence on fresh clients (warm-up included): batches alternate
 * A B B A A B B A ..., so that neither side always goes first on a noisy
 * machine. Each run gives one ratio A/B; the row shows the median and the
 * range (min-max) of the runs' ratios, and "met" only when the whole range
 * meets the target ("met in the median" when only the median does). The
 * median, p99 and calls/s columns pool all runs' calls. benches/run.sh
 * starts the server and prints the table header.
 *
 *   bench seq KIND BASE CA|- RUNS CALLS BATCH TARGET LABEL
 *       KIND curl     A = UizaClient reset,            B = curl easy handle
 *            oneshot  A = uiza_reset_stream_key (UIZA_BASE_URL must be BASE),
 *                     B = UizaClient reset
 *            async    A = uiza_client_rotate_stream_key_async + wait for the
 *                     callback, B = uiza_client_rotate_stream_key
 *            rotate   A = uiza_client_rotate_stream_key, B = UizaClient reset
 *       (the rotations pass current_key "live_old" and no token)
 *   bench threads BASE CA|- RUNS THREADS CALLS BATCH TARGET LABEL
 *       A = one UizaClient shared by THREADS threads,
 *       B = one curl easy handle per thread + a share handle
 *       (CALLS per thread; the ratio is A's calls/s over B's)
 *   bench cold BASE CA|- RUNS SAMPLES BINDIR all|main TARGET LABEL
 *       one child process per sample, BINDIR/cold_uiza vs BINDIR/cold_curl
 *       (A B, then B A, ...); prints the main->key row, and with "all" the
 *       exec->exit row and the peak-RSS row too.
 *   bench probe uiza|curl BASE CA|-
 *       one call on a new client, so that nginx logs one new connection;
 *       the curl probe prints the TLS version, cipher suite and group that
 *       OpenSSL negotiated for it ("-" over plain HTTP).
 *   bench versions   prints both libraries' versions
 *
 * TARGET is "le:X" (ratio must be <= X), "ge:X" (>= X) or "-" (none).
 */
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clients.h"

/* ---- one client, sequential calls --------------------------------------- */

static void call_uiza(void *s) { uiza_side_call(s); }
static void call_oneshot(void *s) {
    (void)s;
    uiza_oneshot_call();
}
static void call_rotate(void *s) { uiza_side_rotate(s); }
static void call_rotate_async(void *s) { uiza_side_rotate_async(s); }
static void call_curl(void *s) { curl_side_call(s); }

static int case_sequential(const char *kind, const char *base, const char *ca, int runs,
                           size_t calls, size_t batch, const char *target, const char *label) {
    Samples sa = samples_new(calls * (size_t)runs), sb = samples_new(calls * (size_t)runs);
    Ratios x = {{0}, 0};
    for (int r = 0; r < runs; r++) {
        size_t a0 = sa.n, b0 = sb.n;
        /* Fresh clients for every run: new pools, new connections, no TLS
         * state to resume from. */
        UizaSide *u = uiza_side_new(base, ca);
        if (strcmp(kind, "curl") == 0) {
            CurlSide *c = curl_side_new(base, ca, NULL);
            alternate(call_uiza, u, call_curl, c, calls, batch, &sa, &sb);
            curl_side_free(c);
        } else if (strcmp(kind, "oneshot") == 0) {
            /* The one-shot client is the process's: created in run 1. */
            alternate(call_oneshot, NULL, call_uiza, u, calls, batch, &sa, &sb);
        } else if (strcmp(kind, "async") == 0 || strcmp(kind, "rotate") == 0) {
            UizaSide *v = uiza_side_new(base, ca);
            if (kind[0] == 'a')
                alternate(call_rotate_async, u, call_rotate, v, calls, batch, &sa, &sb);
            else
                alternate(call_rotate, u, call_uiza, v, calls, batch, &sa, &sb);
            uiza_side_free(v);
        } else {
            fprintf(stderr, "bench: unknown seq kind %s\n", kind);
            return 2;
        }
        uiza_side_free(u);
        x.r[x.n++] = median_since(&sa, a0) / median_since(&sb, b0);
    }
    print_row(label, &sa, &sb, &x, target, "us");
    return 0;
}

/* ---- many threads -------------------------------------------------------- */

typedef struct {
    CallFn f;
    void *side;
    size_t n;
    double *lat; /* n slots */
} Job;

static void *job_main(void *arg) {
    Job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        double t = now_ns();
        j->f(j->side);
        j->lat[i] = now_ns() - t;
    }
    return NULL;
}

/* Runs one batch of n calls on each of `threads` threads; sides[i] is the
 * handle thread i uses. Appends latencies and wall time to out; returns the
 * batch's wall time. */
static double threads_batch(CallFn f, void **sides, int threads, size_t n, Samples *out) {
    pthread_t tid[64];
    Job jobs[64];
    double *lat = calloc((size_t)threads * n, sizeof(double));
    if (!lat) exit(2);
    double start = now_ns();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (Job){f, sides[i], n, lat + (size_t)i * n};
        pthread_create(&tid[i], NULL, job_main, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    double wall = now_ns() - start;
    out->wall_ns += wall;
    for (size_t i = 0; i < (size_t)threads * n; i++) samples_push(out, lat[i]);
    free(lat);
    return wall;
}

static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u) {
    (void)h, (void)a, (void)u;
    pthread_mutex_lock(&share_locks[d]);
}
static void share_unlock(CURL *h, curl_lock_data d, void *u) {
    (void)h, (void)u;
    pthread_mutex_unlock(&share_locks[d]);
}

static int case_threads(const char *base, const char *ca, int runs, int threads, size_t calls,
                        size_t batch, const char *target, const char *label) {
    if (threads < 1 || threads > 64) return 2;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&share_locks[i], NULL);
    size_t total = (size_t)threads * calls * (size_t)runs;
    Samples sa = samples_new(total), sb = samples_new(total);
    Ratios x = {{0}, 0};
    for (int r = 0; r < runs; r++) {
        /* The DNS cache and the TLS session cache are shared, as a tuned
         * libcurl program would share them; connections stay per handle
         * (sharing the pool only adds locking when every thread keeps its
         * own connection busy). */
        CURLSH *share = curl_share_init();
        curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        UizaSide *u = uiza_side_new(base, ca);
        void *usides[64], *csides[64];
        for (int i = 0; i < threads; i++) {
            usides[i] = u;
            csides[i] = curl_side_new(base, ca, share);
        }
        size_t w = batch < 10 ? batch : 10;
        Samples warm = samples_new((size_t)threads * w);
        threads_batch(call_uiza, usides, threads, w, &warm);
        threads_batch(call_curl, csides, threads, w, &warm);
        free(warm.ns);
        double wa = 0, wb = 0;
        size_t na = 0, nb = 0, k = 0;
        for (size_t done = 0; done < calls; done += batch, k++) {
            size_t n = calls - done < batch ? calls - done : batch;
            if (k % 2 == 0) {
                wa += threads_batch(call_uiza, usides, threads, n, &sa);
                wb += threads_batch(call_curl, csides, threads, n, &sb);
            } else {
                wb += threads_batch(call_curl, csides, threads, n, &sb);
                wa += threads_batch(call_uiza, usides, threads, n, &sa);
            }
            na += (size_t)threads * n, nb += (size_t)threads * n;
        }
        x.r[x.n++] = ((double)na / wa) / ((double)nb / wb);
        for (int i = 0; i < threads; i++) curl_side_free(csides[i]);
        uiza_side_free(u);
        curl_share_cleanup(share);
    }
    print_row(label, &sa, &sb, &x, target, "us");
    return 0;
}

/* ---- cold processes ------------------------------------------------------ */

/* Runs one child; returns its main->key ns, its RSS and the exec->exit wall. */
static void cold_sample(const char *bin, const char *base, const char *ca, double *ns,
                        double *rss, double *wall) {
    int fds[2];
    if (pipe(fds) != 0) exit(2);
    double start = now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, base, ca, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[128] = {0};
    ssize_t got = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    *wall = now_ns() - start;
    if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        sscanf(buf, "%lf %lf", ns, rss) != 2) {
        fprintf(stderr, "bench: %s failed (status %d)\n", bin, status);
        exit(2);
    }
}

/* The three figures of one side. */
typedef struct {
    Samples key, wall, rss;
} Cold;

static void cold_one(const char *bin, const char *base, const char *ca, Cold *c) {
    double ns, rss, wall;
    cold_sample(bin, base, ca, &ns, &rss, &wall);
    samples_push(&c->key, ns);
    samples_push(&c->wall, wall);
    samples_push(&c->rss, rss);
    c->key.wall_ns += ns, c->wall.wall_ns += wall;
}

static int case_cold(const char *base, const char *ca, int runs, size_t n, const char *dir,
                     int all_rows, const char *target, const char *label) {
    char a_bin[4096], b_bin[4096];
    snprintf(a_bin, sizeof a_bin, "%s/cold_uiza", dir);
    snprintf(b_bin, sizeof b_bin, "%s/cold_curl", dir);
    const char *ca_arg = ca ? ca : "-";
    size_t cap = n * (size_t)runs;
    Cold a = {samples_new(cap), samples_new(cap), samples_new(cap)};
    Cold b = {samples_new(cap), samples_new(cap), samples_new(cap)};
    Ratios xk = {{0}, 0}, xw = {{0}, 0}, xr = {{0}, 0};
    for (int r = 0; r < runs; r++) {
        size_t a0 = a.key.n, b0 = b.key.n;
        for (size_t i = 0; i < n; i++) {
            if (i % 2 == 0) {
                cold_one(a_bin, base, ca_arg, &a);
                cold_one(b_bin, base, ca_arg, &b);
            } else {
                cold_one(b_bin, base, ca_arg, &b);
                cold_one(a_bin, base, ca_arg, &a);
            }
        }
        xk.r[xk.n++] = median_since(&a.key, a0) / median_since(&b.key, b0);
        xw.r[xw.n++] = median_since(&a.wall, a0) / median_since(&b.wall, b0);
        xr.r[xr.n++] = median_since(&a.rss, a0) / median_since(&b.rss, b0);
    }
    print_row(label, &a.key, &b.key, &xk, target, "us");
    if (all_rows) {
        char l2[512];
        snprintf(l2, sizeof l2, "%s, exec→exit incl. loading the library (info)", label);
        print_row(l2, &a.wall, &b.wall, &xw, "-", "us");
        print_row("peak RSS of that one-call process (info)", &a.rss, &b.rss, &xr, "-", "KiB");
    }
    return 0;
}

/* ---- the TLS probe ------------------------------------------------------- */

static char curl_tls[256];

/* Progress callback: once the handshake is done, note what OpenSSL
 * negotiated (CURLINFO_TLS_SSL_PTR is only promised during a transfer). */
static int note_tls(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
    (void)dt, (void)dn, (void)ut, (void)un;
    struct curl_tlssessioninfo *info = NULL;
    if (curl_tls[0] || curl_easy_getinfo((CURL *)user, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK ||
        !info || info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
        return 0;
    SSL *ssl = info->internals;
    if (!SSL_is_init_finished(ssl)) return 0;
    int nid = SSL_get_negotiated_group(ssl);
    const char *group = nid > 0 ? OBJ_nid2sn(nid) : NULL;
    snprintf(curl_tls, sizeof curl_tls, "%s %s %s", SSL_get_version(ssl),
             SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)), group ? group : "-");
    return 0;
}

static int probe(const char *who, const char *base, const char *ca) {
    if (strcmp(who, "uiza") == 0) {
        UizaSide *u = uiza_side_new(base, ca);
        uiza_side_call(u);
        uiza_side_free(u);
        return 0;
    }
    if (strcmp(who, "curl") != 0) return 2;
    CurlSide *c = curl_side_new(base, ca, NULL);
    CURL *easy = curl_side_easy(c);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, note_tls);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, easy);
    curl_side_call(c);
    curl_side_free(c);
    printf("%s\n", curl_tls[0] ? curl_tls : "-");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) goto usage;
    const char *mode = argv[1];
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define CA(i) (strcmp(argv[i], "-") ? argv[i] : NULL)
    if (strcmp(mode, "versions") == 0) {
        printf("libuiza %s vs %s", uiza_version(), curl_version());
        return 0;
    }
    if (argc == 10 && strcmp(mode, "seq") == 0)
        return case_sequential(argv[2], argv[3], CA(4), parse_runs(argv[5]),
                               strtoul(argv[6], NULL, 10), strtoul(argv[7], NULL, 10), argv[8],
                               argv[9]);
    if (argc == 10 && strcmp(mode, "threads") == 0)
        return case_threads(argv[2], CA(3), parse_runs(argv[4]), atoi(argv[5]),
                            strtoul(argv[6], NULL, 10), strtoul(argv[7], NULL, 10), argv[8],
                            argv[9]);
    if (argc == 10 && strcmp(mode, "cold") == 0)
        return case_cold(argv[2], CA(3), parse_runs(argv[4]), strtoul(argv[5], NULL, 10),
                         argv[6], strcmp(argv[7], "all") == 0, argv[8], argv[9]);
    if (argc == 5 && strcmp(mode, "probe") == 0) return probe(argv[2], argv[3], CA(4));
usage:
    fprintf(stderr, "usage: see the comment at the top of benches/bench.c\n");
    return 2;
}
