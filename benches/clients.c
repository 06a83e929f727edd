#include "clients.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_UIZA
#include <semaphore.h>
#endif

static void die(const char *what, const char *detail) {
    fprintf(stderr, "bench: %s: %s\n", what, detail ? detail : "");
    exit(2);
}

int extract_ingest_key(const char *body, char *out, size_t cap) {
    const char *ingest = strstr(body, "\"ingest\"");
    const char *k = ingest ? strstr(ingest, "\"key\"") : NULL;
    const char *q = k ? strchr(k + 5, '"') : NULL;
    const char *end = q ? strchr(q + 1, '"') : NULL;
    if (!end || (size_t)(end - q - 1) >= cap) return -1;
    memcpy(out, q + 1, (size_t)(end - q - 1));
    out[end - q - 1] = '\0';
    return 0;
}

#ifdef BENCH_UIZA
struct UizaSide {
    UizaClient *client;
    /* Async rotation: the callback stores its outcome and posts done. */
    sem_t done;
    UizaStatus async_status;
    char *async_error; /* a copy of the error document, if any */
};

UizaSide *uiza_side_new(const char *base_url, const char *ca_file) {
    UizaSide *s = calloc(1, sizeof *s);
    if (sem_init(&s->done, 0, 0) != 0) die("sem_init", NULL);
    s->client = uiza_client_new(BENCH_API_KEY);
    if (!s->client) die("uiza_client_new", NULL);
    if (uiza_client_set_base_url(s->client, base_url) != UIZA_STATUS_OK)
        die("uiza_client_set_base_url", base_url);
    if (ca_file && uiza_client_set_ca_file(s->client, ca_file) != UIZA_STATUS_OK)
        die("uiza_client_set_ca_file", ca_file);
    /* A benchmark must not hide a failure behind a retry. */
    uiza_client_set_max_retries(s->client, 0);
    return s;
}

static char *uiza_side_json(UizaSide *s) {
    char *json = NULL;
    UizaStatus st = uiza_client_reset_stream_key(s->client, BENCH_ENTITY_ID, &json);
    if (st != UIZA_STATUS_OK) die(uiza_status_str(st), json);
    return json;
}

void uiza_side_call(UizaSide *s) { uiza_string_free(uiza_side_json(s)); }

void uiza_oneshot_call(void) {
    char *json = NULL;
    UizaStatus st = uiza_reset_stream_key(BENCH_API_KEY, BENCH_ENTITY_ID, &json);
    if (st != UIZA_STATUS_OK) die(uiza_status_str(st), json);
    uiza_string_free(json);
}

void uiza_side_call_key(UizaSide *s, char *out, size_t cap) {
    char *json = uiza_side_json(s);
    UizaLiveEntity *e = NULL;
    if (uiza_live_entity_parse(json, &e) != UIZA_STATUS_OK) die("uiza_live_entity_parse", json);
    snprintf(out, cap, "%s", uiza_live_entity_ingest_key(e));
    uiza_live_entity_free(e);
    uiza_string_free(json);
}

void uiza_side_rotate(UizaSide *s) {
    char *json = NULL;
    UizaStatus st =
        uiza_client_rotate_stream_key(s->client, BENCH_ENTITY_ID, BENCH_OLD_KEY, NULL, &json);
    if (st != UIZA_STATUS_OK) die(uiza_status_str(st), json);
    uiza_string_free(json);
}

/* Runs on a library worker thread; json is borrowed until it returns. */
static void on_rotated(void *user_data, UizaStatus status, const char *json) {
    UizaSide *s = user_data;
    s->async_status = status;
    if (status != UIZA_STATUS_OK) s->async_error = strdup(json ? json : "");
    sem_post(&s->done);
}

void uiza_side_rotate_async(UizaSide *s) {
    UizaStatus st = uiza_client_rotate_stream_key_async(s->client, BENCH_ENTITY_ID, BENCH_OLD_KEY,
                                                        NULL, on_rotated, s);
    if (st != UIZA_STATUS_OK) die("uiza_client_rotate_stream_key_async refused", uiza_status_str(st));
    while (sem_wait(&s->done) != 0) {
    }
    if (s->async_status != UIZA_STATUS_OK) die(uiza_status_str(s->async_status), s->async_error);
}

void uiza_side_free(UizaSide *s) {
    uiza_client_free(s->client);
    sem_destroy(&s->done);
    free(s->async_error);
    free(s);
}
#endif

#ifdef BENCH_CURL
struct CurlSide {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t n, void *user) {
    CurlSide *s = user;
    size_t add = size * n;
    if (s->len + add + 1 > s->cap) {
        s->cap = (s->len + add + 1) * 2;
        s->body = realloc(s->body, s->cap);
        if (!s->body) return 0;
    }
    memcpy(s->body + s->len, data, add);
    s->len += add;
    s->body[s->len] = '\0';
    return add;
}

CurlSide *curl_side_new(const char *base_url, const char *ca_file, CURLSH *share) {
    CurlSide *s = calloc(1, sizeof *s);
    char url[512];
    snprintf(url, sizeof url, "%s/v1/live_entities/%s/stream_key", base_url, BENCH_ENTITY_ID);
    s->easy = curl_easy_init();
    if (!s->easy) die("curl_easy_init", NULL);
    /* The same request line and headers as libuiza sends. */
    s->headers = curl_slist_append(s->headers, "Authorization: " BENCH_API_KEY);
    s->headers = curl_slist_append(s->headers, "Accept: application/json");
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "uiza-c/0.3.0");
    curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    if (ca_file) curl_easy_setopt(s->easy, CURLOPT_CAINFO, ca_file);
    if (share) curl_easy_setopt(s->easy, CURLOPT_SHARE, share);
    return s;
}

void curl_side_call(CurlSide *s) {
    s->len = 0;
    CURLcode rc = curl_easy_perform(s->easy);
    if (rc != CURLE_OK) die("curl_easy_perform", curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200 || s->len == 0) die("curl: unexpected response", s->body);
}

void curl_side_call_key(CurlSide *s, char *out, size_t cap) {
    curl_side_call(s);
    if (extract_ingest_key(s->body, out, cap) != 0) die("curl: no ingest.key", s->body);
}

CURL *curl_side_easy(CurlSide *s) { return s->easy; }

void curl_side_free(CurlSide *s) {
    curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->headers);
    free(s->body);
    free(s);
}
#endif
