/*
 * des.c -- one pass per sleeping instance.
 */
#include "sim/des.h"

#include <math.h>
#include <string.h>

static void record_wait(sim_inst_stats *st, double w, double c)
{
    int bin = c > 0 ? (int)(w / c * SIM_WAIT_BINS) : 0;
    if (bin >= SIM_WAIT_BINS)
        bin = SIM_WAIT_BINS - 1;
    if (bin < 0)
        bin = 0;
    st->wait_hist[bin]++;
    st->wait_s += w;
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

/* Ends an awake run that began at `wake` and lasted until `end`. */
static void sleep_at(const sim_inst_params *p, sim_inst_stats *st,
                     double wake, double end)
{
    st->awake_s += end - wake;
    st->billed_s += billed(p, end - wake);
    sim_timeline_add(st->awake_tl, p->horizon, wake, end);
}

void sim_instance_run(const sim_inst_params *p,
                      int (*next)(void *ctx, sim_msg *m), void *ctx,
                      sim_inst_stats *st)
{
    const double H = p->horizon, C = p->cold_start;
    const double hold = p->idle_timeout + p->linger;
    const double slice = SIM_TIMELINE / H;
    double wake = 0;            /* when the current awake period began */
    double ready = 0;           /* end of the current cold start */
    double busy_end = 0;        /* last departure of the awake period */
    double use_start = 0, use_end = 0;  /* the current span in use */
    int awake = 0, in_use = 0;
    sim_msg m;

    for (;;) {
        int more = next(ctx, &m);
        double t = more ? m.t : INFINITY;
        /* The idle timer fires before this arrival: the instance slept. */
        if (awake && !p->never_sleeps && busy_end + hold < t &&
            busy_end + hold <= H) {
            sleep_at(p, st, wake, busy_end + hold);
            st->timeouts++;
            awake = 0;
        }
        if (!more || t > H)
            break;
        st->messages++;
        int k = (int)(t * slice);
        st->arrivals_tl[k < SIM_TIMELINE ? k : SIM_TIMELINE - 1] += 1;
        double start;
        if (!awake) {
            awake = 1;
            wake = t;
            ready = t + C;
            st->cold_starts++;
            start = ready;
        } else
            start = t < ready ? ready : t;
        if (start > t)
            record_wait(st, start - t, C);
        double end = start + m.busy;
        if (start < H)
            st->busy_s += (end < H ? end : H) - start;
        if (end <= H)
            st->departures++;
        if (end > busy_end)
            busy_end = end;
        /* Arrivals come in time order, so the spans in use are merged as
         * they come: a span closes when an arrival finds it over. */
        if (in_use && t > use_end) {
            st->used_s += (use_end < H ? use_end : H) - use_start;
            in_use = 0;
        }
        if (!in_use) {
            in_use = 1;
            use_start = t;
            use_end = t;
        }
        if (end + p->linger > use_end)
            use_end = end + p->linger;
        if (busy_end < ready)
            busy_end = ready;
    }
    if (awake)
        sleep_at(p, st, wake, H);
    if (in_use)
        st->used_s += (use_end < H ? use_end : H) - use_start;
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
