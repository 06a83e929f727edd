/*
 * reset_stream_key - rotate the RTMP ingest key of a Uiza live entity.
 *
 *   usage: reset_stream_key [--exactly-once] <live-entity-id>
 *
 * --exactly-once rotates through uiza_client_rotate_stream_key: the entity
 * is read first, and after a failure the server may have acted on, read
 * back instead of sending the PUT again.
 *
 * Environment:
 *   UIZA_API_KEY      your Uiza API key (required)
 *   UIZA_BASE_URL     API base URL (optional; default https://api.uiza.sh)
 *   UIZA_CA_FILE      extra trusted CA certificates, PEM (optional)
 *   UIZA_EXAMPLE_LOG  error, warn, info, debug or trace (optional): print
 *                     the library's log lines up to that level on stderr
 *
 * Prints the new ingest URL and key. Exit status: 0 on success, 1 when the
 * API or the network refused, 2 on a usage or configuration error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The log callback: any thread may call it, several at once; stdio's own
 * locking keeps each line whole. */
static void print_log_line(void *user_data, UizaLogLevel level, const char *message) {
    static const char *const names[] = {"?", "error", "warn", "info", "debug", "trace"};
    (void)user_data;
    fprintf(stderr, "[%s] %s\n", names[level >= 1 && level <= 5 ? level : 0], message);
}

/* UIZA_EXAMPLE_LOG: 0 when it names a level (or is unset), -1 otherwise. */
static int configure_log(void) {
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    const char *wanted = env("UIZA_EXAMPLE_LOG");
    if (wanted == NULL) {
        return 0;
    }
    for (int i = 0; i < 5; i++) {
        if (strcmp(wanted, names[i]) == 0) {
            uiza_set_log_callback(print_log_line, NULL, (UizaLogLevel)(i + 1));
            return 0;
        }
    }
    fprintf(stderr, "reset_stream_key: UIZA_EXAMPLE_LOG must be error, warn, info, debug or trace\n");
    return -1;
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
    int exactly_once = argc == 3 && strcmp(argv[1], "--exactly-once") == 0;
    if (argc != 2 + exactly_once) {
        fprintf(stderr, "usage: %s [--exactly-once] <live-entity-id>\n", argv[0]);
        return 2;
    }
    const char *id = argv[argc - 1];
    if (configure_log() != 0) {
        return 2;
    }
    UizaClient *client = configure_client();
    if (client == NULL) {
        return 2;
    }

    char *json = NULL;
    UizaStatus status = exactly_once
                            ? uiza_client_rotate_stream_key(client, id, NULL, NULL, &json)
                            : uiza_client_reset_stream_key(client, id, &json);
    uiza_client_free(client);
    if (status != UIZA_STATUS_OK) {
        print_failure(status, json);
        uiza_string_free(json);
        return status == UIZA_STATUS_INVALID_ARGUMENT ? 2 : 1;
    }

    return print_entity("reset_stream_key", id, json);
}
