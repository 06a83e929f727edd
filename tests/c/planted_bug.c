/*
 * planted_bug.c - a deliberate memory bug, so that tests/sanitizers.rs can
 * prove that valgrind and the sanitizers really see bugs that involve
 * libuiza's memory (a test of the checkers, not of the library):
 *
 *   planted_bug double-free   frees an out_json string twice
 *   planted_bug leak          never frees one
 */
#include <stdio.h>
#include <string.h>

#include "uiza.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: planted_bug double-free|leak\n");
        return 2;
    }
    /* A NULL key fails at once, without a network call, and still hands
       out an error document. */
    char *json = NULL;
    (void)uiza_reset_stream_key(NULL, "id", &json);
    if (strcmp(argv[1], "double-free") == 0) {
        uiza_string_free(json);
        uiza_string_free(json);
    } else {
        json = NULL; /* the only pointer to it is gone: a definite leak */
    }
    return 0;
}
