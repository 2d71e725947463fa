/*
 * des.c -- one pass per sleeping instance.
 */
#include "sim/des.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

double sim_draw_busy(const scn_dist *d, sim_rng *svc, gsl_rng *g)
{
    switch (d->kind) {
    case SCN_DIST_FIXED:
        return sim_fx_to_double(d->mean_s);
    case SCN_DIST_EXPONENTIAL:
        return -log(sim_rng_uniform(svc)) * sim_fx_to_double(d->mean_s);
    case SCN_DIST_LOGNORMAL: {
        /* Box-Muller from two draws, as the CSB-1 recipe does. */
        double u1 = sim_rng_uniform(svc), u2 = sim_rng_uniform(svc);
        double z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        return exp(log(sim_fx_to_double(d->median_s)) +
                   sim_fx_to_double(d->sigma) * z);
    }
    case SCN_DIST_GAMMA: {
        double k = sim_fx_to_double(d->shape);
        return gsl_ran_gamma(g, k, sim_fx_to_double(d->mean_s) / k);
    }
    case SCN_DIST_EMPIRICAL:
        break;
    }
    return sim_fx_to_double(d->mean_s);
}

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

void sim_instance_run(const sim_inst_params *p, sim_rng *arr, sim_rng *svc,
                      sim_inst_stats *st)
{
    const double H = p->horizon, C = p->cold_start;
    const double hold = p->idle_timeout + p->linger;
    double t = 0;
    double wake = 0;            /* when the current awake period began */
    double ready = 0;           /* end of the current cold start */
    double busy_end = 0;        /* last departure of the awake period */
    int awake = 0;

    if (p->rate <= 0)
        return;
    if (p->gsl)
        p->gsl->state = svc;    /* gamma draws come from the same stream */
    for (;;) {
        t += -log(sim_rng_uniform(arr)) / p->rate;
        /* The idle timer fires before this arrival: the instance slept. */
        if (awake && !p->never_sleeps && busy_end + hold < t &&
            busy_end + hold <= H) {
            st->awake_s += busy_end + hold - wake;
            st->billed_s += billed(p, busy_end + hold - wake);
            st->timeouts++;
            awake = 0;
        }
        if (t > H)
            break;
        st->messages++;
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
        double s = sim_draw_busy(p->busy, svc, p->gsl);
        double end = start + s;
        if (start < H)
            st->busy_s += (end < H ? end : H) - start;
        if (end <= H)
            st->departures++;
        if (end > busy_end)
            busy_end = end;
        if (busy_end < ready)
            busy_end = ready;
    }
    if (awake) {
        st->awake_s += H - wake;
        st->billed_s += billed(p, H - wake);
    }
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
