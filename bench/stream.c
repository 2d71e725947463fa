/*
 * stream.c -- what a replication pays before any deployment runs: the
 * merged message stream of many agents, drawn and put in time order.
 *
 * usage: streambench [-n agents] [-m messages_per_agent_month]
 *                    [-r repeats] [-s seed]
 *
 * The workload of the planning question (docs/performance.md): n agents
 * (default 100,000) with Poisson messages at m an agent-month (default
 * 300) and lognormal service times (median 12 s, sigma 1) over a
 * 730-hour month, replication 0.  Three passes, each best of `repeats`
 * (default 3):
 *
 *   draws   every agent's stream alone, one after another: the random
 *           numbers and the recipe's logarithms, cosine and exponential,
 *           nothing merged;
 *   merged  one stream of every agent in time order, as the pools read it
 *           (windows of about one message per agent, each radix-sorted);
 *   tapped  the same with a tap that reads each window before it is
 *           sorted, as the per-agent sleepers ride on the pools' pass
 *           (the windows then hold about four messages per agent).
 *
 * For each it prints messages, seconds and ns per message.  The merged
 * streams must come in time order and hold as many messages as the
 * draws; the tap must see each agent's messages as the draws do (for
 * each agent, the same sums of arrival and service times, added in the
 * agent's own time order); otherwise it says so and fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "sim/usage.h"
#include "sim/workload.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Per-agent sums of arrival and service times: every pass must fill the
 * same ones, whatever order it meets the agents in. */
typedef struct tally {
    double *t, *busy;
    uint64_t messages;
} tally;

static void tally_msg(tally *y, const sim_msg *m)
{
    y->t[m->agent] += m->t;
    y->busy[m->agent] += m->busy;
    y->messages++;
}

static void on_window(void *ctx, const sim_msg *v, size_t n)
{
    tally *y = ctx;
    for (size_t i = 0; i < n; i++)
        tally_msg(y, &v[i]);
}

/* 0 when y and x hold the same figures. */
static int differ(const tally *y, const tally *x, uint64_t n)
{
    if (y->messages != x->messages)
        return 1;
    for (uint64_t i = 0; i < n; i++)
        if (y->t[i] != x->t[i] || y->busy[i] != x->busy[i])
            return 1;
    return 0;
}

enum { DRAWS, MERGED, TAPPED, PASSES };

/* One pass of kind `k` into y; the seconds it took, or -1 on failure. */
static double pass(int k, const sim_workload_model *m, uint64_t n, tally *y)
{
    memset(y->t, 0, n * sizeof *y->t);
    memset(y->busy, 0, n * sizeof *y->busy);
    y->messages = 0;
    sim_msg msg;
    double t0 = now();
    if (k == DRAWS) {
        for (uint64_t i = 0; i < n; i++) {
            sim_source *s;
            if (sim_source_open(m, 0, i, 1, &s) != SIM_OK)
                return -1;
            while (sim_source_next(s, &msg))
                tally_msg(y, &msg);
            sim_source_close(s);
        }
        return now() - t0;
    }
    sim_source *s;
    if (sim_source_open(m, 0, 0, n, &s) != SIM_OK)
        return -1;
    /* Both pull the stream as the pools read it, checking its order and
     * summing its times so that the pull is not optimized away; the
     * tapped pass tallies each agent in the tap, the merged one only
     * counts (a tally in time order would scatter over the agents and
     * time that instead). */
    double pulled = 0, last = -1;
    int disorder = 0;
    if (k == TAPPED)
        sim_source_tap(s, on_window, y);
    while (sim_source_next(s, &msg)) {
        disorder |= msg.t < last;
        last = msg.t;
        pulled += msg.t;
        if (k == MERGED)
            y->messages++;
    }
    int rc = sim_source_status(s);
    sim_source_close(s);
    double dt = now() - t0;
    if (rc != SIM_OK || pulled < 0)
        return -1;
    if (disorder)
        return -2;
    return dt;
}

int main(int argc, char **argv)
{
    long agents = 100000, repeats = 3;
    double per_month = 300;
    unsigned long long seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            agents = atol(argv[++i]);
        else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            per_month = atof(argv[++i]);
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            repeats = atol(argv[++i]);
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: streambench [-n agents] "
                            "[-m messages_per_agent_month] [-r repeats] "
                            "[-s seed]\n");
            return 2;
        }
    }
    if (agents < 1 || repeats < 1 || !(per_month > 0)) {
        fprintf(stderr, "streambench: agents, repeats and messages must "
                        "be positive\n");
        return 2;
    }
    uint64_t n = (uint64_t)agents;
    scn_dist busy;
    memset(&busy, 0, sizeof busy);
    busy.kind = SCN_DIST_LOGNORMAL;
    busy.median_s = sim_fx_from_int(12);
    busy.sigma = SIM_FX_ONE;
    sim_class c;
    memset(&c, 0, sizeof c);
    c.tenants = agents;
    c.agents_per_tenant = 1;
    c.kind = SIM_ARR_POISSON;
    c.rate = per_month / SIM_MONTH_SECONDS;
    c.busy = &busy;
    sim_workload_model m = {&c, 1, n, SIM_MONTH_SECONDS, seed};

    tally y[PASSES];
    for (int k = 0; k < PASSES; k++) {
        y[k].t = sim_calloc(n, sizeof *y[k].t);
        y[k].busy = sim_calloc(n, sizeof *y[k].busy);
        if (!y[k].t || !y[k].busy) {
            fprintf(stderr, "streambench: out of memory\n");
            return 1;
        }
    }
    printf("agents %ld, messages_per_agent_month %g, horizon 730 h, "
           "seed %llu, best of %ld\n", agents, per_month, seed, repeats);
    printf("%8s %12s %10s %10s\n", "pass", "messages", "seconds",
           "ns/msg");
    static const char *name[PASSES] = {"draws", "merged", "tapped"};
    int bad = 0;
    for (int k = 0; k < PASSES; k++) {
        double best = -1;
        for (long r = 0; r < repeats; r++) {
            double dt = pass(k, &m, n, &y[k]);
            if (dt < 0) {
                fprintf(stderr, dt < -1 ? "streambench: the stream was out "
                                          "of time order\n"
                                        : "streambench: out of memory\n");
                return 1;
            }
            if (best < 0 || dt < best)
                best = dt;
        }
        printf("%8s %12llu %10.3f %10.1f\n", name[k],
               (unsigned long long)y[k].messages, best,
               best / (double)y[k].messages * 1e9);
    }
    if (y[MERGED].messages != y[DRAWS].messages ||
        differ(&y[TAPPED], &y[DRAWS], n)) {
        fprintf(stderr, "streambench: the passes saw different messages\n");
        bad = 1;
    }
    for (int k = 0; k < PASSES; k++) {
        sim_free(y[k].t);
        sim_free(y[k].busy);
    }
    return bad;
}
