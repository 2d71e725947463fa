/*
 * csb1.c -- the CSB-1 cold-start benchmark (shared model of scale-to-zero
 * containers; see docs/performance.md) run on capsim's instance engine.
 *
 * usage: csb1 [-n N] [-H seconds] [-s seed] [-r repeats]
 * Prints messages, cold starts, timeouts and awake seconds (%.17g), then
 * events per second and nanoseconds per logical event.  Logical events
 * are counted as an event-queue engine would execute them: arrivals,
 * cold-start ends, departures and fired timeouts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/des.h"
#include "base/alloc.h"

static int next_msg(void *ctx, sim_msg *m)
{
    return sim_source_next(ctx, m);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long n = 1000, repeats = 1;
    double horizon = 2592000;
    unsigned long long seed = 42;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-n") == 0)
            n = atol(argv[i + 1]);
        else if (strcmp(argv[i], "-H") == 0)
            horizon = atof(argv[i + 1]);
        else if (strcmp(argv[i], "-s") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-r") == 0)
            repeats = atol(argv[i + 1]);
    }
    scn_dist busy;
    memset(&busy, 0, sizeof busy);
    busy.kind = SCN_DIST_LOGNORMAL;
    busy.median_s = sim_fx_from_int(12);
    busy.sigma = SIM_FX_ONE;
    sim_class c;
    memset(&c, 0, sizeof c);
    c.tenants = n;
    c.agents_per_tenant = 1;
    c.kind = SIM_ARR_POISSON;
    c.rate = 1.0 / 600;
    c.busy = &busy;
    sim_workload_model m = {&c, 1, (uint64_t)n, horizon, seed};
    sim_inst_params p = {horizon, 5, 300, 0, 0, 0, 0};
    sim_inst_stats *stp = sim_calloc(1, sizeof *stp);
    if (!stp)
        return 1;
    sim_inst_stats st;
    double best = 1e30;
    for (long r = 0; r < repeats; r++) {
        memset(stp, 0, sizeof *stp);
        double t0 = now();
        for (long i = 0; i < n; i++) {
            sim_source *src;
            if (sim_source_open(&m, 0, (uint64_t)i, 1, &src) != SIM_OK)
                return 1;
            sim_instance_run(&p, next_msg, src, stp, NULL);
            sim_source_close(src);
        }
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    st = *stp;
    sim_free(stp);
    /* Cold-start ends are counted with the cold starts (one that would
     * end after H is off by at most one per container). */
    double events = (double)st.messages + (double)st.departures +
                    (double)st.cold_starts + (double)st.timeouts;
    printf("messages %llu\ncold_starts %llu\ntimeouts %llu\nawake_s %.17g\n",
           (unsigned long long)st.messages,
           (unsigned long long)st.cold_starts,
           (unsigned long long)st.timeouts, st.awake_s);
    printf("awake_fraction %.6f\ncold_starts_per_container_hour %.5f\n",
           st.awake_s / (n * horizon), st.cold_starts / (n * horizon / 3600));
    printf("seconds %.3f\nlogical_events %.0f\nevents_per_s %.0f\n"
           "ns_per_event %.1f\n", best, events, events / best,
           best / events * 1e9);
    return 0;
}
