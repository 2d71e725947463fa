/*
 * fifo.c -- a fixed pool as one pass of the Kiefer-Wolfowitz recursion.
 *
 * The state is the number of servers known to be free, the free times of
 * the busy ones (a timing wheel, below, with a 4-ary heap for the far
 * ones), and, when the queue is bounded, the start times of the accepted
 * messages that waited, in a ring (FIFO start times never decrease, so
 * the ones that have started by an arrival are at the ring's head).  A
 * message that finds a server free costs one insertion into the wheel;
 * one that waits, a look for the least free time.  pool.c pays an
 * arrival and a departure event in the event queue (two pushes and two
 * pops) and an instance-heap fix for each.
 *
 * Choices, and what they cost (engine alone, M/M/100 at 80 %, messages
 * pre-drawn, one core of the shared machine):
 *  - Servers that have never served are a count, free since 0, and are
 *    in no structure: a pool of 10^5 slots that never has more than 300
 *    messages in service tracks about 300, and a huge c (slots from
 *    memory arithmetic) costs nothing.  Tables grow by doubling, so
 *    nothing is allocated per message once a run has warmed up.
 *  - An idle server's free time does not matter: the message starts at
 *    its arrival either way.  So freed servers are only counted, and the
 *    count is spent before anything is looked at again (wheel, below).
 *  - A 4-ary heap of all the free times, replacing the least with each
 *    message's departure, came first: 42-45 ns a message with branches
 *    choosing among the children, 26-28 with conditional moves; its
 *    sifts are chains of dependent loads and comparisons, 25 ns at 100
 *    servers and 38 at 1,000 in isolation.  The wheel does the same in
 *    13-14 ns and does not grow with the servers.  An 8-ary heap (35 ns)
 *    was slower and a bottom-up sift (29-31 ns) gained nothing.
 *  - Times are integer ticks as in pool.c, so every comparison is exact
 *    and the engines agree on every tie.  ticks() rounds as llround does
 *    without the library call and without a branch on the half.
 *  - The wait histogram bins through pool.c's own function (a log10 per
 *    message that waited), so the bins are identical by construction; a
 *    threshold table would be faster for heavily queued pools but would
 *    agree only as far as log10 is monotone.
 */
#include "sim/fifo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"

#define TICKS 1e6

/* The start of a message no server will ever take (a pool of none). */
#define NEVER INT64_MAX

/* Seconds to ticks exactly as pool.c's ticks(): llround(s * 1e6) -- the
 * truncation and the remainder are exact in doubles (x < 2^62 and the
 * remainder of a double below 1 is representable), and a half rounds
 * away from zero -- held at 2^62 (146,000 years), so that an arrival
 * plus a service never overflows. */
static inline int64_t ticks(double s)
{
    if (!(s > 0))
        return 0;
    double x = s * TICKS;
    if (x >= 0x1p62)
        return INT64_C(1) << 62;
    int64_t r = (int64_t)x;
    /* Added, not chosen by a branch: the half is a coin toss, and a
     * mispredicted branch here cost as much as the rest of a message. */
    return r + (int64_t)(x - (double)r >= 0.5);
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

/* ---- the wheel of busy servers ----------------------------------------- */

/*
 * Busy servers' free times, bucketed by time: slot j of W holds the free
 * times f with f >> shift == j modulo W, for the absolute slots [cur,
 * cur + W); later ones wait in the heap (`over`) and move in as the
 * wheel turns.  Turning the wheel to an arrival tick `a` frees every
 * slot passed whole -- its count is added to the idle servers and its
 * list spliced onto the free list, its times never looked at -- and
 * scans only the slot `a` falls in, against the exact tick.  When no
 * server is free, the least free time is in the first nonempty slot (a
 * bitmap finds it), found exactly by a scan of that slot's few entries;
 * or, with the wheel empty, at the heap's top.
 *
 * The wheel turns only when the servers known to be free run out, or
 * when it has fallen half a turn behind the arrivals: a message that
 * finds a server known free starts at its arrival whatever the others'
 * times.  A pool at 80 % of 100 servers turns about once every 20
 * messages, freeing about 20 then, and a message costs an insertion -- a
 * shift, a mask, two links and a bit, no comparison with other times.
 * The half-turn rule bounds what a pool that never runs out keeps: the
 * departures of the last half turn, not of every message (a pool of
 * 10^12 slots ran 10^6 and 10^7 messages in 3.5 MB either way).
 *
 * The width and count of the slots follow the pool: W the power of two
 * at least 8 times the most servers tracked at once (256 to 2^22), and
 * 2^shift about 8 mean services over W, so that a slot holds about one
 * free time and the wheel spans about 8 mean services; longer services
 * (0.03 % of an exponential's) wait in the heap.  Both are refitted at
 * the ends of windows of 1, 2, 4, ..., 4096 messages and then of every
 * 4096, from the window's mean service -- everything re-bucketed,
 * O(servers tracked) -- when W should grow or the width is off by 4x.
 * Neither the fit nor the lazy turns change a result: every comparison
 * is on exact ticks.  A pool whose queue runs far ahead of its arrivals
 * keeps its free times past the wheel, in the heap, and costs what the
 * heap did.
 */

#define NIL UINT32_MAX
#define WHEEL_MIN 256               /* slots; whole 64-bit words */
#define WHEEL_MAX (1u << 22)
#define TUNE_EVERY 4096

typedef struct slot {
    uint32_t head, tail;    /* a list through wheel.next; NIL: empty */
    uint32_t n;
} slot;

typedef struct wheel {
    int64_t *key;           /* a node's free time */
    uint32_t *next;         /* the next node in its slot or free list */
    uint32_t nodes, cap_nodes, free_node;
    slot *slots;
    uint64_t *bits;         /* bit j: slot j holds a node */
    size_t nslots;          /* W, a power of two */
    int shift;              /* a slot spans 2^shift ticks */
    int64_t cur;            /* the absolute slot of the last turn */
    int64_t idle;           /* servers known free: freed, or never used */
    size_t live;            /* nodes in slots */
    heap over;              /* free times at slot cur + W or later */
} wheel;

static void wheel_fini(wheel *w)
{
    sim_free(w->key);
    sim_free(w->next);
    sim_free(w->slots);
    sim_free(w->bits);
    sim_free(w->over.v);
}

static inline void bit_set(uint64_t *b, size_t j)
{
    b[j >> 6] |= UINT64_C(1) << (j & 63);
}

static inline void bit_clear(uint64_t *b, size_t j)
{
    b[j >> 6] &= ~(UINT64_C(1) << (j & 63));
}

static int64_t heap_pop(heap *h)
{
    int64_t top = h->v[0], last = h->v[--h->n];
    h->v[h->n] = NEVER;
    heap_replace_top(h->v, h->n, last);
    return top;
}

static int grow_nodes(wheel *w)
{
    uint32_t cap = w->cap_nodes ? 2 * w->cap_nodes : 64;
    if (w->cap_nodes >= NIL / 2)
        return SIM_ENOMEM;
    int64_t *key = sim_reallocarray(w->key, cap, sizeof *key);
    if (!key)
        return SIM_ENOMEM;
    w->key = key;
    uint32_t *next = sim_reallocarray(w->next, cap, sizeof *next);
    if (!next)
        return SIM_ENOMEM;
    w->next = next;
    w->cap_nodes = cap;
    return SIM_OK;
}

/* Adds a busy server free at `f` (no earlier than the last turn). */
static inline int wheel_insert(wheel *w, int64_t f)
{
    int64_t abs_slot = f >> w->shift;
    if (abs_slot - w->cur >= (int64_t)w->nslots)
        return heap_push(&w->over, f);
    uint32_t k = w->free_node;
    if (k != NIL)
        w->free_node = w->next[k];
    else {
        if (w->nodes == w->cap_nodes) {
            int rc = grow_nodes(w);
            if (rc != SIM_OK)
                return rc;
        }
        k = w->nodes++;
    }
    size_t j = (size_t)abs_slot & (w->nslots - 1);
    slot *sl = &w->slots[j];
    uint32_t head = sl->head, tail = sl->tail;
    w->key[k] = f;
    w->next[k] = head;
    /* Selected, not branched on: most slots are empty, but which is a
     * coin toss. */
    sl->tail = head == NIL ? k : tail;
    sl->head = k;
    sl->n++;
    bit_set(w->bits, j);
    w->live++;
    return SIM_OK;
}

/* Empties slot j onto the free list; returns how many it held. */
static inline uint64_t release_slot(wheel *w, size_t j)
{
    slot *sl = &w->slots[j];
    uint64_t n = sl->n;
    w->next[sl->tail] = w->free_node;
    w->free_node = sl->head;
    sl->head = sl->tail = NIL;
    sl->n = 0;
    bit_clear(w->bits, j);
    w->live -= n;
    return n;
}

/* Empties the `len` (<= W) slots from slot j on, cyclically. */
static uint64_t release_range(wheel *w, size_t j, size_t len)
{
    uint64_t n = 0;
    while (len > 0) {
        size_t word = j >> 6, bit = j & 63;
        size_t take = 64 - bit < len ? 64 - bit : len;
        uint64_t m = w->bits[word] >> bit;
        if (take < 64)
            m &= (UINT64_C(1) << take) - 1;
        while (m) {
            n += release_slot(w, (word << 6) + bit +
                                     (size_t)__builtin_ctzll(m));
            m &= m - 1;
        }
        j = (j + take) & (w->nslots - 1);
        len -= take;
    }
    return n;
}

/* Moves the heap's free times that now fall within the wheel onto it;
 * those already past `a` are free. */
static int migrate(wheel *w, int64_t a)
{
    while (w->over.n > 0 &&
           (w->over.v[0] >> w->shift) - w->cur < (int64_t)w->nslots) {
        int64_t f = heap_pop(&w->over);
        if (f <= a)
            w->idle++;
        else {
            int rc = wheel_insert(w, f);
            if (rc != SIM_OK)
                return rc;
        }
    }
    return SIM_OK;
}

/* Takes node k, which *link points at, out of slot j (prev: the node
 * before it, NIL when it is the first). */
static void unlink_node(wheel *w, size_t j, uint32_t *link, uint32_t prev)
{
    slot *sl = &w->slots[j];
    uint32_t k = *link;
    *link = w->next[k];
    if (sl->tail == k)
        sl->tail = prev;
    w->next[k] = w->free_node;
    w->free_node = k;
    w->live--;
    if (--sl->n == 0)
        bit_clear(w->bits, j);
}

/* Turns the wheel to arrival tick `a` (never earlier than the last
 * turn): the servers whose free time is at most `a` leave it, idle. */
static int wheel_turn(wheel *w, int64_t a)
{
    int64_t target = a >> w->shift;
    if (target > w->cur) {
        if (w->live > 0) {
            int64_t len = target - w->cur;
            size_t from = (size_t)w->cur & (w->nslots - 1);
            w->idle += (int64_t)release_range(
                w, from, len < (int64_t)w->nslots ? (size_t)len : w->nslots);
        }
        w->cur = target;
        int rc = migrate(w, a);
        if (rc != SIM_OK)
            return rc;
    }
    /* The slot `a` falls in: free times on both sides of it. */
    size_t j = (size_t)w->cur & (w->nslots - 1);
    uint32_t *link = &w->slots[j].head, prev = NIL;
    while (*link != NIL) {
        uint32_t k = *link;
        if (w->key[k] <= a) {
            unlink_node(w, j, link, prev);
            w->idle++;
        } else {
            prev = k;
            link = &w->next[k];
        }
    }
    return SIM_OK;
}

/* The first nonempty slot from the current one on (some slot holds a
 * node). */
static size_t first_slot(const wheel *w)
{
    size_t j = (size_t)w->cur & (w->nslots - 1), words = w->nslots >> 6;
    size_t word = j >> 6;
    uint64_t m = w->bits[word] & (~UINT64_C(0) << (j & 63));
    /* The last word visited is the first again, for its bits below j. */
    for (size_t i = 0; i < words && !m; i++) {
        word = (word + 1) & (words - 1);
        m = w->bits[word];
    }
    return (word << 6) + (size_t)__builtin_ctzll(m);
}

/* Where the least free time of a busy server is: in slot *j, the node
 * *link points at, after node *prev (NIL: first); or *link NULL when it
 * is the heap's top. */
typedef struct where {
    size_t j;
    uint32_t *link, prev;
} where;

/* The least free time of a busy server (the wheel or the heap holds
 * one), and where it is. */
static int64_t wheel_least(wheel *w, where *at)
{
    if (w->live == 0) {
        at->link = NULL;
        return w->over.v[0];
    }
    at->j = first_slot(w);
    at->link = &w->slots[at->j].head;
    at->prev = NIL;
    uint32_t prev = NIL;
    for (uint32_t *l = at->link; *l != NIL; l = &w->next[*l]) {
        if (w->key[*l] < w->key[*at->link]) {
            at->link = l;
            at->prev = prev;
        }
        prev = *l;
    }
    return w->key[*at->link];
}

/* Gives the server wheel_least found the free time `g`.  A server from
 * the heap stays there: its time was past the wheel, and g is later. */
static int wheel_reuse(wheel *w, const where *at, int64_t g)
{
    if (!at->link) {
        heap_replace_top(w->over.v, w->over.n, g);
        return SIM_OK;
    }
    unlink_node(w, at->j, at->link, at->prev);
    return wheel_insert(w, g);
}

/* Re-buckets everything into `nslots` slots of 2^shift ticks and turns
 * the wheel to `a`: through the heap, which the migration then empties
 * back onto the wheel. */
static int wheel_tune(wheel *w, size_t nslots, int shift, int64_t a)
{
    for (size_t j = 0; w->live > 0 && j < w->nslots; j++)
        for (uint32_t k = w->slots[j].head; k != NIL; k = w->next[k]) {
            int rc = heap_push(&w->over, w->key[k]);
            if (rc != SIM_OK)
                return rc;
            w->live--;
        }
    if (nslots != w->nslots) {
        slot *sl = sim_reallocarray(w->slots, nslots, sizeof *sl);
        if (!sl)
            return SIM_ENOMEM;
        w->slots = sl;
        uint64_t *bits = sim_reallocarray(w->bits, nslots / 64,
                                          sizeof *bits);
        if (!bits)
            return SIM_ENOMEM;
        w->bits = bits;
        w->nslots = nslots;
    }
    for (size_t j = 0; j < nslots; j++)
        w->slots[j] = (slot){NIL, NIL, 0};
    memset(w->bits, 0, nslots / 64 * sizeof *w->bits);
    w->nodes = 0;
    w->free_node = NIL;
    w->shift = shift;
    w->cur = a >> shift;
    return migrate(w, a);
}

/* The wheel for a pool that has had up to `busy` servers busy at once
 * and a mean service of `mean` ticks: W about 8 busy, 2^shift about
 * 8 mean / W.  Retunes when W should grow or the width is off by 4x. */
static int wheel_fit(wheel *w, uint64_t busy, double mean, int64_t a)
{
    size_t nslots = WHEEL_MIN;
    while (nslots < WHEEL_MAX && nslots < 8 * busy)
        nslots *= 2;           /* never fewer than before: busy only grows */
    int shift = 0;
    while (shift < 62 && ldexp(1, shift + 1) <= 8 * mean / (double)nslots)
        shift++;
    if (w->slots && nslots == w->nslots && abs(shift - w->shift) < 2)
        return SIM_OK;
    return wheel_tune(w, nslots, shift, a);
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

/* One pool's state between messages: the loop of the recursion, cut at
 * the message so that several pools can take the same stream. */
typedef struct fifo {
    const sim_pool_params *p;
    sim_pool_stats *st;
    wheel w;
    ring q;
    int64_t H, limit, now;
    uint64_t messages, served, queued, refused;
    uint64_t peak, tune_at, until_tune;
    uint64_t service;       /* ticks since the last tune: an integer sum,
                               as a double one held the loop up */
    /* Sums of whole ticks, exact in any order (a double sum is exact
     * only below 2^53 ticks), so pools that share a stream can add the
     * stretches they run alike at once. */
    uint64_t busy, wait;
    int rc, stopped;
} fifo;

static int fifo_init(fifo *f, const sim_pool_params *p, sim_pool_stats *st)
{
    memset(f, 0, sizeof *f);
    memset(st, 0, sizeof *st);
    f->p = p;
    f->st = st;
    f->H = ticks(p->horizon);
    f->limit = p->queue_limit;
    f->tune_at = f->until_tune = 1;
    f->w.free_node = NIL;
    f->w.idle = servers(p);
    if (p->autoscale)
        f->rc = SIM_EINVAL;
    f->stopped = f->rc != SIM_OK;
    return f->rc;
}

/* Refits the wheel now and then (fifo.c's head): a cost, never a
 * result. */
static inline int fifo_tune(fifo *f, int64_t a, int64_t s)
{
    f->service += (uint64_t)s;
    if (--f->until_tune > 0)
        return SIM_OK;
    int rc = wheel_fit(&f->w, f->peak,
                       (double)f->service / (double)f->tune_at, a);
    f->until_tune = f->tune_at = f->tune_at < TUNE_EVERY ? 2 * f->tune_at
                                                         : TUNE_EVERY;
    f->service = 0;
    return rc;
}

#define REFUSED (NEVER - 1)

/*
 * Takes a message arriving at tick a (at most H, not before the last)
 * with service s.  Returns its start, NEVER when no server will take
 * it, REFUSED when the queue is full; sets f->rc and f->stopped when a
 * table could not grow.
 */
static inline int64_t fifo_take(fifo *f, int64_t a, int64_t s)
{
    wheel *w = &f->w;
    int64_t start;
    int rc;
    f->messages++;
    if ((rc = fifo_tune(f, a, s)) != SIM_OK)
        goto fail;
    if (w->idle == 0 ||
        (a >> w->shift) - w->cur >= (int64_t)(w->nslots / 2)) {
        /* The servers known free are spent, or the wheel has fallen
         * half a turn behind: see which are free now. */
        if ((rc = wheel_turn(w, a)) != SIM_OK)
            goto fail;
    }
    if (w->idle > 0) {
        /* A server is free: the common case, no wait. */
        if ((rc = wheel_insert(w, a + s)) != SIM_OK)
            goto fail;
        w->idle--;
        start = a;
        if (w->live + w->over.n > f->peak)
            f->peak = w->live + w->over.n;
    } else {
        /* Every server busy (or none at all): the message takes the
         * one free first, unless the queue is full. */
        where at = {0, NULL, NIL};
        start = w->live + w->over.n > 0 ? wheel_least(w, &at) : NEVER;
        if (f->limit >= 0) {
            ring_started(&f->q, a);
            if ((int64_t)f->q.len >= f->limit) {
                f->refused++;
                return REFUSED;
            }
            if ((rc = ring_push(&f->q, start)) != SIM_OK)
                goto fail;
        }
        f->queued++;
        if (start != NEVER && (rc = wheel_reuse(w, &at, start + s)) != SIM_OK)
            goto fail;
    }
    if (start <= f->H) {
        int64_t wt = start - a, end = start + s;
        f->served++;
        f->st->wait_hist[wt > 0 ? sim__pool_wait_bin(wt) : 0]++;
        f->wait += (uint64_t)wt;
        f->busy += (uint64_t)((end < f->H ? end : f->H) - start);
    }
    return start;
fail:
    f->rc = rc;
    f->stopped = 1;
    return NEVER;
}

/* Takes one message.  Sets f->stopped when the pool takes no more: the
 * message was past the horizon (and is not counted) or a table could
 * not grow (f->rc). */
static inline void fifo_step(fifo *f, const sim_msg *m)
{
    int64_t a = ticks(m->t);
    if (a > f->H) {
        f->stopped = 1;
        return;
    }
    if (a < f->now)     /* a source out of order cannot go back */
        a = f->now;
    f->now = a;
    fifo_take(f, a, ticks(m->busy));
}

/* Writes the counts into the stats and frees the tables. */
static int fifo_finish(fifo *f)
{
    sim_pool_stats *st = f->st;
    st->messages = f->messages;
    st->served = f->served;
    st->queued = f->queued;
    st->refused = f->refused;
    if (f->rc == SIM_OK) {
        st->busy_s = (double)f->busy / TICKS;
        st->wait_s = (double)f->wait / TICKS;
        instances(f->p, f->H, st);
    }
    wheel_fini(&f->w);
    sim_free(f->q.v);
    return f->rc;
}

int sim_fifo_run(const sim_pool_params *p,
                 int (*next)(void *ctx, sim_msg *m), void *ctx,
                 sim_pool_stats *st)
{
    fifo f;
    sim_msg m;
    if (fifo_init(&f, p, st) != SIM_OK)
        return f.rc;
    while (!f.stopped && next(ctx, &m))
        fifo_step(&f, &m);
    return fifo_finish(&f);
}

/* ---- pools of every size on one stream ---------------------------------- */

/*
 * Pools that differ only in their servers, on one stream.  A pool of c
 * servers runs exactly as one of unlimited servers until a message finds
 * c busy there: until then no message has waited, so both have the same
 * busy servers with the same free times.  So the pools follow one
 * reference pool of unlimited servers (`ref`, whose wheel turns whenever
 * the count of its busy servers could matter: ref_turn), and a pool
 * keeps state of its own only while it differs: from the first arrival
 * that finds its c servers busy (its wheel starts as a copy of the
 * reference's) until every
 * message that waited or was refused there has left both pools (`lag`),
 * when the two hold the same servers again and it rejoins.  A pool that
 * follows the reference costs a comparison a message; its counts are the
 * reference's over the stretch (every message served at once).  Pools
 * sized for the 99th percentile of demand follow it nearly all month, so
 * six pools cost little more than one.  Refitting the wheel, which never
 * changes a result, is each pool's own.
 */
typedef struct member {
    fifo f;
    int64_t c;              /* servers */
    int alone;              /* f's wheel holds this pool's busy servers */
    int64_t lag;            /* alone: when the last message that ran
                               differently here has left both pools */
    uint64_t m0, b0;        /* the reference's counts when it rejoined */
} member;

/* The reference's stretch since the pool joined it, into its counts. */
static void member_catch_up(member *mb, const fifo *ref)
{
    uint64_t n = ref->messages - mb->m0;
    mb->f.messages += n;
    mb->f.served += n;
    mb->f.st->wait_hist[0] += n;
    mb->f.busy += ref->busy - mb->b0;
    if (ref->peak > mb->f.peak)
        mb->f.peak = ref->peak;
}

/* The pool leaves the reference at arrival a, every server busy: its
 * wheel becomes a copy of the reference's busy servers. */
static int member_leave(member *mb, fifo *ref, int64_t busy, int64_t a)
{
    wheel *w = &mb->f.w, *r = &ref->w;
    int rc = wheel_tune(w, r->nslots, r->shift, a);
    for (size_t j = 0; rc == SIM_OK && j < r->nslots; j++)
        for (uint32_t k = r->slots[j].head; rc == SIM_OK && k != NIL;
             k = r->next[k])
            rc = wheel_insert(w, r->key[k]);
    for (size_t i = 0; rc == SIM_OK && i < r->over.n; i++)
        rc = wheel_insert(w, r->over.v[i]);
    w->idle = mb->c > busy ? mb->c - busy : 0;
    mb->f.q.len = 0;
    mb->alone = 1;
    mb->lag = a;
    return rc;
}

/*
 * The reference's busy servers at arrival a, or a bound from above that
 * serves as well (its wheel fitted first: the first message makes it).
 * The count is read by the pools that follow -- is it below their c? --
 * and by the peak.  The servers the wheel still holds, free or not until
 * it turns, are at least the busy ones; while fewer than `need` (the
 * least c of the pools that read it) and than the peak so far, no pool
 * leaves and the peak does not move whatever the exact count, so the
 * wheel turns only once they are not: every few dozen arrivals in a pool
 * sized near its peak, instead of at each (a planning question
 * replication took about 13 % less time so).  The servers freed meanwhile
 * leave at the next turn, all at once, as they would have one by one.
 * The wheel also turns once it lags half a turn, as fifo_take's does.
 * The peak only fits the wheels, yet it is kept exact: let it run up to
 * `need` and the wheels fitted to it grew, and the run took a third
 * longer.  A pool leaving reads the busy servers themselves, but only
 * once the count reached its c, when the wheel has turned; an episode's
 * snapshot reads them when the sentinel queued, which it may do on its
 * own wheel, so it turns the reference's first (sim_fifo_follow_step).
 */
static inline int ref_turn(fifo *ref, int64_t a, int64_t s, int64_t need,
                           int64_t *busy)
{
    int rc;
    wheel *w = &ref->w;
    if ((rc = fifo_tune(ref, a, s)) != SIM_OK)
        return rc;
    int64_t held = (int64_t)(w->live + w->over.n);
    if (held >= need || held >= (int64_t)ref->peak ||
        (a >> w->shift) - w->cur >= (int64_t)(w->nslots / 2)) {
        if ((rc = wheel_turn(w, a)) != SIM_OK)
            return rc;
        held = (int64_t)(w->live + w->over.n);
    }
    *busy = held;
    return SIM_OK;
}

/* The reference takes every message at once. */
static inline int ref_take(fifo *ref, int64_t a, int64_t s, int64_t busy)
{
    int rc = wheel_insert(&ref->w, a + s);
    if (rc != SIM_OK)
        return rc;
    ref->messages++;
    ref->busy += (uint64_t)((a + s < ref->H ? a + s : ref->H) - a);
    if ((uint64_t)busy + 1 > ref->peak)
        ref->peak = (uint64_t)busy + 1;
    return SIM_OK;
}

/* Before the message at a: a pool running alone rejoins the reference
 * once everything that ran differently there has left -- the same busy
 * servers again.  Returns 1 when it rejoined. */
static inline int member_rejoin(member *b, const fifo *ref, int64_t a)
{
    if (!b->alone || b->lag > a)
        return 0;
    wheel_fini(&b->f.w);
    memset(&b->f.w, 0, sizeof b->f.w);
    b->f.w.free_node = NIL;
    b->alone = 0;
    b->m0 = ref->messages;
    b->b0 = ref->busy;
    return 1;
}

/* The pool takes the message at a with `busy` servers busy in the
 * reference: as the reference while one of its own is free, alone
 * from the first arrival that finds them all busy. */
static inline int member_take(member *b, fifo *ref, int64_t busy, int64_t a,
                              int64_t s)
{
    int rc;
    if (!b->alone) {
        if (busy < b->c)
            return SIM_OK;
        member_catch_up(b, ref);
        if ((rc = member_leave(b, ref, busy, a)) != SIM_OK)
            return rc;
    }
    int64_t start = fifo_take(&b->f, a, s);
    if (b->f.rc != SIM_OK)
        return b->f.rc;
    if (start != a) {
        /* Waited or refused: gone from both pools by then. */
        int64_t gone = start == REFUSED ? a + s
                       : start == NEVER ? NEVER
                                        : start + s;
        if (gone > b->lag)
            b->lag = gone;
    }
    return SIM_OK;
}

/* A reference pool of unlimited servers for horizon `p`'s. */
static void ref_init(fifo *ref, const sim_pool_params *p,
                     sim_pool_params *unlimited, sim_pool_stats *scratch)
{
    *unlimited = *p;
    unlimited->instances = INT64_MAX;
    unlimited->slots = 1;
    unlimited->autoscale = 0;
    unlimited->queue_limit = -1;
    fifo_init(ref, unlimited, scratch);
    ref->w.idle = 0;            /* counted but never spent */
}

int sim_fifo_run_many(const sim_pool_params *p, size_t n,
                      int (*next)(void *ctx, sim_msg *m), void *ctx,
                      sim_pool_stats *st)
{
    member *mb = sim_calloc(n ? n : 1, sizeof *mb);
    sim_pool_params unlimited;
    sim_pool_stats scratch;
    fifo ref;
    sim_msg m;
    int rc = SIM_OK;
    if (n == 1) {
        sim_free(mb);
        return sim_fifo_run(p, next, ctx, st);
    }
    if (!mb)
        return SIM_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        if (fifo_init(&mb[k].f, &p[k], &st[k]) != SIM_OK && rc == SIM_OK)
            rc = mb[k].f.rc;
        mb[k].c = servers(&p[k]);
    }
    ref_init(&ref, n ? &p[0] : &(sim_pool_params){0}, &unlimited, &scratch);
    int64_t H = ref.H, now = 0, need = INT64_MAX;
    for (size_t k = 0; k < n; k++)
        if (mb[k].c < need)
            need = mb[k].c;
    while (rc == SIM_OK && n > 0 && next(ctx, &m)) {
        int64_t a = ticks(m.t), s = ticks(m.busy), busy;
        if (a > H)
            break;
        if (a < now)
            a = now;
        now = a;
        if ((rc = ref_turn(&ref, a, s, need, &busy)) != SIM_OK)
            break;
        for (size_t k = 0; k < n && rc == SIM_OK; k++) {
            member_rejoin(&mb[k], &ref, a);
            rc = member_take(&mb[k], &ref, busy, a, s);
        }
        if (rc == SIM_OK)
            rc = ref_take(&ref, a, s, busy);
    }
    for (size_t k = 0; k < n; k++) {
        if (!mb[k].alone)
            member_catch_up(&mb[k], &ref);
        if (mb[k].f.rc == SIM_OK)
            mb[k].f.rc = rc;
        int one = fifo_finish(&mb[k].f);
        if (rc == SIM_OK)
            rc = one;
    }
    wheel_fini(&ref.w);
    sim_free(mb);
    return rc;
}

/* ---- pools sized after the pass ----------------------------------------- */

/*
 * A pool sized from a quantile of its own demand cannot start its
 * recursion until the demand pass ends, and a second pass draws every
 * message again.  The follower avoids it for pools of c >= c0 servers
 * with unbounded queues.  The pass runs the reference and a sentinel pool
 * of c0 servers (following the reference as above), and keeps only what
 * a larger pool needs afterwards:
 *  - the messages that wait at the sentinel, in episodes (runs of
 *    consecutive arrivals that wait);
 *  - at each episode's first arrival, the reference's busy servers' free
 *    times -- those up to the episode's end, and a count of the later
 *    ones, which no message of the episode can reach.
 * Why that is enough, for a pool of c >= c0 servers: start times never
 * grow with more servers (FIFO), so a message that waits there waits at
 * the sentinel; and where an arrival finds the sentinel a server free,
 * every message it has seen has started and is in service there no
 * earlier than in the larger pool, so the larger pool has a server free
 * too and no queue.  Outside the episodes such a pool serves every
 * message at once, as the reference does; at an episode's start its busy
 * servers are the reference's, except that the messages that waited in
 * it earlier (kept, with both departures) leave later.  Settling replays
 * the episodes from those servers through the pool's own recursion.
 * Pools sized near a high quantile of demand keep the few per cent of
 * messages that wait at the sentinel; a budget bounds that, and past it
 * nothing settles (the caller runs a second pass, which gives the same
 * figures).  What is kept is read only in order, so it is kept as
 * variable-length integers, each time after the one before it: a
 * message in about 7 bytes instead of 16 (arrivals a fraction of a
 * second apart, services of seconds in microseconds), a free time in 3
 * or 4 instead of 8.
 */
typedef struct episode {
    size_t first, n;        /* its n messages from byte `first` of kept */
    size_t snap, nsnap;     /* the reference's free times up to `end`, from
                               byte `snap` of snap */
    uint64_t far;           /* its busy servers free after `end` */
    int64_t a0;             /* its first arrival */
    int64_t end;            /* the arrival that found the sentinel a
                               server free (NEVER: the pass ended first) */
} episode;

/* LEB128: seven bits a byte, low first, the top bit set on all but the
 * last; at most 10 bytes. */
#define VARINT_MAX 10

static inline size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline uint64_t varint_get(const uint8_t **p)
{
    uint64_t v = 0;
    int shift = 0;
    uint8_t b;
    do {
        b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return v;
}

struct sim_fifo_follow {
    sim_pool_params unlimited, sentinel_p;
    sim_pool_stats ref_st, sentinel_st;
    fifo ref;
    member sentinel;
    int64_t H, now, c0;
    uint8_t *kept;          /* per message: arrival after the one before
                               (the first: after a0), service */
    size_t nkept, nkb, cap_kb;      /* messages, bytes, capacity */
    uint8_t *snap;          /* free times after a0 */
    size_t nsb, cap_sb;
    int64_t last;           /* the last kept arrival */
    episode *ep;
    size_t nep, cap_ep;
    size_t bytes, budget;   /* bytes held, and the most allowed */
    uint64_t kept_busy;     /* the reference's busy ticks of kept messages */
    int open;               /* the last arrival waited: an episode runs */
    int over;               /* the episodes outgrew the budget */
    int stopped, rc;
    member *known;          /* pools sized before the pass, run along */
    sim_pool_stats *known_st;
    size_t nknown;
    int64_t need_known;     /* the least c of the known pools */
    int64_t need;           /* ... and of the sentinel */
};

int sim_fifo_follow_new(double horizon, int64_t c0, size_t budget_words,
                        const sim_pool_params *known, size_t nknown,
                        sim_fifo_follow **out)
{
    sim_fifo_follow *f = sim_calloc(1, sizeof *f);
    *out = NULL;
    if (!f)
        return SIM_ENOMEM;
    if (nknown > 0) {
        f->known = sim_calloc(nknown, sizeof *f->known);
        f->known_st = sim_calloc(nknown, sizeof *f->known_st);
        if (!f->known || !f->known_st) {
            sim_free(f->known);
            sim_free(f->known_st);
            sim_free(f);
            return SIM_ENOMEM;
        }
        f->nknown = nknown;
        for (size_t k = 0; k < nknown; k++) {
            if (fifo_init(&f->known[k].f, &known[k], &f->known_st[k]) !=
                    SIM_OK &&
                f->rc == SIM_OK)
                f->rc = f->known[k].f.rc;     /* an autoscaled pool */
            f->known[k].c = servers(&known[k]);
        }
    }
    sim_pool_params p;
    memset(&p, 0, sizeof p);
    p.horizon = horizon;
    ref_init(&f->ref, &p, &f->unlimited, &f->ref_st);
    f->sentinel_p = p;
    f->sentinel_p.instances = c0 > 1 ? c0 : 1;   /* a pool of none never
                                                    rejoins */
    f->sentinel_p.slots = 1;
    f->sentinel_p.queue_limit = -1;
    fifo_init(&f->sentinel.f, &f->sentinel_p, &f->sentinel_st);
    f->sentinel.c = servers(&f->sentinel_p);
    f->c0 = f->sentinel.c;
    f->need_known = INT64_MAX;
    for (size_t k = 0; k < f->nknown; k++)
        if (f->known[k].c < f->need_known)
            f->need_known = f->known[k].c;
    f->need = f->c0 < f->need_known ? f->c0 : f->need_known;
    f->H = f->ref.H;
    f->budget = budget_words > SIZE_MAX / 8 ? SIZE_MAX : 8 * budget_words;
    *out = f;
    return SIM_OK;
}

/* Gives up keeping episodes: nothing will settle. */
static void follow_give_up(sim_fifo_follow *f)
{
    f->over = 1;
    sim_free(f->kept);
    sim_free(f->snap);
    sim_free(f->ep);
    f->kept = f->snap = NULL;
    f->ep = NULL;
    f->nkept = f->nkb = f->cap_kb = f->nsb = f->cap_sb = 0;
    f->nep = f->cap_ep = 0;
    wheel_fini(&f->sentinel.f.w);
    memset(&f->sentinel.f.w, 0, sizeof f->sentinel.f.w);
    sim_free(f->sentinel.f.q.v);
    f->sentinel.f.q.v = NULL;
}

/* Room for `more` elements of `size` bytes after `len` in v (capacity
 * *cap), counted against the budget: *nv is v or its grown copy.  0 when
 * the budget or memory runs out (v is kept). */
static int follow_grow(sim_fifo_follow *f, void *v, size_t *cap, size_t len,
                       size_t more, size_t size, void **nv)
{
    *nv = v;
    if (len + more <= *cap)
        return 1;
    /* Half again, not double: the budget counts what is allocated; and
     * no more than the budget has left, so all of it can be used. */
    if (more > SIZE_MAX / size - len)
        return 0;
    size_t need = len + more, room = (f->budget - f->bytes) / size + *cap;
    size_t ncap = *cap ? *cap + *cap / 2 : 256;
    if (ncap < need)
        ncap = need;
    if (ncap > room)
        ncap = room;
    if (ncap < need)
        return 0;
    size_t grow = (ncap - *cap) * size;
    void *g = sim_reallocarray(v, ncap, size);
    if (!g)
        return 0;
    *nv = g;
    *cap = ncap;
    f->bytes += grow;
    return 1;
}

/* An episode begins at arrival a: the reference's busy free times, all
 * of them until its end is known. */
static int episode_open(sim_fifo_follow *f, int64_t a)
{
    const wheel *r = &f->ref.w;
    size_t busy = r->live + r->over.n;
    void *v;
    int ok = follow_grow(f, f->ep, &f->cap_ep, f->nep, 1, sizeof *f->ep, &v);
    f->ep = v;
    if (!ok)
        return 0;
    ok = follow_grow(f, f->snap, &f->cap_sb, f->nsb,
                     busy > SIZE_MAX / VARINT_MAX ? SIZE_MAX : busy * VARINT_MAX,
                     1, &v);
    f->snap = v;
    if (!ok)
        return 0;
    episode *e = &f->ep[f->nep++];
    e->first = f->nkb;
    e->n = 0;
    e->snap = f->nsb;
    e->nsnap = busy;
    e->far = 0;
    e->a0 = f->last = a;
    e->end = NEVER;
    /* Every busy server frees after a: the wheel has turned to it.  The
     * bitmap leads to the occupied slots: the wheel has about eight slots
     * a busy server, most of them empty. */
    for (size_t word = 0; r->live > 0 && word < r->nslots / 64; word++)
        for (uint64_t bm = r->bits[word]; bm; bm &= bm - 1)
            for (uint32_t k = r->slots[(word << 6) +
                                       (size_t)__builtin_ctzll(bm)].head;
                 k != NIL; k = r->next[k])
                f->nsb += varint_put(f->snap + f->nsb,
                                     (uint64_t)(r->key[k] - a));
    for (size_t i = 0; i < r->over.n; i++)
        f->nsb += varint_put(f->snap + f->nsb, (uint64_t)(r->over.v[i] - a));
    f->open = 1;
    return 1;
}

/* The episode ends at arrival `end`: only the free times up to it are
 * kept, the later ones counted.  Rewritten in place: a kept one is never
 * longer than it was. */
static void episode_close(sim_fifo_follow *f, int64_t end)
{
    episode *e = &f->ep[f->nep - 1];
    const uint8_t *rd = f->snap + e->snap;
    size_t w = e->snap, kept = 0;
    for (size_t i = 0; i < e->nsnap; i++) {
        uint64_t d = varint_get(&rd);
        if (e->a0 + (int64_t)d <= end) {
            w += varint_put(f->snap + w, d);
            kept++;
        } else
            e->far++;
    }
    e->nsnap = kept;
    f->nsb = w;
    e->end = end;
    f->open = 0;
}

/* Keeps a message that waited at the sentinel. */
static int keep(sim_fifo_follow *f, int64_t a, int64_t s)
{
    void *v;
    int ok = follow_grow(f, f->kept, &f->cap_kb, f->nkb, 2 * VARINT_MAX, 1,
                         &v);
    f->kept = v;
    if (!ok)
        return 0;
    f->nkb += varint_put(f->kept + f->nkb, (uint64_t)(a - f->last));
    f->nkb += varint_put(f->kept + f->nkb, (uint64_t)s);
    f->last = a;
    f->nkept++;
    f->ep[f->nep - 1].n++;
    f->kept_busy += (uint64_t)((a + s < f->H ? a + s : f->H) - a);
    return 1;
}

int sim_fifo_follow_step(sim_fifo_follow *f, const sim_msg *m)
{
    int64_t a, s, busy;
    int rc;
    if (f->rc != SIM_OK || f->stopped)
        return f->rc;
    a = ticks(m->t);
    s = ticks(m->busy);
    if (a > f->H) {
        f->stopped = 1;
        return SIM_OK;
    }
    if (a < f->now)
        a = f->now;
    f->now = a;
    if ((rc = ref_turn(&f->ref, a, s, f->over ? f->need_known : f->need,
                       &busy)) != SIM_OK)
        return f->rc = rc;
    if (!f->over) {
        member *b = &f->sentinel;
        uint64_t queued = b->f.queued;
        member_rejoin(b, &f->ref, a);
        if ((rc = member_take(b, &f->ref, busy, a, s)) != SIM_OK)
            return f->rc = rc;
        /* The reference has not taken the message yet: its servers are
         * those the arrival found. */
        if (b->f.queued != queued) {
            /* The snapshot needs the busy servers exactly, and the
             * sentinel may have queued on its own, the reference's wheel
             * not turned (ref_turn). */
            if (!f->open && (rc = wheel_turn(&f->ref.w, a)) != SIM_OK)
                return f->rc = rc;
            if ((!f->open && !episode_open(f, a)) || !keep(f, a, s))
                follow_give_up(f);
        } else if (f->open)
            episode_close(f, a);
    }
    for (size_t k = 0; k < f->nknown; k++) {
        member_rejoin(&f->known[k], &f->ref, a);
        if ((rc = member_take(&f->known[k], &f->ref, busy, a, s)) != SIM_OK)
            return f->rc = rc;
    }
    if ((rc = ref_take(&f->ref, a, s, busy)) != SIM_OK)
        return f->rc = rc;
    return SIM_OK;
}

int sim_fifo_follow_known(sim_fifo_follow *f, sim_pool_stats *st)
{
    int rc = f->rc;
    for (size_t k = 0; k < f->nknown; k++) {
        member *b = &f->known[k];
        if (!b->alone)
            member_catch_up(b, &f->ref);
        if (b->f.rc == SIM_OK)
            b->f.rc = f->rc;
        int one = fifo_finish(&b->f);
        if (rc == SIM_OK)
            rc = one;
        st[k] = f->known_st[k];
    }
    /* Finished once: the tables are gone. */
    sim_free(f->known);
    sim_free(f->known_st);
    f->known = NULL;
    f->known_st = NULL;
    f->nknown = 0;
    return rc;
}

/* Empties the wheel (keeping its tables and fit) and turns it to a. */
static void wheel_clear(wheel *w, int64_t a)
{
    /* Empty slots are clean already: only the marked ones are reset. */
    for (size_t word = 0; w->live > 0 && word < w->nslots / 64; word++) {
        for (uint64_t m = w->bits[word]; m; m &= m - 1)
            w->slots[(word << 6) + (size_t)__builtin_ctzll(m)] =
                (slot){NIL, NIL, 0};
        w->bits[word] = 0;
    }
    w->nodes = 0;
    w->free_node = NIL;
    w->live = 0;
    for (size_t i = 0; i < w->over.n + 4 && w->over.v; i++)
        w->over.v[i] = NEVER;
    w->over.n = 0;
    w->cur = a >> w->shift;
}

/* A message that waited in the pool being settled: its departures in
 * the reference and in the pool. */
typedef struct late {
    int64_t d, dp;
} late;

int sim_fifo_follow_settle(const sim_fifo_follow *f, const sim_pool_params *p,
                           sim_pool_stats *st, int *settled)
{
    fifo pf;
    late *lt = NULL;
    int64_t *ex = NULL;
    size_t nlt = 0, cap_lt = 0, cap_ex = 0;
    *settled = 0;
    if (f->rc != SIM_OK || f->over || p->autoscale || p->queue_limit >= 0 ||
        servers(p) < f->c0 || ticks(p->horizon) != f->H)
        return SIM_OK;
    fifo_init(&pf, p, st);
    int64_t c = servers(p);
    /* The wheel fitted once for the whole run, from the reference's peak
     * and mean service. */
    double mean = f->ref.messages
                      ? (double)f->ref.busy / (double)f->ref.messages : 1;
    pf.peak = f->ref.peak;
    pf.tune_at = pf.until_tune = TUNE_EVERY;
    int rc = wheel_fit(&pf.w, pf.peak, mean, 0);
    for (size_t i = 0; i < f->nep && rc == SIM_OK; i++) {
        const episode *e = &f->ep[i];
        /* (An episode opens with a server busy -- the sentinel's are all
         * busy -- so it has free times kept unless all are past its end;
         * snap may be NULL then, and is not offset.) */
        const uint8_t *rd = f->kept + e->first,
                      *sd = e->nsnap ? f->snap + e->snap : NULL;
        int64_t a0 = e->a0, a = a0;
        uint64_t far = e->far;
        /* Its busy servers at a0: the reference's, with the messages
         * that waited here earlier leaving later. */
        if (cap_ex < e->nsnap + nlt) {
            cap_ex = 2 * (e->nsnap + nlt);
            int64_t *nx = sim_reallocarray(ex, cap_ex, sizeof *ex);
            if (!nx) {
                rc = SIM_ENOMEM;
                break;
            }
            ex = nx;
        }
        size_t nex = e->nsnap;
        for (size_t j = 0; j < nex; j++)
            ex[j] = a0 + (int64_t)varint_get(&sd);
        size_t keep = 0;
        for (size_t j = 0; j < nlt; j++) {
            if (lt[j].dp <= a0)
                continue;           /* gone from both */
            lt[keep++] = lt[j];
            if (lt[j].d > a0) {
                /* Out goes its departure in the reference ... */
                if (lt[j].d > e->end)
                    far--;
                else {
                    size_t x = 0;
                    while (x < nex && ex[x] != lt[j].d)
                        x++;
                    if (x == nex) {
                        rc = SIM_EINVAL;    /* cannot be: it is busy there */
                        break;
                    }
                    ex[x] = ex[--nex];
                }
            }
            /* ... and in its own. */
            if (lt[j].dp > e->end)
                far++;
            else
                ex[nex++] = lt[j].dp;
        }
        nlt = keep;
        if (rc != SIM_OK)
            break;
        wheel_clear(&pf.w, a0);
        for (size_t j = 0; j < nex && rc == SIM_OK; j++)
            rc = wheel_insert(&pf.w, ex[j]);
        if ((uint64_t)c < far + nex)
            rc = SIM_EINVAL;                /* more busy than servers */
        pf.w.idle = c - (int64_t)(far + nex);
        for (size_t j = 0; j < e->n && rc == SIM_OK; j++) {
            a += (int64_t)varint_get(&rd);
            int64_t s = (int64_t)varint_get(&rd);
            int64_t start = fifo_take(&pf, a, s);
            if ((rc = pf.rc) != SIM_OK)
                break;
            if (start != a) {
                if (nlt == cap_lt) {
                    cap_lt = cap_lt ? 2 * cap_lt : 64;
                    late *nl = sim_reallocarray(lt, cap_lt, sizeof *lt);
                    if (!nl) {
                        rc = SIM_ENOMEM;
                        break;
                    }
                    lt = nl;
                }
                lt[nlt++] = (late){a + s, start == NEVER ? NEVER : start + s};
            }
        }
    }
    sim_free(lt);
    sim_free(ex);
    /* Outside the episodes the pool is the reference: every message
     * served at once. */
    uint64_t out = f->ref.messages - f->nkept;
    pf.messages += out;
    pf.served += out;
    st->wait_hist[0] += out;
    pf.busy += f->ref.busy - f->kept_busy;
    pf.rc = rc;
    rc = fifo_finish(&pf);
    *settled = rc == SIM_OK;
    return rc;
}

size_t sim_fifo_follow_kept(const sim_fifo_follow *f)
{
    return f->over ? SIZE_MAX : f->nkept;
}

void sim_fifo_follow_free(sim_fifo_follow *f)
{
    if (!f)
        return;
    for (size_t k = 0; k < f->nknown; k++)
        fifo_finish(&f->known[k].f);
    sim_free(f->known);
    sim_free(f->known_st);
    follow_give_up(f);
    wheel_fini(&f->ref.w);
    sim_free(f->ref.q.v);
    sim_free(f);
}
