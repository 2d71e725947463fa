/*
 * des.c -- one pass per sleeping instance.
 */
#include "sim/des.h"

#include <math.h>
#include <string.h>

static void record_wait(sim_inst *s, sim_inst_stats *st, double w,
                        double c)
{
    int bin = c > 0 ? (int)(w / c * SIM_WAIT_BINS) : 0;
    if (bin >= SIM_WAIT_BINS)
        bin = SIM_WAIT_BINS - 1;
    if (bin < 0)
        bin = 0;
    st->wait_hist[bin]++;
    s->wait_s += w;
    st->waited++;
}

/* An awake run as the provider bills it: rounded up to its granularity,
 * and never below its minimum. */
static double billed(const sim_inst_params *p, double run)
{
    if (p->granularity > 0)
        run = ceil(run / p->granularity - 1e-9) * p->granularity;
    return run < p->minimum ? p->minimum : run;
}

void sim_timeline_add(double *tl, double H, double a, double b)
{
    double w = H / SIM_TIMELINE;
    if (b > H)
        b = H;
    if (a < 0)
        a = 0;
    if (b <= a)
        return;
    int i = (int)(a / w), j = (int)(b / w);
    if (i >= SIM_TIMELINE)
        i = SIM_TIMELINE - 1;
    if (j >= SIM_TIMELINE)
        j = SIM_TIMELINE - 1;
    if (i == j) {
        tl[i] += b - a;
        return;
    }
    tl[i] += (i + 1) * w - a;
    for (int k = i + 1; k < j; k++)
        tl[k] += w;
    tl[j] += b - j * w;
}

/* Units in a second: 2^SIM_TL_BITS, exactly, so scaling by it only moves
 * the exponent. */
#define TL_UNITS ((double)((uint64_t)1 << SIM_TL_BITS))

/* x seconds (0 <= x <= 2^22) in units of 2^-SIM_TL_BITS s, rounded. */
static uint64_t tl_units(double x)
{
    if (!(x > 0))
        return 0;
    if (x > 4194304.0)
        x = 4194304.0;
    /* At most 2^62 units, so the signed conversion (one instruction)
     * gives what the unsigned one (a test and a branch) would. */
    return (uint64_t)(int64_t)(x * TL_UNITS + 0.5);
}

/* sim_timeline_add's slices, each term rounded to whole units before it
 * is added, so that the sums do not depend on the order of the terms. */
static void timeline_add_q(sim_tl_sum *q, double H, double a, double b)
{
    double w = H / SIM_TIMELINE;
    if (b > H)
        b = H;
    if (a < 0)
        a = 0;
    if (b <= a)
        return;
    int i = (int)(a / w), j = (int)(b / w);
    if (i >= SIM_TIMELINE)
        i = SIM_TIMELINE - 1;
    if (j >= SIM_TIMELINE)
        j = SIM_TIMELINE - 1;
    if (i == j) {
        q[i] += tl_units(b - a);
        return;
    }
    q[i] += tl_units((i + 1) * w - a);
    uint64_t whole = tl_units(w);
    for (int k = i + 1; k < j; k++)
        q[k] += whole;
    q[j] += tl_units(b - j * w);
}

void sim_inst_timeline(const sim_inst_stats *st, double *tl)
{
    for (int i = 0; i < SIM_TIMELINE; i++)
        tl[i] = (double)st->awake_q[i] / TL_UNITS;
}

/* Ends an awake run that began at `wake` and lasted until `end`. */
static void sleep_at(const sim_inst_params *p, sim_inst *s,
                     sim_inst_stats *st, double end)
{
    s->awake_s += end - s->wake;
    s->billed_s += billed(p, end - s->wake);
    timeline_add_q(st->awake_q, p->horizon, s->wake, end);
}

void sim_inst_begin(sim_inst *s)
{
    memset(s, 0, sizeof *s);
}

/* The idle timer fires before an arrival at t: the instance slept. */
static inline void timer(const sim_inst_params *p, sim_inst *s,
                         sim_inst_stats *st, double t)
{
    double off = s->busy_end + (p->idle_timeout + p->linger);
    if (s->awake && !p->never_sleeps && off < t && off <= p->horizon) {
        sleep_at(p, s, st, off);
        st->timeouts++;
        s->awake = 0;
    }
}

static inline void step(const sim_inst_params *p, sim_inst *s,
                        const sim_msg *m, sim_inst_stats *st)
{
    const double H = p->horizon, t = m->t;
    timer(p, s, st, t);
    if (t > H)
        return;
    st->messages++;
    int k = (int)(t * (SIM_TIMELINE / H));
    st->arrivals_tl[k < SIM_TIMELINE ? k : SIM_TIMELINE - 1] += 1;
    double start;
    if (!s->awake) {
        s->awake = 1;
        s->wake = t;
        s->ready = t + p->cold_start;
        st->cold_starts++;
        start = s->ready;
    } else
        start = t < s->ready ? s->ready : t;
    if (start > t)
        record_wait(s, st, start - t, p->cold_start);
    double end = start + m->busy;
    if (start < H)
        s->busy_s += (end < H ? end : H) - start;
    if (end <= H)
        st->departures++;
    if (end > s->busy_end)
        s->busy_end = end;
    /* Arrivals come in time order, so the spans in use are merged as
     * they come: a span closes when an arrival finds it over. */
    if (s->in_use && t > s->use_end) {
        s->used_s += (s->use_end < H ? s->use_end : H) - s->use_start;
        s->in_use = 0;
    }
    if (!s->in_use) {
        s->in_use = 1;
        s->use_start = t;
        s->use_end = t;
    }
    if (end + p->linger > s->use_end)
        s->use_end = end + p->linger;
    if (s->busy_end < s->ready)
        s->busy_end = s->ready;
}

void sim_inst_step(const sim_inst_params *p, sim_inst *s, const sim_msg *m,
                   sim_inst_stats *st)
{
    step(p, s, m, st);
}

void sim_inst_end(const sim_inst_params *p, sim_inst *s, sim_inst_stats *st)
{
    const double H = p->horizon;
    timer(p, s, st, INFINITY);
    if (s->awake) {
        sleep_at(p, s, st, H);
        s->awake = 0;
    }
    if (s->in_use) {
        s->used_s += (s->use_end < H ? s->use_end : H) - s->use_start;
        s->in_use = 0;
    }
    st->awake_s += s->awake_s;
    st->billed_s += s->billed_s;
    st->busy_s += s->busy_s;
    st->used_s += s->used_s;
    st->wait_s += s->wait_s;
}

void sim_instance_run(const sim_inst_params *p,
                      int (*next)(void *ctx, sim_msg *m), void *ctx,
                      sim_inst_stats *st, sim_inst *out)
{
    sim_inst s;
    sim_msg m;
    sim_inst_begin(&s);
    /* Messages after H change nothing once the timer has been tried. */
    while (next(ctx, &m)) {
        step(p, &s, &m, st);
        if (m.t > p->horizon)
            break;
    }
    sim_inst_end(p, &s, st);
    if (out)
        *out = s;
}

double sim_wait_quantile(const sim_inst_stats *st, double cold_start,
                         double p)
{
    if (st->waited == 0)
        return 0;
    uint64_t target = (uint64_t)ceil(p * (double)st->waited);
    uint64_t acc = 0;
    for (int i = 0; i < SIM_WAIT_BINS; i++) {
        acc += st->wait_hist[i];
        if (acc >= target && target > 0)
            return cold_start * (i + 1) / SIM_WAIT_BINS;
    }
    return cold_start;
}
