/*
 * test_stochastic.c -- stochastic workloads end to end: closed forms,
 * agreement with the fluid model, determinism and common random numbers.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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
