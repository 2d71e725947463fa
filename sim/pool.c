/*
 * pool.c -- a pool of instances driven by the event queue.
 *
 * Time runs in integer microseconds (ticks) so that event order is exact:
 * message times and service times are rounded once, llround(t * 1e6), and
 * everything after that is integer arithmetic.  Counts that change only
 * at events -- instances running, busy slots, queued messages -- are
 * integrated over the intervals between events (count x ticks, held in
 * doubles that are exact integers below 2^53 tick-counts, 285 years of
 * one instance), so billing and utilisation need no tick events.
 *
 * Events, in the order they run at equal times (their priorities):
 *   departure  -- frees a slot first, so a message arriving at the very
 *                 tick another leaves finds it free;
 *   ready      -- an instance finishes provisioning (FIFO lane: the
 *                 delay is constant);
 *   arrival    -- only the next message is ever pending: it is pulled
 *                 from `next` when the previous one arrives;
 *   metric     -- every metric_period when autoscaling (FIFO lane);
 *   decide     -- a scaling decision that a cooldown deferred.
 * Nothing in the pool draws random numbers: the same messages give the
 * same statistics, bit for bit.
 *
 * Instance numbers are slots of a table sized for the most instances that
 * can ever run: max(instances, min, max) when autoscaling, since a
 * scale-out revives draining instances before starting new ones and so
 * never runs more than max at once (unless the pool started above it).
 */
#include "sim/pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/evq.h"
#include "base/fixed.h"

#define TICKS 1e6

enum { EV_DEPART, EV_READY, EV_ARRIVE, EV_METRIC, EV_DECIDE };

enum { OFF, STARTING, READY, DRAINING };

typedef struct inst {
    int64_t started;        /* tick the current run began */
    int64_t billed;         /* ticks billed so far, every run */
    int64_t busy;           /* messages in service */
    int state;
    size_t hpos;            /* place in the free-slot heap while READY */
    evq_handle ready_ev;    /* while STARTING */
} inst;

/* A message waiting for a slot. */
typedef struct qmsg {
    int64_t arrival;
    int64_t service;
} qmsg;

typedef struct pool {
    const sim_pool_params *p;
    sim_pool_stats *st;
    evq q;
    int lane_ready, lane_metric;
    int64_t slots, H;
    int64_t prov, period, out_after, in_after, cooldown, gran, minimum;
    int64_t bill_cap;       /* per instance number; 0: none */

    inst *in;
    int64_t ninst;          /* table size */
    int64_t *heap;          /* READY instances by (busy, number) */
    size_t nheap;
    int64_t *scratch;       /* scale-in candidates */

    qmsg *fifo;
    size_t qcap, qhead, qlen;

    int (*next)(void *ctx, sim_msg *m);
    void *ctx;
    int64_t pend_service;   /* of the pending arrival */

    int64_t now;
    int64_t starting, ready, draining;  /* instances by state */
    int64_t busy, busy_draining;        /* messages in service */

    double acc_inst, acc_busy, acc_wait, acc_billed;    /* tick-counts */
    int slice;              /* timeline slice being integrated */
    int64_t slice_from;
    double slice_acc;

    /* Autoscaling: integrals over the current metric period, the runs of
     * periods above and below target (-1: none), the last action. */
    double m_load, m_cap;
    int64_t m_from;
    double load_avg;        /* slots busy or queued, last period */
    int64_t above_since, below_since;
    int64_t last_action;    /* -1: none yet */
    int decide_pending;
    evq_handle decide_ev;
} pool;

/* Held at 2^62 ticks (146,000 years), as fifo.c's: llround past 2^63 is
 * unspecified, and an arrival plus a service must not overflow. */
static int64_t ticks(double s)
{
    if (!(s > 0))
        return 0;
    double x = s * TICKS;
    return x >= 0x1p62 ? INT64_C(1) << 62 : (int64_t)llround(x);
}

static int64_t running(const pool *P)
{
    return P->starting + P->ready + P->draining;
}

/* ---- integrals ---------------------------------------------------------- */

static int64_t slice_end(const pool *P, int i)
{
    return (int64_t)((i + 1) * P->H / SIM_POOL_TIMELINE);
}

/* Integrates the counts, constant since the last event, up to `to`. */
static void advance(pool *P, int64_t to)
{
    double dt = (double)(to - P->now), run = (double)running(P);
    P->acc_inst += run * dt;
    P->acc_busy += (double)P->busy * dt;
    P->m_load += (double)(P->busy + (int64_t)P->qlen) * dt;
    P->m_cap += (double)(P->slots * P->ready + P->busy_draining) * dt;
    while (P->slice < SIM_POOL_TIMELINE && slice_end(P, P->slice) <= to) {
        int64_t end = slice_end(P, P->slice);
        int64_t start = P->slice ? slice_end(P, P->slice - 1) : 0;
        P->slice_acc += run * (double)(end - P->slice_from);
        /* A slice shorter than a tick (H < 1024 us) reads the count. */
        P->st->timeline[P->slice] =
            end > start ? P->slice_acc / (double)(end - start) : run;
        P->slice++;
        P->slice_acc = 0;
        P->slice_from = end;
    }
    if (P->slice < SIM_POOL_TIMELINE) {
        P->slice_acc += run * (double)(to - P->slice_from);
        P->slice_from = to;
    }
    P->now = to;
}

static void note_peak(pool *P)
{
    if (running(P) > P->st->instances_peak)
        P->st->instances_peak = running(P);
}

/* ---- waits -------------------------------------------------------------- */

/* Bin 0 holds zero waits; bins 1..511 are geometric, 510 bins over nine
 * decades from 1 ms (ratio 10^(9/510), about 4.1 %), bin 1 also taking
 * waits under 1 ms and bin 511 everything from 10^6 s. */
static double wait_bin_lo(int i)
{
    if (i <= 0)
        return 0;
    return 1e-3 * pow(10, 9.0 * (i - 1) / (SIM_POOL_WAIT_BINS - 2));
}

int sim__pool_wait_bin(int64_t w)
{
    if (w <= 0)
        return 0;
    double x = log10((double)w / TICKS / 1e-3) * (SIM_POOL_WAIT_BINS - 2) / 9;
    if (x < 0)
        return 1;
    if (x >= SIM_POOL_WAIT_BINS - 2)
        return SIM_POOL_WAIT_BINS - 1;
    return 1 + (int)x;
}

double sim_pool_wait_quantile(const sim_pool_stats *st, double p)
{
    uint64_t n = 0;
    for (int i = 0; i < SIM_POOL_WAIT_BINS; i++)
        n += st->wait_hist[i];
    if (n == 0)
        return 0;
    if (p < 0)
        p = 0;
    if (p > 1)
        p = 1;
    /* The rank p n falls in some bin; within it waits are taken as spread
     * evenly between the bin's edges. */
    double rank = p * (double)n, below = 0;
    for (int i = 0; i < SIM_POOL_WAIT_BINS; i++) {
        double c = (double)st->wait_hist[i];
        if (c > 0 && rank <= below + c) {
            if (i == 0)
                return 0;
            if (i == SIM_POOL_WAIT_BINS - 1)
                return wait_bin_lo(i);
            double f = (rank - below) / c, lo = wait_bin_lo(i);
            return lo + f * (wait_bin_lo(i + 1) - lo);
        }
        below += c;
    }
    return wait_bin_lo(SIM_POOL_WAIT_BINS - 1);
}

/* ---- the heap of READY instances: least busy first, then lowest number */

static int inst_less(const pool *P, int64_t a, int64_t b)
{
    if (P->in[a].busy != P->in[b].busy)
        return P->in[a].busy < P->in[b].busy;
    return a < b;
}

static void heap_set(pool *P, size_t i, int64_t k)
{
    P->heap[i] = k;
    P->in[k].hpos = i;
}

/* Restores heap order around position i after its key changed. */
static void heap_fix(pool *P, size_t i)
{
    int64_t k = P->heap[i];
    while (i > 0 && inst_less(P, k, P->heap[(i - 1) / 2])) {
        heap_set(P, i, P->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= P->nheap)
            break;
        if (c + 1 < P->nheap && inst_less(P, P->heap[c + 1], P->heap[c]))
            c++;
        if (!inst_less(P, P->heap[c], k))
            break;
        heap_set(P, i, P->heap[c]);
        i = c;
    }
    heap_set(P, i, k);
}

static void heap_push(pool *P, int64_t k)
{
    heap_set(P, P->nheap++, k);
    heap_fix(P, P->nheap - 1);
}

static void heap_remove(pool *P, int64_t k)
{
    size_t i = P->in[k].hpos;
    int64_t last = P->heap[--P->nheap];
    if (i < P->nheap) {
        heap_set(P, i, last);
        heap_fix(P, i);
    }
}

/* ---- instances ---------------------------------------------------------- */

/* A run of instance k as the provider bills it: whole granules, at least
 * the minimum, and none past the instance's cap for the horizon. */
static void bill(pool *P, int64_t k, int64_t run)
{
    inst *I = &P->in[k];
    if (P->gran > 0)
        run = (run + P->gran - 1) / P->gran * P->gran;
    if (run < P->minimum)
        run = P->minimum;
    if (P->bill_cap > 0 && run > P->bill_cap - I->billed)
        run = P->bill_cap > I->billed ? P->bill_cap - I->billed : 0;
    I->billed += run;
    P->acc_billed += (double)run;
}

static void stop(pool *P, int64_t k)
{
    inst *I = &P->in[k];
    if (I->state == STARTING)
        P->starting--;
    else if (I->state == READY) {
        P->ready--;
        heap_remove(P, k);
    } else
        P->draining--;
    bill(P, k, P->now - I->started);
    I->state = OFF;
}

static int start_service(pool *P, int64_t k, int64_t service, int64_t wait)
{
    int rc = evq_schedule(&P->q, P->now + service, EV_DEPART, EV_DEPART,
                          (uint64_t)k, NULL);
    if (rc != SIM_OK)
        return rc;
    P->in[k].busy++;
    P->busy++;
    heap_fix(P, P->in[k].hpos);
    P->st->served++;
    P->st->wait_hist[sim__pool_wait_bin(wait)]++;
    P->acc_wait += (double)wait;
    return SIM_OK;
}

/* Moves queued messages onto free slots, least loaded instance first. */
static int drain_queue(pool *P)
{
    while (P->qlen > 0 && P->nheap > 0 &&
           P->in[P->heap[0]].busy < P->slots) {
        qmsg m = P->fifo[P->qhead];
        P->qhead = (P->qhead + 1) % P->qcap;
        P->qlen--;
        int rc = start_service(P, P->heap[0], m.service, P->now - m.arrival);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

static int enqueue(pool *P, int64_t service)
{
    if (P->qlen == P->qcap) {
        size_t cap = P->qcap ? 2 * P->qcap : 64;
        qmsg *v = sim_alloc(cap * sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        for (size_t i = 0; i < P->qlen; i++)
            v[i] = P->fifo[(P->qhead + i) % P->qcap];
        sim_free(P->fifo);
        P->fifo = v;
        P->qcap = cap;
        P->qhead = 0;
    }
    P->fifo[(P->qhead + P->qlen) % P->qcap] = (qmsg){P->now, service};
    P->qlen++;
    P->st->queued++;
    return SIM_OK;
}

/* ---- arrivals and departures -------------------------------------------- */

/* Pulls the next message and schedules its arrival, unless the source is
 * done or the message falls after the horizon. */
static int pull(pool *P)
{
    sim_msg m;
    if (!P->next(P->ctx, &m))
        return SIM_OK;
    int64_t t = ticks(m.t);
    if (t > P->H)
        return SIM_OK;
    if (t < P->now)         /* a source out of order cannot go back */
        t = P->now;
    P->pend_service = ticks(m.busy);
    return evq_schedule(&P->q, t, EV_ARRIVE, EV_ARRIVE, 0, NULL);
}

static int on_arrival(pool *P)
{
    int64_t service = P->pend_service;
    int rc = SIM_OK;
    P->st->messages++;
    if (P->nheap > 0 && P->in[P->heap[0]].busy < P->slots)
        rc = start_service(P, P->heap[0], service, 0);
    else if (P->p->queue_limit < 0 ||
             (int64_t)P->qlen < P->p->queue_limit)
        rc = enqueue(P, service);
    else
        P->st->refused++;
    return rc != SIM_OK ? rc : pull(P);
}

static int on_departure(pool *P, int64_t k)
{
    inst *I = &P->in[k];
    I->busy--;
    P->busy--;
    if (I->state == DRAINING) {
        P->busy_draining--;
        if (I->busy == 0)
            stop(P, k);
        return SIM_OK;
    }
    heap_fix(P, I->hpos);
    return drain_queue(P);
}

static int on_ready(pool *P, int64_t k)
{
    P->in[k].state = READY;
    P->starting--;
    P->ready++;
    heap_push(P, k);
    return drain_queue(P);
}

/* ---- autoscaling -------------------------------------------------------- */

static int scale_out(pool *P, int64_t n)
{
    /* Draining instances are running already: taking them back costs
     * nothing and is ready at once, so they go first, lowest number
     * first; new instances take the lowest free numbers.  Scanning the
     * table is O(instances), paid at most once per cooldown. */
    for (int64_t k = 0; k < P->ninst && n > 0; k++)
        if (P->in[k].state == DRAINING) {
            P->in[k].state = READY;
            P->draining--;
            P->busy_draining -= P->in[k].busy;
            P->ready++;
            heap_push(P, k);
            n--;
        }
    for (int64_t k = 0; k < P->ninst && n > 0; k++)
        if (P->in[k].state == OFF) {
            inst *I = &P->in[k];
            int rc = evq_lane_schedule(&P->q, P->lane_ready, P->now + P->prov,
                                       EV_READY, EV_READY, (uint64_t)k,
                                       &I->ready_ev);
            if (rc != SIM_OK)
                return rc;
            I->state = STARTING;
            I->started = P->now;
            I->busy = 0;
            P->starting++;
            n--;
        }
    note_peak(P);
    return drain_queue(P);
}

/* Scale-in victims, in order: instances still starting (newest first,
 * they serve nobody yet), then idle ones, then the least busy, which
 * finish soonest; ties go to the highest number, keeping low numbers
 * up as placement prefers them. */
static int victim_rank(const pool *P, int64_t k)
{
    const inst *I = &P->in[k];
    return I->state == STARTING ? 0 : I->busy == 0 ? 1 : 2;
}

static int victim_before(const pool *P, int64_t x, int64_t y)
{
    const inst *X = &P->in[x], *Y = &P->in[y];
    int rx = victim_rank(P, x), ry = victim_rank(P, y);
    if (rx != ry)
        return rx < ry;
    if (rx == 0 && X->started != Y->started)
        return X->started > Y->started;
    if (rx == 2 && X->busy != Y->busy)
        return X->busy < Y->busy;
    return x > y;
}

/* Heapsort of v[0..n) into victim order: qsort's comparator could only
 * reach the pool through a global. */
static void sift_victims(const pool *P, int64_t *v, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && victim_before(P, v[c], v[c + 1]))
            c++;
        if (!victim_before(P, v[i], v[c]))
            return;
        int64_t t = v[i];
        v[i] = v[c];
        v[c] = t;
        i = c;
    }
}

static void sort_victims(const pool *P, int64_t *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_victims(P, v, i, n);
    for (size_t m = n; m-- > 1;) {
        int64_t t = v[0];
        v[0] = v[m];
        v[m] = t;
        sift_victims(P, v, 0, m);
    }
}

static void scale_in(pool *P, int64_t n)
{
    size_t nv = 0;
    for (int64_t k = 0; k < P->ninst; k++)
        if (P->in[k].state == STARTING || P->in[k].state == READY)
            P->scratch[nv++] = k;
    sort_victims(P, P->scratch, nv);
    for (size_t j = 0; j < nv && n > 0; j++, n--) {
        int64_t k = P->scratch[j];
        inst *I = &P->in[k];
        if (I->state == STARTING) {
            evq_cancel(&P->q, I->ready_ev);
            stop(P, k);
        } else if (I->busy == 0)
            stop(P, k);
        else {
            heap_remove(P, k);
            I->state = DRAINING;
            P->ready--;
            P->draining++;
            P->busy_draining += I->busy;
        }
    }
}

/* The instances the last period's load asks for: ready x metric / target
 * is the mean number of slots busy or queued over slots x target.  The
 * 1e-9 keeps a load that is exactly a whole number of instances from
 * asking for one more through rounding. */
static int64_t desired(const pool *P)
{
    const sim_pool_params *p = P->p;
    double want = p->target > 0
                      ? ceil(P->load_avg / ((double)P->slots * p->target) -
                             1e-9)
                      : (double)p->max;
    int64_t lo = p->min > 0 ? p->min : 0, hi = p->max > lo ? p->max : lo;
    if (want < (double)lo)
        return lo;
    if (want > (double)hi)
        return hi;
    return (int64_t)want;
}

static int decide(pool *P)
{
    int64_t active = P->starting + P->ready, want = desired(P);
    int dir = 0;
    if (P->above_since >= 0 && P->now - P->above_since >= P->out_after &&
        want > active)
        dir = 1;
    else if (P->below_since >= 0 &&
             P->now - P->below_since >= P->in_after && want < active)
        dir = -1;
    if (dir == 0)
        return SIM_OK;
    if (P->last_action >= 0 && P->now < P->last_action + P->cooldown) {
        /* Act the moment the cooldown ends, not at the next metric. */
        if (P->decide_pending)
            return SIM_OK;
        P->decide_pending = 1;
        return evq_schedule(&P->q, P->last_action + P->cooldown, EV_DECIDE,
                            EV_DECIDE, 0, &P->decide_ev);
    }
    if (P->decide_pending) {
        evq_cancel(&P->q, P->decide_ev);
        P->decide_pending = 0;
    }
    P->last_action = P->now;
    if (dir > 0) {
        P->st->scale_outs++;
        return scale_out(P, want - active);
    }
    P->st->scale_ins++;
    scale_in(P, active - want);
    return SIM_OK;
}

/* The end of a metric period: utilisation is the slots busy or queued
 * over the slots that could take a message (ready instances', plus the
 * busy ones of draining instances), both averaged over the period.  With
 * no such slots any load counts as infinitely above target and none as
 * zero. */
static int on_metric(pool *P)
{
    int64_t len = P->now - P->m_from;
    double metric = P->m_cap > 0 ? P->m_load / P->m_cap
                    : P->m_load > 0 ? INFINITY : 0;
    P->load_avg = len > 0 ? P->m_load / (double)len : 0;
    if (metric > P->p->target) {
        if (P->above_since < 0)
            P->above_since = P->m_from;
    } else
        P->above_since = -1;
    if (metric < P->p->target) {
        if (P->below_since < 0)
            P->below_since = P->m_from;
    } else
        P->below_since = -1;
    P->m_load = P->m_cap = 0;
    P->m_from = P->now;
    if (P->now + P->period <= P->H) {
        int rc = evq_lane_schedule(&P->q, P->lane_metric, P->now + P->period,
                                   EV_METRIC, EV_METRIC, 0, NULL);
        if (rc != SIM_OK)
            return rc;
    }
    return decide(P);
}

/* ---- the run ------------------------------------------------------------ */

static int dispatch(pool *P, const evq_event *ev)
{
    switch (ev->kind) {
    case EV_DEPART:
        return on_departure(P, (int64_t)ev->payload);
    case EV_READY:
        return on_ready(P, (int64_t)ev->payload);
    case EV_ARRIVE:
        return on_arrival(P);
    case EV_METRIC:
        return on_metric(P);
    case EV_DECIDE:
        P->decide_pending = 0;
        return decide(P);
    }
    return SIM_OK;
}

/* Converts the parameters to ticks and allocates the tables; the caller
 * validated the values, so this only keeps them from dividing by zero
 * or looping (a metric period below one tick becomes one tick). */
static int setup(pool *P, const sim_pool_params *p)
{
    int64_t n0 = p->instances > 0 ? p->instances : 0;
    P->p = p;
    P->slots = p->slots > 1 ? p->slots : 1;
    P->H = ticks(p->horizon);
    P->prov = ticks(p->provision_s);
    P->period = ticks(p->metric_period) > 0 ? ticks(p->metric_period) : 1;
    P->out_after = ticks(p->scale_out_after);
    P->in_after = ticks(p->scale_in_after);
    P->cooldown = ticks(p->cooldown);
    P->gran = ticks(p->granularity);
    P->bill_cap = ticks(p->bill_cap);
    P->minimum = ticks(p->minimum);
    P->above_since = P->below_since = P->last_action = -1;
    if (p->autoscale && p->min > n0)
        n0 = p->min;
    P->ninst = n0;
    if (p->autoscale && p->max > P->ninst)
        P->ninst = p->max;
    size_t n = P->ninst > 0 ? (size_t)P->ninst : 1;
    P->in = sim_calloc(n, sizeof *P->in);
    P->heap = sim_alloc(n * sizeof *P->heap);
    P->scratch = sim_alloc(n * sizeof *P->scratch);
    if (!P->in || !P->heap || !P->scratch)
        return SIM_ENOMEM;
    for (int64_t k = 0; k < n0; k++) {
        P->in[k].state = READY;
        heap_push(P, k);
    }
    P->ready = n0;
    note_peak(P);
    return SIM_OK;
}

int sim_pool_run(const sim_pool_params *p,
                 int (*next)(void *ctx, sim_msg *m), void *ctx,
                 sim_pool_stats *st)
{
    pool P;
    evq_event ev;
    int rc;

    memset(&P, 0, sizeof P);
    memset(st, 0, sizeof *st);
    evq_init(&P.q);
    P.st = st;
    P.next = next;
    P.ctx = ctx;
    if ((rc = setup(&P, p)) != SIM_OK)
        goto fail;
    if ((rc = evq_lane_open(&P.q, &P.lane_ready)) != SIM_OK ||
        (rc = evq_lane_open(&P.q, &P.lane_metric)) != SIM_OK)
        goto fail;
    if (p->autoscale && P.period <= P.H &&
        (rc = evq_lane_schedule(&P.q, P.lane_metric, P.period, EV_METRIC,
                                EV_METRIC, 0, NULL)) != SIM_OK)
        goto fail;
    if ((rc = pull(&P)) != SIM_OK)
        goto fail;
    /* Events at the horizon still run; later ones never do. */
    while (evq_pop(&P.q, &ev) && ev.time <= P.H) {
        advance(&P, ev.time);
        if ((rc = dispatch(&P, &ev)) != SIM_OK)
            goto fail;
    }
    advance(&P, P.H);
    /* Runs still going are cut at the horizon. */
    for (int64_t k = 0; k < P.ninst; k++)
        if (P.in[k].state != OFF)
            bill(&P, k, P.H - P.in[k].started);
    st->instance_s = P.acc_inst / TICKS;
    st->billed_s = P.acc_billed / TICKS;
    st->busy_s = P.acc_busy / TICKS;
    st->wait_s = P.acc_wait / TICKS;
fail:
    evq_fini(&P.q);
    sim_free(P.in);
    sim_free(P.heap);
    sim_free(P.scratch);
    sim_free(P.fifo);
    return rc;
}
