/*
 * thread_count.c - counts the threads libuiza creates inside its host.
 *
 *   thread_count BASE_URL API_KEY ID CALLS
 *
 * An encoder may call the library from a tight loop on its own thread; a
 * thread created and torn down per call costs it time and, under leak
 * checkers, shows up as short-lived state. This program interposes
 * pthread_create (the executable's definition wins over libc's for every
 * shared object), makes CALLS resets on one client, and prints
 * "threads created: N". It exits 1 if any call fails.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "uiza.h"

static atomic_int created = 0;

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *,
                         void *(*)(void *), void *);

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*start)(void *), void *arg) {
    create_fn real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    if (real == NULL) {
        abort();
    }
    atomic_fetch_add(&created, 1);
    return real(thread, attr, start, arg);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: thread_count BASE_URL API_KEY ID CALLS\n");
        return 2;
    }
    UizaClient *client = uiza_client_new(argv[2]);
    if (client == NULL || uiza_client_set_base_url(client, argv[1]) != UIZA_STATUS_OK) {
        fprintf(stderr, "cannot set up the client\n");
        return 1;
    }
    int calls = atoi(argv[4]);
    int failed = 0;
    for (int i = 0; i < calls; i++) {
        char *json = NULL;
        UizaStatus status = uiza_client_reset_stream_key(client, argv[3], &json);
        if (status != UIZA_STATUS_OK) {
            fprintf(stderr, "call %d: %s: %s\n", i, uiza_status_str(status), json);
            failed = 1;
        }
        uiza_string_free(json);
    }
    uiza_client_free(client);
    printf("threads created: %d\n", atomic_load(&created));
    return failed;
}
