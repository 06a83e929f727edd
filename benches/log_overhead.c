/*
 * This libuiza against another build of it (by default the v0.2.0 tag, the
 * library before the log callback), both in one process: the same warm
 * reset through the same benches/clients.c, alternating A B, B A, ... as
 * benches/bench.c does (measure.c). benches/log_overhead.sh starts the
 * sandbox, builds both libraries and prints the table header.
 *
 *   log_overhead row BASE CA|- RUNS CALLS BATCH SIDE_A LEVEL SIDE_B TARGET LABEL
 *       SIDE_A, SIDE_B: benches/clients.c built as a shared object, each
 *       linked to its own copy of a libuiza.so, so that the two libraries
 *       (and their process-wide state) are separate in this process.
 *       LEVEL: "off", or error|warn|info|debug|trace: before the runs, A's
 *       uiza_set_log_callback installs a callback that only counts the
 *       lines, at that level; the label then gets the lines per call.
 *   log_overhead versions SIDE_A SIDE_B
 *       prints both libraries' uiza_version().
 *
 * TARGET is "le:X", "ge:X" or "-", as in bench.c.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "uiza.h"

typedef void *(*SideNew)(const char *base_url, const char *ca_file);
typedef void (*SideFree)(void *side);
typedef const char *(*Version)(void);
typedef void (*SetLog)(UizaLogCallback callback, void *user_data, UizaLogLevel max_level);

typedef struct {
    void *dl;
    SideNew side_new;
    CallFn call;
    SideFree side_free;
    Version version;
} Side;

static void *need(void *dl, const char *path, const char *name) {
    void *sym = dlsym(dl, name);
    if (!sym) {
        fprintf(stderr, "log_overhead: %s lacks %s\n", path, name);
        exit(2);
    }
    return sym;
}

static Side side_open(const char *path) {
    Side s;
    s.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!s.dl) {
        fprintf(stderr, "log_overhead: %s\n", dlerror());
        exit(2);
    }
    s.side_new = (SideNew)need(s.dl, path, "uiza_side_new");
    s.call = (CallFn)need(s.dl, path, "uiza_side_call");
    s.side_free = (SideFree)need(s.dl, path, "uiza_side_free");
    s.version = (Version)need(s.dl, path, "uiza_version");
    return s;
}

/* Both sides, and proof that they are two libraries, not one loaded twice
 * (a SONAME shared by both files would make the loader reuse the first). */
static void open_both(const char *a_path, const char *b_path, Side *a, Side *b) {
    *a = side_open(a_path);
    *b = side_open(b_path);
    if (a->version == b->version) {
        fprintf(stderr, "log_overhead: %s and %s share one libuiza\n", a_path, b_path);
        exit(2);
    }
}

static atomic_ulong lines;

static void count_line(void *user_data, UizaLogLevel level, const char *message) {
    (void)user_data, (void)level, (void)message;
    atomic_fetch_add_explicit(&lines, 1, memory_order_relaxed);
}

static int parse_level(const char *name) {
    static const char *names[] = {"off", "error", "warn", "info", "debug", "trace"};
    for (int i = 0; i < 6; i++)
        if (strcmp(name, names[i]) == 0) return i;
    fprintf(stderr, "log_overhead: unknown level %s\n", name);
    exit(2);
}

static int row(const char *base, const char *ca, int runs, size_t calls, size_t batch,
               const char *a_path, const char *level_name, const char *b_path,
               const char *target, const char *label) {
    Side a, b;
    open_both(a_path, b_path, &a, &b);
    int level = parse_level(level_name);
    if (level > 0) {
        SetLog set = (SetLog)need(a.dl, a_path, "uiza_set_log_callback");
        set(count_line, NULL, (UizaLogLevel)level);
    }
    Samples sa = samples_new(calls * (size_t)runs), sb = samples_new(calls * (size_t)runs);
    Ratios x = {{0}, 0};
    unsigned long before = 0, counted = 0;
    for (int r = 0; r < runs; r++) {
        size_t a0 = sa.n, b0 = sb.n;
        /* Fresh clients for every run: new pools, new connections, no TLS
         * state to resume from. */
        void *ua = a.side_new(base, ca), *ub = b.side_new(base, ca);
        before = atomic_load(&lines);
        alternate(a.call, ua, b.call, ub, calls, batch, &sa, &sb);
        counted += atomic_load(&lines) - before;
        a.side_free(ua);
        b.side_free(ub);
        x.r[x.n++] = median_since(&sa, a0) / median_since(&sb, b0);
    }
    char full[512];
    if (level > 0)
        /* The warm-up's calls are in the count too. */
        snprintf(full, sizeof full, "%s (info; %.1f log lines per call)", label,
                 (double)counted / (double)(sa.n + (size_t)runs * (batch < 20 ? batch : 20)));
    else
        snprintf(full, sizeof full, "%s", label);
    print_row(full, &sa, &sb, &x, target, "us");
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "versions") == 0) {
        Side a, b;
        open_both(argv[2], argv[3], &a, &b);
        printf("A %s, B %s", a.version(), b.version());
        return 0;
    }
    if (argc == 12 && strcmp(argv[1], "row") == 0)
        return row(argv[2], strcmp(argv[3], "-") ? argv[3] : NULL, parse_runs(argv[4]),
                   strtoul(argv[5], NULL, 10), strtoul(argv[6], NULL, 10), argv[7], argv[8],
                   argv[9], argv[10], argv[11]);
    fprintf(stderr, "usage: see the comment at the top of benches/log_overhead.c\n");
    return 2;
}
