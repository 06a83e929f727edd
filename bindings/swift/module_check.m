// Imports libuiza as the clang module `Uiza` (include/module.modulemap),
// exactly as Swift's `import Uiza` does, and uses it against the sandbox.
// Built and run by tests/swift_module.rs (no Swift toolchain needed).
@import Uiza;

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "FAIL: %s\n", what);
        failures++;
    }
}

int main(void) {
    const char *version = uiza_version();
    check(version != NULL && version[0] != '\0', "uiza_version()");
    check(strcmp(uiza_status_str(UIZA_STATUS_NOT_FOUND), "not found (HTTP 404)") == 0,
          "uiza_status_str(UIZA_STATUS_NOT_FOUND)");

    const char *key = getenv("UIZA_TEST_API_KEY");
    const char *base = getenv("UIZA_TEST_BASE_URL");
    const char *id = getenv("UIZA_TEST_ENTITY_ID");
    if (key == NULL || base == NULL || id == NULL) {
        fprintf(stderr, "FAIL: UIZA_TEST_API_KEY/_BASE_URL/_ENTITY_ID not set\n");
        return 2;
    }
    UizaClient *client = uiza_client_new(key);
    check(client != NULL, "uiza_client_new");
    check(uiza_client_set_base_url(client, base) == UIZA_STATUS_OK, "uiza_client_set_base_url");

    char *json = NULL;
    UizaStatus status = uiza_client_reset_stream_key(client, id, &json);
    check(status == UIZA_STATUS_OK, "uiza_client_reset_stream_key");
    UizaLiveEntity *entity = NULL;
    check(uiza_live_entity_parse(json, &entity) == UIZA_STATUS_OK, "uiza_live_entity_parse");
    const char *ingest_key = uiza_live_entity_ingest_key(entity);
    check(ingest_key != NULL && strncmp(ingest_key, "live_", 5) == 0, "new ingest key");

    uiza_live_entity_free(entity);
    uiza_string_free(json);
    uiza_client_free(client);
    if (failures == 0) {
        printf("module Uiza %s: all checks passed\n", version);
    }
    return failures == 0 ? 0 : 1;
}
