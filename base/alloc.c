/*
 * alloc.c -- the allocation seam (alloc.h).
 */
#include "base/alloc.h"

#include <cJSON.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* See alloc.h for why these are global.  fail_at is the 1-based index of
 * the allocation (counted from the last sim_alloc_fail_at) that fails; 0
 * disarms it. */
static atomic_ulong count;
static atomic_ulong fail_at;
static atomic_int failed;
static atomic_long live;
static atomic_ulong failures;

static void *note(void *p)
{
    if (!p) {
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        errno = ENOMEM;
    }
    return p;
}

/* One more attempt: nonzero when this one is the one to fail. */
static int should_fail(void)
{
    unsigned long n = atomic_fetch_add_explicit(&count, 1,
                                                memory_order_relaxed) + 1;
    unsigned long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    if (at != 0 && n == at) {
        atomic_store_explicit(&failed, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

static void *counted(void *p)
{
    if (p)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return note(p);
}

void *sim_alloc(size_t size)
{
    if (should_fail())
        return NULL;
    return counted(malloc(size ? size : 1));
}

void *sim_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return note(NULL);
    if (should_fail())
        return NULL;
    return counted(calloc(n ? n : 1, size ? size : 1));
}

void *sim_realloc(void *p, size_t size)
{
    if (!p)
        return sim_alloc(size);
    if (size == 0) {
        sim_free(p);
        return NULL;
    }
    if (should_fail())
        return NULL;
    /* The block moves or grows in place: the count of live blocks stays. */
    return note(realloc(p, size));
}

void *sim_reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return note(NULL);
    return sim_realloc(p, n * size);
}

char *sim_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = sim_alloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *sim_strdup(const char *s)
{
    return sim_strndup(s, SIZE_MAX);
}

void sim_free(void *p)
{
    if (!p)
        return;
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    free(p);
}

void sim_alloc_init(void)
{
    cJSON_Hooks h = {sim_alloc, sim_free};
    cJSON_InitHooks(&h);
}

void sim_alloc_fail_at(unsigned long n)
{
    atomic_store_explicit(&count, 0, memory_order_relaxed);
    atomic_store_explicit(&failed, 0, memory_order_relaxed);
    atomic_store_explicit(&fail_at, n, memory_order_relaxed);
}

unsigned long sim_alloc_count(void)
{
    return atomic_load_explicit(&count, memory_order_relaxed);
}

int sim_alloc_failed(void)
{
    return atomic_load_explicit(&failed, memory_order_relaxed);
}

long sim_alloc_live(void)
{
    return atomic_load_explicit(&live, memory_order_relaxed);
}

unsigned long sim_alloc_failures(void)
{
    return atomic_load_explicit(&failures, memory_order_relaxed);
}
