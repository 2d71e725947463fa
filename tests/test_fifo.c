/*
 * test_fifo.c -- the fixed pool's fast path (sim/fifo.c) against queueing
 * closed forms (Erlang C, Pollaczek-Khinchine), hand-worked traces, and
 * the event-queue pool (sim/pool.c) on the same messages.  Every test
 * makes its own messages.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fixed.h"
#include "sim/fifo.h"
#include "sim/pool.h"

/* ---- message sources ---------------------------------------------------- */

/* Poisson arrivals at rate lambda; service exponential of mean `mean`,
 * or exactly `mean` when `fixed`.  Endless. */
typedef struct poisson_src {
    sim_rng arr, svc;
    double lambda, mean, t;
    int fixed;
} poisson_src;

static int poisson_next(void *ctx, sim_msg *m)
{
    poisson_src *s = ctx;
    s->t += -log(sim_rng_uniform(&s->arr)) / s->lambda;
    m->t = s->t;
    m->busy = s->fixed ? s->mean : -log(sim_rng_uniform(&s->svc)) * s->mean;
    m->agent = 0;
    return 1;
}

static void poisson_init(poisson_src *s, uint64_t seed, double lambda,
                         double mean, int fixed)
{
    sim_rng_seed(&s->arr, seed, 0, 0, SIM_STREAM_ARRIVALS);
    sim_rng_seed(&s->svc, seed, 0, 0, SIM_STREAM_SERVICE);
    s->lambda = lambda;
    s->mean = mean;
    s->t = 0;
    s->fixed = fixed;
}

/* A fixed list of messages; counts the calls. */
typedef struct list_src {
    const sim_msg *v;
    size_t n, i, calls;
} list_src;

static int list_next(void *ctx, sim_msg *m)
{
    list_src *s = ctx;
    s->calls++;
    if (s->i == s->n)
        return 0;
    *m = s->v[s->i++];
    return 1;
}

static sim_pool_params fixed_pool(double horizon, int64_t instances,
                                  int64_t slots, int64_t queue_limit)
{
    sim_pool_params p;
    memset(&p, 0, sizeof p);
    p.horizon = horizon;
    p.instances = instances;
    p.slots = slots;
    p.queue_limit = queue_limit;
    return p;
}

/* Runs both engines over `v`; fails unless the statistics are the same
 * bits and each engine pulled the source the same number of times.
 * Leaves the fast engine's stats in *st. */
static void assert_engines_agree(const sim_pool_params *p, const sim_msg *v,
                                 size_t n, sim_pool_stats *st,
                                 const char *what)
{
    sim_pool_stats *ref = malloc(sizeof *ref);
    list_src a = {v, n, 0, 0}, b = {v, n, 0, 0};
    cr_assert(ref);
    memset(st, 0xa5, sizeof *st);   /* every field must be written */
    cr_assert_eq(sim_pool_run(p, list_next, &a, ref), SIM_OK);
    cr_assert_eq(sim_fifo_run(p, list_next, &b, st), SIM_OK);
    cr_assert_eq(a.calls, b.calls, "%s: pulls %zu vs %zu", what, a.calls,
                 b.calls);
    cr_assert_eq(st->messages, ref->messages, "%s", what);
    cr_assert_eq(st->served, ref->served, "%s", what);
    cr_assert_eq(st->refused, ref->refused, "%s", what);
    cr_assert_eq(st->queued, ref->queued, "%s", what);
    cr_assert_eq(st->wait_s, ref->wait_s, "%s: wait %.17g vs %.17g", what,
                 st->wait_s, ref->wait_s);
    cr_assert_eq(st->busy_s, ref->busy_s, "%s: busy %.17g vs %.17g", what,
                 st->busy_s, ref->busy_s);
    cr_assert_eq(st->instance_s, ref->instance_s, "%s", what);
    cr_assert_eq(st->billed_s, ref->billed_s, "%s: billed %.17g vs %.17g",
                 what, st->billed_s, ref->billed_s);
    cr_assert_eq(st->instances_peak, ref->instances_peak, "%s", what);
    cr_assert_eq(memcmp(st->wait_hist, ref->wait_hist, sizeof st->wait_hist),
                 0, "%s: wait histograms differ", what);
    cr_assert_eq(memcmp(st, ref, sizeof *st), 0, "%s: stats differ", what);
    free(ref);
}

/* ---- closed forms ------------------------------------------------------- */

/* Erlang B by the recurrence B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)),
 * and C = B / (1 - rho (1 - B)), rho = A / c. */
static double erlang_c(int c, double a)
{
    double b = 1, rho = a / c;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b / (1 - rho * (1 - b));
}

/* Mean and standard error over independent replications. */
typedef struct est {
    double sum, sum2;
    int n;
} est;

static void est_add(est *e, double x)
{
    e->sum += x;
    e->sum2 += x * x;
    e->n++;
}

static double est_mean(const est *e)
{
    return e->sum / e->n;
}

static double est_se(const est *e)
{
    double m = est_mean(e);
    double var = (e->sum2 - e->n * m * m) / (e->n - 1);
    return sqrt(var > 0 ? var : 0) / sqrt(e->n);
}

/* Within four standard errors of the closed form, the standard error
 * itself below `max_rel` of it, so that the test can tell. */
static void assert_within(const est *e, double want, double max_rel,
                          const char *what)
{
    double m = est_mean(e), se = est_se(e);
    cr_assert_lt(se, max_rel * want, "%s: standard error %g too large",
                 what, se);
    cr_assert_leq(fabs(m - want), 4 * se, "%s: %g, closed form %g (se %g)",
                  what, m, want, se);
}

/* `reps` replications of `msgs` messages each through `inst` instances
 * of `slots` slots: P(wait > 0) and the mean wait. */
static void run_queue(int reps, int64_t inst, int64_t slots, double lambda,
                      double mean, int fixed, double msgs, est *p_wait,
                      est *mean_wait)
{
    sim_pool_params p = fixed_pool(msgs / lambda, inst, slots, -1);
    sim_pool_stats *st = malloc(sizeof *st);
    cr_assert(st);
    memset(p_wait, 0, sizeof *p_wait);
    memset(mean_wait, 0, sizeof *mean_wait);
    for (int r = 0; r < reps; r++) {
        poisson_src s;
        poisson_init(&s, 300 + (uint64_t)r, lambda, mean, fixed);
        cr_assert_eq(sim_fifo_run(&p, poisson_next, &s, st), SIM_OK);
        cr_assert_eq(st->refused, 0);
        cr_assert_gt(st->messages, 0.99 * msgs);
        est_add(p_wait, (double)st->queued / (double)st->messages);
        est_add(mean_wait, st->wait_s / (double)st->served);
    }
    free(st);
}

/* M/M/c at rho = 0.8: P(wait > 0) = C(c, A), E[W] = C / (c mu - lambda).
 * One server: C = rho = 0.8, E[W] = 4 s; the queue relaxes slowly
 * (about 1 / (1 - sqrt(rho))^2 = 90 services), hence 10^6 messages. */
Test(fifo, mm1_waits_match_erlang_c)
{
    est pw, w;
    double C = erlang_c(1, 0.8);
    cr_assert(fabs(C - 0.8) < 1e-12);
    run_queue(10, 1, 1, 0.8, 1, 0, 1e6, &pw, &w);
    assert_within(&pw, C, 0.01, "P(wait > 0)");
    assert_within(&w, C / (1 - 0.8), 0.02, "mean wait");
}

/* Ten servers, as two instances of five slots: C(10, 8) = 0.4092. */
Test(fifo, mm10_waits_match_erlang_c)
{
    est pw, w;
    double C = erlang_c(10, 8);
    cr_assert(fabs(C - 0.4092) < 1e-4, "C %g", C);
    run_queue(10, 2, 5, 8, 1, 0, 1e6, &pw, &w);
    assert_within(&pw, C, 0.01, "P(wait > 0)");
    assert_within(&w, C / (10 - 8), 0.02, "mean wait");
}

/* A hundred servers at rho = 0.8: C(100, 80) = 0.0196, E[W] = C / 20 s,
 * a millisecond.  Waiting comes in rare bursts, so a replication's share
 * is skewed and ten of them understate the spread: twenty. */
Test(fifo, mm100_waits_match_erlang_c)
{
    est pw, w;
    double C = erlang_c(100, 80);
    cr_assert(fabs(C - 0.0196) < 1e-4, "C %g", C);
    run_queue(20, 100, 1, 80, 1, 0, 2e6, &pw, &w);
    assert_within(&pw, C, 0.03, "P(wait > 0)");
    assert_within(&w, C / 20, 0.04, "mean wait");
}

/* M/D/1 at rho = 0.8, service exactly 1 s: Pollaczek-Khinchine gives
 * E[W] = rho E[S] / (2 (1 - rho)) = 2 s, and P(wait > 0) = rho. */
Test(fifo, md1_mean_wait_matches_pollaczek_khinchine)
{
    est pw, w;
    run_queue(10, 1, 1, 0.8, 1, 1, 1e6, &pw, &w);
    assert_within(&pw, 0.8, 0.01, "P(wait > 0)");
    assert_within(&w, 2.0, 0.02, "mean wait");
}

/* ---- hand-worked traces ------------------------------------------------- */

/*
 * One instance of two slots, H = 10, an unbounded queue.  Free times
 * after each message in brackets.
 *   0    3 s   starts at 0                      [3, -]   (one unused)
 *   1    1 s   starts at 1                      [3, 2]
 *   1.5  2 s   waits for 2: 0.5                 [3, 4]
 *   1.8  1 s   waits for 3: 1.2                 [4, 4]
 *   2.5  1 s   waits for 4: 1.5                 [5, 4]
 *   4    0.5   a server freed at 4 takes it     [5, 4.5]
 *   4.5  1 s   likewise at 4.5                  [5, 5.5]
 *   9    3 s   runs [9, 12), 1 s of it before H
 *   10   1 s   at H: counted and served, no busy time before H
 *   10.000001  after H: not counted, and the source is not pulled again
 */
Test(fifo, hand_worked_trace_waits_ties_and_horizon)
{
    static const sim_msg m[] = {
        {0, 3, 0}, {1, 1, 0}, {1.5, 2, 0}, {1.8, 1, 0}, {2.5, 1, 0},
        {4, 0.5, 0}, {4.5, 1, 0}, {9, 3, 0}, {10, 1, 0}, {10.000001, 1, 0},
        {11, 1, 0},
    };
    sim_pool_params p = fixed_pool(10, 1, 2, -1);
    sim_pool_stats st;
    list_src s = {m, 11, 0, 0};
    cr_assert_eq(sim_fifo_run(&p, list_next, &s, &st), SIM_OK);
    cr_assert_eq(s.calls, 10);
    cr_assert_eq(st.messages, 9);
    cr_assert_eq(st.served, 9);
    cr_assert_eq(st.queued, 3);
    cr_assert_eq(st.refused, 0);
    cr_assert_eq(st.wait_s, 3.2, "wait %.17g", st.wait_s);
    cr_assert_eq(st.busy_s, 3 + 1 + 2 + 1 + 1 + 0.5 + 1 + 1 + 0,
                 "busy %.17g", st.busy_s);
    cr_assert_eq(st.wait_hist[0], 6);
    cr_assert_eq(st.instance_s, 10);
    cr_assert_eq(st.billed_s, 10);
    cr_assert_eq(st.instances_peak, 1);
    for (int i = 0; i < SIM_POOL_TIMELINE; i++)
        cr_assert_eq(st.timeline[i], 1);
    double top = sim_pool_wait_quantile(&st, 1);
    cr_assert(top > 1.5 / 1.05 && top < 1.5 * 1.05, "top %g", top);
    assert_engines_agree(&p, m, 11, &st, "hand trace");
}

/*
 * One slot, H = 10: a message that starts exactly at H is served (its
 * wait counts, its service adds nothing before H); later ones stay
 * queued, never served.
 *   0  8 s  [0, 8);  1  2 s  waits 7, [8, 10);  3  1 s  waits 7, starts
 *   at 10 = H;  4 and 10  would start at 11 and 12: queued, not served.
 */
Test(fifo, start_at_the_horizon_is_served_later_ones_are_not)
{
    static const sim_msg m[] = {
        {0, 8, 0}, {1, 2, 0}, {3, 1, 0}, {4, 1, 0}, {10, 1, 0},
    };
    sim_pool_params p = fixed_pool(10, 1, 1, -1);
    sim_pool_stats st;
    list_src s = {m, 5, 0, 0};
    cr_assert_eq(sim_fifo_run(&p, list_next, &s, &st), SIM_OK);
    cr_assert_eq(st.messages, 5);
    cr_assert_eq(st.served, 3);
    cr_assert_eq(st.queued, 4);
    cr_assert_eq(st.wait_s, 14);
    cr_assert_eq(st.busy_s, 10);
    cr_assert_eq(st.wait_hist[0], 1);
    assert_engines_agree(&p, m, 5, &st, "horizon trace");
}

/*
 * One slot, a queue of at most 2, H = 100.  A message is refused when it
 * finds the slot busy and two waiting; one that starts at the very tick
 * another arrives has left the queue (the departure runs first).
 *   0   10 s  [0, 10)
 *   1    5 s  queue []: waits, starts 10         queue [10]
 *   2    5 s  queue [10]: waits, starts 15       queue [10, 15]
 *   3    5 s  queue of 2: refused
 *   10   5 s  10 started: queue [15]: starts 20  queue [15, 20]
 *   10   5 s  queue of 2: refused
 *   15   1 s  15 started: queue [20]: starts 25  queue [20, 25]
 *   26   1 s  the slot freed at 26: no wait
 * Waits 9 + 13 + 10 + 10 = 42 s.  With no queue at all every message that
 * finds the slot busy is refused: 1, 2, 3, the second at 10.
 */
Test(fifo, queue_limit_refuses_at_the_limit)
{
    static const sim_msg m[] = {
        {0, 10, 0}, {1, 5, 0}, {2, 5, 0}, {3, 5, 0},
        {10, 5, 0}, {10, 5, 0}, {15, 1, 0}, {26, 1, 0},
    };
    sim_pool_params p = fixed_pool(100, 1, 1, 2);
    sim_pool_stats st;
    list_src s = {m, 8, 0, 0};
    cr_assert_eq(sim_fifo_run(&p, list_next, &s, &st), SIM_OK);
    cr_assert_eq(st.messages, 8);
    cr_assert_eq(st.refused, 2);
    cr_assert_eq(st.queued, 4);
    cr_assert_eq(st.served, 6);
    cr_assert_eq(st.wait_s, 42);
    cr_assert_eq(st.busy_s, 27);
    cr_assert_eq(st.wait_hist[0], 2);
    assert_engines_agree(&p, m, 8, &st, "queue limit 2");

    p.queue_limit = 0;
    s = (list_src){m, 8, 0, 0};
    cr_assert_eq(sim_fifo_run(&p, list_next, &s, &st), SIM_OK);
    cr_assert_eq(st.refused, 4);
    cr_assert_eq(st.queued, 0);
    cr_assert_eq(st.served, 4);
    cr_assert_eq(st.wait_s, 0);
    cr_assert_eq(st.busy_s, 10 + 5 + 1 + 1);
    assert_engines_agree(&p, m, 8, &st, "queue limit 0");
}

/* No instance: every message queues (or is refused past the limit), none
 * is served; billing and the timeline are zero. */
Test(fifo, empty_pool_queues_or_refuses_everything)
{
    static const sim_msg m[] = {{1, 1, 0}, {2, 1, 0}, {3, 1, 0}};
    sim_pool_params p = fixed_pool(10, 0, 1, -1);
    sim_pool_stats st;
    assert_engines_agree(&p, m, 3, &st, "no instance, unbounded");
    cr_assert_eq(st.queued, 3);
    cr_assert_eq(st.served, 0);
    cr_assert_eq(st.instance_s, 0);
    cr_assert_eq(st.timeline[0], 0);
    p.queue_limit = 2;
    assert_engines_agree(&p, m, 3, &st, "no instance, limit 2");
    cr_assert_eq(st.queued, 2);
    cr_assert_eq(st.refused, 1);
}

/* Every instance bills [0, H] as one run: granularity, minimum, and the
 * per-instance cap. */
Test(fifo, bills_whole_runs_as_the_pool_does)
{
    static const sim_msg m[] = {{1, 5, 0}, {2, 500, 0}};
    sim_pool_params p = fixed_pool(1000, 3, 1, -1);
    sim_pool_stats st;
    p.granularity = 60;         /* 1000 s -> 1020 */
    assert_engines_agree(&p, m, 2, &st, "granularity");
    cr_assert_eq(st.billed_s, 3 * 1020.0);
    p.minimum = 1200;
    assert_engines_agree(&p, m, 2, &st, "minimum");
    cr_assert_eq(st.billed_s, 3 * 1200.0);
    p.bill_cap = 700;
    assert_engines_agree(&p, m, 2, &st, "cap");
    cr_assert_eq(st.billed_s, 3 * 700.0);
    cr_assert_eq(st.instance_s, 3 * 1000.0);
}

Test(fifo, refuses_an_autoscaled_pool)
{
    sim_pool_params p = fixed_pool(10, 1, 1, -1);
    sim_pool_stats st;
    list_src s = {NULL, 0, 0, 0};
    p.autoscale = 1;
    cr_assert_eq(sim_fifo_run(&p, list_next, &s, &st), SIM_EINVAL);
    cr_assert_eq(s.calls, 0);
}

/* ---- the same statistics as the event-queue pool ------------------------ */

/*
 * Random fixed pools over random message lists built to hit the edges:
 * times on a quarter-second grid (ties between arrivals and departures,
 * and among arrivals), zero and negative times, messages out of order,
 * zero services, messages past the horizon, and horizons and services
 * that are not whole ticks.
 */
Test(fifo, random_fixed_pools_match_the_event_queue_pool)
{
    enum { N = 400 };
    sim_msg *v = malloc(N * sizeof *v);
    sim_pool_stats *st = malloc(sizeof *st);
    sim_rng r;
    cr_assert(v && st);
    sim_rng_seed(&r, 7, 0, 0, SIM_STREAM_ARRIVALS);
#define PICK(n) ((int64_t)(sim_rng_next(&r) % (uint64_t)(n)))
    for (int k = 0; k < 400; k++) {
        sim_pool_params p;
        memset(&p, 0, sizeof p);
        p.horizon = 50 + (double)PICK(200) + (PICK(2) ? 0.3333333 : 0);
        p.instances = PICK(7);
        p.slots = 1 + PICK(3);
        p.queue_limit = PICK(6) - 1;
        p.granularity = PICK(3) == 0 ? 0 : 60;
        p.minimum = (double)PICK(2) * 90;
        p.bill_cap = PICK(3) == 0 ? 0.5 * p.horizon : 0;
        double t = PICK(2) ? -1 : 0, rate = 0.2 + 0.1 * (double)PICK(40);
        size_t n = 1 + (size_t)PICK(N);
        for (size_t i = 0; i < n; i++) {
            double gap = -log(sim_rng_uniform(&r)) / rate;
            if (PICK(2))
                gap = 0.25 * floor(gap * 4);
            t += gap;
            v[i].t = PICK(50) == 0 ? t - 3 : t;     /* out of order */
            v[i].busy = PICK(4) == 0 ? 0.25 * (double)PICK(12)
                                     : -log(sim_rng_uniform(&r)) * 3;
            if (PICK(30) == 0)
                v[i].busy = 0;
            v[i].agent = 0;
        }
        char what[64];
        snprintf(what, sizeof what, "configuration %d", k);
        assert_engines_agree(&p, v, n, st, what);
    }
#undef PICK
    free(v);
    free(st);
}

/* Long Poisson runs, light to overloaded, with bounded and unbounded
 * queues: identical bits.  The overloaded ones end with messages queued
 * at H that were never served. */
Test(fifo, long_poisson_runs_match_the_event_queue_pool)
{
    static const struct {
        int64_t inst, slots, limit;
        double lambda;
    } cases[] = {
        {100, 1, -1, 80}, {25, 4, -1, 95}, {10, 1, 500, 12},
        {10, 1, -1, 12}, {1, 1, 3, 0.9}, {7, 3, 0, 20},
    };
    enum { N = 200000 };
    sim_msg *v = malloc(N * sizeof *v);
    sim_pool_stats *st = malloc(sizeof *st);
    cr_assert(v && st);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        poisson_src s;
        poisson_init(&s, 40 + k, cases[k].lambda, 1, 0);
        for (size_t i = 0; i < N; i++)
            poisson_next(&s, &v[i]);
        sim_pool_params p = fixed_pool(0.99 * v[N - 1].t, cases[k].inst,
                                       cases[k].slots, cases[k].limit);
        p.granularity = 1;
        p.minimum = 60;
        char what[64];
        snprintf(what, sizeof what, "case %zu", k);
        assert_engines_agree(&p, v, N, st, what);
        cr_assert_gt(st->queued + st->refused, 0, "%s: nothing waited",
                     what);
    }
    free(v);
    free(st);
}

/* A standard normal by Box-Muller, for lognormal services. */
static double normal(sim_rng *r)
{
    double u = sim_rng_uniform(r), v = sim_rng_uniform(r);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/*
 * The shapes that steer the fast engine's bookkeeping (fifo.c buckets
 * busy servers' free times in a wheel sized from the load, with a heap
 * for the far ones): services so heavy-tailed that many fall past the
 * wheel, bursts parted by silences longer than a turn, thousands of
 * servers, a mean service that jumps by 10^4 mid-run, and more slots than
 * messages.  Whatever the engine does with them, the statistics must be
 * the event queue's, bit for bit.
 */
Test(fifo, wheel_edge_cases_match_the_event_queue_pool)
{
    enum { N = 120000 };
    sim_msg *v = malloc(N * sizeof *v);
    sim_pool_stats *st = malloc(sizeof *st);
    sim_rng ra, rs;
    cr_assert(v && st);
    for (int k = 0; k < 5; k++) {
        sim_pool_params p = fixed_pool(0, 10, 5, -1);
        double t = 0;
        size_t n = N;
        sim_rng_seed(&ra, 77, 0, (uint64_t)k, SIM_STREAM_ARRIVALS);
        sim_rng_seed(&rs, 77, 0, (uint64_t)k, SIM_STREAM_SERVICE);
        for (size_t i = 0; i < n; i++) {
            double e = -log(sim_rng_uniform(&ra)), svc;
            switch (k) {
            case 0:     /* lognormal, sigma 2.5: mean 22.8 s, 70 % */
                t += e / 1.53;
                svc = exp(2.5 * normal(&rs));
                break;
            case 1:     /* bursts of 500 at 50/s, 10^5 s apart */
                t += i % 500 == 0 ? 1e5 : e / 50;
                svc = -log(sim_rng_uniform(&rs));
                break;
            case 2:     /* 3,000 servers at 98 % */
                p.instances = 30;
                p.slots = 100;
                t += e / 2950;
                svc = -log(sim_rng_uniform(&rs));
                break;
            case 3:     /* mean service 5 ms, then 50 s, at 1.6/s */
                p.instances = 100;
                p.slots = 1;
                t += e / 1.6;
                svc = -log(sim_rng_uniform(&rs)) * (i < N / 2 ? 5e-3 : 50);
                break;
            default:    /* 10^12 slots: never a wait */
                p.instances = 1;
                p.slots = 1000000000000;
                t += e / 100;
                svc = -log(sim_rng_uniform(&rs)) * 30;
                break;
            }
            v[i] = (sim_msg){t, svc, 0};
        }
        p.horizon = v[n - 1].t;
        char what[64];
        snprintf(what, sizeof what, "shape %d", k);
        assert_engines_agree(&p, v, n, st, what);
        cr_assert_eq(st->messages, n, "%s", what);
        if (k < 4)
            cr_assert_gt(st->queued, 0, "%s: nothing waited", what);
    }
    free(v);
    free(st);
}

/* Past 2^53 ticks the instance-seconds are rounded by both engines, each
 * its own way (fifo.h): 4,001 instances for a month and a tick is
 * 1.05 x 10^16 ticks, and odd.  Everything else stays identical. */
Test(fifo, huge_sums_differ_only_at_rounding)
{
    static const sim_msg m[] = {{1, 5, 0}, {2, 500, 0}, {3, 1, 0}};
    sim_pool_params p = fixed_pool(2628000.000001, 4001, 1, -1);
    sim_pool_stats *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    list_src s1 = {m, 3, 0, 0}, s2 = {m, 3, 0, 0};
    cr_assert(a && b);
    cr_assert_eq(sim_pool_run(&p, list_next, &s1, a), SIM_OK);
    cr_assert_eq(sim_fifo_run(&p, list_next, &s2, b), SIM_OK);
    cr_assert(fabs(a->instance_s - b->instance_s) <= 1e-15 * a->instance_s,
              "%.17g vs %.17g", a->instance_s, b->instance_s);
    cr_assert(fabs(b->instance_s - 4001 * 2628000.000001) <=
              1e-15 * b->instance_s, "%.17g", b->instance_s);
    cr_assert_eq(a->billed_s, b->billed_s);
    cr_assert_eq(a->busy_s, b->busy_s);
    cr_assert_eq(a->wait_s, b->wait_s);
    cr_assert_eq(a->served, b->served);
    for (int i = 0; i < SIM_POOL_TIMELINE; i++)
        cr_assert(fabs(a->timeline[i] - b->timeline[i]) <= 1e-12 * 4001,
                  "slice %d: %.17g vs %.17g", i, a->timeline[i],
                  b->timeline[i]);
    free(a);
    free(b);
}

/*
 * Pools of every size on one stream (sim_fifo_run_many follows a pool of
 * unlimited servers and lets a pool run on its own only while it queues)
 * give each pool exactly what it gives alone: the same bits, on streams
 * that make pools leave and rejoin the reference thousands of times --
 * a pool near saturation, heavy tails, bursts, queue limits that refuse,
 * a pool of no servers, and one that never waits.
 */
/*
 * Test streams, each from its own seeded generators: 0, lognormal
 * services (sigma 1, about 20 busy on average); 1, bursts of 300 at 40/s
 * 2,000 s apart; 2, heavy tails (sigma 2.5); 3, whole seconds, where
 * arrivals come together and departures tie with them; 4, whole
 * microseconds, services of 1 to 4, where waits of one tick happen.
 */
static void make_stream(sim_msg *v, size_t n, int kind, uint64_t seed)
{
    sim_rng ra, rs;
    double t = 0;
    sim_rng_seed(&ra, seed, 0, (uint64_t)kind, SIM_STREAM_ARRIVALS);
    sim_rng_seed(&rs, seed, 0, (uint64_t)kind, SIM_STREAM_SERVICE);
    for (size_t i = 0; i < n; i++) {
        double e = -log(sim_rng_uniform(&ra)), svc;
        switch (kind) {
        case 0:
            t += e / 1.0;
            svc = 12 * exp(normal(&rs));
            break;
        case 1:
            t += i % 300 == 0 ? 2000 : e / 40;
            svc = -log(sim_rng_uniform(&rs)) * 3;
            break;
        case 2:
            t += e / 0.5;
            svc = exp(2.5 * normal(&rs));
            break;
        case 3:
            t += floor(e * 1.6);
            svc = floor(-log(sim_rng_uniform(&rs)) * 20) + 1;
            break;
        default:
            t += floor(e * 2.0) * 1e-6;
            svc = (floor(-log(sim_rng_uniform(&rs)) * 1.5) + 1) * 1e-6;
            break;
        }
        v[i] = (sim_msg){t, svc, 0};
    }
}

Test(fifo, many_pools_on_one_stream_match_each_alone)
{
    enum { N = 60000, P = 9 };
    sim_msg *v = malloc(N * sizeof *v);
    sim_pool_params p[P];
    sim_pool_stats *many = malloc(P * sizeof *many),
                   *one = malloc(sizeof *one);
    cr_assert(v && many && one);
    for (int k = 0; k < 3; k++) {
        make_stream(v, N, k, 91);
        double H = v[N - 1].t * 0.9;  /* some messages past the horizon */
        p[0] = fixed_pool(H, 20, 1, -1);
        p[1] = fixed_pool(H, 6, 4, -1);
        p[2] = fixed_pool(H, 30, 1, -1);
        p[3] = fixed_pool(H, 45, 1, -1);
        p[4] = fixed_pool(H, 18, 1, 2);
        p[5] = fixed_pool(H, 22, 1, 0);
        p[6] = fixed_pool(H, 0, 1, -1);
        p[7] = fixed_pool(H, 1, 1000000000000, -1);
        p[8] = fixed_pool(H, 12, 2, 5);
        p[8].granularity = 60;
        p[8].minimum = 60;
        list_src s = {v, N, 0, 0};
        cr_assert_eq(sim_fifo_run_many(p, P, list_next, &s, many), SIM_OK);
        int left = 0;
        for (int j = 0; j < P; j++) {
            char what[64];
            snprintf(what, sizeof what, "stream %d, pool %d", k, j);
            list_src a = {v, N, 0, 0};
            cr_assert_eq(sim_fifo_run(&p[j], list_next, &a, one), SIM_OK);
            cr_assert_eq(many[j].messages, one->messages, "%s", what);
            cr_assert_eq(many[j].served, one->served, "%s", what);
            cr_assert_eq(many[j].queued, one->queued, "%s", what);
            cr_assert_eq(many[j].refused, one->refused, "%s", what);
            cr_assert_eq(many[j].wait_s, one->wait_s, "%s: wait %.17g vs "
                         "%.17g", what, many[j].wait_s, one->wait_s);
            cr_assert_eq(many[j].busy_s, one->busy_s, "%s", what);
            cr_assert_eq(memcmp(many[j].wait_hist, one->wait_hist,
                                sizeof one->wait_hist), 0,
                         "%s: wait histograms differ", what);
            cr_assert_eq(memcmp(&many[j], one, sizeof *one), 0,
                         "%s: stats differ", what);
            left += one->queued > 0 && one->queued < one->messages / 2;
        }
        /* Pools that queued now and then: they left the reference and
         * came back. */
        cr_assert_geq(left, 2, "stream %d: too few pools queued", k);
    }
    free(v);
    free(many);
    free(one);
}

/* Fails unless got is one's figures, to the bit. */
static void assert_same_stats(const sim_pool_stats *got,
                              const sim_pool_stats *one, const char *what)
{
    cr_assert_eq(got->messages, one->messages, "%s", what);
    cr_assert_eq(got->served, one->served, "%s", what);
    cr_assert_eq(got->queued, one->queued, "%s: queued %llu vs %llu", what,
                 (unsigned long long)got->queued,
                 (unsigned long long)one->queued);
    cr_assert_eq(got->refused, one->refused, "%s", what);
    cr_assert_eq(got->wait_s, one->wait_s, "%s: wait %.17g vs %.17g", what,
                 got->wait_s, one->wait_s);
    cr_assert_eq(got->busy_s, one->busy_s, "%s: busy %.17g vs %.17g", what,
                 got->busy_s, one->busy_s);
    cr_assert_eq(memcmp(got->wait_hist, one->wait_hist,
                        sizeof one->wait_hist), 0,
                 "%s: wait histograms differ", what);
    cr_assert_eq(memcmp(got, one, sizeof *one), 0, "%s: stats differ", what);
}

/*
 * Runs v through a follower of sentinel c0 with the pools p[known[i]] run
 * along, and compares every settled pool, and every known one, with the
 * pool run alone; want[j] says whether p[j] must settle.  Returns how
 * many settled.
 */
static int settle_and_compare(const sim_msg *v, size_t n, double H,
                              int64_t c0, size_t budget,
                              const sim_pool_params *p, int np,
                              const int *want, const int *known, int nknown,
                              const char *stream)
{
    sim_fifo_follow *f;
    sim_pool_stats *got = malloc(sizeof *got), *one = malloc(sizeof *one);
    sim_pool_stats *kst = malloc((size_t)(nknown ? nknown : 1) * sizeof *kst);
    sim_pool_params kp[16];
    int count = 0;
    cr_assert(got && one && kst && nknown <= 16);
    for (int i = 0; i < nknown; i++)
        kp[i] = p[known[i]];
    cr_assert_eq(sim_fifo_follow_new(H, c0, budget, kp, (size_t)nknown, &f),
                 SIM_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(sim_fifo_follow_step(f, &v[i]), SIM_OK);
    for (int j = 0; j < np; j++) {
        char what[96];
        int settled = -1;
        snprintf(what, sizeof what, "%s, pool %d (%lld x %lld), c0 %lld",
                 stream, j, (long long)p[j].instances,
                 (long long)p[j].slots, (long long)c0);
        memset(got, 0xa5, sizeof *got);
        cr_assert_eq(sim_fifo_follow_settle(f, &p[j], got, &settled),
                     SIM_OK, "%s", what);
        cr_assert_eq(settled, want[j], "%s: settled %d", what, settled);
        if (!settled)
            continue;
        count++;
        list_src a = {v, n, 0, 0};
        cr_assert_eq(sim_fifo_run(&p[j], list_next, &a, one), SIM_OK);
        assert_same_stats(got, one, what);
    }
    memset(kst, 0xa5, (size_t)(nknown ? nknown : 1) * sizeof *kst);
    cr_assert_eq(sim_fifo_follow_known(f, kst), SIM_OK);
    for (int i = 0; i < nknown; i++) {
        char what[96];
        snprintf(what, sizeof what, "%s, known pool %d", stream, known[i]);
        list_src a = {v, n, 0, 0};
        cr_assert_eq(sim_fifo_run(&p[known[i]], list_next, &a, one), SIM_OK);
        assert_same_stats(&kst[i], one, what);
    }
    sim_fifo_follow_free(f);
    free(got);
    free(one);
    free(kst);
    return count;
}

/*
 * The follower against each pool run alone, on five streams: lognormal
 * services; bursts, with the horizon inside the last one so that the
 * sentinel is queueing when it falls; heavy tails with the sentinel near
 * the load, so that messages that waited in one run of waits are still
 * in service at the next; whole seconds, where arrivals come together
 * and departures tie with them; and microseconds, where waits of one
 * tick happen.  Pools of the sentinel's size and larger settle, the
 * others must not; pools sized before the pass run along it.
 */
Test(fifo, pools_sized_after_the_pass_match_each_alone)
{
    enum { N = 80000, P = 8, S = 5 };
    static const int64_t c0s[S] = {26, 95, 16, 26, 3};
    sim_msg *v = malloc(N * sizeof *v);
    cr_assert(v);
    for (int k = 0; k < S; k++) {
        int64_t c0 = c0s[k];
        make_stream(v, N, k, 92);
        /* Some messages past the horizon; for the bursts, mid-burst. */
        double H = k == 1 ? v[N - 20].t + 1e-7 : v[N - 1].t * 0.9;
        sim_pool_params p[P];
        int want[P] = {1, 1, 1, 1, 0, 0, 0, 1};
        p[0] = fixed_pool(H, c0, 1, -1);         /* the sentinel's size */
        p[1] = fixed_pool(H, c0 + 1, 1, -1);
        p[2] = fixed_pool(H, (c0 + 3) / 4 + 1, 4, -1);  /* whole slots */
        p[3] = fixed_pool(H, c0 + 9, 1, -1);
        p[3].granularity = 60;
        p[3].minimum = 60;
        p[4] = fixed_pool(H, c0 - 1, 1, -1);     /* below the sentinel */
        p[5] = fixed_pool(H, c0 + 4, 1, 3);      /* a bounded queue */
        p[6] = fixed_pool(H * 0.5, c0 + 4, 1, -1); /* another horizon */
        p[7] = fixed_pool(H, 1, 1000000000000, -1);
        static const int known[] = {4, 5, 1, 7};
        char stream[32];
        snprintf(stream, sizeof stream, "stream %d", k);
        int n = settle_and_compare(v, N, H, c0, (size_t)1 << 24, p, P, want,
                                   known, 4, stream);
        cr_assert_eq(n, 5);
        /* The pools queued now and then: their waits were replayed. */
        sim_pool_stats *one = malloc(sizeof *one);
        list_src a = {v, N, 0, 0};
        cr_assert(one);
        cr_assert_eq(sim_fifo_run(&p[0], list_next, &a, one), SIM_OK);
        cr_assert_gt(one->queued, 0, "%s: the pool never queued", stream);
        cr_assert_lt(one->queued, one->messages / 2, "%s", stream);
        free(one);
        /* A budget that runs out at the first wait, and one that runs
         * out part of the way through, settle nothing; the known pools
         * still run along. */
        int none[P] = {0};
        cr_assert_eq(settle_and_compare(v, N, H, c0, 64, p, P, none, known, 4,
                                        stream), 0);
        cr_assert_eq(settle_and_compare(v, N, H, c0, 1024, p, P, none, known,
                                        4, stream), 0);
    }
    free(v);
}

/* A service past 2^62 microseconds is held there: no overflow, and the
 * two engines still agree. */
Test(fifo, services_past_two_to_the_62_ticks)
{
    sim_msg v[] = {{1, 1e300, 0}, {2, 5, 0}, {3, 1e17, 0}, {4, 1, 0},
                   {5, 2, 0}};
    sim_pool_params p = fixed_pool(100, 2, 1, -1);
    sim_pool_stats st;
    assert_engines_agree(&p, v, 5, &st, "huge services");
    cr_assert_eq(st.queued, 3);
    cr_assert_eq(st.served, 3);     /* the fourth and fifth wait forever */
}
