/*
 * test_des.c -- the sleeping-instance engine against the CSB-1 reference
 * outputs and against closed forms.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/des.h"
#include "support.h"

static scn_dist lognormal12(void)
{
    scn_dist d;
    memset(&d, 0, sizeof d);
    d.kind = SCN_DIST_LOGNORMAL;
    d.median_s = sim_fx_from_int(12);
    d.sigma = SIM_FX_ONE;
    return d;
}

static int next_msg(void *ctx, sim_msg *m)
{
    return sim_source_next(ctx, m);
}

/* n agents with Poisson messages at `rate`, one instance each. */
static void run_n(long n, const sim_inst_params *p, double rate,
                  const scn_dist *busy, uint64_t seed, sim_inst_stats *st)
{
    sim_class c;
    memset(&c, 0, sizeof c);
    c.tenants = n;
    c.agents_per_tenant = 1;
    c.kind = SIM_ARR_POISSON;
    c.rate = rate;
    c.busy = busy;
    sim_workload_model m = {&c, 1, (uint64_t)n, p->horizon, seed};
    memset(st, 0, sizeof *st);
    for (long i = 0; i < n; i++) {
        sim_source *src;
        cr_assert_eq(sim_source_open(&m, 0, (uint64_t)i, 1, &src), SIM_OK);
        sim_instance_run(p, next_msg, src, st, NULL);
        sim_source_close(src);
    }
}

/* The CSB-1 table (seed 42, N = 100): every engine that follows the
 * random-number recipe must print exactly these counts. */
Test(des, reproduces_csb1_reference_counts)
{
    scn_dist busy = lognormal12();
    sim_inst_params p = {2592000, 5, 300, 0, 0, 0, 0};
    double rate = 1.0 / 600;
    sim_inst_stats st;
    run_n(100, &p, rate, &busy, 42, &st);
    cr_assert_eq(st.messages, 432953);
    cr_assert_eq(st.cold_starts, 252615);
    cr_assert_eq(st.timeouts, 252570);
    /* Summation order differs from an event-ordered engine in the last
     * digits only. */
    cr_assert(fabs(st.awake_s - 108022265.78547338) < 1e-3);
}

/* With no cold start, the awake set is the union of [a_i, a_i + S_i + T):
 * an M/G/inf system, empty with probability exp(-rho), rho =
 * lambda (E[S] + T); wakes happen at rate lambda exp(-rho). */
Test(des, awake_fraction_and_wake_rate_match_mg_infinity)
{
    scn_dist busy = lognormal12();
    double lambda = 1.0 / 600, T = 300, H = 2592000;
    double es = 12 * exp(0.5);
    double rho = lambda * (es + T);
    sim_inst_params p = {H, 0, T, 0, 0, 0, 0};
    double rate = lambda;
    sim_inst_stats st;
    long n = 400;
    run_n(n, &p, rate, &busy, 7, &st);
    double awake = st.awake_s / (n * H);
    double wakes_per_h = st.cold_starts / (n * H / 3600);
    /* 1 - exp(-0.532974) = 0.413143; the reference's standard error at
     * N = 1000 is 0.000166, so 0.0015 at N = 400 is over 5 SE. */
    cr_assert(fabs(awake - (1 - exp(-rho))) < 0.0015, "awake %f", awake);
    cr_assert(fabs(wakes_per_h - lambda * exp(-rho) * 3600) < 0.02,
              "wakes %f", wakes_per_h);
}

/* Little's law: mean number in service = arrival rate x mean service. */
Test(des, littles_law_holds_for_busy_time)
{
    scn_dist busy;
    memset(&busy, 0, sizeof busy);
    busy.kind = SCN_DIST_EXPONENTIAL;
    busy.mean_s = sim_fx_from_int(30);
    sim_inst_params p = {2592000, 0, 60, 0, 0, 0, 0};
    double rate = 1.0 / 120;
    sim_inst_stats st;
    run_n(200, &p, rate, &busy, 3, &st);
    double in_service = st.busy_s / (200 * p.horizon);
    cr_assert(fabs(in_service - 30.0 / 120) < 0.005, "L = %f", in_service);
}

Test(des, never_sleeps_when_a_client_keeps_it_awake)
{
    scn_dist busy = lognormal12();
    sim_inst_params p = {86400, 5, 300, 0, 1, 0, 0};
    double rate = 1.0 / 600;
    sim_inst_stats st;
    run_n(10, &p, rate, &busy, 1, &st);
    cr_assert_eq(st.timeouts, 0);
    cr_assert_eq(st.cold_starts, 10);
}

Test(des, arrivals_during_a_cold_start_wait_for_it)
{
    /* Fixed 1 s service, 1 message a second on average and a 60 s cold
     * start that never ends within the 50 s horizon: every message waits,
     * the first the longest. */
    scn_dist busy;
    memset(&busy, 0, sizeof busy);
    busy.kind = SCN_DIST_FIXED;
    busy.mean_s = SIM_FX_ONE;
    sim_inst_params p = {50, 60, 300, 0, 0, 0, 0};
    double rate = 1.0;
    sim_inst_stats st;
    run_n(1, &p, rate, &busy, 5, &st);
    cr_assert_eq(st.cold_starts, 1);
    cr_assert_eq(st.waited, st.messages);
    cr_assert_eq(st.departures, 0);
    cr_assert(st.awake_s > 49 && st.awake_s <= 50);
}

/* Billing granularity: one message a day, fixed 10 s of work, 20 s idle
 * timeout and no cold start gives awake runs of 30 s; a one-minute minimum
 * bills each as 60 s, and per-minute metering rounds them up to 60 s too. */
Test(des, awake_runs_bill_with_granularity_and_minimum)
{
    scn_dist busy;
    memset(&busy, 0, sizeof busy);
    busy.kind = SCN_DIST_FIXED;
    busy.mean_s = sim_fx_from_int(10);
    sim_inst_params p = {864000, 0, 20, 0, 0, 1, 60};
    double rate = 1.0 / 86400;
    sim_inst_stats st;
    run_n(1, &p, rate, &busy, 9, &st);
    cr_assert(st.timeouts > 0);
    /* Runs are 30 s, or shorter only for the one cut off at the horizon;
     * two messages 30 s apart at one a day is too rare to expect. */
    cr_assert(st.awake_s <= 30.0 * st.cold_starts + 1e-6);
    cr_assert(st.awake_s >= 30.0 * st.timeouts - 1e-6);
    cr_assert(fabs(st.billed_s - 60.0 * st.cold_starts) < 1e-6,
              "billed %f for %llu runs", st.billed_s,
              (unsigned long long)st.cold_starts);
    p.minimum = 0;
    p.granularity = 60;
    memset(&st, 0, sizeof st);
    run_n(1, &p, rate, &busy, 9, &st);
    cr_assert(fabs(st.billed_s - 60.0 * st.cold_starts) < 1e-6);
    p.granularity = 1;
    memset(&st, 0, sizeof st);
    run_n(1, &p, rate, &busy, 9, &st);
    cr_assert(fabs(st.billed_s - st.awake_s) < 1.0 * st.cold_starts + 1e-6);
}

/* Messages from an array. */
typedef struct msgs {
    const sim_msg *v;
    size_t n, pos;
} msgs;

static int next_arr(void *ctx, sim_msg *m)
{
    msgs *a = ctx;
    if (a->pos == a->n)
        return 0;
    *m = a->v[a->pos++];
    return 1;
}

/* By hand, slices of 10 s: a run [5, 35) (a message at 5 s, 10 s of work,
 * a 20 s idle timeout) fills 5, 10, 10 and 5 s of slices 0 to 3; a run
 * [1000.25, 1020.75) 9.75, 10 and 0.75 s of slices 100 to 102.  The
 * instance's own sums are those runs. */
Test(des, awake_timeline_by_hand)
{
    sim_inst_params p = {10240, 0, 20, 0, 0, 0, 0};
    sim_msg v[] = {{5, 10, 0}, {1000.25, 0.5, 0}};
    msgs a = {v, 2, 0};
    sim_inst_stats st;
    sim_inst s;
    double tl[SIM_TIMELINE];
    memset(&st, 0, sizeof st);
    sim_instance_run(&p, next_arr, &a, &st, &s);
    sim_inst_timeline(&st, tl);
    static const struct {
        int slice;
        double s;
    } want[] = {{0, 5}, {1, 10}, {2, 10}, {3, 5},
                {100, 9.75}, {101, 10}, {102, 0.75}};
    double total = 0;
    for (int i = 0; i < SIM_TIMELINE; i++)
        total += tl[i];
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_expect_eq(tl[want[i].slice], want[i].s, "slice %d: %.17g",
                     want[i].slice, tl[want[i].slice]);
    cr_assert_eq(total, 50.5);
    cr_assert_eq(s.awake_s, 50.5);
    cr_assert_eq(st.awake_s, 50.5);
    cr_assert_eq(st.timeouts, 2);
    cr_assert_eq(st.busy_s, 10.5);
    /* A run of 100.1 - 100 s (not a whole number of 2^-40 s): its slice
     * holds it rounded to the nearest unit. */
    p.idle_timeout = 0;
    sim_msg w[] = {{100, 100.1 - 100, 0}};
    msgs b = {w, 1, 0};
    memset(&st, 0, sizeof st);
    sim_instance_run(&p, next_arr, &b, &st, NULL);
    sim_inst_timeline(&st, tl);
    double x = 100.1 - 100, q = nearbyint(x * 0x1p40) / 0x1p40;
    cr_assert(q != x && fabs(q - x) <= 0x1p-41);
    cr_assert_eq(tl[10], q, "%.17g, not %.17g", tl[10], q);
}

/*
 * Instances stepped with their messages interleaved -- one message of
 * each in turn, as a window of every agent's messages hands them out --
 * and ended in agent order give every counter, sum, histogram and
 * timeline slice of one run per instance, to the bit.
 */
Test(des, interleaved_instances_give_their_runs_one_by_one)
{
    enum { N = 40 };
    scn_dist busy = lognormal12();
    sim_inst_params p = {7 * 86400.0, 30, 120, 30, 0, 60, 60};
    sim_class c;
    memset(&c, 0, sizeof c);
    c.tenants = N;
    c.agents_per_tenant = 1;
    c.kind = SIM_ARR_POISSON;
    c.rate = 1.0 / 300;
    c.busy = &busy;
    sim_workload_model m = {&c, 1, N, p.horizon, 21};
    sim_msg *v[N];
    size_t n[N];
    sim_inst_stats *one = calloc(1, sizeof *one);
    sim_inst_stats *mixed = calloc(1, sizeof *mixed);
    cr_assert(one && mixed);
    for (int a = 0; a < N; a++) {
        sim_source *src;
        sim_msg msg;
        cr_assert_eq(sim_source_open(&m, 0, (uint64_t)a, 1, &src), SIM_OK);
        v[a] = NULL;
        n[a] = 0;
        while (sim_source_next(src, &msg)) {
            v[a] = realloc(v[a], (n[a] + 1) * sizeof *v[a]);
            cr_assert(v[a]);
            v[a][n[a]++] = msg;
        }
        sim_source_close(src);
        msgs arr = {v[a], n[a], 0};
        sim_instance_run(&p, next_arr, &arr, one, NULL);
    }
    sim_inst s[N];
    for (int a = 0; a < N; a++)
        sim_inst_begin(&s[a]);
    for (size_t i = 0;; i++) {
        int any = 0;
        for (int a = N - 1; a >= 0; a--)
            if (i < n[a]) {
                sim_inst_step(&p, &s[a], &v[a][i], mixed);
                any = 1;
            }
        if (!any)
            break;
    }
    for (int a = 0; a < N; a++)
        sim_inst_end(&p, &s[a], mixed);
    cr_assert(one->timeouts > 100 && one->waited > 0);
    cr_assert(memcmp(one, mixed, sizeof *one) == 0);
    for (int a = 0; a < N; a++)
        free(v[a]);
    free(one);
    free(mixed);
}
