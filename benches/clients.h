/*
 * The two clients under test, behind one tiny interface, so that every
 * benchmark case drives the same PUT the same way through libuiza's C ABI
 * and through libcurl's easy API.
 *
 * Compile with -DBENCH_UIZA and/or -DBENCH_CURL to get either side: the
 * cold-process children link only the library they measure, so neither
 * pays for loading the other.
 */
#ifndef BENCH_CLIENTS_H
#define BENCH_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

#include "measure.h" /* now_ns */

/* nginx does not check it; it is still never printed. */
#define BENCH_API_KEY "bench-key-not-a-secret"
/* The seed entity of the API documentation. */
#define BENCH_ENTITY_ID "22013d8a-d5fa-48f0-9a63-1f471ca9e81d"
#define BENCH_EXPECTED_KEY "live_updated_key"
/* The current_key the rotation cases pass: any key other than the one
 * nginx returns, so that every rotation succeeds with its single PUT. */
#define BENCH_OLD_KEY "live_old"

/* Copies the value of "key" inside "ingest" out of a body, without a JSON
 * library: enough for the fixed document nginx serves. Returns 0 on success. */
int extract_ingest_key(const char *body, char *out, size_t cap);

#ifdef BENCH_UIZA
#include "uiza.h"
typedef struct UizaSide UizaSide;
/* ca_file may be NULL (system roots only). */
UizaSide *uiza_side_new(const char *base_url, const char *ca_file);
/* One reset; aborts the benchmark on any failure. */
void uiza_side_call(UizaSide *s);
/* One reset through the one-shot uiza_reset_stream_key (UIZA_BASE_URL). */
void uiza_oneshot_call(void);
/* One reset, then the key parsed out of the body into out. */
void uiza_side_call_key(UizaSide *s, char *out, size_t cap);
/* One blocking uiza_client_rotate_stream_key (current_key BENCH_OLD_KEY,
 * no token); aborts on any failure. */
void uiza_side_rotate(UizaSide *s);
/* The same rotation through uiza_client_rotate_stream_key_async; returns
 * once its callback has run (it posts a semaphore the caller waits on). */
void uiza_side_rotate_async(UizaSide *s);
void uiza_side_free(UizaSide *s);
#endif

#ifdef BENCH_CURL
#include <curl/curl.h>
typedef struct CurlSide CurlSide;
/* share may be NULL. ca_file may be NULL (curl's default bundle). */
CurlSide *curl_side_new(const char *base_url, const char *ca_file, CURLSH *share);
void curl_side_call(CurlSide *s);
void curl_side_call_key(CurlSide *s, char *out, size_t cap);
/* The easy handle, for inspection (the TLS probe of bench.c). */
CURL *curl_side_easy(CurlSide *s);
void curl_side_free(CurlSide *s);
#endif

#endif
