/*
 * test_billing_render.c -- Render: instance tiers priced per 730-hour
 * month, paid instances that never sleep (scale-to-zero rejected),
 * workspace seats, outbound bandwidth in 100 GB blocks beyond the
 * workspace's allowance, persistent disks and the free hour pool.
 */
#include <criterion/criterion.h>

#include "support.h"

#define HEAD "capsim: 1\n"
#define WL "workload: {tenants: 10, agents_per_tenant: 2, active_fraction: 0.1, transport: sse}\n"

Test(billing_render, tiers_per_730_hour_month)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: s, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 2}}\n"
                  "  - {name: std, provider: render, plan: standard, "
                  "architecture: shared, scaling: {mode: fixed, instances: 3}}\n"
                  "  - {name: pp, provider: render, plan: pro-plus, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}}\n"
                  "  - {name: pu, provider: render, plan: pro-ultra, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* 2 x $7 for a full 730 h month = $14 */
    assert_usd(test_item_usd(test_deploy(&t, "s"), "starter_instance"), "14",
               "starter");
    assert_usd(test_deploy(&t, "s")->month_usd, "14", "starter total");
    /* 3 x $25 = $75 */
    assert_usd(test_deploy(&t, "std")->month_usd, "75", "standard");
    /* 1 x $175 */
    assert_usd(test_deploy(&t, "pp")->month_usd, "175", "pro-plus");
    /* 1 x $450 */
    assert_usd(test_deploy(&t, "pu")->month_usd, "450", "pro-ultra");
    test_run_free(&t);
}

Test(billing_render, pool_sized_from_demand)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 100, agents_per_tenant: 10, "
                  "active_fraction: 0.1, transport: sse}\n"
                  "deployments:\n"
                  "  - {name: std, provider: render, plan: standard, "
                  "architecture: shared}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* 100 active agents: 25 vCPU / 1 = 25, 50 GB / 2 = 25 instances;
     * 25 x $25 = $625 */
    assert_usd(test_deploy(&t, "std")->month_usd, "625", "total");
    test_run_free(&t);
}

Test(billing_render, paid_plan_with_scale_to_zero_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: s, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: scale-to-zero}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "paid instances (starter) never sleep"));
    test_run_free(&t);
}

Test(billing_render, workspace_seats)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: pro, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {workspace: professional, seats: 3}}\n"
                  "  - {name: org, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {workspace: organization, seats: 2}}\n"
                  "  - {name: hobby, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {workspace: hobby, seats: 4}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* 3 seats x $19 = $57; + $7 starter = $64 */
    assert_usd(test_item_usd(test_deploy(&t, "pro"), "seat_professional"),
               "57", "professional seats");
    assert_usd(test_deploy(&t, "pro")->month_usd, "64", "professional total");
    /* 2 x $29 = $58; + $7 = $65 */
    assert_usd(test_deploy(&t, "org")->month_usd, "65", "organization total");
    /* hobby seats are free: $7 */
    assert_usd(test_deploy(&t, "hobby")->month_usd, "7", "hobby total");
    test_run_free(&t);
}

Test(billing_render, unknown_workspace_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: s, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {workspace: team}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "unknown render workspace 'team'"));
    test_run_free(&t);
}

/* One agent sending `msgs` messages of 1 GB each. */
#define BW(msgs) "profile: {egress_kb_per_message: 1048576}\n" \
    "workload: {tenants: 1, agents_per_tenant: 1, active_fraction: 0.1, " \
    "transport: sse, messages_per_agent_month: " msgs "}\n"

Test(billing_render, bandwidth_blocks_beyond_the_hobby_allowance)
{
    test_run t;
    test_run_yaml(&t, HEAD BW("250")
                  "deployments:\n"
                  "  - {name: s, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "s");
    /* 250 GB - 100 GB hobby allowance = 150 GB -> 2 blocks of 100 GB
     * x $15 = $30 */
    assert_usd(test_item_usd(d, "bandwidth_block"), "30", "bandwidth");
    /* $7 + $30 = $37 */
    assert_usd(d->month_usd, "37", "total");
    test_run_free(&t);
}

Test(billing_render, bandwidth_within_the_allowance_is_free)
{
    test_run t;
    test_run_yaml(&t, HEAD BW("100")
                  "deployments:\n"
                  "  - {name: s, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* exactly 100 GB on hobby: $0; total $7 */
    assert_usd(test_item_usd(test_deploy(&t, "s"), "bandwidth_block"), "0",
               "bandwidth");
    assert_usd(test_deploy(&t, "s")->month_usd, "7", "total");
    test_run_free(&t);
}

Test(billing_render, bandwidth_professional_allowance)
{
    test_run t;
    test_run_yaml(&t, HEAD BW("1234")
                  "deployments:\n"
                  "  - {name: s, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {workspace: professional}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "s");
    /* 1,234 GB - 500 GB = 734 GB -> 8 blocks x $15 = $120 */
    assert_usd(test_item_usd(d, "bandwidth_block"), "120", "bandwidth");
    /* $7 + 1 seat x $19 + $120 = $146 */
    assert_usd(d->month_usd, "146", "total");
    test_run_free(&t);
}

Test(billing_render, persistent_disk)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: s, provider: render, plan: starter, "
                  "architecture: shared, scaling: {mode: fixed, instances: 2}, "
                  "extras: {storage_gb: 10}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "s");
    /* 2 instances x 10 GB x $0.25 = $5; + $14 = $19 */
    assert_usd(test_item_usd(d, "disk_gb_month"), "5", "disk");
    assert_usd(d->month_usd, "19", "total");
    test_run_free(&t);
}

Test(billing_render, free_instances_share_750_hours)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 2, agents_per_tenant: 1, "
                  "active_fraction: 0.1, transport: sse}\n"
                  "deployments:\n"
                  "  - {name: f, provider: render, plan: free, "
                  "architecture: per-tenant}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    /* free costs $0 */
    assert_usd(d->month_usd, "0", "total");
    /* 2 always-on instances want 1,460 h; the pool has 750:
     * awake 750 / 1,460 = 0.513699 of the time */
    double awake = sim_fx_to_double(d->usage.awake_fraction);
    cr_assert(awake > 0.513689 && awake < 0.513709, "awake %f", awake);
    test_run_free(&t);
}
