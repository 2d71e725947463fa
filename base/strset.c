/*
 * strset.c -- a hash set of borrowed strings (strset.h).
 */
#include "base/strset.h"

#include <stdint.h>
#include <string.h>

#include "base/alloc.h"

typedef struct slot {
    const char *key;    /* NULL: empty */
    size_t order;
    uint64_t hash;
} slot;

struct sim_strset {
    slot *v;
    size_t cap;         /* a power of two */
    size_t n;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

sim_strset *sim_strset_new(size_t hint)
{
    size_t cap = 16;
    while (cap < 2 * hint && cap < SIZE_MAX / 4)
        cap *= 2;
    sim_strset *s = sim_alloc(sizeof *s);
    if (!s)
        return NULL;
    s->v = sim_calloc(cap, sizeof *s->v);
    if (!s->v) {
        sim_free(s);
        return NULL;
    }
    s->cap = cap;
    s->n = 0;
    return s;
}

void sim_strset_free(sim_strset *s)
{
    if (!s)
        return;
    sim_free(s->v);
    sim_free(s);
}

/* The slot holding `key`, or the empty one where it would go. */
static slot *probe(slot *v, size_t cap, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (v[i].key && (v[i].hash != h || strcmp(v[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return &v[i];
}

static int grow(sim_strset *s)
{
    if (s->cap > SIZE_MAX / 2 / sizeof(slot))
        return -1;
    size_t cap = s->cap * 2;
    slot *v = sim_calloc(cap, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->v[i].key)
            *probe(v, cap, s->v[i].key, s->v[i].hash) = s->v[i];
    sim_free(s->v);
    s->v = v;
    s->cap = cap;
    return 0;
}

int sim_strset_add(sim_strset *s, const char *key, size_t *first)
{
    uint64_t h = fnv1a(key);
    slot *e = probe(s->v, s->cap, key, h);
    if (e->key) {
        if (first)
            *first = e->order;
        return 0;
    }
    if (2 * (s->n + 1) > s->cap) {
        if (grow(s) != 0)
            return -1;
        e = probe(s->v, s->cap, key, h);
    }
    e->key = key;
    e->hash = h;
    e->order = s->n++;
    return 1;
}

int sim_strset_find(const sim_strset *s, const char *key, size_t *order)
{
    const slot *e = probe(s->v, s->cap, key, fnv1a(key));
    if (!e->key)
        return 0;
    if (order)
        *order = e->order;
    return 1;
}
