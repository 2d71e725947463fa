/*
 * test_billing_railway.c -- Railway: measured vs allocated use, the plan
 * subscription as a minimum with its included usage, egress, volumes and
 * the per-service size limits.  Expected figures are worked by hand from
 * the rates in reference/pricing-2025.md (month = 730 h = 2,628,000 s).
 */
#include <criterion/criterion.h>

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
    const rpt_deploy *d = test_deploy(&t, "r");
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
    const rpt_deploy *d = test_deploy(&t, "r");
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
    const rpt_deploy *a = test_deploy(&t, "alloc");
    /* 2 vCPU x 2,628,000 s x $0.00000772 = $40.57632 */
    assert_usd(test_item_usd(a, "vcpu_second"), "40.57632", "alloc vcpu");
    /* 2 GB x 2,628,000 s x $0.00000386 = $20.28816 */
    assert_usd(test_item_usd(a, "memory_gb_second"), "20.28816", "alloc mem");
    /* $5 + $60.86448 - $5 = $60.86448 */
    assert_usd(a->month_usd, "60.86448", "alloc total");
    const rpt_deploy *m = test_deploy(&t, "meas");
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
    const rpt_deploy *d = test_deploy(&t, "r");
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
    const rpt_deploy *s = test_deploy(&t, "small");
    /* usage $2.028816 < $20: pay the $20 subscription only */
    assert_usd(test_item_usd(s, "pro_subscription"), "20", "pro sub");
    assert_usd(test_item_usd(s, "pro_credit"), "-2.028816", "pro credit");
    assert_usd(s->month_usd, "20", "small total");
    const rpt_deploy *b = test_deploy(&t, "big");
    /* allocated 2 vCPU + 2 GB all month = $60.86448 > $20:
     * $20 + $60.86448 - $20 = $60.86448 */
    assert_usd(test_item_usd(b, "pro_credit"), "-20", "big credit");
    assert_usd(b->month_usd, "60.86448", "big total");
    test_run_free(&t);
}

Test(billing_railway, free_plan_includes_one_dollar)
{
    test_run t;
    test_run_yaml(&t, HEAD SMALL
                  "deployments:\n"
                  "  - {name: f, provider: railway, plan: free, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: 0.5}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const rpt_deploy *d = test_deploy(&t, "f");
    /* usage $2.028816, free subscription $0, credit $1:
     * $0 + $2.028816 - $1 = $1.028816 */
    assert_usd(test_item_usd(d, "free_credit"), "-1", "credit");
    assert_usd(d->month_usd, "1.028816", "total");
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
    const rpt_deploy *d = test_deploy(&t, "r");
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
