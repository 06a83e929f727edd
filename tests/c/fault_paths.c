/*
 * fault_paths.c - drives libuiza's error paths from C, for the memory
 * checkers (valgrind, AddressSanitizer, UndefinedBehaviorSanitizer). Run by
 * tests/sanitizers.rs, which queues one sandbox fault per call beforehand:
 *
 *   UIZA_BASE_URL=... UIZA_API_KEY=... fault_paths TIMEOUT_MS:ID ...
 *
 * Each argument is one reset on a client without retries. For each, one
 * line goes to stdout: "call N: status=S type=T http=H" (type and http are
 * "-" on success), after the result was read back through the typed
 * accessors. The program also feeds the parsers malformed documents and
 * finishes with a one-shot call. It exits 0 unless a library invariant
 * breaks (the statuses themselves are checked by the test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uiza.h"

static int broken = 0;

#define EXPECT(cond)                                                         \
    do {                                                                     \
        if (!(cond)) {                                                       \
            broken++;                                                        \
            fprintf(stderr, "BROKEN %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                    \
    } while (0)

/* Reads every accessor of an entity, so that the checkers see each string. */
static void read_entity(const char *json) {
    UizaLiveEntity *entity = NULL;
    EXPECT(uiza_live_entity_parse(json, &entity) == UIZA_STATUS_OK);
    const char *(*const fields[])(const UizaLiveEntity *) = {
        uiza_live_entity_ingest_key, uiza_live_entity_ingest_url,
        uiza_live_entity_id,         uiza_live_entity_name,
        uiza_live_entity_description, uiza_live_entity_playback_hls,
        uiza_live_entity_region,     uiza_live_entity_status,
        uiza_live_entity_created_at, uiza_live_entity_updated_at,
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *s = fields[i](entity);
        total += s != NULL ? strlen(s) : 0;
    }
    EXPECT(total > 0);
    EXPECT(strncmp(uiza_live_entity_ingest_key(entity), "live_", 5) == 0);
    bool flag = false;
    (void)uiza_live_entity_dvr(entity, &flag);
    (void)uiza_live_entity_encode(entity, &flag);
    uiza_live_entity_free(entity);
}

/* Parses an error document and prints its type and HTTP status. */
static void print_error(const char *json) {
    UizaError *error = NULL;
    EXPECT(uiza_error_parse(json, &error) == UIZA_STATUS_OK);
    const char *message = uiza_error_message(error);
    EXPECT(message != NULL && message[0] != '\0');
    printf(" type=%s http=%d\n", uiza_error_type(error), (int)uiza_error_http_status(error));
    uiza_error_free(error);
}

/* Malformed input to the parsers: every one must be refused cleanly. */
static void feed_parsers_garbage(void) {
    static const char *const docs[] = {
        "", "{", "null", "[]", "{\"ingest\":{\"key\":7}}", "{\"ingest\":{}}",
        "\xff\xfe", "{\"message\":1,\"error_type\":\"x\"}", "{\"message\":\"m\"}",
        "{\"ingest\":{\"key\":\"k\"},\"dvr\":\"yes\"}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        UizaLiveEntity *entity = (UizaLiveEntity *)&broken;
        EXPECT(uiza_live_entity_parse(docs[i], &entity) != UIZA_STATUS_OK);
        EXPECT(entity == NULL);
        UizaError *error = (UizaError *)&broken;
        EXPECT(uiza_error_parse(docs[i], &error) != UIZA_STATUS_OK);
        EXPECT(error == NULL);
    }
    for (int s = -3; s < 20; s++) {
        EXPECT(uiza_status_str(s) != NULL);
    }
}

static void reset_calls(const char *base_url, const char *api_key, int argc, char **argv) {
    UizaClient *client = uiza_client_new(api_key);
    EXPECT(client != NULL);
    EXPECT(uiza_client_set_base_url(client, base_url) == UIZA_STATUS_OK);
    EXPECT(uiza_client_set_max_retries(client, 0) == UIZA_STATUS_OK);
    for (int i = 1; i < argc; i++) {
        char *colon = NULL;
        unsigned long timeout_ms = strtoul(argv[i], &colon, 10);
        EXPECT(colon != NULL && *colon == ':');
        EXPECT(uiza_client_set_timeout_ms(client, (uint32_t)timeout_ms) == UIZA_STATUS_OK);
        char *json = NULL;
        UizaStatus status = uiza_client_reset_stream_key(client, colon + 1, &json);
        EXPECT(json != NULL && strstr(json, api_key) == NULL);
        printf("call %d: status=%d", i, (int)status);
        if (status == UIZA_STATUS_OK) {
            read_entity(json);
            printf(" type=- http=-\n");
        } else {
            print_error(json);
        }
        uiza_string_free(json);
    }
    uiza_client_free(client);
}

int main(int argc, char **argv) {
    const char *base_url = getenv("UIZA_BASE_URL");
    const char *api_key = getenv("UIZA_API_KEY");
    const char *entity_id = getenv("UIZA_ENTITY_ID");
    if (base_url == NULL || api_key == NULL || entity_id == NULL) {
        fprintf(stderr, "fault_paths: set UIZA_BASE_URL, UIZA_API_KEY and UIZA_ENTITY_ID\n");
        return 2;
    }
    feed_parsers_garbage();
    reset_calls(base_url, api_key, argc, argv);

    char *json = NULL;
    UizaStatus status = uiza_reset_stream_key(api_key, entity_id, &json);
    printf("one-shot: status=%d\n", (int)status);
    EXPECT(status == UIZA_STATUS_OK);
    if (status == UIZA_STATUS_OK) {
        read_entity(json);
    }
    uiza_string_free(json);

    fflush(stdout);
    return broken == 0 ? 0 : 1;
}
