/*
 * fifo.c -- a fixed pool as one pass of the Kiefer-Wolfowitz recursion.
 *
 * The state is the servers' free times in a 4-ary min-heap, and, when
 * the queue is bounded, the start times of the accepted messages that
 * waited, in a ring (FIFO start times never decrease, so the ones that
 * have started by an arrival are at the ring's head).  A message costs
 * one look at the heap's top and one sift down from it -- replacing the
 * top's free time by the message's departure -- where pool.c pays an
 * arrival and a departure event in the event queue (two pushes and two
 * pops) and an instance heap fix for each.
 *
 * Choices, and what they cost:
 *  - Servers that have never served are not in the heap: they are a
 *    count, free since 0.  A pool of 10^5 slots that never has more than
 *    300 messages in service keeps a heap of 300, and a huge c (slots
 *    from memory arithmetic) costs nothing.  The heap grows by doubling,
 *    so nothing is allocated per message.
 *  - An idle server's free time does not matter (the message starts at
 *    its arrival either way), so an arrival that finds the top free
 *    replaces the top rather than first popping every departure up to
 *    the arrival and then pushing: one sift instead of two.
 *  - Arity 4: half the levels of a binary heap, and a node's four
 *    children are 32 bytes, one cache line.  evq.c measured 8-ary as
 *    no better on a larger entry; the heap here is as large as the
 *    concurrency, seldom past a few thousand.
 *  - Times are integer ticks as in pool.c, so every comparison is exact
 *    and the engines agree on every tie.  ticks() rounds as llround does
 *    without the library call, which was a sixth of a message's cost.
 *  - The wait histogram bins through pool.c's own function (a log10 per
 *    message that waited), so the bins are identical by construction; a
 *    threshold table would be faster for heavily queued pools but would
 *    agree only as far as log10 is monotone.
 */
#include "sim/fifo.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"

#define TICKS 1e6

/* The start of a message no server will ever take (a pool of none). */
#define NEVER INT64_MAX

/* Seconds to ticks exactly as pool.c's (int64_t)llround(s * 1e6): the
 * truncation and the remainder are exact in doubles (x < 2^62 and the
 * remainder of a double below 1 is representable), and a half rounds
 * away from zero. */
static inline int64_t ticks(double s)
{
    if (!(s > 0))
        return 0;
    double x = s * TICKS;
    if (x >= 0x1p62)
        return (int64_t)llround(x);
    int64_t r = (int64_t)x;
    return x - (double)r >= 0.5 ? r + 1 : r;
}

/* ---- the heap of free times --------------------------------------------- */

/* v[0 .. n) is the heap and v[n .. n + 4) always holds NEVER, so a node
 * with a first child has four to read: the sift needs no test for a
 * partial family, and NEVER is never less than a key. */
typedef struct heap {
    int64_t *v;
    size_t n, cap;          /* cap + 4 allocated */
} heap;

/*
 * Puts `key` at the top in place of the least and sifts it down.  The
 * least of four children is picked by comparisons whose results select
 * values and indices (conditional moves), not by branches: the children
 * of a free time are in random order, and the branchy form mispredicted
 * about half its comparisons, which was most of a message's cost.  What
 * is left to predict is whether to go down one more level.
 */
static inline void heap_replace_top(int64_t *v, size_t n, int64_t key)
{
    size_t i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        int64_t a0 = v[c], a1 = v[c + 1], a2 = v[c + 2], a3 = v[c + 3];
        size_t l = c + (size_t)(a1 < a0), r = c + 2 + (size_t)(a3 < a2);
        int64_t lv = a1 < a0 ? a1 : a0, rv = a3 < a2 ? a3 : a2;
        size_t m = rv < lv ? r : l;
        int64_t mv = rv < lv ? rv : lv;
        if (mv >= key)
            break;
        v[i] = mv;
        i = m;
    }
    v[i] = key;
}

static int heap_push(heap *h, int64_t key)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        int64_t *v = sim_reallocarray(h->v, cap + 4, sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        for (size_t i = h->n; i < cap + 4; i++)
            v[i] = NEVER;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && h->v[(i - 1) / 4] > key) {
        h->v[i] = h->v[(i - 1) / 4];
        i = (i - 1) / 4;
    }
    h->v[i] = key;
    return SIM_OK;
}

/* ---- the queue's start times -------------------------------------------- */

typedef struct ring {
    int64_t *v;
    size_t cap;             /* a power of two, or 0 */
    size_t head, len;
} ring;

static int ring_push(ring *q, int64_t t)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        int64_t *v = sim_reallocarray(NULL, cap, sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        for (size_t i = 0; i < q->len; i++)
            v[i] = q->v[(q->head + i) & (q->cap - 1)];
        sim_free(q->v);
        q->v = v;
        q->cap = cap;
        q->head = 0;
    }
    q->v[(q->head + q->len) & (q->cap - 1)] = t;
    q->len++;
    return SIM_OK;
}

/* Drops the messages that have started by `a`: the queue an arrival at
 * `a` finds is what remains. */
static void ring_started(ring *q, int64_t a)
{
    while (q->len > 0 && q->v[q->head] <= a) {
        q->head = (q->head + 1) & (q->cap - 1);
        q->len--;
    }
}

/* ---- the run ------------------------------------------------------------ */

/* The servers: instances x slots, saturated (a pool that large is never
 * full). */
static int64_t servers(const sim_pool_params *p)
{
    int64_t n = p->instances > 0 ? p->instances : 0;
    int64_t s = p->slots > 1 ? p->slots : 1;
    return n > INT64_MAX / s ? INT64_MAX : n * s;
}

/* What the instances, running [0, H] all of them, come to: pool.c's
 * integrals and bill() for a fixed pool, with the same arithmetic. */
static void instances(const sim_pool_params *p, int64_t H,
                      sim_pool_stats *st)
{
    int64_t n = p->instances > 0 ? p->instances : 0;
    int64_t gran = ticks(p->granularity), minimum = ticks(p->minimum);
    int64_t cap = ticks(p->bill_cap), run = H;
    double billed = 0;
    if (gran > 0)
        run = (run + gran - 1) / gran * gran;
    if (run < minimum)
        run = minimum;
    if (cap > 0 && run > cap)
        run = cap;
    /* pool.c adds the runs one by one; while the sum is below 2^53 every
     * partial sum is exact and the product is the same number. */
    if (run == 0 || n <= (INT64_C(1) << 53) / run)
        billed = (double)(n * run);
    else
        for (int64_t k = 0; k < n; k++)
            billed += (double)run;
    st->billed_s = billed / TICKS;
    st->instance_s = (H == 0 || n <= (INT64_C(1) << 53) / H
                          ? (double)(n * H)
                          : (double)n * (double)H) / TICKS;
    st->instances_peak = n;
    for (int i = 0; i < SIM_POOL_TIMELINE; i++)
        st->timeline[i] = (double)n;
}

int sim_fifo_run(const sim_pool_params *p,
                 int (*next)(void *ctx, sim_msg *m), void *ctx,
                 sim_pool_stats *st)
{
    heap h = {0};
    ring q = {0};
    const int64_t H = ticks(p->horizon), limit = p->queue_limit;
    int64_t unused = servers(p), now = 0;
    uint64_t messages = 0, served = 0, queued = 0, refused = 0;
    double busy = 0, wait = 0;
    sim_msg m;
    int rc = SIM_OK;

    memset(st, 0, sizeof *st);
    if (p->autoscale)
        return SIM_EINVAL;
    while (next(ctx, &m)) {
        int64_t a = ticks(m.t), s, start;
        if (a > H)
            break;
        if (a < now)        /* a source out of order cannot go back */
            a = now;
        now = a;
        s = ticks(m.busy);
        messages++;
        if (h.n > 0 && h.v[0] <= a) {
            /* A server is free: the common case, no wait. */
            heap_replace_top(h.v, h.n, a + s);
            start = a;
        } else if (unused > 0) {
            if ((rc = heap_push(&h, a + s)) != SIM_OK)
                break;
            unused--;
            start = a;
        } else {
            start = h.n > 0 ? h.v[0] : NEVER;
            if (limit >= 0) {
                ring_started(&q, a);
                if ((int64_t)q.len >= limit) {
                    refused++;
                    continue;
                }
                if ((rc = ring_push(&q, start)) != SIM_OK)
                    break;
            }
            queued++;
            if (h.n > 0)
                heap_replace_top(h.v, h.n, start + s);
        }
        if (start <= H) {
            int64_t w = start - a, end = start + s;
            served++;
            st->wait_hist[w > 0 ? sim__pool_wait_bin(w) : 0]++;
            wait += (double)w;
            busy += (double)((end < H ? end : H) - start);
        }
    }
    st->messages = messages;
    st->served = served;
    st->queued = queued;
    st->refused = refused;
    if (rc == SIM_OK) {
        st->busy_s = busy / TICKS;
        st->wait_s = wait / TICKS;
        instances(p, H, st);
    }
    sim_free(h.v);
    sim_free(q.v);
    return rc;
}
