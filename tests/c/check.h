/*
 * CHECK(cond, fmt, ...): counts a passed check, or counts a failed one and
 * prints "FAIL file:line: cond: <message>" to stderr. Thread-safe. Shared
 * by the C test programs that report "N passed, M failed".
 */
#ifndef UIZA_TEST_CHECK_H
#define UIZA_TEST_CHECK_H

#include <stdatomic.h>
#include <stdio.h>

static atomic_int passed, failed;

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        if (cond) {                                                              \
            atomic_fetch_add(&passed, 1);                                        \
        } else {                                                                 \
            atomic_fetch_add(&failed, 1);                                        \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
        }                                                                        \
    } while (0)

#endif
