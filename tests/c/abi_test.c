/*
 * abi_test.c - exercises libuiza through include/uiza.h exactly as a C
 * program sees it. Run by tests/c_programs.rs against a live sandbox:
 *
 *   UIZA_BASE_URL=... UIZA_API_KEY=... UIZA_ENTITY_ID=... abi_test
 *
 * Prints one line per check and exits non-zero if any check failed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uiza.h"

static int failures = 0;
static int passes = 0;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            passes++;                                                        \
        } else {                                                             \
            failures++;                                                      \
            fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                    \
    } while (0)

static const char *base_url, *api_key, *entity_id;

static UizaClient *sandbox_client(void) {
    UizaClient *client = uiza_client_new(api_key);
    CHECK(client != NULL);
    CHECK(uiza_client_set_base_url(client, base_url) == UIZA_STATUS_OK);
    return client;
}

static void test_static_strings(void) {
    for (int s = -5; s < 40; s++) {
        const char *text = uiza_status_str(s);
        CHECK(text != NULL && text[0] != '\0');
    }
    CHECK(strcmp(uiza_status_str(UIZA_STATUS_NOT_FOUND), "not found (HTTP 404)") == 0);
    CHECK(strcmp(uiza_status_str(-1), "unknown status") == 0);
    CHECK(uiza_version() != NULL && strchr(uiza_version(), '.') != NULL);
    CHECK(UIZA_STATUS_OK == 0 && UIZA_STATUS_INTERNAL == 13);
}

static void test_null_handling(void) {
    char *json = (char *)"untouched";
    CHECK(uiza_reset_stream_key(NULL, NULL, NULL) == UIZA_STATUS_INVALID_ARGUMENT);
    CHECK(uiza_reset_stream_key(NULL, entity_id, &json) == UIZA_STATUS_INVALID_ARGUMENT);
    CHECK(json != NULL && strstr(json, "invalid_argument") != NULL);
    uiza_string_free(json);
    CHECK(uiza_client_new(NULL) == NULL);
    CHECK(uiza_client_new("") == NULL);
    CHECK(uiza_client_new("key with spaces") == NULL);
    CHECK(uiza_client_reset_stream_key(NULL, entity_id, NULL) == UIZA_STATUS_INVALID_ARGUMENT);
    CHECK(uiza_client_set_timeout_ms(NULL, 5) == UIZA_STATUS_INVALID_ARGUMENT);
    UizaLiveEntity *entity = (UizaLiveEntity *)&json;
    CHECK(uiza_live_entity_parse(NULL, &entity) == UIZA_STATUS_INVALID_ARGUMENT);
    CHECK(entity == NULL);
    CHECK(uiza_live_entity_ingest_key(NULL) == NULL);
    uiza_client_free(NULL);
    uiza_string_free(NULL);
    uiza_live_entity_free(NULL);
    uiza_error_free(NULL);
}

static void test_reset_and_parse(void) {
    UizaClient *client = sandbox_client();
    char *json = NULL;
    UizaStatus status = uiza_client_reset_stream_key(client, entity_id, &json);
    CHECK(status == UIZA_STATUS_OK);
    CHECK(json != NULL && strstr(json, api_key) == NULL);
    UizaLiveEntity *entity = NULL;
    CHECK(uiza_live_entity_parse(json, &entity) == UIZA_STATUS_OK);
    CHECK(strncmp(uiza_live_entity_ingest_key(entity), "live_", 5) == 0);
    CHECK(strcmp(uiza_live_entity_id(entity), entity_id) == 0);
    bool dvr = false;
    CHECK(uiza_live_entity_dvr(entity, &dvr) && dvr);
    uiza_live_entity_free(entity);
    uiza_string_free(json);

    json = NULL;
    status = uiza_client_reset_stream_key(client, "no-such-entity", &json);
    CHECK(status == UIZA_STATUS_NOT_FOUND);
    UizaError *error = NULL;
    CHECK(uiza_error_parse(json, &error) == UIZA_STATUS_OK);
    CHECK(strcmp(uiza_error_message(error), "The live entity you requested does not exist.") == 0);
    CHECK(strcmp(uiza_error_type(error), "invalid_request_error") == 0);
    CHECK(uiza_error_http_status(error) == 404);
    uiza_error_free(error);
    uiza_string_free(json);
    uiza_client_free(client);
}

static void test_one_shot(void) {
    /* UIZA_BASE_URL is set in this process's environment. */
    char *json = NULL;
    CHECK(uiza_reset_stream_key(api_key, entity_id, &json) == UIZA_STATUS_OK);
    uiza_string_free(json);
    json = NULL;
    CHECK(uiza_reset_stream_key(api_key, "", &json) == UIZA_STATUS_INVALID_ARGUMENT);
    CHECK(json != NULL && strstr(json, "\"http_status\":null") != NULL);
    uiza_string_free(json);
}

#define THREADS 16
#define CALLS_PER_THREAD 8

static void *worker(void *arg) {
    UizaClient *client = arg;
    long ok = 0;
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        char *json = NULL;
        if (uiza_client_reset_stream_key(client, entity_id, &json) == UIZA_STATUS_OK) {
            ok++;
        }
        uiza_string_free(json);
    }
    return (void *)ok;
}

static void test_threads_share_a_client(void) {
    UizaClient *client = sandbox_client();
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&threads[i], NULL, worker, client) == 0);
    }
    long total = 0;
    for (int i = 0; i < THREADS; i++) {
        void *ok = NULL;
        pthread_join(threads[i], &ok);
        total += (long)ok;
    }
    CHECK(total == THREADS * CALLS_PER_THREAD);
    uiza_client_free(client);
}

int main(void) {
    base_url = getenv("UIZA_BASE_URL");
    api_key = getenv("UIZA_API_KEY");
    entity_id = getenv("UIZA_ENTITY_ID");
    if (base_url == NULL || api_key == NULL || entity_id == NULL) {
        fprintf(stderr, "abi_test: set UIZA_BASE_URL, UIZA_API_KEY and UIZA_ENTITY_ID\n");
        return 2;
    }
    test_static_strings();
    test_null_handling();
    test_reset_and_parse();
    test_one_shot();
    test_threads_share_a_client();
    printf("%d passed, %d failed\n", passes, failures);
    return failures == 0 ? 0 : 1;
}
