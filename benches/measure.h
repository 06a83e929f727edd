/*
 * Samples, ratios, verdicts and the A-B-B-A run shared by the benchmark
 * drivers (bench.c: libuiza vs libcurl; log_overhead.c: this libuiza vs
 * an earlier one). docs/benchmark.md describes the method.
 */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include <stddef.h>
#include <time.h>

#define MAX_RUNS 64

static inline double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct {
    double *ns; /* per-call latencies (or per-process values) */
    size_t n, cap;
    double wall_ns; /* time spent in this side's batches */
} Samples;

Samples samples_new(size_t cap);
void samples_push(Samples *s, double v);
/* Quantile q of the samples (sorts them in place). */
double quantile(Samples *s, double q);
/* Median of the samples pushed since index `from` (this run's). */
double median_since(Samples *s, size_t from);
double per_second(const Samples *s);

/* One ratio A/B per run. */
typedef struct {
    double r[MAX_RUNS];
    int n;
} Ratios;

double ratios_median(const Ratios *x);
/* "met" when every run meets the target ("le:X" or "ge:X"), "met in the
 * median" when the median of the runs does, "**no**" otherwise; "-"
 * without a target. Decided on the unrounded ratios. */
const char *verdict(const Ratios *x, const char *target);
/* | case | A median | A p99 | A calls/s | B median | B p99 | B calls/s |
 * ratio: median (min–max) | target | met |; unit "us" or "KiB". */
void print_row(const char *label, Samples *a, Samples *b, const Ratios *x, const char *target,
               const char *unit);
/* RUNS from the command line, 1..MAX_RUNS; exits otherwise. */
int parse_runs(const char *arg);

typedef void (*CallFn)(void *side);
/* n calls of f(side), each timed into out, and their wall time. */
void run_batch(CallFn f, void *side, size_t n, Samples *out);
/* One run: a warm-up of each side outside the figures, then `calls` calls
 * per side in batches of `batch`: A B, B A, A B, ... */
void alternate(CallFn fa, void *a, CallFn fb, void *b, size_t calls, size_t batch, Samples *sa,
               Samples *sb);

#endif
