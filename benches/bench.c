/*
 * libuiza vs libcurl: the same PUT, driven from C, in one run.
 *
 * Every case measures two sides, A and B, in alternating batches
 * (A B A B ...) so that a noisy machine cannot favour one of them, and
 * prints one markdown table row: median and p99 per call, calls per second,
 * the ratio A/B and whether it meets the target. benches/run.sh starts the
 * server and prints the table header.
 *
 *   bench warm    BASE CA|- CALLS BATCH TARGET LABEL   A = UizaClient, B = curl easy handle
 *   bench threads BASE CA|- THREADS CALLS BATCH TARGET LABEL
 *                 A = one UizaClient shared by THREADS threads,
 *                 B = one curl easy handle per thread + a share handle
 *                 (CALLS per thread; the ratio is A's calls/s over B's)
 *   bench oneshot BASE CA|- CALLS BATCH TARGET LABEL   A = uiza_reset_stream_key
 *                 (UIZA_BASE_URL must be BASE), B = UizaClient call
 *   bench versions   prints both libraries' versions
 *   bench cold    BASE CA|- SAMPLES BINDIR TARGET LABEL
 *                 one child process per sample, BINDIR/cold_uiza vs
 *                 BINDIR/cold_curl; prints the main->key row, the
 *                 exec->exit row and the peak-RSS row.
 *
 * TARGET is "le:X" (ratio must be <= X), "ge:X" (>= X) or "-" (none).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clients.h"

typedef struct {
    double *ns; /* per-call latencies */
    size_t n;
    double wall_ns; /* time spent in this side's batches */
} Samples;

static Samples samples_new(size_t cap) {
    Samples s = {calloc(cap ? cap : 1, sizeof(double)), 0, 0};
    return s;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(Samples *s, double q) {
    qsort(s->ns, s->n, sizeof(double), cmp_double);
    size_t i = (size_t)(q * (double)s->n + 0.999999);
    if (i > 0) i--;
    if (i >= s->n) i = s->n - 1;
    return s->ns[i];
}

static double per_second(const Samples *s) { return (double)s->n * 1e9 / s->wall_ns; }

/* | case | A median | A p99 | A calls/s | B median | B p99 | B calls/s | ratio | target | met | */
static void print_row(const char *label, Samples *a, Samples *b, double ratio, const char *target,
                      const char *unit) {
    double div = strcmp(unit, "KiB") == 0 ? 1.0 : 1e3;
    const char *u = strcmp(unit, "KiB") == 0 ? " KiB" : " µs";
    char a_rate[32] = "-", b_rate[32] = "-";
    if (a->wall_ns > 0) snprintf(a_rate, sizeof a_rate, "%.0f", per_second(a));
    if (b->wall_ns > 0) snprintf(b_rate, sizeof b_rate, "%.0f", per_second(b));
    const char *met = "-";
    if (strncmp(target, "le:", 3) == 0) met = ratio <= atof(target + 3) ? "yes" : "**no**";
    if (strncmp(target, "ge:", 3) == 0) met = ratio >= atof(target + 3) ? "yes" : "**no**";
    printf("| %s | %.1f%s | %.1f%s | %s | %.1f%s | %.1f%s | %s | %.2f | %s | %s |\n", label,
           quantile(a, 0.5) / div, u, quantile(a, 0.99) / div, u, a_rate, quantile(b, 0.5) / div, u,
           quantile(b, 0.99) / div, u, b_rate, ratio, strcmp(target, "-") ? target + 0 : "-", met);
    fflush(stdout);
}

/* ---- one client, sequential calls --------------------------------------- */

typedef void (*CallFn)(void *side);
static void call_uiza(void *s) { uiza_side_call(s); }
static void call_oneshot(void *s) {
    (void)s;
    uiza_oneshot_call();
}
static void call_curl(void *s) { curl_side_call(s); }

static void run_batch(CallFn f, void *side, size_t n, Samples *out) {
    double start = now_ns();
    for (size_t i = 0; i < n; i++) {
        double t = now_ns();
        f(side);
        out->ns[out->n++] = now_ns() - t;
    }
    out->wall_ns += now_ns() - start;
}

static void alternate(CallFn fa, void *a, CallFn fb, void *b, size_t calls, size_t batch,
                      Samples *sa, Samples *sb) {
    /* Warm-up: connect, handshake and fill caches outside the figures. */
    Samples warm = samples_new(20);
    run_batch(fa, a, 20, &warm);
    warm.n = 0;
    run_batch(fb, b, 20, &warm);
    free(warm.ns);
    for (size_t done = 0; done < calls; done += batch) {
        size_t n = calls - done < batch ? calls - done : batch;
        run_batch(fa, a, n, sa);
        run_batch(fb, b, n, sb);
    }
}

static int case_sequential(int oneshot, const char *base, const char *ca, size_t calls,
                           size_t batch, const char *target, const char *label) {
    Samples sa = samples_new(calls), sb = samples_new(calls);
    UizaSide *u = uiza_side_new(base, ca);
    if (oneshot) {
        alternate(call_oneshot, NULL, call_uiza, u, calls, batch, &sa, &sb);
    } else {
        CurlSide *c = curl_side_new(base, ca, NULL);
        alternate(call_uiza, u, call_curl, c, calls, batch, &sa, &sb);
        curl_side_free(c);
    }
    uiza_side_free(u);
    print_row(label, &sa, &sb, quantile(&sa, 0.5) / quantile(&sb, 0.5), target, "us");
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
 * handle thread i uses. Appends latencies and wall time to out. */
static void threads_batch(CallFn f, void **sides, int threads, size_t n, Samples *out) {
    pthread_t tid[64];
    Job jobs[64];
    double start = now_ns();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (Job){f, sides[i], n, out->ns + out->n + (size_t)i * n};
        pthread_create(&tid[i], NULL, job_main, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    out->wall_ns += now_ns() - start;
    out->n += (size_t)threads * n;
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

static int case_threads(const char *base, const char *ca, int threads, size_t calls,
                        size_t batch, const char *target, const char *label) {
    if (threads < 1 || threads > 64) return 2;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&share_locks[i], NULL);
    /* DNS and TLS sessions are shared, as a tuned libcurl program would;
     * connections stay per handle (sharing the pool only adds locking when
     * every thread keeps its own connection busy). */
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
    size_t total = (size_t)threads * calls;
    Samples sa = samples_new(total), sb = samples_new(total);
    Samples warm = samples_new((size_t)threads * 10);
    threads_batch(call_uiza, usides, threads, 10, &warm);
    warm.n = 0;
    threads_batch(call_curl, csides, threads, 10, &warm);
    free(warm.ns);
    for (size_t done = 0; done < calls; done += batch) {
        size_t n = calls - done < batch ? calls - done : batch;
        threads_batch(call_uiza, usides, threads, n, &sa);
        threads_batch(call_curl, csides, threads, n, &sb);
    }
    print_row(label, &sa, &sb, per_second(&sa) / per_second(&sb), target, "us");
    for (int i = 0; i < threads; i++) curl_side_free(csides[i]);
    uiza_side_free(u);
    curl_share_cleanup(share);
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

static int case_cold(const char *base, const char *ca, size_t n, const char *dir,
                     const char *target, const char *label) {
    char a_bin[4096], b_bin[4096];
    snprintf(a_bin, sizeof a_bin, "%s/cold_uiza", dir);
    snprintf(b_bin, sizeof b_bin, "%s/cold_curl", dir);
    const char *ca_arg = ca ? ca : "-";
    Samples a = samples_new(n), b = samples_new(n);
    Samples aw = samples_new(n), bw = samples_new(n);
    Samples ar = samples_new(n), br = samples_new(n);
    for (size_t i = 0; i < n; i++) {
        cold_sample(a_bin, base, ca_arg, &a.ns[i], &ar.ns[i], &aw.ns[i]);
        cold_sample(b_bin, base, ca_arg, &b.ns[i], &br.ns[i], &bw.ns[i]);
        a.wall_ns += a.ns[i], b.wall_ns += b.ns[i];
        aw.wall_ns += aw.ns[i], bw.wall_ns += bw.ns[i];
        a.n = b.n = aw.n = bw.n = ar.n = br.n = i + 1;
    }
    char l2[512], l3[512];
    print_row(label, &a, &b, quantile(&a, 0.5) / quantile(&b, 0.5), target, "us");
    snprintf(l2, sizeof l2, "%s, exec→exit incl. loading the library (info)", label);
    print_row(l2, &aw, &bw, quantile(&aw, 0.5) / quantile(&bw, 0.5), "-", "us");
    snprintf(l3, sizeof l3, "peak RSS of that one-call process (info)");
    print_row(l3, &ar, &br, quantile(&ar, 0.5) / quantile(&br, 0.5), "-", "KiB");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) goto usage;
    const char *mode = argv[1];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(mode, "versions") == 0) {
        printf("libuiza %s vs %s", uiza_version(), curl_version());
        return 0;
    }
    if (argc == 8 && strcmp(mode, "warm") == 0)
        return case_sequential(0, argv[2], strcmp(argv[3], "-") ? argv[3] : NULL,
                               strtoul(argv[4], NULL, 10), strtoul(argv[5], NULL, 10), argv[6],
                               argv[7]);
    if (argc == 8 && strcmp(mode, "oneshot") == 0)
        return case_sequential(1, argv[2], strcmp(argv[3], "-") ? argv[3] : NULL,
                               strtoul(argv[4], NULL, 10), strtoul(argv[5], NULL, 10), argv[6],
                               argv[7]);
    if (argc == 9 && strcmp(mode, "threads") == 0)
        return case_threads(argv[2], strcmp(argv[3], "-") ? argv[3] : NULL, atoi(argv[4]),
                            strtoul(argv[5], NULL, 10), strtoul(argv[6], NULL, 10), argv[7],
                            argv[8]);
    if (argc == 8 && strcmp(mode, "cold") == 0)
        return case_cold(argv[2], strcmp(argv[3], "-") ? argv[3] : NULL,
                         strtoul(argv[4], NULL, 10), argv[5], argv[6], argv[7]);
usage:
    fprintf(stderr, "usage: see the comment at the top of benches/bench.c\n");
    return 2;
}
