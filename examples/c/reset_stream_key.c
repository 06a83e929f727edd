/*
 * reset_stream_key - rotate the RTMP ingest key of a Uiza live entity.
 *
 *   usage: reset_stream_key <live-entity-id>
 *
 * Environment:
 *   UIZA_API_KEY   your Uiza API key (required)
 *   UIZA_BASE_URL  API base URL (optional; default https://api.uiza.sh)
 *   UIZA_CA_FILE   extra trusted CA certificates, PEM (optional)
 *
 * Prints the new ingest URL and key. Exit status: 0 on success, 1 when the
 * API or the network refused, 2 on a usage or configuration error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "print_entity.h"
#include "uiza.h"

static const char *env(const char *name) {
    const char *value = getenv(name);
    return (value != NULL && value[0] != '\0') ? value : NULL;
}

/* Prints why a call failed, from the error document in `json`. */
static void print_failure(UizaStatus status, const char *json) {
    UizaError *error = NULL;
    if (uiza_error_parse(json, &error) == UIZA_STATUS_OK) {
        fprintf(stderr, "reset_stream_key: %s: %s (%s", uiza_status_str(status),
                uiza_error_message(error), uiza_error_type(error));
        if (uiza_error_http_status(error) >= 0) {
            fprintf(stderr, ", HTTP %d", (int)uiza_error_http_status(error));
        }
        fprintf(stderr, ")\n");
    } else {
        fprintf(stderr, "reset_stream_key: %s\n", uiza_status_str(status));
    }
    uiza_error_free(error);
}

static UizaClient *configure_client(void) {
    const char *api_key = env("UIZA_API_KEY");
    if (api_key == NULL) {
        fprintf(stderr, "reset_stream_key: set UIZA_API_KEY to your Uiza API key\n");
        return NULL;
    }
    UizaClient *client = uiza_client_new(api_key);
    if (client == NULL) {
        fprintf(stderr, "reset_stream_key: UIZA_API_KEY is not a valid API key "
                        "(printable ASCII without whitespace)\n");
        return NULL;
    }
    const char *base_url = env("UIZA_BASE_URL");
    if (base_url != NULL && uiza_client_set_base_url(client, base_url) != UIZA_STATUS_OK) {
        fprintf(stderr, "reset_stream_key: UIZA_BASE_URL is not an http(s) URL: %s\n", base_url);
        uiza_client_free(client);
        return NULL;
    }
    const char *ca_file = env("UIZA_CA_FILE");
    if (ca_file != NULL && uiza_client_set_ca_file(client, ca_file) != UIZA_STATUS_OK) {
        fprintf(stderr, "reset_stream_key: cannot use UIZA_CA_FILE %s: not a readable PEM file\n",
                ca_file);
        uiza_client_free(client);
        return NULL;
    }
    return client;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <live-entity-id>\n", argv[0]);
        return 2;
    }
    UizaClient *client = configure_client();
    if (client == NULL) {
        return 2;
    }

    char *json = NULL;
    UizaStatus status = uiza_client_reset_stream_key(client, argv[1], &json);
    uiza_client_free(client);
    if (status != UIZA_STATUS_OK) {
        print_failure(status, json);
        uiza_string_free(json);
        return status == UIZA_STATUS_INVALID_ARGUMENT ? 2 : 1;
    }

    return print_entity("reset_stream_key", argv[1], json);
}
