/*
 * test_pool.c -- the instance pool against queueing closed forms (Erlang
 * B and C, Little's law), exact billing, hand-worked autoscaling
 * traces, and determinism.  Every test makes its own messages.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fixed.h"
#include "sim/pool.h"

/* ---- message sources ---------------------------------------------------- */

/* Poisson arrivals at rate lambda, exponential service of mean `mean`;
 * endless (the pool stops pulling past the horizon). */
typedef struct poisson_src {
    sim_rng arr, svc;
    double lambda, mean, t;
} poisson_src;

static int poisson_next(void *ctx, sim_msg *m)
{
    poisson_src *s = ctx;
    s->t += -log(sim_rng_uniform(&s->arr)) / s->lambda;
    m->t = s->t;
    m->busy = -log(sim_rng_uniform(&s->svc)) * s->mean;
    m->agent = 0;
    return 1;
}

static void poisson_init(poisson_src *s, uint64_t seed, double lambda,
                         double mean)
{
    sim_rng_seed(&s->arr, seed, 0, 0, SIM_STREAM_ARRIVALS);
    sim_rng_seed(&s->svc, seed, 0, 0, SIM_STREAM_SERVICE);
    s->lambda = lambda;
    s->mean = mean;
    s->t = 0;
}

/* A fixed list of messages. */
typedef struct list_src {
    const sim_msg *v;
    size_t n, i;
} list_src;

static int list_next(void *ctx, sim_msg *m)
{
    list_src *s = ctx;
    if (s->i == s->n)
        return 0;
    *m = s->v[s->i++];
    return 1;
}

static int list_run(const sim_pool_params *p, const sim_msg *v, size_t n,
                    sim_pool_stats *st)
{
    list_src s = {v, n, 0};
    return sim_pool_run(p, list_next, &s, st);
}

/* ---- closed forms ------------------------------------------------------- */

/* Erlang B by the recurrence B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)). */
static double erlang_b(int c, double a)
{
    double b = 1;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

/* Erlang C from B: C = B / (1 - rho (1 - B)), rho = A / c. */
static double erlang_c(int c, double a)
{
    double b = erlang_b(c, a), rho = a / c;
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

static void assert_within(const est *e, double want, double max_se,
                          const char *what)
{
    double m = est_mean(e), se = est_se(e);
    cr_assert_lt(se, max_se, "%s: standard error %g too large", what, se);
    cr_assert_leq(fabs(m - want), 4 * se, "%s: %g, closed form %g (se %g)",
                  what, m, want, se);
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

enum { REPS = 8 };

/* ---- queueing ----------------------------------------------------------- */

/* M/M/5/5 with A = 3: refused / messages is Erlang B(5, 3) = 0.1101. */
Test(pool, loss_system_refuses_erlang_b)
{
    const double lambda = 3, mu = 1, a = lambda / mu;
    sim_pool_params p = fixed_pool(50000 / lambda, 5, 1, 0);
    sim_pool_stats *st = malloc(sizeof *st);
    est loss = {0};
    cr_assert(st);
    cr_assert(fabs(erlang_b(5, a) - 0.1101) < 1e-4);
    for (int r = 0; r < REPS; r++) {
        poisson_src s;
        poisson_init(&s, 100 + (uint64_t)r, lambda, 1 / mu);
        cr_assert_eq(sim_pool_run(&p, poisson_next, &s, st), SIM_OK);
        cr_assert_eq(st->served + st->refused, st->messages);
        cr_assert_eq(st->queued, 0);
        cr_assert_eq(st->wait_s, 0);
        cr_assert_eq(st->wait_hist[0], st->served);
        est_add(&loss, (double)st->refused / (double)st->messages);
    }
    assert_within(&loss, erlang_b(5, a), 0.002, "refused fraction");
    free(st);
}

typedef struct mmc_est {
    est p_wait, mean_wait, in_system, q90;
} mmc_est;

/* Runs REPS replications of an M/M/c queue as `inst` instances of
 * `slots` slots; returns the last replication's stats in *last. */
static void run_mmc(int64_t inst, int64_t slots, double lambda, double mu,
                    mmc_est *e, sim_pool_stats *last)
{
    sim_pool_params p = fixed_pool(60000 / lambda, inst, slots, -1);
    memset(e, 0, sizeof *e);
    for (int r = 0; r < REPS; r++) {
        poisson_src s;
        poisson_init(&s, 200 + (uint64_t)r, lambda, 1 / mu);
        cr_assert_eq(sim_pool_run(&p, poisson_next, &s, last), SIM_OK);
        cr_assert_eq(last->refused, 0);
        est_add(&e->p_wait, (double)last->queued / (double)last->messages);
        est_add(&e->mean_wait, last->wait_s / (double)last->served);
        est_add(&e->in_system, (last->busy_s + last->wait_s) / p.horizon);
        est_add(&e->q90, sim_pool_wait_quantile(last, 0.9));
    }
}

/* M/M/6 at rho = 0.7: P(wait > 0) = C(6, 4.2), E[W] = C / (c mu -
 * lambda), P(W > x) = C exp(-(c mu - lambda) x), and Little's law
 * L = lambda (E[S] + E[W]). */
Test(pool, queue_waits_match_erlang_c_and_littles_law)
{
    const int c = 6;
    const double lambda = 4.2, mu = 1, a = lambda / mu;
    const double C = erlang_c(c, a), W = C / (c * mu - lambda);
    sim_pool_stats *st = malloc(sizeof *st);
    mmc_est e;
    cr_assert(st);
    run_mmc(c, 1, lambda, mu, &e, st);
    assert_within(&e.p_wait, C, 0.01, "P(wait > 0)");
    assert_within(&e.mean_wait, W, 0.02, "mean wait");
    assert_within(&e.in_system, lambda * (1 / mu + W), 0.05,
                  "mean number in system");
    /* The 90th percentile of the wait, within the 4 % histogram bins. */
    double x90 = log(C / 0.1) / (c * mu - lambda);
    cr_assert_lt(fabs(est_mean(&e.q90) - x90), 0.04 * x90 + 4 * est_se(&e.q90),
                 "q90 %g, closed form %g", est_mean(&e.q90), x90);
    /* Fewer than 1 - C wait at all, so a low quantile is zero. */
    cr_assert_eq(sim_pool_wait_quantile(st, 0.2), 0);
    cr_assert_eq(sim_pool_wait_quantile(st, 0), 0);
    free(st);
}

/* Servers are interchangeable in M/M/c: 3 instances of 2 slots queue
 * exactly as 6 instances of 1 -- the same message starts at the same
 * tick -- and only the instance-seconds differ. */
Test(pool, two_slot_instances_queue_like_twice_as_many_servers)
{
    sim_pool_stats *one = malloc(sizeof *one), *two = malloc(sizeof *two);
    mmc_est e1, e2;
    cr_assert(one && two);
    run_mmc(6, 1, 4.2, 1, &e1, one);
    run_mmc(3, 2, 4.2, 1, &e2, two);
    cr_assert_eq(one->messages, two->messages);
    cr_assert_eq(one->served, two->served);
    cr_assert_eq(one->queued, two->queued);
    cr_assert_eq(one->busy_s, two->busy_s);
    cr_assert_eq(one->wait_s, two->wait_s);
    cr_assert_eq(memcmp(one->wait_hist, two->wait_hist,
                        sizeof one->wait_hist), 0);
    cr_assert_eq(one->instance_s, 2 * two->instance_s);
    cr_assert_eq(est_mean(&e1.mean_wait), est_mean(&e2.mean_wait));
    cr_assert_eq(two->instances_peak, 3);
    free(one);
    free(two);
}

Test(pool, empty_fixed_pool_refuses_or_queues_everything)
{
    static const sim_msg m[] = {{1, 1, 0}, {2, 1, 0}, {3, 1, 0}};
    sim_pool_params p = fixed_pool(10, 0, 1, 0);
    sim_pool_stats st;
    cr_assert_eq(list_run(&p, m, 3, &st), SIM_OK);
    cr_assert_eq(st.messages, 3);
    cr_assert_eq(st.refused, 3);
    cr_assert_eq(st.served, 0);
    p.queue_limit = -1;
    cr_assert_eq(list_run(&p, m, 3, &st), SIM_OK);
    cr_assert_eq(st.queued, 3);
    cr_assert_eq(st.served, 0);
    cr_assert_eq(st.instance_s, 0);
    cr_assert_eq(st.instances_peak, 0);
    cr_assert_eq(sim_pool_wait_quantile(&st, 0.5), 0);
    /* A bounded queue takes two and refuses the third. */
    p.queue_limit = 2;
    cr_assert_eq(list_run(&p, m, 3, &st), SIM_OK);
    cr_assert_eq(st.queued, 2);
    cr_assert_eq(st.refused, 1);
}

/* ---- placement, horizon, billing ---------------------------------------- */

/* Least loaded instance first, ties to the lowest number; a departure's
 * slot goes to the head of the queue at the same tick; waits, busy time
 * cut at the horizon, and messages after it not counted. */
Test(pool, serves_least_loaded_first_and_cuts_at_the_horizon)
{
    static const sim_msg m[] = {
        {0.5, 4, 0},    /* inst 0: [0.5, 4.5) */
        {1.0, 4, 0},    /* inst 1 (least loaded): [1, 5) */
        {1.5, 1, 0},    /* inst 0 (ties to lowest): [1.5, 2.5) */
        {2.0, 2, 0},    /* inst 1: [2, 4) */
        {2.2, 3, 0},    /* queued; slot of 2.5 frees: [2.5, 5.5) */
        {2.3, 1, 0},    /* queued; slot of 4 frees: [4, 5) */
        {9.0, 3, 0},    /* inst 0: [9, 12) cut at 10 */
        {10.0, 1, 0},   /* at the horizon: counted, [10, 11) adds 0 */
        {10.5, 1, 0},   /* after it: not counted */
    };
    sim_pool_params p = fixed_pool(10, 2, 2, -1);
    sim_pool_stats st;
    cr_assert_eq(list_run(&p, m, 9, &st), SIM_OK);
    cr_assert_eq(st.messages, 8);
    cr_assert_eq(st.served, 8);
    cr_assert_eq(st.queued, 2);
    cr_assert(fabs(st.wait_s - (0.3 + 1.7)) < 1e-12, "wait %g", st.wait_s);
    cr_assert(fabs(st.busy_s - (4 + 4 + 1 + 2 + 3 + 1 + 1)) < 1e-12,
              "busy %.17g", st.busy_s);
    cr_assert_eq(st.wait_hist[0], 6);
    cr_assert_eq(st.instance_s, 20);
    cr_assert_eq(st.instances_peak, 2);
    for (int i = 0; i < SIM_POOL_TIMELINE; i++)
        cr_assert_eq(st.timeline[i], 2);
    /* Median wait is 0; the top one is 1.7 s within a bin (4 %). */
    cr_assert_eq(sim_pool_wait_quantile(&st, 0.5), 0);
    double top = sim_pool_wait_quantile(&st, 1);
    cr_assert(top > 1.7 / 1.05 && top < 1.7 * 1.05, "top %g", top);
}

/* Every run of a fixed pool is [0, H]: instance-seconds are exactly
 * instances x H; billing rounds each run up to the granularity and to
 * the minimum. */
Test(pool, fixed_pool_bills_whole_runs_exactly)
{
    static const sim_msg m[] = {{1, 5, 0}, {2, 500, 0}};
    sim_pool_params p = fixed_pool(1000, 3, 1, -1);
    sim_pool_stats st;
    cr_assert_eq(list_run(&p, m, 2, &st), SIM_OK);
    cr_assert_eq(st.instance_s, 3 * 1000.0);
    cr_assert_eq(st.billed_s, 3 * 1000.0);
    p.granularity = 60;         /* 1000 s -> 17 minutes */
    cr_assert_eq(list_run(&p, m, 2, &st), SIM_OK);
    cr_assert_eq(st.instance_s, 3 * 1000.0);
    cr_assert_eq(st.billed_s, 3 * 1020.0);
    p.minimum = 1200;
    cr_assert_eq(list_run(&p, m, 2, &st), SIM_OK);
    cr_assert_eq(st.billed_s, 3 * 1200.0);
    p.granularity = 0.001;      /* already whole milliseconds */
    p.minimum = 0;
    p.horizon = 3600.25;
    cr_assert_eq(list_run(&p, m, 2, &st), SIM_OK);
    cr_assert_eq(st.instance_s, 3 * 3600.25);
    cr_assert_eq(st.billed_s, 3 * 3600.25);
    cr_assert_eq(st.busy_s, 505);
}

/* ---- autoscaling -------------------------------------------------------- */

static sim_pool_params autoscale(double horizon, int64_t slots,
                                 int64_t instances, int64_t min,
                                 int64_t max, double target)
{
    sim_pool_params p = fixed_pool(horizon, instances, slots, -1);
    p.autoscale = 1;
    p.min = min;
    p.max = max;
    p.target = target;
    p.metric_period = 10;
    p.scale_out_after = 0;
    p.scale_in_after = 10;
    p.cooldown = 0;
    return p;
}

/*
 * No instance at first; one message at t = 1 (5 s of work) queues.  The
 * metric at t = 10 sees load and no capacity: infinitely above target, so
 * (scale_out_after 0) the pool starts one instance at 10 (wanting
 * ceil(0.9 / 0.5) = 2, capped at max 1), ready at 10 + 25 = 35: the
 * message waits 34 s and runs [35, 40).  The period (40, 50] is idle
 * (below target), and scale_in_after = 10 later, at the metric at 50, the
 * pool wants 0 instances -- but the cooldown of 57 s from the scale-out
 * at 10 holds it to 67, between metrics.  One run [10, 67): 57 s, billed
 * as 60.
 */
Test(pool, scale_out_waits_for_provisioning_and_cooldown_defers)
{
    static const sim_msg m[] = {{1, 5, 0}};
    sim_pool_params p = autoscale(100, 1, 0, 0, 1, 0.5);
    p.provision_s = 25;
    p.cooldown = 57;
    p.granularity = 60;
    sim_pool_stats st;
    cr_assert_eq(list_run(&p, m, 1, &st), SIM_OK);
    cr_assert_eq(st.served, 1);
    cr_assert_eq(st.queued, 1);
    cr_assert_eq(st.wait_s, 34);
    cr_assert_eq(st.busy_s, 5);
    cr_assert_eq(st.scale_outs, 1);
    cr_assert_eq(st.scale_ins, 1);
    cr_assert_eq(st.instance_s, 57);
    cr_assert_eq(st.billed_s, 60);
    cr_assert_eq(st.instances_peak, 1);
    double q = sim_pool_wait_quantile(&st, 0.5);
    cr_assert(q > 34 / 1.05 && q < 34 * 1.05, "median wait %g", q);
    /* Without the cooldown the scale-in lands on the metric at 50. */
    p.cooldown = 0;
    cr_assert_eq(list_run(&p, m, 1, &st), SIM_OK);
    cr_assert_eq(st.instance_s, 40);
    cr_assert_eq(st.billed_s, 60);
}

/*
 * Scale-in drains busy instances.  Two instances of two slots; message A
 * (t = 1, 50 s) goes to instance 0, B (t = 2, 30 s) to instance 1, the
 * least loaded.  Period (0, 10]: 17 slot-seconds over 40, below target
 * 1.0; at 10 the pool wants ceil(1.7 / 2) = 1.  Both instances are busy
 * with one message: the tie goes to the highest number, so instance 1
 * drains, takes no new message (C at 15 goes to instance 0) and stops
 * when B ends at 32.  Instance-seconds: 100 + 32.
 */
Test(pool, scale_in_lets_busy_instances_finish)
{
    static const sim_msg m[] = {{1, 50, 0}, {2, 30, 0}, {15, 5, 0}};
    sim_pool_params p = autoscale(100, 2, 2, 1, 2, 1.0);
    p.scale_out_after = 1e9;
    sim_pool_stats st;
    cr_assert_eq(list_run(&p, m, 3, &st), SIM_OK);
    cr_assert_eq(st.scale_ins, 1);
    cr_assert_eq(st.scale_outs, 0);
    cr_assert_eq(st.queued, 0);
    cr_assert_eq(st.busy_s, 85);
    cr_assert_eq(st.instance_s, 132);
    cr_assert_eq(st.instances_peak, 2);
}

/*
 * A scale-out takes back a draining instance before starting a new one:
 * as above, instance 1 drains at 10; at 12 three 100 s messages arrive:
 * one takes instance 0's free slot, two queue (the draining instance
 * takes none).  Period (10, 20]: 44 slot-seconds over 30 is above
 * target, so at 20 the pool wants 3 (capped at 2): instance 1 comes back
 * at once, the first queued message starts there (waited 8 s) and the
 * second when B leaves at 32 (20 s).  Nothing stopped: 2 x 100 s.
 */
Test(pool, scale_out_revives_a_draining_instance)
{
    static const sim_msg m[] = {
        {1, 50, 0}, {2, 30, 0}, {12, 100, 0}, {12, 100, 0}, {12, 100, 0},
    };
    sim_pool_params p = autoscale(100, 2, 2, 1, 2, 1.0);
    p.provision_s = 1000;       /* a new instance would not help in time */
    sim_pool_stats st;
    cr_assert_eq(list_run(&p, m, 5, &st), SIM_OK);
    cr_assert_eq(st.scale_ins, 1);
    cr_assert_eq(st.scale_outs, 1);
    cr_assert_eq(st.queued, 2);
    cr_assert_eq(st.wait_s, 28);
    cr_assert_eq(st.instance_s, 200);
    cr_assert_eq(st.instances_peak, 2);
}

/* A step load: arrivals every 2 s at odd seconds, each 1 s of work (half
 * an instance); every 0.5 s from 600.25 to 1799.75 (twice what one
 * instance serves); every 2 s again from 1801. */
typedef struct step_src {
    long i;
    int busy_phase3;    /* 0: no messages after 1800 */
} step_src;

static int step_next(void *ctx, sim_msg *m)
{
    step_src *s = ctx;
    long i = s->i++;
    if (i < 300)
        m->t = 1 + 2.0 * i;
    else if (i < 300 + 2400)
        m->t = 600.25 + 0.5 * (i - 300);
    else if (s->busy_phase3)
        m->t = 1801 + 2.0 * (i - 2700);
    else
        return 0;
    m->busy = 1;
    m->agent = 0;
    return 1;
}

static double slice_lo(int i, double h)
{
    return floor(i * h * 1e6 / SIM_POOL_TIMELINE) / 1e6;
}

/* The instances running at t, from the timeline: the slice that holds
 * t, which must hold nothing else. */
static void assert_timeline(const sim_pool_stats *st, double h, double from,
                            double to, double want)
{
    for (int i = 0; i < SIM_POOL_TIMELINE; i++)
        if (slice_lo(i, h) >= from && slice_lo(i + 1, h) <= to)
            cr_assert_eq(st->timeline[i], want, "slice %d [%g, %g): %g", i,
                         slice_lo(i, h), slice_lo(i + 1, h), st->timeline[i]);
}

static void assert_timeline_integral(const sim_pool_stats *st, double h)
{
    double sum = 0;
    for (int i = 0; i < SIM_POOL_TIMELINE; i++)
        sum += st->timeline[i] * (slice_lo(i + 1, h) - slice_lo(i, h));
    cr_assert(fabs(sum - st->instance_s) <= 1e-6 * st->instance_s,
              "timeline integrates to %.9g, instance_s %.9g", sum,
              st->instance_s);
}

/*
 * One instance of one slot, min 1, max 3, target 0.5, metric every 60 s,
 * scale out after 180 s above, in after 600 s below, provisioning 30 s.
 *
 * Up to 600 each period is exactly 0.5 busy: at target, no action.  From
 * 600.25 messages come twice as fast as one instance serves them, the
 * queue grows and every period from (600, 660] is above target: the
 * metrics at 660 and 720 wait, the one at 780 (180 s after 600) scales
 * out -- wanting hundreds, capped at max 3 -- starting instances 1 and 2,
 * which bill from 780 and serve from 810.  From 1800 the load is half an
 * instance again: below target from (1800, 1860], so the metric at 2400
 * wants ceil(0.5 / 0.5) = 1; with cooldown 1750 after 780 the scale-in
 * waits until 2530, when instances 2 and 1 (idle; instance 0 takes every
 * message as the lowest numbered) stop.  H = 3000.
 */
Test(pool, step_load_scales_out_after_delay_and_back_in)
{
    const double H = 3000;
    sim_pool_params p = autoscale(H, 1, 1, 1, 3, 0.5);
    p.metric_period = 60;
    p.scale_out_after = 180;
    p.scale_in_after = 600;
    p.cooldown = 1750;
    p.provision_s = 30;
    p.granularity = 60;
    sim_pool_stats st;
    step_src s = {0, 1};
    cr_assert_eq(sim_pool_run(&p, step_next, &s, &st), SIM_OK);
    cr_assert_eq(st.messages, 300 + 2400 + 600);
    cr_assert_eq(st.refused, 0);
    cr_assert_eq(st.scale_outs, 1);
    cr_assert_eq(st.scale_ins, 1);
    cr_assert_eq(st.instances_peak, 3);
    cr_assert_eq(st.instance_s, H + 2 * (2530 - 780));
    /* Runs of 1750 s bill as 1800. */
    cr_assert_eq(st.billed_s, H + 2 * 1800);
    assert_timeline(&st, H, 0, 780, 1);
    assert_timeline(&st, H, 780, 2530, 3);
    assert_timeline(&st, H, 2530, H, 1);
    assert_timeline_integral(&st, H);
    /* Until 810 one instance serves phase 2 back to back: message j
     * (arrived 600.25 + j / 2) starts at 600.25 + j, waiting j / 2.  At
     * 810 the two new instances take messages 210 and 211 (waits 104.75
     * and 104.25); three instances then drain the queue.  The longest
     * wait is 104.75 s -- 89.75 had they been ready at 780 -- and the
     * top quantile is the upper edge of its 4.1 % bin. */
    double top = sim_pool_wait_quantile(&st, 1);
    cr_assert(top >= 104.75 && top < 104.75 * 1.042, "longest wait %g", top);

    /* Min 2 starts the pool with two instances (the load of phase 2 is
     * then exactly theirs, utilisation 1: still above), and the third
     * starts at 780.  With cooldown 300 the scale-in comes on the metric
     * at 2400; with no load after 1800 it stops down to min: instance 2
     * only. */
    p.cooldown = 300;
    p.min = 2;
    s = (step_src){0, 0};
    cr_assert_eq(sim_pool_run(&p, step_next, &s, &st), SIM_OK);
    cr_assert_eq(st.scale_outs, 1);
    cr_assert_eq(st.scale_ins, 1);
    cr_assert_eq(st.instances_peak, 3);
    cr_assert_eq(st.instance_s, 2 * H + (2400 - 780), "%.17g", st.instance_s);
    cr_assert_eq(st.billed_s, 2 * H + 1620);
    assert_timeline(&st, H, 0, 780, 2);
    assert_timeline(&st, H, 780, 2400, 3);
    assert_timeline(&st, H, 2400, H, 2);
    assert_timeline_integral(&st, H);
}

/* Random configurations -- starts cancelled mid-provisioning, drains
 * taken back, bounded queues, zero delays -- must keep the books
 * consistent: every message served, refused or still queued; every
 * served message in the histogram; no more instances than the table;
 * the timeline integrating to instance_s; billing never below usage. */
Test(pool, random_configurations_keep_the_books_consistent)
{
    sim_rng r;
    sim_pool_stats *st = malloc(sizeof *st);
    cr_assert(st);
    sim_rng_seed(&r, 99, 0, 0, SIM_STREAM_ARRIVALS);
    for (int k = 0; k < 60; k++) {
        sim_pool_params p;
        memset(&p, 0, sizeof p);
#define PICK(n) ((int64_t)(sim_rng_next(&r) % (uint64_t)(n)))
        p.horizon = 2000;
        p.slots = 1 + PICK(3);
        p.instances = PICK(5);
        p.autoscale = k % 4 != 0;
        p.min = PICK(3);
        p.max = p.min + PICK(5);
        p.target = 0.3 + 0.1 * (double)PICK(8);
        p.metric_period = 5 + (double)PICK(56);
        p.scale_out_after = (double)PICK(4) * 30;
        p.scale_in_after = (double)PICK(4) * 100;
        p.cooldown = (double)PICK(3) * 70;
        p.provision_s = (double)PICK(4) * 33.3;
        p.queue_limit = PICK(7) - 1;
        p.granularity = (double)(PICK(3) == 0 ? 0 : 60);
        p.minimum = (double)PICK(2) * 90;
        double lambda = 0.1 + 0.2 * (double)PICK(25), mean = 0.5 + PICK(3);
#undef PICK
        poisson_src s;
        poisson_init(&s, 1000 + (uint64_t)k, lambda, mean);
        cr_assert_eq(sim_pool_run(&p, poisson_next, &s, st), SIM_OK);
        uint64_t hist = 0;
        for (int i = 0; i < SIM_POOL_WAIT_BINS; i++)
            hist += st->wait_hist[i];
        cr_assert_eq(hist, st->served, "config %d", k);
        cr_assert_leq(st->served + st->refused, st->messages);
        cr_assert_leq(st->messages - st->queued - st->refused,
                      st->wait_hist[0], "config %d", k);
        int64_t cap = p.instances;
        if (p.autoscale && p.min > cap)
            cap = p.min;
        if (p.autoscale && p.max > cap)
            cap = p.max;
        cr_assert_leq(st->instances_peak, cap, "config %d", k);
        if (!p.autoscale) {
            cr_assert_eq(st->scale_outs + st->scale_ins, 0);
            cr_assert_eq(st->instance_s, (double)p.instances * p.horizon);
        }
        cr_assert_leq(st->busy_s, st->instance_s * (double)p.slots + 1e-6);
        cr_assert_geq(st->billed_s, st->instance_s - 1e-6, "config %d", k);
        assert_timeline_integral(st, p.horizon);
    }
    free(st);
}

/* ---- determinism -------------------------------------------------------- */

Test(pool, same_inputs_give_identical_stats)
{
    sim_pool_params p = autoscale(20000, 2, 1, 1, 8, 0.6);
    p.metric_period = 60;
    p.scale_out_after = 120;
    p.scale_in_after = 300;
    p.cooldown = 180;
    p.provision_s = 20;
    p.granularity = 1;
    p.minimum = 60;
    sim_pool_stats *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    cr_assert(a && b);
    poisson_src s;
    poisson_init(&s, 5, 5, 1);
    cr_assert_eq(sim_pool_run(&p, poisson_next, &s, a), SIM_OK);
    poisson_init(&s, 5, 5, 1);
    memset(b, 0xff, sizeof *b);     /* every field must be written */
    cr_assert_eq(sim_pool_run(&p, poisson_next, &s, b), SIM_OK);
    cr_assert_eq(memcmp(a, b, sizeof *a), 0);
    cr_assert_gt(a->scale_outs, 0);
    cr_assert_gt(a->scale_ins, 0);
    cr_assert_leq(a->instances_peak, 8);
    assert_timeline_integral(a, p.horizon);
    free(a);
    free(b);
}
