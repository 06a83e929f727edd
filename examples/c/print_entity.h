/*
 * print_entity.h - how the C tools print the live entity a call returned.
 *
 * Shared by examples/c/reset_stream_key.c and tests/c/live_rotate.c, so
 * that both print the new ingest URL and key in the same lines (scripts
 * such as examples/live/run.sh read the "ingest key:" line).
 */
#ifndef UIZA_EXAMPLE_PRINT_ENTITY_H
#define UIZA_EXAMPLE_PRINT_ENTITY_H

#include <stdio.h>

#include "uiza.h"

/*
 * Parses the entity document `json` (and frees it), then prints the
 * entity: first "live entity: <id>" when `id` is not NULL, then its
 * ingest URL and key. On a document that does not parse, prints
 * "<tool>: <status text>" on stderr instead. Returns the exit status:
 * 0 printed, 1 not parsed.
 */
static int print_entity(const char *tool, const char *id, char *json) {
    UizaLiveEntity *entity = NULL;
    UizaStatus status = uiza_live_entity_parse(json, &entity);
    uiza_string_free(json);
    if (status != UIZA_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", tool, uiza_status_str(status));
        return 1;
    }
    const char *url = uiza_live_entity_ingest_url(entity);
    if (id != NULL) {
        printf("live entity: %s\n", id);
    }
    printf("ingest url:  %s\n", url != NULL ? url : "(none)");
    printf("ingest key:  %s\n", uiza_live_entity_ingest_key(entity));
    uiza_live_entity_free(entity);
    return 0;
}

#endif
