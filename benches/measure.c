/*
 * What every benchmark driver shares: samples, the runs' ratios, the
 * verdict against a target, the markdown row, and one run of two sides
 * in batches A B, B A, A B, ... (benches/bench.c, benches/log_overhead.c).
 */
#include "measure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- samples and the table row ----------------------------------------- */

Samples samples_new(size_t cap) {
    Samples s = {calloc(cap ? cap : 1, sizeof(double)), 0, cap ? cap : 1, 0};
    if (!s.ns) exit(2);
    return s;
}

void samples_push(Samples *s, double v) {
    if (s->n == s->cap) {
        s->cap *= 2;
        s->ns = realloc(s->ns, s->cap * sizeof(double));
        if (!s->ns) exit(2);
    }
    s->ns[s->n++] = v;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile q of v[0..n) (sorts it in place). */
static double quantile_of(double *v, size_t n, double q) {
    qsort(v, n, sizeof(double), cmp_double);
    size_t i = (size_t)(q * (double)n + 0.999999);
    if (i > 0) i--;
    if (i >= n) i = n - 1;
    return v[i];
}

double quantile(Samples *s, double q) { return quantile_of(s->ns, s->n, q); }

/* Median of the samples pushed since index `from` (this run's). */
double median_since(Samples *s, size_t from) {
    return quantile_of(s->ns + from, s->n - from, 0.5);
}

double per_second(const Samples *s) { return (double)s->n * 1e9 / s->wall_ns; }

double ratios_median(const Ratios *x) {
    double v[MAX_RUNS];
    memcpy(v, x->r, sizeof(double) * (size_t)x->n);
    qsort(v, (size_t)x->n, sizeof(double), cmp_double);
    return x->n % 2 ? v[x->n / 2] : (v[x->n / 2 - 1] + v[x->n / 2]) / 2;
}

/* "met" when every run meets the target, "met in the median" when the
 * median of the runs does, "**no**" otherwise; "-" without a target.
 * Decided on the unrounded ratios. */
const char *verdict(const Ratios *x, const char *target) {
    int le = strncmp(target, "le:", 3) == 0, ge = strncmp(target, "ge:", 3) == 0;
    if (!le && !ge) return "-";
    double lim = atof(target + 3);
    int all = 1;
    for (int i = 0; i < x->n; i++)
        if (le ? x->r[i] > lim : x->r[i] < lim) all = 0;
    double med = ratios_median(x);
    int med_ok = le ? med <= lim : med >= lim;
    return all ? "met" : med_ok ? "met in the median" : "**no**";
}

/* | case | A median | A p99 | A calls/s | B median | B p99 | B calls/s |
 * ratio: median (min–max) | target | met | */
void print_row(const char *label, Samples *a, Samples *b, const Ratios *x,
                      const char *target, const char *unit) {
    int kib = strcmp(unit, "KiB") == 0;
    double div = kib ? 1.0 : 1e3;
    const char *u = kib ? " KiB" : " µs";
    char a_rate[32] = "-", b_rate[32] = "-", ratio[64];
    if (a->wall_ns > 0) snprintf(a_rate, sizeof a_rate, "%.0f", per_second(a));
    if (b->wall_ns > 0) snprintf(b_rate, sizeof b_rate, "%.0f", per_second(b));
    double lo = x->r[0], hi = x->r[0];
    for (int i = 1; i < x->n; i++) {
        if (x->r[i] < lo) lo = x->r[i];
        if (x->r[i] > hi) hi = x->r[i];
    }
    if (x->n > 1)
        snprintf(ratio, sizeof ratio, "%.2f (%.2f–%.2f)", ratios_median(x), lo, hi);
    else
        snprintf(ratio, sizeof ratio, "%.2f", x->r[0]);
    printf("| %s | %.1f%s | %.1f%s | %s | %.1f%s | %.1f%s | %s | %s | %s | %s |\n", label,
           quantile(a, 0.5) / div, u, quantile(a, 0.99) / div, u, a_rate, quantile(b, 0.5) / div, u,
           quantile(b, 0.99) / div, u, b_rate, ratio, target, verdict(x, target));
    fflush(stdout);
}

int parse_runs(const char *arg) {
    int runs = atoi(arg);
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "bench: RUNS must be 1..%d\n", MAX_RUNS);
        exit(2);
    }
    return runs;
}


/* ---- one run of two sides, alternating --------------------------------- */

void run_batch(CallFn f, void *side, size_t n, Samples *out) {
    double start = now_ns();
    for (size_t i = 0; i < n; i++) {
        double t = now_ns();
        f(side);
        samples_push(out, now_ns() - t);
    }
    out->wall_ns += now_ns() - start;
}

/* One run: warm-up, then batches A B, B A, A B, ... */
void alternate(CallFn fa, void *a, CallFn fb, void *b, size_t calls, size_t batch,
                      Samples *sa, Samples *sb) {
    /* Warm-up: connect, handshake, start workers and fill caches outside
     * the figures (20 calls, or one batch if smaller: --quick). */
    size_t w = batch < 20 ? batch : 20;
    Samples warm = samples_new(2 * w);
    run_batch(fa, a, w, &warm);
    run_batch(fb, b, w, &warm);
    free(warm.ns);
    size_t k = 0;
    for (size_t done = 0; done < calls; done += batch, k++) {
        size_t n = calls - done < batch ? calls - done : batch;
        if (k % 2 == 0) {
            run_batch(fa, a, n, sa);
            run_batch(fb, b, n, sb);
        } else {
            run_batch(fb, b, n, sb);
            run_batch(fa, a, n, sa);
        }
    }
}
