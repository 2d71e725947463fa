/*
 * test_capacity.c -- shared pools through the whole stack (scenario file
 * to results) against queueing closed forms: Erlang C for a pool that
 * queues, Erlang B for one that refuses, the Poisson quantile of an
 * infinite-server system for capsim's own sizing.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "support.h"

/* Erlang B by its recurrence, Erlang C from it. */
static double erlang_b(int c, double a)
{
    double b = 1;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

static double erlang_c(int c, double a)
{
    double b = erlang_b(c, a);
    return c * b / (c - a * (1 - b));
}

/*
 * 100 agents, 1,314 messages each a month: lambda = 131,400 / 2,628,000 s
 * = 0.05 /s; exponential service of mean 60 s: A = 3 erlangs.  An
 * instance holds one message at a time (its vCPU and memory are one
 * message's), and the pool has four.
 */
#define POOL(queue)                                                        \
    "capsim: 1\nseed: 3\nreplications: 4\n"                                \
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"                \
    "workload: {tenants: 100, transport: sse, messages_per_agent_month: "  \
    "1314, busy_per_message: {dist: exponential, mean: 60s}}\n"            \
    "deployments:\n"                                                       \
    "  - {name: p, provider: railway, plan: pro, architecture: shared, "   \
    "instance: {vcpu: 0.25, memory_gb: 0.5}, scaling: {mode: fixed, "      \
    "instances: 4" queue "}}\n"

/* M/M/4 at A = 3: P(wait) = C(4, 3) = 0.5094 and P(W > t) = C e^{-(c mu
 * - lambda) t}, so the 95th percentile wait is ln(C / 0.05) / (1/60 s). */
Test(capacity, a_queueing_pool_matches_erlang_c)
{
    test_run t;
    test_run_yaml(&t, POOL(""));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "p");
    double c = erlang_c(4, 3);
    cr_assert(fabs(c - 0.5094) < 1e-4, "C = %f", c);
    double queued = sim_fx_to_double(d->usage.queued_messages) /
                    sim_fx_to_double(d->usage.messages);
    cr_assert(fabs(queued - c) < 0.02, "queued %f vs %f", queued, c);
    double p95 = 60 * log(c / 0.05);
    cr_assert(fabs(d->queue_p95 - p95) < 0.08 * p95, "p95 %f vs %f",
              d->queue_p95, p95);
    cr_assert(d->usage.refused_messages == 0);
    /* A fixed pool bills its four instances all month, busy or not. */
    cr_assert(d->usage.instances_mean == sim_fx_from_int(4));
    test_run_free(&t);
}

/* With no room to wait, M/M/4/4 refuses B(4, 3) = 0.2061 of messages. */
Test(capacity, a_pool_without_a_queue_matches_erlang_b)
{
    test_run t;
    test_run_yaml(&t, POOL(", queue_limit: 0"));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "p");
    double b = erlang_b(4, 3);
    double refused = sim_fx_to_double(d->usage.refused_messages) /
                     sim_fx_to_double(d->usage.messages);
    cr_assert(fabs(refused - b) < 0.015, "refused %f vs %f", refused, b);
    cr_assert(d->usage.queued_messages == 0);
    cr_assert(d->queue_p95 == 0);
    test_run_free(&t);
}

/*
 * capsim's capacity plan: with unlimited room, messages in service are
 * Poisson(A) (M/G/inf), so `sizing: p99` with one message per instance
 * gives the 0.99 quantile of Poisson(20) instances, and `peak` more.
 */
Test(capacity, sizing_by_quantile_follows_the_poisson_demand)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nseed: 5\nreplications: 3\n"
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"
                  "workload: {tenants: 200, transport: sse, "
                  "messages_per_agent_month: 4380, busy_per_message: "
                  "{dist: exponential, mean: 60s}}\n"
                  "deployments:\n"
                  "  - {name: p99, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: "
                  "0.5}, scaling: {sizing: p99}}\n"
                  "  - {name: mean, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: "
                  "0.5}, scaling: {sizing: mean}}\n"
                  "  - {name: peak, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: "
                  "0.5}, scaling: {sizing: peak}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* lambda = 200 x 4380 / 2,628,000 = 1/3 per second; A = 20. */
    int q99 = 0;
    while (gsl_cdf_poisson_P((unsigned)q99, 20) < 0.99)
        q99++;
    cr_assert_eq(q99, 31);
    double n99 = sim_fx_to_double(test_deploy(&t, "p99")->usage.instances_mean);
    cr_assert(n99 >= q99 - 1 && n99 <= q99 + 1, "p99 pool %f", n99);
    /* Little's law sizes the mean pool at exactly A. */
    cr_assert(test_deploy(&t, "mean")->usage.instances_mean ==
              sim_fx_from_int(20));
    double peak = sim_fx_to_double(test_deploy(&t, "peak")->usage.instances_mean);
    cr_assert(peak > n99, "peak %f", peak);
    /* The mean-sized pool queues; the p99 pool hardly does. */
    cr_assert(test_deploy(&t, "mean")->queue_p95 >
              test_deploy(&t, "p99")->queue_p95);
    test_run_free(&t);
}

/*
 * A sized pool carries its demand in whole slots.  With active_vcpu 0.4
 * an instance of 1 vCPU serves 2 messages at once, not 2.5: summing vCPU
 * would give ceil(0.4 x 31) = 13 instances, 26 slots, for the 31 the
 * 99th percentile asks; the pool needs ceil(31 / 2) = 16.  The measured
 * quantile of Poisson(20) may land a message either side of 31.
 */
Test(capacity, sized_pools_carry_their_demand_in_whole_slots)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nseed: 5\nreplications: 3\n"
                  "profile: {active_vcpu: 0.4, active_memory_gb: 0.5}\n"
                  "workload: {tenants: 200, transport: sse, "
                  "messages_per_agent_month: 4380, busy_per_message: "
                  "{dist: exponential, mean: 60s}}\n"
                  "deployments:\n"
                  "  - {name: p99, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: "
                  "8}, scaling: {sizing: p99}}\n"
                  "  - {name: p99-at-80, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: "
                  "8}, scaling: {sizing: p99, target_utilization: 0.8}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* At 80 %: ceil(31 / 0.8) = 39 slots, 20 instances (19 or 20). */
    double n80 = sim_fx_to_double(
        test_deploy(&t, "p99-at-80")->usage.instances_mean);
    cr_assert(n80 >= 19 && n80 <= 20, "p99 pool at 80%% %f instances", n80);
    const run_deploy *d = test_deploy(&t, "p99");
    cr_assert_eq(d->cap.slots, 2);
    double n = sim_fx_to_double(d->usage.instances_mean);
    cr_assert(n >= 15 && n <= 16, "p99 pool %f instances", n);
    /* At 99 % of the time it has a slot for every message in service. */
    double queued = sim_fx_to_double(d->usage.queued_messages) /
                    sim_fx_to_double(d->usage.messages);
    cr_assert(queued < 0.01, "queued %f", queued);
    test_run_free(&t);
}

/*
 * Target tracking follows a daily cycle: more instances in the busy
 * hours than at night, within min and max, and fewer instance-hours than
 * a pool fixed at the peak.
 */
Test(capacity, autoscaling_follows_the_daily_cycle)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nseed: 2\nhorizon: 7d\n"
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"
                  "workload: {tenants: 200, transport: sse, "
                  "messages_per_agent_month: 4380, arrivals: {diurnal: "
                  "{peak_hour: 12, peak_to_mean: 3}}, busy_per_message: "
                  "{dist: exponential, mean: 60s}}\n"
                  "deployments:\n"
                  "  - {name: auto, provider: aws-fargate, architecture: "
                  "shared, instance: {vcpu: 1, memory_gb: 2}, scaling: "
                  "{mode: autoscale, min: 1, max: 40}}\n"
                  "  - {name: peak, provider: aws-fargate, architecture: "
                  "shared, instance: {vcpu: 1, memory_gb: 2}, scaling: "
                  "{sizing: peak}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *a = test_deploy(&t, "auto");
    const run_deploy *p = test_deploy(&t, "peak");
    /* 128 slices of 7 days: slice i covers hours [1.3125 i, 1.3125 (i+1)).
     * Noon of day 2 is slice 27; 00:00 of day 2 slice 18. */
    double noon = a->timeline[27], night = a->timeline[18];
    cr_assert(noon > 1.5 * night, "noon %f, night %f", noon, night);
    double mean = sim_fx_to_double(a->usage.instances_mean);
    cr_assert(mean >= 1 && mean <= 40);
    cr_assert(a->usage.instance_seconds < p->usage.instance_seconds);
    test_run_free(&t);
}

/*
 * Idle agents stay resident.  2,500 agents x 0.05 GB idle = 125 GB on a
 * Fargate pool of 1 vCPU / 2 GB tasks: memory alone fills ceil(125 / 2)
 * = 63 tasks, and a task must also keep room for one busy agent, which
 * holds 0.5 - 0.05 = 0.45 GB more than idle: ceil(125 / (2 - 0.45)) =
 * ceil(80.645) = 81 tasks, however light the message load.  The load here
 * (one 10 s message an agent-month) needs about 0.01 busy slots.
 */
#define IDLE_POOL(scaling, workload)                                       \
    "capsim: 1\nseed: 5\n"                                                 \
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.5, "                 \
    "idle_memory_gb: 0.05}\n"                                              \
    "workload: {tenants: 250, agents_per_tenant: 10, transport: sse, "     \
    workload "}\n"                                                         \
    "deployments:\n"                                                       \
    "  - {name: f, provider: aws-fargate, architecture: shared, "          \
    "instance: {vcpu: 1, memory_gb: 2}, scaling: " scaling "}\n"

#define STOCH "messages_per_agent_month: 1, busy_per_message: 10s"

Test(capacity, an_autoscaled_pool_holds_its_idle_agents)
{
    test_run t;
    test_run_yaml(&t, IDLE_POOL("{mode: autoscale, min: 1, max: 500}",
                                STOCH));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    /* One slot a task at 81 tasks: a rare burst may add a task briefly. */
    double mean = sim_fx_to_double(d->usage.instances_mean);
    cr_assert(mean >= 81 && mean < 81.5, "mean instances %f", mean);
    cr_assert_eq(d->cap.floor, 81);
    cr_assert_eq(d->cap.resident_floor, 63);
    test_run_free(&t);
}

Test(capacity, quantile_sized_pools_hold_their_idle_agents)
{
    static const char *const sizing[] = {"p95", "p99", "peak"};
    for (int i = 0; i < 3; i++) {
        char yaml[1024], scaling[96];
        snprintf(scaling, sizeof scaling, "{mode: always-on, sizing: %s}",
                 sizing[i]);
        snprintf(yaml, sizeof yaml, IDLE_POOL("%s", STOCH), scaling);
        test_run t;
        test_run_yaml(&t, yaml);
        cr_assert_eq(t.rc, SIM_OK);
        const run_deploy *d = test_deploy(&t, "f");
        cr_assert_eq(d->usage.instances_mean, sim_fx_from_int(81), "%s: %f",
                     sizing[i], sim_fx_to_double(d->usage.instances_mean));
        test_run_free(&t);
    }
}

/* The fluid form sizes the same way: at 1% active, 25 busy agents add
 * 25 x 0.45 = 11.25 GB, and memory is the stricter (25 x 0.25 vCPU =
 * 6.25 vCPU): summed, (125 - 1.25 + 12.5) / 2 = 68.1 -> 69 tasks, but
 * per task the residents and one busy agent need 81. */
Test(capacity, fluid_pools_hold_their_idle_agents)
{
    test_run t;
    test_run_yaml(&t, IDLE_POOL("{mode: always-on, sizing: mean}",
                                "active_fraction: 0.01"));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    cr_assert_eq(d->usage.instances_mean, sim_fx_from_int(81), "%f",
                 sim_fx_to_double(d->usage.instances_mean));
    test_run_free(&t);
}

/*
 * The same demand under services so heavy-tailed (lognormal, sigma 2.5,
 * mean 60 s: a median of 2.6 s and some of hours) that many departures
 * stay pending across the demand pass's batches of arrivals: M/G/inf
 * is insensitive to the service law beyond its mean, so p99 is still the
 * 0.99 quantile of Poisson(20), 31, and the mean pool still 20.
 */
Test(capacity, sizing_by_quantile_is_insensitive_to_heavy_tails)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nseed: 6\nreplications: 3\n"
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"
                  "workload: {tenants: 200, transport: sse, "
                  "messages_per_agent_month: 4380, busy_per_message: "
                  "{dist: lognormal, median: 2.6230s, sigma: 2.5}}\n"
                  "deployments:\n"
                  "  - {name: p99, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: "
                  "0.5}, scaling: {sizing: p99}}\n"
                  "  - {name: p95, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 0.25, memory_gb: "
                  "0.5}, scaling: {sizing: p95}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    int q99 = 0, q95 = 0;
    while (gsl_cdf_poisson_P((unsigned)q99, 20) < 0.99)
        q99++;
    while (gsl_cdf_poisson_P((unsigned)q95, 20) < 0.95)
        q95++;
    double n99 = sim_fx_to_double(test_deploy(&t, "p99")->usage.instances_mean);
    double n95 = sim_fx_to_double(test_deploy(&t, "p95")->usage.instances_mean);
    cr_assert(n99 >= q99 - 2 && n99 <= q99 + 2, "p99 pool %f, want %d", n99,
              q99);
    cr_assert(n95 >= q95 - 2 && n95 <= q95 + 2, "p95 pool %f, want %d", n95,
              q95);
    test_run_free(&t);
}
