/*
 * live_rotate - rotate a live entity's stream key exactly once, from C.
 *
 *   usage: live_rotate <live-entity-id> [<current key>]
 *
 * Environment: UIZA_API_KEY (required), UIZA_BASE_URL (optional).
 *
 * Calls uiza_client_rotate_stream_key with the key the encoder uses now
 * (read from the API first when it is not given) and prints the new
 * ingest URL and key. Exit status: 0 rotated, 1 the API or the network
 * refused, 2 usage or configuration error.
 */
#include <stdio.h>
#include <stdlib.h>

/* The example's printing, found relative to this file (no -I needed). */
#include "../../examples/c/print_entity.h"
#include "uiza.h"

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s <live-entity-id> [<current key>]\n", argv[0]);
        return 2;
    }
    const char *api_key = getenv("UIZA_API_KEY");
    UizaClient *client = uiza_client_new(api_key);
    if (client == NULL) {
        fprintf(stderr, "live_rotate: set UIZA_API_KEY to a valid API key\n");
        return 2;
    }
    const char *base_url = getenv("UIZA_BASE_URL");
    if (base_url != NULL && base_url[0] != '\0' &&
        uiza_client_set_base_url(client, base_url) != UIZA_STATUS_OK) {
        fprintf(stderr, "live_rotate: UIZA_BASE_URL is not an http(s) URL\n");
        uiza_client_free(client);
        return 2;
    }

    char *json = NULL;
    const char *current_key = argc == 3 ? argv[2] : NULL;
    UizaStatus status =
        uiza_client_rotate_stream_key(client, argv[1], current_key, NULL, &json);
    uiza_client_free(client);
    if (status != UIZA_STATUS_OK) {
        UizaError *error = NULL;
        if (uiza_error_parse(json, &error) == UIZA_STATUS_OK)
            fprintf(stderr, "live_rotate: %s: %s\n", uiza_status_str(status),
                    uiza_error_message(error));
        else
            fprintf(stderr, "live_rotate: %s\n", uiza_status_str(status));
        uiza_error_free(error);
        uiza_string_free(json);
        return status == UIZA_STATUS_INVALID_ARGUMENT ? 2 : 1;
    }

    return print_entity("live_rotate", NULL, json);
}
