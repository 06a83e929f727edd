/*
 * One cold-process sample: from the start of main to the new key in hand,
 * on a fresh client (TLS handshake included). Built twice, as cold_uiza
 * (-DBENCH_UIZA, links only libuiza) and cold_curl (-DBENCH_CURL, links
 * only libcurl), and spawned once per sample by `bench cold`.
 *
 * usage: cold_<side> BASE_URL CA_FILE|-
 * prints: "<nanoseconds main->key> <peak RSS in KiB>"
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "clients.h"

int main(int argc, char **argv) {
    double t0 = now_ns();
    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL CA_FILE|-\n", argv[0]);
        return 2;
    }
    const char *ca = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
    char key[128];
#ifdef BENCH_UIZA
    UizaSide *s = uiza_side_new(argv[1], ca);
    uiza_side_call_key(s, key, sizeof key);
#else
    CurlSide *s = curl_side_new(argv[1], ca, NULL);
    curl_side_call_key(s, key, sizeof key);
#endif
    double t1 = now_ns();
    if (strcmp(key, BENCH_EXPECTED_KEY) != 0) {
        fprintf(stderr, "cold: unexpected key\n");
        return 2;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.0f %ld\n", t1 - t0, ru.ru_maxrss);
#ifdef BENCH_UIZA
    uiza_side_free(s);
#else
    curl_side_free(s);
#endif
    return 0;
}
