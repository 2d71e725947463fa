/*
 * test_billing_railway.c -- Railway: measured vs allocated use, the plan
 * subscription as a minimum with its included usage, egress, volumes and
 * the per-service size limits.  Expected figures are worked by hand from
 * the rates in reference/pricing-2025.md (month = 730 h = 2,628,000 s).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

#define HEAD "capsim: 1\n"

/* 2 agents, a = 0.1: 0.2 agents active at 0.25 vCPU and 0.5 GB. */
#define SMALL "workload: {tenants: 2, agents_per_tenant: 1, active_fraction: 0.1, transport: sse}\n"
/* 20 agents, a = 0.1: 2 agents active. */
#define TWENTY "workload: {tenants: 10, agents_per_tenant: 2, active_fraction: 0.1, transport: sse}\n"

Test(billing_railway, hobby_subscription_is_a_minimum_with_included_usage)
{
    test_run t;
    test_run_yaml(&t, HEAD SMALL
                  "deployments:\n"
                  "  - {name: r, provider: railway, plan: hobby, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "r");
    /* 0.2 active x 0.25 vCPU x 2,628,000 s = 131,400 vCPU-s
     * x $0.00000772 = $1.014408 */
    assert_usd(test_item_usd(d, "vcpu_second"), "1.014408", "vcpu");
    /* 0.2 active x 0.5 GB x 2,628,000 s = 262,800 GB-s x $0.00000386
     * = $1.014408 */
    assert_usd(test_item_usd(d, "memory_gb_second"), "1.014408", "memory");
    /* usage $2.028816 is all covered by the $5 included usage */
    assert_usd(test_item_usd(d, "hobby_credit"), "-2.028816", "credit");
    assert_usd(test_item_usd(d, "hobby_subscription"), "5", "subscription");
    /* max($5, $2.028816) = $5 */
    cr_assert(d->month_usd == fx("5"), "total %.6f", sim_fx_to_double(d->month_usd));
    test_run_free(&t);
}

Test(billing_railway, hobby_usage_above_the_minimum_is_billed_in_full)
{
    test_run t;
    test_run_yaml(&t, HEAD TWENTY
                  "deployments:\n"
                  "  - {name: r, provider: railway, plan: hobby, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "r");
    /* 2 active x 0.25 vCPU x 2,628,000 s = 1,314,000 vCPU-s x $0.00000772
     * = $10.14408 */
    assert_usd(test_item_usd(d, "vcpu_second"), "10.14408", "vcpu");
    /* 2 x 0.5 GB x 2,628,000 s = 2,628,000 GB-s x $0.00000386 = $10.14408 */
    assert_usd(test_item_usd(d, "memory_gb_second"), "10.14408", "memory");
    /* the credit is capped at the $5 the plan includes */
    assert_usd(test_item_usd(d, "hobby_credit"), "-5", "credit");
    /* $5 + $20.28816 - $5 = $20.28816 */
    assert_usd(d->month_usd, "20.28816", "total");
    test_run_free(&t);
}

Test(billing_railway, allocated_basis_bills_the_whole_instance)
{
    test_run t;
    test_run_yaml(&t, HEAD TWENTY
                  "deployments:\n"
                  "  - {name: alloc, provider: railway, plan: hobby, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}, "
                  "billing_basis: allocated, scaling: {mode: fixed, instances: 1}}\n"
                  "  - {name: meas, provider: railway, plan: hobby, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}, "
                  "billing_basis: measured, scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *a = test_deploy(&t, "alloc");
    /* 2 vCPU x 2,628,000 s x $0.00000772 = $40.57632 */
    assert_usd(test_item_usd(a, "vcpu_second"), "40.57632", "alloc vcpu");
    /* 2 GB x 2,628,000 s x $0.00000386 = $20.28816 */
    assert_usd(test_item_usd(a, "memory_gb_second"), "20.28816", "alloc mem");
    /* $5 + $60.86448 - $5 = $60.86448 */
    assert_usd(a->month_usd, "60.86448", "alloc total");
    const run_deploy *m = test_deploy(&t, "meas");
    /* measured: only the 2 active agents' use, as above: $20.28816 */
    assert_usd(m->month_usd, "20.28816", "measured total");
    test_run_free(&t);
}

Test(billing_railway, measured_use_includes_idle_and_runtime_memory)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.5, "
                  "idle_memory_gb: 0.05, base_memory_gb: 0.2}\n"
                  TWENTY
                  "deployments:\n"
                  "  - {name: r, provider: railway, plan: hobby, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}, "
                  "scaling: {mode: fixed, instances: 2}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "r");
    /* memory: 2 active x 0.5 + 18 idle x 0.05 + 2 instances x 0.2
     * = 1 + 0.9 + 0.4 = 2.3 GB x 2,628,000 s = 6,044,400 GB-s
     * x $0.00000386 = $23.331384 */
    assert_usd(test_item_usd(d, "memory_gb_second"), "23.331384", "memory");
    /* vcpu $10.14408 as for 2 active agents; total = 33.475464 */
    assert_usd(d->month_usd, "33.475464", "total");
    test_run_free(&t);
}

Test(billing_railway, pro_minimum_and_credit)
{
    test_run t;
    test_run_yaml(&t, HEAD SMALL
                  "deployments:\n"
                  "  - {name: small, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}}\n"
                  "  - {name: big, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}, "
                  "billing_basis: allocated, scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *s = test_deploy(&t, "small");
    /* usage $2.028816 < $20: pay the $20 subscription only */
    assert_usd(test_item_usd(s, "pro_subscription"), "20", "pro sub");
    assert_usd(test_item_usd(s, "pro_credit"), "-2.028816", "pro credit");
    assert_usd(s->month_usd, "20", "small total");
    const run_deploy *b = test_deploy(&t, "big");
    /* allocated 2 vCPU + 2 GB all month = $60.86448 > $20:
     * $20 + $60.86448 - $20 = $60.86448 */
    assert_usd(test_item_usd(b, "pro_credit"), "-20", "big credit");
    assert_usd(b->month_usd, "60.86448", "big total");
    test_run_free(&t);
}

Test(billing_railway, egress_and_volume)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "profile: {egress_kb_per_message: 1024}\n"
                  "workload: {tenants: 10, agents_per_tenant: 2, "
                  "active_fraction: 0.1, transport: sse, "
                  "messages_per_agent_month: 10240}\n"
                  "deployments:\n"
                  "  - {name: r, provider: railway, plan: hobby, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}, "
                  "scaling: {mode: fixed, instances: 1}, "
                  "extras: {storage_gb: 10}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "r");
    /* 20 agents x 10,240 messages x 1,024 KB = 209,715,200 KB
     * / 1,048,576 KB per GB = 200 GB x $0.05 = $10 */
    assert_usd(test_item_usd(d, "egress_gb"), "10", "egress");
    /* 10 GB x 43,800 min = 438,000 GB-min x $0.000003472222
     * = $1.520833 */
    assert_usd(test_item_usd(d, "volume_gb_minute"), "1.520833", "volume");
    /* $10.14408 + $10.14408 + $10 + $1.520833 = $31.808993; above the
     * hobby minimum, so the credit is $5 and the total the usage */
    assert_usd(d->month_usd, "31.808993", "total");
    test_run_free(&t);
}

Test(billing_railway, service_larger_than_the_plan_allows_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD SMALL
                  "deployments:\n"
                  "  - {name: r, provider: railway, plan: hobby, "
                  "architecture: shared, instance: {vcpu: 16, memory_gb: 16}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "railway hobby service is limited to 8 vCPU"));
    test_run_free(&t);

    test_run_yaml(&t, HEAD SMALL
                  "deployments:\n"
                  "  - {name: r, provider: railway, plan: free, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: 1}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "railway free service is limited to 1 vCPU "
                            "and 0.5 GB"));
    test_run_free(&t);
}

Test(billing_railway, allocated_without_instance_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD SMALL
                  "deployments:\n"
                  "  - {name: r, provider: railway, plan: hobby, "
                  "architecture: shared, billing_basis: allocated}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "billing_basis: allocated needs 'instance'"));
    test_run_free(&t);
}

/* ---------------------------------------------------------------------
 * The Free plan: $0 and $1 of usage a month, no overage invoice; usage
 * past the credit suspends the service to the month's end.
 * ------------------------------------------------------------------ */

static void assert_near(sim_fx got, double want, double tol, const char *what)
{
    double g = sim_fx_to_double(got);
    cr_assert(fabs(g - want) <= tol, "%s: got %.6f, want %.6f", what, g,
              want);
}

/* One always-on instance of 1 vCPU and 0.5 GB, billed by size, draws
 * 1 x $0.00000772 + 0.5 x $0.00000386 = $0.00000965 a second: $1 lasts
 * 1 / 0.00000965 = 103,626.943005 s (28.785 h); the other 2,524,373.056995
 * s of the month are refused. */
#define FREE_ALLOC "  - {name: free, provider: railway, plan: free, " \
    "architecture: shared, instance: {vcpu: 1, memory_gb: 0.5}, " \
    "billing_basis: allocated, scaling: {mode: fixed, instances: 1}}\n"
#define FREE_DRY 103626.943005

static void assert_suspended(const run_deploy *d, double dry,
                             const char *credit)
{
    assert_near(d->usage.pool_dry_at, dry, 1e-3, "dry at");
    assert_near(d->usage.refused_seconds, 2628000 - dry, 1e-3, "refused");
    /* the credit pays for what ran: no invoice */
    assert_usd(test_item_usd(d, "free_credit"), credit, "credit");
    cr_assert(d->month_usd == 0, "total %.12f",
              sim_fx_to_double(d->month_usd));
}

Test(billing_railway, free_plan_suspends_when_its_dollar_runs_out)
{
    test_run t;
    test_run_yaml(&t, HEAD SMALL "deployments:\n" FREE_ALLOC);
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "free");
    assert_suspended(d, FREE_DRY, "-1");
    /* 103,626.943005 s x $0.00000772 = $0.80; x 0.5 GB x $0.00000386
     * = $0.20 */
    assert_usd(test_item_usd(d, "vcpu_second"), "0.8", "vcpu");
    assert_usd(test_item_usd(d, "memory_gb_second"), "0.2", "memory");
    test_run_free(&t);
}

Test(billing_railway, free_plan_has_no_overage_invoice)
{
    test_run t;
    test_run_yaml(&t, HEAD SMALL
                  "deployments:\n"
                  "  - {name: free, provider: railway, plan: free, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: 0.5}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* Measured: 2 agents at a = 0.1 use $1.014408 of vCPU and $1.014408
     * of memory a month (as on Hobby above), $2.028816 at a constant
     * rate: $1 lasts 2,628,000 / 2.028816 = 1,295,336.787564 s, and the
     * bill is $0 instead of $1.028816 of overage. */
    assert_suspended(test_deploy(&t, "free"), 1295336.787564, "-1");
    test_run_free(&t);
}

static char *write_trace(const char *rows)
{
    char *path = malloc(64);
    cr_assert_not_null(path);
    snprintf(path, 64, "/tmp/capsim-railway-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, rows, strlen(rows)), (ssize_t)strlen(rows));
    close(fd);
    return path;
}

/* The same instance in the stochastic form: one hour replayed, four
 * messages.  Scaled to the month the credit still runs dry at
 * 103,626.943005 s, 141.955 s into the hour; an always-on pool takes its
 * messages as even over the horizon, so 4 x 730 x (1 - 103,626.943005 /
 * 2,628,000) = 2,804.859 messages are refused.  Egress (1 MB a message)
 * is not cut at the dry time, and Free sends no invoice for it either:
 * the credit line covers it. */
Test(billing_railway, free_plan_suspends_in_the_stochastic_form)
{
    char *csv = write_trace("time,tenant,agent,busy\n"
                            "100,t,a,10\n1000,t,a,10\n2000,t,a,10\n"
                            "3000,t,a,10\n");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, HEAD "horizon: 1h\n"
             "profile: {egress_kb_per_message: 1024}\n"
             "workload: {transport: sse, arrivals: {trace: %s}}\n"
             "deployments:\n" FREE_ALLOC, csv);
    test_run t;
    test_run_yaml(&t, yaml);
    unlink(csv);
    free(csv);
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "free");
    /* $1 of compute and 2,920 x 1,024 KB = 2.8515625 GB of egress x
     * $0.05 = $0.142578125 */
    assert_suspended(d, FREE_DRY, "-1.142578125");
    assert_near(d->usage.refused_messages,
                2920 * (1 - FREE_DRY / 2628000), 1e-3, "refused messages");
    test_run_free(&t);
}

/* Measured, stochastic: the engine meters the month, then spreads its
 * dollars over the awake time.  Base memory 0.5 GB all the hour
 * (3,600 x 0.5 x $0.00000386 = $0.006948) and 1 vCPU for 1,110 busy
 * seconds (x $0.00000772 = $0.0085692): $0.0155172 an hour, $11.327556
 * a month.  $1 is 1 / 11.327556 of it, so the credit runs dry that share
 * into the month: 2,628,000 / 11.327556 = 232,000.618668 s. */
Test(billing_railway, free_plan_measured_in_the_stochastic_form)
{
    char *csv = write_trace("time,tenant,agent,busy\n"
                            "100,t,a,1000\n2000,t,a,100\n3000,t,a,10\n");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, HEAD "horizon: 1h\n"
             "profile: {active_vcpu: 1, active_memory_gb: 0, "
             "base_memory_gb: 0.5}\n"
             "workload: {transport: sse, arrivals: {trace: %s}}\n"
             "deployments:\n"
             "  - {name: free, provider: railway, plan: free, "
             "architecture: shared, instance: {vcpu: 1, memory_gb: 0.5}, "
             "scaling: {mode: fixed, instances: 1}}\n", csv);
    test_run t;
    test_run_yaml(&t, yaml);
    unlink(csv);
    free(csv);
    cr_assert_eq(t.rc, SIM_OK);
    assert_suspended(test_deploy(&t, "free"), 232000.618668, "-1");
    test_run_free(&t);
}
