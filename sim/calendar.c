/*
 * calendar.c -- departure times in time order (calendar.h).
 */
#include "sim/calendar.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"

/*
 * A growable 4-ary min-heap of times: the times past the calendar's
 * buckets.  (Until the calendar it held every departure of the demand
 * pass.)  v[n .. n + 4) always holds +infinity, so a sift reads four
 * children without testing for a partial family, and it picks the least
 * of them by comparisons that select (conditional moves) rather than
 * branch: the children are in random order, and the binary heap before
 * it spent most of its time on mispredicted comparisons.
 */
typedef struct dheap {
    double *v;
    size_t n, cap;          /* cap + 4 allocated */
} dheap;

static int dheap_push(dheap *h, double t)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        double *v = sim_reallocarray(h->v, cap + 4, sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        for (size_t i = h->n; i < cap + 4; i++)
            v[i] = INFINITY;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && h->v[(i - 1) / 4] > t) {
        h->v[i] = h->v[(i - 1) / 4];
        i = (i - 1) / 4;
    }
    h->v[i] = t;
    return SIM_OK;
}

static void dheap_pop(dheap *h)
{
    double *v = h->v, last = v[--h->n];
    size_t i = 0;
    v[h->n] = INFINITY;
    if (h->n == 0)
        return;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= h->n)
            break;
        double a0 = v[c], a1 = v[c + 1], a2 = v[c + 2], a3 = v[c + 3];
        size_t l = c + (size_t)(a1 < a0), r = c + 2 + (size_t)(a3 < a2);
        double lv = a1 < a0 ? a1 : a0, rv = a3 < a2 ? a3 : a2;
        size_t m = rv < lv ? r : l;
        double mv = rv < lv ? rv : lv;
        if (mv >= last)
            break;
        v[i] = mv;
        i = m;
    }
    v[i] = last;
}

/*
 * The calendar: W
 * buckets of `width` seconds (bucket k holds the times d with
 * floor(d / width) = k, for k in [cur, cur + W)), later times in the
 * 4-ary heap above.  floor(d x inv) never decreases as d grows, so every
 * time in an earlier bucket is smaller, and the least is the least of
 * the first nonempty bucket (a bitmap finds it), or the heap's top when
 * the calendar is empty.  W is about 8 x the mean messages in service
 * and the buckets span about 8 mean services, so a bucket holds about
 * one time: a push and a pop cost a few loads, where the heap's sifts
 * cost a chain of dependent comparisons (13 % of a planning-size
 * replication).  Times come out in the heap's order exactly (equal
 * times in some order, which adds the same zero), so the demand measured
 * is the same to the bit.
 */
struct sim_calendar {
    double *key;
    uint32_t *next;             /* a node's successor in its bucket, or
                                   in the free list */
    uint32_t nodes, cap, free_node;
    uint32_t *head;             /* per bucket; NIL: empty */
    uint64_t *bits;             /* bit j: bucket j holds a node */
    size_t nb;                  /* W, a power of two, >= 64 */
    double inv;                 /* 1 / width */
    int64_t cur;                /* the absolute bucket of the least time */
    size_t live;                /* times in buckets */
    dheap far;                  /* times at bucket cur + W or later */
    uint32_t *at;               /* where least() found the least */
};

#define NIL UINT32_MAX

static int init(sim_calendar *c, double in_service, double mean_busy)
{
    c->free_node = NIL;
    c->nb = 64;
    while (c->nb < (1u << 20) && (double)c->nb < 8 * in_service)
        c->nb *= 2;
    double width = mean_busy > 0 ? 8 * mean_busy / (double)c->nb : 1;
    c->inv = width > 0 && isfinite(width) ? 1 / width : 1;
    c->head = sim_alloc(c->nb * sizeof *c->head);
    c->bits = sim_calloc(c->nb / 64, sizeof *c->bits);
    if (!c->head || !c->bits)
        return SIM_ENOMEM;
    for (size_t j = 0; j < c->nb; j++)
        c->head[j] = NIL;
    return SIM_OK;
}

static void fini(sim_calendar *c)
{
    sim_free(c->key);
    sim_free(c->next);
    sim_free(c->head);
    sim_free(c->bits);
    sim_free(c->far.v);
}

size_t sim_calendar_count(const sim_calendar *c)
{
    return c->live + c->far.n;
}

/* floor(d / width), or INT64_MAX past what an index holds. */
static int64_t bucket_of(const sim_calendar *c, double d)
{
    double x = floor(d * c->inv);
    return x < 4e18 ? (int64_t)x : INT64_MAX;
}

static int insert(sim_calendar *c, double d, int64_t k)
{
    uint32_t n = c->free_node;
    if (n != NIL)
        c->free_node = c->next[n];
    else {
        if (c->nodes == c->cap) {
            uint32_t cap = c->cap ? 2 * c->cap : 256;
            double *key = sim_reallocarray(c->key, cap, sizeof *key);
            if (!key)
                return SIM_ENOMEM;
            c->key = key;
            uint32_t *next = sim_reallocarray(c->next, cap, sizeof *next);
            if (!next)
                return SIM_ENOMEM;
            c->next = next;
            c->cap = cap;
        }
        n = c->nodes++;
    }
    size_t j = (size_t)k & (c->nb - 1);
    c->key[n] = d;
    c->next[n] = c->head[j];
    c->head[j] = n;
    c->bits[j >> 6] |= UINT64_C(1) << (j & 63);
    c->live++;
    return SIM_OK;
}

int sim_calendar_push(sim_calendar *c, double d)
{
    int64_t k = bucket_of(c, d);
    if (k < c->cur)             /* before the least: its bucket is cur's */
        k = c->cur;
    if (k - c->cur >= (int64_t)c->nb)
        return dheap_push(&c->far, d);
    return insert(c, d, k);
}

/* Moves the heap's times that now fall within the calendar onto it. */
static int migrate(sim_calendar *c)
{
    while (c->far.n > 0) {
        double d = c->far.v[0];
        int64_t k = bucket_of(c, d);
        if (k < c->cur)
            k = c->cur;
        if (k - c->cur >= (int64_t)c->nb)
            break;
        dheap_pop(&c->far);
        int rc = insert(c, d, k);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* The first nonempty bucket from cur's on (the calendar holds a time),
 * as an absolute bucket. */
static int64_t first_bucket(const sim_calendar *c)
{
    size_t j0 = (size_t)c->cur & (c->nb - 1), words = c->nb >> 6;
    size_t word = j0 >> 6;
    uint64_t m = c->bits[word] & (~UINT64_C(0) << (j0 & 63));
    size_t i = 0;
    for (; !m; i++) {
        word = (word + 1) & (words - 1);
        m = c->bits[word];
    }
    size_t j = (word << 6) + (size_t)__builtin_ctzll(m);
    /* Buckets ahead of cur's, cyclically (a wrap to the words below j0
     * comes last). */
    return c->cur + (int64_t)((j - j0) & (c->nb - 1));
}

/* The least time (*d), and the link that points at it (*at; NULL: the
 * heap's top).  The calendar must hold a time.  SIM_OK or SIM_ENOMEM. */
static int least(sim_calendar *c, double *d, uint32_t **at)
{
    int rc = SIM_OK;
    if (c->live == 0) {
        /* Only far times: the calendar moves on to the least of them
         * (unless it is past any bucket: then it is taken from there). */
        int64_t k = bucket_of(c, c->far.v[0]);
        if (k == INT64_MAX) {
            *at = NULL;
            *d = c->far.v[0];
            return SIM_OK;
        }
        c->cur = k;
        rc = migrate(c);
    } else {
        int64_t k = first_bucket(c);
        if (k != c->cur) {
            c->cur = k;
            rc = migrate(c);
        }
    }
    if (rc != SIM_OK)
        return rc;
    size_t j = (size_t)c->cur & (c->nb - 1);
    uint32_t *best = &c->head[j];
    for (uint32_t *l = best; *l != NIL; l = &c->next[*l])
        if (c->key[*l] < c->key[*best])
            best = l;
    *at = best;
    *d = c->key[*best];
    return SIM_OK;
}

static void remove_at(sim_calendar *c, uint32_t *at)
{
    if (!at) {
        dheap_pop(&c->far);
        return;
    }
    uint32_t n = *at;
    size_t j = (size_t)c->cur & (c->nb - 1);
    *at = c->next[n];
    c->next[n] = c->free_node;
    c->free_node = n;
    c->live--;
    if (c->head[j] == NIL)
        c->bits[j >> 6] &= ~(UINT64_C(1) << (j & 63));
}


int sim_calendar_new(double in_service, double mean, sim_calendar **out)
{
    sim_calendar *c = sim_calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return SIM_ENOMEM;
    if (init(c, in_service, mean) != SIM_OK) {
        sim_calendar_free(c);
        return SIM_ENOMEM;
    }
    *out = c;
    return SIM_OK;
}

void sim_calendar_free(sim_calendar *c)
{
    if (!c)
        return;
    fini(c);
    sim_free(c);
}

int sim_calendar_least(sim_calendar *c, double *t)
{
    return least(c, t, &c->at);
}

void sim_calendar_pop(sim_calendar *c)
{
    remove_at(c, c->at);
    c->at = NULL;
}
