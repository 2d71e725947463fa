/*
 * occupancy.c -- an unlimited-server queue's time at each count in
 * service (occupancy.h).
 */
#include "sim/occupancy.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"
#include "sim/radix.h"

/*
 * Arrivals per batch.  A batch costs a histogram clear of the radix sort
 * (3 x 2048 counts) and a merge with the departures still pending (about
 * the messages in service: a few hundred in a planning-size pool), so
 * larger batches amortize both, at 40 bytes an arrival (640 KB).  On the
 * planning question's pools (docs/performance.md) 1024 took 10 % longer
 * than 16384, and 4096 1.5 %.
 */
#define BATCH 16384

/* A departure: its time and the arrival it belongs to (0, 1, ... in
 * arrival order), which settles the one tie that matters (below). */
typedef struct dep {
    double d;
    uint64_t seq;
} dep;

struct sim_occupancy {
    double *tw;                 /* tw[k]: time with k in service */
    size_t ntw, peak, count;    /* ntw > count always */
    double t;                   /* the last event */
    uint64_t seq;               /* arrivals before the batch */
    double a[BATCH];            /* the batch's arrivals */
    dep e[BATCH], etmp[BATCH];  /* their departures; sort scratch */
    size_t nb;
    dep *q, *qtmp;              /* pending departures, (d, seq) order */
    size_t qn, qcap;
    int rc;
};

int sim_occupancy_new(sim_occupancy **out)
{
    sim_occupancy *o = sim_calloc(1, sizeof *o);
    *out = NULL;
    if (!o)
        return SIM_ENOMEM;
    o->ntw = 64;
    if (!(o->tw = sim_calloc(o->ntw, sizeof *o->tw))) {
        sim_free(o);
        return SIM_ENOMEM;
    }
    *out = o;
    return SIM_OK;
}

void sim_occupancy_free(sim_occupancy *o)
{
    if (!o)
        return;
    sim_free(o->tw);
    sim_free(o->q);
    sim_free(o->qtmp);
    sim_free(o);
}

static int dep_cmp(const void *x, const void *y)
{
    const dep *a = x, *b = y;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/*
 * Sorts v[0 .. n) by (d, seq), the seqs ascending on entry: radix.h's
 * stable sort by d keeps them so.  A batch's departures can span any
 * range (one 10^19 s away makes the key useless for the rest), so its
 * insertion pass has a budget of 8n moves, past which qsort takes over:
 * its order is the same, as (d, seq) pairs are distinct.
 */
_Static_assert(offsetof(dep, d) == 0 && sizeof(dep) <= SIM_RADIX_MAX,
               "radix.h sorts by the leading double");

static void sort_deps(dep *v, dep *tmp, size_t n)
{
    if (sim__radix_sort(v, tmp, n, sizeof *v, 8 * n))
        qsort(v, n, sizeof *v, dep_cmp);
}

/* Time up to `to` at the current count, then the clock at `to`. */
static void advance(sim_occupancy *o, double to)
{
    o->tw[o->count] += to - o->t;
    o->t = to;
}

/* The histogram, twice as long (the count reached its end). */
static int grow(sim_occupancy *o)
{
    double *v = sim_realloc(o->tw, 2 * o->ntw * sizeof *v);
    if (!v)
        return SIM_ENOMEM;
    memset(v + o->ntw, 0, o->ntw * sizeof *v);
    o->tw = v;
    o->ntw *= 2;
    return SIM_OK;
}

/*
 * The batch: its departures sorted and merged behind the pending ones,
 * then the events in time order.  Before arrival number s at time a,
 * every departure of an earlier arrival at or before a leaves, least
 * first: (d, seq) < (a, s) exactly picks those, since a departure of
 * arrival s or later is never before a, and is at a only when that
 * arrival is at a with no busy time, and then its seq is not below s.
 */
static int run_batch(sim_occupancy *o)
{
    size_t nb = o->nb, ne = 0;
    for (size_t i = 0; i < nb; i++)
        if (o->e[i].d < INFINITY)   /* else in service for ever */
            o->e[ne++] = o->e[i];
    sort_deps(o->e, o->etmp, ne);
    if (o->qn + ne > o->qcap) {
        size_t cap = o->qcap ? o->qcap : 1024;
        while (cap < o->qn + ne)
            cap *= 2;
        dep *q = sim_reallocarray(o->q, cap, sizeof *q);
        if (!q)
            return SIM_ENOMEM;
        o->q = q;
        dep *x = sim_reallocarray(o->qtmp, cap, sizeof *x);
        if (!x)
            return SIM_ENOMEM;
        o->qtmp = x;
        o->qcap = cap;
    }
    /* Merge: pending seqs are all below the batch's, so on equal times
     * the pending one goes first, keeping (d, seq) order. */
    dep *q = o->q, *e = o->e, *m = o->qtmp;
    size_t i = 0, j = 0, k = 0;
    while (i < o->qn && j < ne)
        m[k++] = e[j].d < q[i].d ? e[j++] : q[i++];
    while (i < o->qn)
        m[k++] = q[i++];
    while (j < ne)
        m[k++] = e[j++];
    o->qtmp = q;
    o->q = m;
    o->qn = k;
    /* Whether a departure or the arrival comes next is a coin toss the
     * branch predictor often loses; a walk choosing by selection instead
     * was slower still (6 % on the planning question's pools), its
     * choices one long chain of dependent loads and compares. */
    size_t h = 0;
    for (size_t x = 0; x < nb; x++) {
        double a = o->a[x];
        uint64_t s = o->seq + x;
        while (h < k && (m[h].d < a || (m[h].d == a && m[h].seq < s))) {
            advance(o, m[h++].d);
            o->count--;
        }
        advance(o, a);
        if (++o->count > o->peak)
            o->peak = o->count;
        if (o->count >= o->ntw && grow(o) != SIM_OK)
            return SIM_ENOMEM;
    }
    if (h > 0 && k > h)         /* m is NULL until a departure is queued */
        memmove(m, m + h, (k - h) * sizeof *m);
    o->qn = k - h;
    o->seq += nb;
    o->nb = 0;
    return SIM_OK;
}

int sim_occupancy_add(sim_occupancy *o, double t, double busy)
{
    if (o->rc != SIM_OK)
        return o->rc;
    o->a[o->nb] = t;
    o->e[o->nb].d = t + busy;
    o->e[o->nb].seq = o->seq + o->nb;
    if (++o->nb == BATCH)
        o->rc = run_batch(o);
    return o->rc;
}

int sim_occupancy_end(sim_occupancy *o, double H)
{
    if (o->rc == SIM_OK && o->nb > 0)
        o->rc = run_batch(o);
    if (o->rc != SIM_OK)
        return o->rc;
    /* The pass ends here (once), so what stays pending stays put. */
    for (size_t h = 0; h < o->qn && o->q[h].d <= H; h++) {
        advance(o, o->q[h].d);
        o->count--;
    }
    advance(o, H);
    return SIM_OK;
}

size_t sim_occupancy_peak(const sim_occupancy *o)
{
    return o->peak;
}

const double *sim_occupancy_times(const sim_occupancy *o)
{
    return o->tw;
}
