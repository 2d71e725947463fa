/*
 * agents.c -- per-agent scale-to-zero at 10^3 to 10^6 agents: how fast the
 * engine runs and how much memory each agent costs.
 *
 * usage: agents [-m messages_per_agent_month] [-s seed] [N ...]
 *
 * Every agent is its own instance (a container per agent) with Poisson
 * messages, lognormal service times (median 12 s, sigma 1), a 10-minute
 * idle timeout and a 2 s cold start, over a 730-hour month; the workload
 * streams and the sleeping-instance engine are the ones `capsim run`
 * uses.  For each N it prints messages, logical events (arrivals, cold
 * starts with their ends, departures and fired timeouts, counted as csb1
 * counts them), events per second, ns per event, and bytes per agent: the
 * growth of the resident set over the run divided by N (the engine keeps no per-agent state between instances, so
 * this stays near zero; the working set of one instance is printed too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/des.h"
#include "base/alloc.h"
#include "sim/usage.h"

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

static long rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    double per_month = 100;
    unsigned long long seed = 1;
    long sizes[16];
    int nsizes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            per_month = atof(argv[++i]);
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (nsizes < 16)
            sizes[nsizes++] = atol(argv[i]);
    }
    if (nsizes == 0) {
        long dflt[] = {1000, 10000, 100000, 1000000};
        memcpy(sizes, dflt, sizeof dflt);
        nsizes = 4;
    }
    scn_dist busy;
    memset(&busy, 0, sizeof busy);
    busy.kind = SCN_DIST_LOGNORMAL;
    busy.median_s = sim_fx_from_int(12);
    busy.sigma = SIM_FX_ONE;
    double H = SIM_MONTH_SECONDS;
    sim_inst_params p = {H, 2, 600, 0, 0, 0, 0};
    sim_inst_stats *st = sim_calloc(1, sizeof *st);
    if (!st)
        return 1;

    /* Warm the allocator and the code first, so the first row's resident
     * growth is the engine's and not the process's start-up. */
    {
        sim_class c;
        memset(&c, 0, sizeof c);
        c.tenants = 1000;
        c.agents_per_tenant = 1;
        c.kind = SIM_ARR_POISSON;
        c.rate = per_month / SIM_MONTH_SECONDS;
        c.busy = &busy;
        sim_workload_model m = {&c, 1, 1000, H, seed};
        for (uint64_t i = 0; i < 1000; i++) {
            sim_source *src;
            if (sim_source_open(&m, 0, i, 1, &src) != SIM_OK)
                return 1;
            sim_instance_run(&p, next_msg, src, st, NULL);
            sim_source_close(src);
        }
    }
    printf("messages_per_agent_month %g, horizon 730 h, seed %llu\n",
           per_month, seed);
    printf("%10s %12s %12s %10s %12s %8s %14s\n", "agents", "messages",
           "events", "seconds", "events/s", "ns/ev", "bytes/agent");
    for (int k = 0; k < nsizes; k++) {
        long n = sizes[k];
        sim_class c;
        memset(&c, 0, sizeof c);
        c.tenants = n;
        c.agents_per_tenant = 1;
        c.kind = SIM_ARR_POISSON;
        c.rate = per_month / SIM_MONTH_SECONDS;
        c.busy = &busy;
        sim_workload_model m = {&c, 1, (uint64_t)n, H, seed};
        memset(st, 0, sizeof *st);
        long rss0 = rss_kb();
        double t0 = now();
        for (long i = 0; i < n; i++) {
            sim_source *src;
            if (sim_source_open(&m, 0, (uint64_t)i, 1, &src) != SIM_OK)
                return 1;
            sim_instance_run(&p, next_msg, src, st, NULL);
            sim_source_close(src);
        }
        double dt = now() - t0;
        long rss1 = rss_kb();
        double events = (double)st->messages + (double)st->departures +
                        (double)st->cold_starts +
                        (double)st->timeouts;
        printf("%10ld %12llu %12.0f %10.3f %12.0f %8.1f %14.2f\n", n,
               (unsigned long long)st->messages, events, dt, events / dt,
               dt / events * 1e9, (double)(rss1 - rss0) * 1024.0 / n);
    }
    printf("engine state per running instance: %zu bytes of counters, "
           "shared by all instances\n", sizeof *st);
    sim_free(st);
    return 0;
}
