/*
 * test_stochastic.c -- stochastic workloads end to end: closed forms,
 * agreement with the fluid model, determinism and common random numbers.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run/stochastic.h"
#include "support.h"

#define STZ                                                                 \
    "capsim: 1\nname: stz\nreplications: 4\nseed: %d\n"                     \
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"                 \
    "workload: {tenants: 500, transport: sse, messages_per_agent_month: "   \
    "300, busy_per_message: 60s}\n"                                         \
    "deployments:\n"                                                        \
    "  - {name: r, provider: railway, plan: pro, architecture: per-agent, " \
    "instance: {vcpu: 1, memory_gb: 1}, billing_basis: allocated, "         \
    "scaling: {mode: scale-to-zero, idle_timeout: 10m, cold_start: 0s}}\n"

static void run_stz(test_run *t, int seed)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, STZ, seed);
    test_run_yaml(t, yaml);
    cr_assert_eq(t->rc, SIM_OK);
}

/* lambda = 300 / 2,628,000 s; rho = lambda (60 + 600) = 0.0753425; the
 * awake fraction of an M/G/inf busy period is 1 - exp(-rho) = 0.072575
 * and wakes come at lambda exp(-rho): 0.0001058 /s, 278.1 a month. */
Test(stochastic, scale_to_zero_matches_the_busy_period_closed_form)
{
    test_run t;
    run_stz(&t, 11);
    const run_deploy *d = test_deploy(&t, "r");
    double lambda = 300.0 / 2628000, rho = lambda * 660;
    double awake = sim_fx_to_double(d->usage.awake_fraction);
    cr_assert(fabs(awake - (1 - exp(-rho))) < 0.002, "awake %f", awake);
    double wakes = sim_fx_to_double(d->usage.cold_starts) / 500;
    cr_assert(fabs(wakes - lambda * exp(-rho) * 2628000) < 3, "wakes %f",
              wakes);
    /* Cost: 500 x 0.072575 x 2,628,000 s x (1 x 0.00000772 + 1 x
     * 0.00000386) = $1,104.3 (above the $20 Pro minimum).  The interval
     * must cover it. */
    double want = 500 * (1 - exp(-rho)) * 2628000 * (0.00000772 + 0.00000386);
    double lo = sim_fx_to_double(d->month.lo) - 15;
    double hi = sim_fx_to_double(d->month.hi) + 15;
    cr_assert(lo <= want && want <= hi, "%f not in [%f, %f]", want, lo, hi);
    test_run_free(&t);
}

Test(stochastic, same_seed_same_results_other_seed_other_draws)
{
    test_run a, b, c;
    run_stz(&a, 5);
    run_stz(&b, 5);
    run_stz(&c, 6);
    char *ja = rpt_render(a.res, RPT_JSON, "test");
    char *jb = rpt_render(b.res, RPT_JSON, "test");
    char *jc = rpt_render(c.res, RPT_JSON, "test");
    cr_assert_str_eq(ja, jb);
    cr_assert_str_neq(ja, jc);
    free(ja);
    free(jb);
    free(jc);
    test_run_free(&a);
    test_run_free(&b);
    test_run_free(&c);
}

/* An always-on deployment bills the same in both forms: a Fly machine per
 * agent costs its $3.19 a month (the cap of a 30-day price) whatever the
 * traffic: 20 x $3.19 = $63.80. */
Test(stochastic, always_on_agrees_with_the_fluid_form)
{
    test_run s, f;
    test_run_yaml(&s, "capsim: 1\nreplications: 3\nworkload: {tenants: 20, "
                  "messages_per_agent_month: 100, busy_per_message: 30s}\n"
                  "deployments:\n  - {name: m, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent}\n");
    test_run_yaml(&f, "capsim: 1\nworkload: {tenants: 20, active_fraction: "
                  "0.1}\ndeployments:\n  - {name: m, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent}\n");
    cr_assert_eq(s.rc, SIM_OK);
    cr_assert_eq(f.rc, SIM_OK);
    sim_fx want = fx("63.8");
    cr_assert(test_deploy(&s, "m")->month_usd == want);
    cr_assert(test_deploy(&f, "m")->month_usd == want);
    test_run_free(&s);
    test_run_free(&f);
}

/* Common random numbers: two deployments differing only in idle timeout
 * see the same arrivals, so the longer timeout is never cheaper in any
 * replication and never wakes more often. */
Test(stochastic, deployments_share_arrivals)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nreplications: 3\nworkload: {tenants: 50, "
                  "transport: sse, messages_per_agent_month: 200, "
                  "busy_per_message: {dist: exponential, mean: 40s}}\n"
                  "deployments:\n"
                  "  - {name: short, provider: railway, architecture: "
                  "per-agent, instance: {vcpu: 1, memory_gb: 1}, "
                  "billing_basis: allocated, scaling: {mode: scale-to-zero, "
                  "idle_timeout: 2m}}\n"
                  "  - {name: long, provider: railway, architecture: "
                  "per-agent, instance: {vcpu: 1, memory_gb: 1}, "
                  "billing_basis: allocated, scaling: {mode: scale-to-zero, "
                  "idle_timeout: 20m}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *s = test_deploy(&t, "short");
    const run_deploy *l = test_deploy(&t, "long");
    cr_assert(l->month.p5 >= s->month.p95);
    cr_assert(l->usage.cold_starts <= s->usage.cold_starts);
    cr_assert(l->usage.messages == s->usage.messages);
    test_run_free(&t);
}

/*
 * Deployments that share a replication's draw (sim_share_key: sleeping
 * instances, fixed pools, grouped alike) give exactly what each gives
 * alone.  The scenario holds sets of every kind -- shared pools sized by
 * p95, p99, peak, the mean and a fixed count with a queue limit;
 * per-tenant pools; per-agent containers and Durable Objects that sleep;
 * per-tenant sleepers; and a shared instance that sleeps, whose month
 * (1.2 million messages) is past the replay buffer's cap and is drawn
 * again per deployment -- over WebSocket clients that linger, so
 * connections are counted once for each set.  Each deployment is then
 * run in a scenario of its own, where it has no set, and every figure
 * must match to the bit.
 */
#define SHARE_HEAD                                                          \
    "capsim: 1\nreplications: 2\nseed: 3\n"                                 \
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.25, "                 \
    "idle_memory_gb: 0.01}\n"                                               \
    "workload: {tenants: 40, agents_per_tenant: 5, transport: websocket, "  \
    "connected: {linger: 2m}, messages_per_agent_month: 6000, "             \
    "busy_per_message: {dist: lognormal, median: 20s, sigma: 1.0}}\n"       \
    "deployments:\n"

static const char *const share_deps[] = {
    "  - {name: rw-p99, provider: railway, plan: pro, architecture: shared, "
    "instance: {vcpu: 4, memory_gb: 8}, scaling: {sizing: p99}}\n",
    "  - {name: fly-p95, provider: fly, plan: shared-cpu-4x-1gb, "
    "architecture: shared, scaling: {sizing: p95}}\n",
    "  - {name: fg-peak, provider: aws-fargate, plan: linux-x86, "
    "architecture: shared, instance: {vcpu: 2, memory_gb: 4}, "
    "scaling: {sizing: peak}}\n",
    "  - {name: ec2-mean, provider: aws-ec2, plan: t3.medium, "
    "architecture: shared, scaling: {sizing: mean}}\n",
    "  - {name: ec2-fixed, provider: aws-ec2, plan: t3.small, "
    "architecture: shared, scaling: {mode: fixed, instances: 3, "
    "queue_limit: 5}}\n",
    "  - {name: fg-tenant, provider: aws-fargate, plan: linux-x86, "
    "architecture: per-tenant, instance: {vcpu: 0.5, memory_gb: 1}, "
    "scaling: {sizing: p99}}\n",
    "  - {name: rw-tenant, provider: railway, plan: pro, architecture: "
    "per-tenant, instance: {vcpu: 1, memory_gb: 1}, scaling: {sizing: "
    "peak}}\n",
    "  - {name: fg-agent, provider: aws-fargate, plan: linux-x86, "
    "architecture: per-agent, instance: {vcpu: 0.25, memory_gb: 0.5}, "
    "scaling: {mode: scale-to-zero, idle_timeout: 5m}}\n",
    "  - {name: fly-agent, provider: fly, plan: shared-cpu-1x-512mb, "
    "architecture: per-agent, scaling: {mode: scale-to-zero, "
    "idle_timeout: 10m}}\n",
    "  - {name: do-session, provider: cloudflare, plan: workers-paid, "
    "architecture: per-session}\n",
    "  - {name: rw-tenant-sleep, provider: railway, plan: pro, "
    "architecture: per-tenant, instance: {vcpu: 1, memory_gb: 2}, "
    "billing_basis: allocated, scaling: {mode: scale-to-zero, "
    "idle_timeout: 3m}}\n",
    "  - {name: fg-tenant-sleep, provider: aws-fargate, plan: linux-x86, "
    "architecture: per-tenant, instance: {vcpu: 1, memory_gb: 2}, "
    "scaling: {mode: scale-to-zero, idle_timeout: 1m}}\n",
    "  - {name: rw-shared-sleep, provider: railway, plan: pro, "
    "architecture: shared, instance: {vcpu: 8, memory_gb: 16}, "
    "billing_basis: allocated, scaling: {mode: scale-to-zero, "
    "idle_timeout: 1m}}\n",
    "  - {name: fg-shared-sleep, provider: aws-fargate, plan: linux-x86, "
    "architecture: shared, instance: {vcpu: 4, memory_gb: 8}, "
    "scaling: {mode: scale-to-zero, idle_timeout: 30s}}\n",
};

static void same_fx(sim_fx a, sim_fx b, const char *dep, const char *what)
{
    cr_expect_eq(a, b, "%s: %s %lld together, %lld alone", dep, what,
                 (long long)a, (long long)b);
}

static void same_dbl(double a, double b, const char *dep, const char *what)
{
    cr_expect(memcmp(&a, &b, sizeof a) == 0, "%s: %s %.17g together, "
              "%.17g alone", dep, what, a, b);
}

/* Runs `head` with every deployment of deps[0 .. n) in one scenario and
 * each in a scenario of its own, and holds every figure of each to be
 * the same to the bit.  The run of them all is left in *t. */
static void same_together_as_alone(test_run *t, const char *head,
                                   const char *const *deps, size_t n)
{
    size_t len = strlen(head) + 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(deps[i]);
    char *all = malloc(len), one[2048];
    cr_assert(all);
    strcpy(all, head);
    for (size_t i = 0; i < n; i++)
        strcat(all, deps[i]);
    test_run_yaml(t, all);
    free(all);
    if (t->rc != SIM_OK)
        sim_diag_print(&t->diag, stderr);
    cr_assert_eq(t->rc, SIM_OK);
    for (size_t i = 0; i < n; i++) {
        const run_deploy *d = &t->res->d[i];
        const char *name = d->pd.dep->name;
        test_run a;
        snprintf(one, sizeof one, "%s%s", head, deps[i]);
        test_run_yaml(&a, one);
        if (a.rc != SIM_OK)
            sim_diag_print(&a.diag, stderr);
        cr_assert_eq(a.rc, SIM_OK, "%s alone", name);
        const run_deploy *e = &a.res->d[0];
        const sim_usage *x = &d->usage, *y = &e->usage;
        same_fx(d->month.mean, e->month.mean, name, "month");
        same_fx(d->month.lo, e->month.lo, name, "month lo");
        same_fx(x->messages, y->messages, name, "messages");
        same_fx(x->instance_seconds, y->instance_seconds, name,
                "instance-seconds");
        same_fx(x->provisioned, y->provisioned, name, "provisioned");
        same_fx(x->instances_mean, y->instances_mean, name, "instances");
        same_fx(x->vcpu_seconds, y->vcpu_seconds, name, "vcpu-seconds");
        same_fx(x->memory_gb_seconds, y->memory_gb_seconds, name,
                "GB-seconds");
        same_fx(x->cold_starts, y->cold_starts, name, "cold starts");
        same_fx(x->object_seconds, y->object_seconds, name,
                "object-seconds");
        same_fx(x->capped_seconds, y->capped_seconds, name,
                "capped seconds");
        same_fx(x->awake_fraction, y->awake_fraction, name,
                "awake fraction");
        same_fx(x->queued_messages, y->queued_messages, name, "queued");
        same_fx(x->refused_messages, y->refused_messages, name, "refused");
        same_fx(x->ws_connects, y->ws_connects, name, "connects");
        same_dbl(d->wait_p95, e->wait_p95, name, "cold-start wait p95");
        same_dbl(d->queue_p99, e->queue_p99, name, "queue wait p99");
        for (int k = 0; k < RPT_TIMELINE; k++)
            same_dbl(d->timeline[k], e->timeline[k], name, "timeline");
        cr_expect_eq(d->feasible, e->feasible, "%s feasible", name);
        test_run_free(&a);
    }
}

Test(stochastic, shared_draws_give_what_each_deployment_gives_alone,
     .timeout = 120)
{
    test_run t;
    same_together_as_alone(&t, SHARE_HEAD, share_deps,
                           sizeof share_deps / sizeof share_deps[0]);
    /* The scenario's sets are real: the pools queued somewhere, the
     * sleepers slept, and connections were counted. */
    cr_assert(test_deploy(&t, "ec2-fixed")->usage.queued_messages > 0);
    cr_assert(test_deploy(&t, "fg-agent")->usage.cold_starts > 0);
    cr_assert(test_deploy(&t, "do-session")->usage.ws_connects > 0);
    test_run_free(&t);
}

/*
 * Instances of one agent each that sleep ride on the shared pools' pass
 * (one set): with 280 agents the pass reads windows of every agent's
 * messages, handed to the sleepers before each window is sorted.  Daily
 * cycles swing the windows' width; an hour pool (Heroku Eco) runs dry on
 * the sleepers' timeline.  Every figure must be what each gets alone.
 */
#define TAP_HEAD                                                            \
    "capsim: 1\nreplications: 2\nseed: 11\n"                                \
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.25, "                 \
    "idle_memory_gb: 0.01}\n"                                               \
    "workload: {tenants: 70, agents_per_tenant: 4, transport: sse, "        \
    "messages_per_agent_month: 2000, arrivals: {diurnal: {peak_hour: 14, "  \
    "peak_to_mean: 3, weekend_factor: 0.5}}, "                              \
    "busy_per_message: {dist: lognormal, median: 15s, sigma: 1.2}}\n"       \
    "deployments:\n"

static const char *const tap_sleepers[] = {
    "  - {name: fg-agent, provider: aws-fargate, plan: linux-x86, "
    "architecture: per-agent, instance: {vcpu: 0.25, memory_gb: 0.5}, "
    "scaling: {mode: scale-to-zero, idle_timeout: 5m}}\n",
    "  - {name: rw-agent, provider: railway, plan: pro, architecture: "
    "per-agent, instance: {vcpu: 1, memory_gb: 1}, billing_basis: "
    "allocated, scaling: {mode: scale-to-zero, idle_timeout: 2m}}\n",
    "  - {name: eco-agent, provider: heroku, plan: eco, architecture: "
    "per-agent, scaling: {mode: scale-to-zero}}\n",
    "  - {name: do-agent, provider: cloudflare, plan: workers-paid, "
    "architecture: per-agent}\n",
};

static const char *const tap_p99 =
    "  - {name: rw-p99, provider: railway, plan: pro, architecture: shared, "
    "instance: {vcpu: 4, memory_gb: 8}, scaling: {sizing: p99}}\n";
static const char *const tap_fixed =
    "  - {name: ec2-fixed, provider: aws-ec2, plan: t3.small, "
    "architecture: shared, scaling: {mode: fixed, instances: 2, "
    "queue_limit: 5}}\n";

Test(stochastic, sleepers_on_the_pools_pass_give_what_they_give_alone,
     .timeout = 180)
{
    /* Sized from demand: the sleepers ride on the demand pass. */
    const char *deps[] = {tap_sleepers[0], tap_p99, tap_sleepers[1],
                          tap_sleepers[2], tap_fixed, tap_sleepers[3]};
    test_run t;
    same_together_as_alone(&t, TAP_HEAD, deps, sizeof deps / sizeof *deps);
    cr_assert(test_deploy(&t, "fg-agent")->usage.cold_starts > 0);
    cr_assert(test_deploy(&t, "eco-agent")->usage.pool_dry_at > 0);
    cr_assert(test_deploy(&t, "ec2-fixed")->usage.queued_messages > 0);
    test_run_free(&t);
}

Test(stochastic, sleepers_on_a_pass_of_known_pools, .timeout = 120)
{
    /* No pool sizes from demand: they ride on the pools' own pass. */
    const char *deps[] = {tap_fixed, tap_sleepers[0], tap_sleepers[3]};
    test_run t;
    same_together_as_alone(&t, TAP_HEAD, deps, sizeof deps / sizeof *deps);
    test_run_free(&t);
}

/* Which deployments take one pass together: instances of one agent each
 * that sleep with shared fixed pools; not per-tenant pools (whose groups
 * are not every agent's), a shared instance that sleeps, nor an
 * autoscaled pool, which pulls its own messages. */
Test(stochastic, per_agent_sleepers_share_the_shared_pools_pass)
{
    test_run t;
    test_run_yaml(&t, TAP_HEAD
                  "  - {name: fg-agent, provider: aws-fargate, plan: "
                  "linux-x86, architecture: per-agent, instance: {vcpu: 0.25, "
                  "memory_gb: 0.5}, scaling: {mode: scale-to-zero, "
                  "idle_timeout: 5m}}\n"
                  "  - {name: do-session, provider: cloudflare, plan: "
                  "workers-paid, architecture: per-session}\n"
                  "  - {name: rw-p99, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 4, memory_gb: 8}, "
                  "scaling: {sizing: p99}}\n"
                  "  - {name: ec2-fixed, provider: aws-ec2, plan: t3.small, "
                  "architecture: shared, scaling: {mode: fixed, instances: "
                  "2}}\n"
                  "  - {name: fg-tenant, provider: aws-fargate, plan: "
                  "linux-x86, architecture: per-tenant, instance: {vcpu: 0.5, "
                  "memory_gb: 1}, scaling: {sizing: p99}}\n"
                  "  - {name: fg-shared-sleep, provider: aws-fargate, plan: "
                  "linux-x86, architecture: shared, instance: {vcpu: 4, "
                  "memory_gb: 8}, scaling: {mode: scale-to-zero, "
                  "idle_timeout: 30s}}\n"
                  "  - {name: fg-auto, provider: aws-fargate, plan: "
                  "linux-x86, architecture: shared, instance: {vcpu: 1, "
                  "memory_gb: 2}, scaling: {mode: autoscale, min: 1, "
                  "max: 4}}\n");
    if (t.rc != SIM_OK)
        sim_diag_print(&t.diag, stderr);
    cr_assert_eq(t.rc, SIM_OK);
    price_ctx ctx = {t.scn, t.cat, NULL};
    uint64_t key[7];
    for (size_t i = 0; i < 7; i++)
        key[i] = sim_share_key(&ctx, &t.res->d[i].pd);
    cr_assert_neq(key[0], 0);
    cr_assert_eq(key[1], key[0]);
    cr_assert_eq(key[2], key[0]);
    cr_assert_eq(key[3], key[0]);
    cr_assert_neq(key[4], key[0]);
    cr_assert_neq(key[5], key[0]);
    cr_assert_neq(key[5], 0);
    cr_assert_eq(key[6], 0);
    test_run_free(&t);
}
