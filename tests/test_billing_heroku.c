/*
 * test_billing_heroku.c -- Heroku: the Eco plan's flat $5 for an account
 * pool of 1,000 dyno-hours (two always-on Eco apps run it dry), one Eco or
 * Basic dyno per app, dynos prorated over the 730-hour month, and the
 * Postgres Essential / Standard add-ons.
 */
#include <criterion/criterion.h>

#include "support.h"

#define HEAD "capsim: 1\n"
#define WL "workload: {tenants: 10, agents_per_tenant: 2, active_fraction: 0.1, transport: sse}\n"
#define APPS(n) "workload: {tenants: " n ", agents_per_tenant: 1, active_fraction: 0.1, transport: sse}\n"

static void assert_near(sim_fx got, const char *want, const char *tol,
                        const char *what)
{
    sim_fx diff = got - fx(want);
    if (diff < 0)
        diff = -diff;
    cr_assert(diff <= fx(tol), "%s: got %.6f, want %s", what,
              sim_fx_to_double(got), want);
}

Test(billing_heroku, eco_is_a_flat_5_dollars)
{
    test_run t;
    test_run_yaml(&t, HEAD APPS("1")
                  "deployments:\n"
                  "  - {name: e, provider: heroku, plan: eco, "
                  "architecture: per-tenant}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "e");
    /* one always-on Eco dyno: 730 h of the 1,000-hour pool; flat $5 */
    assert_usd(test_item_usd(d, "eco_month"), "5", "eco");
    assert_usd(d->month_usd, "5", "total");
    assert_near(d->usage.pool_hours_used, "730", "0.01", "pool hours");
    assert_near(d->usage.awake_fraction, "1", "0.000001", "awake");
    cr_assert(d->usage.refused_seconds == 0);
    test_run_free(&t);
}

Test(billing_heroku, two_always_on_eco_apps_exhaust_the_pool)
{
    test_run t;
    test_run_yaml(&t, HEAD APPS("2")
                  "deployments:\n"
                  "  - {name: e, provider: heroku, plan: eco, "
                  "architecture: per-tenant}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "e");
    /* still the flat $5: extra hours cannot be bought */
    assert_usd(d->month_usd, "5", "total");
    /* 2 apps x 730 h = 1,460 h wanted, 1,000 h in the pool */
    assert_near(d->usage.pool_hours_used, "1000", "0.01", "pool hours");
    /* awake 1,000 / 1,460 = 0.684932 */
    assert_near(d->usage.awake_fraction, "0.684932", "0.000001", "awake");
    /* refused: 2,628,000 s x 460 / 1,460 = 828,000 s (230 h) */
    assert_near(d->usage.refused_seconds, "828000", "1", "refused");
    test_run_free(&t);
}

Test(billing_heroku, basic_is_one_dyno_per_app)
{
    test_run t;
    test_run_yaml(&t, HEAD APPS("3")
                  "deployments:\n"
                  "  - {name: b, provider: heroku, plan: basic, "
                  "architecture: per-tenant}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* 3 apps x 1 Basic dyno x $7 for 730 h = $21 */
    assert_usd(test_item_usd(test_deploy(&t, "b"), "basic_dyno"), "21",
               "dynos");
    assert_usd(test_deploy(&t, "b")->month_usd, "21", "total");
    test_run_free(&t);

    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: b, provider: heroku, plan: basic, "
                  "architecture: shared, scaling: {mode: fixed, instances: 2}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "Heroku runs one basic dyno per process "
                            "type per app"));
    test_run_free(&t);
}

Test(billing_heroku, basic_pool_needing_two_dynos_in_one_app_is_infeasible)
{
    test_run t;
    /* 100 x 10 agents x 0.5 active x 0.5 GB = 250 GB: far beyond one
     * 512 MB dyno */
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 100, agents_per_tenant: 10, "
                  "active_fraction: 0.5, transport: sse}\n"
                  "deployments:\n"
                  "  - {name: b, provider: heroku, plan: basic, "
                  "architecture: shared}\n");
    /* It runs, and is marked infeasible: 250 GB / 0.5 GB = 500 dynos in
     * one app, where Heroku runs one per process type. */
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "b");
    cr_assert_not(d->feasible);
    cr_assert_eq(d->why.n, 1);
    cr_assert_str_eq(d->why.v[0], "needs up to 500 basic dynos in one app, "
                     "and Heroku runs one per process type; use per-tenant "
                     "apps or standard-1x");
    test_run_free(&t);
}

Test(billing_heroku, standard_and_performance_dynos)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: s1, provider: heroku, plan: standard-1x, "
                  "architecture: shared, scaling: {mode: fixed, instances: 2}}\n"
                  "  - {name: s2, provider: heroku, plan: standard-2x, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}}\n"
                  "  - {name: pm, provider: heroku, plan: performance-m, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* 2 x $25 = $50 */
    assert_usd(test_deploy(&t, "s1")->month_usd, "50", "standard-1x");
    /* 1 x $50 */
    assert_usd(test_deploy(&t, "s2")->month_usd, "50", "standard-2x");
    /* 1 x $250 */
    assert_usd(test_deploy(&t, "pm")->month_usd, "250", "performance-m");
    test_run_free(&t);
}

Test(billing_heroku, postgres_essential_plans)
{
    test_run t;
    test_run_yaml(&t, HEAD APPS("1")
                  "deployments:\n"
                  "  - {name: s1, provider: heroku, plan: standard-1x, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {postgres: essential-1}}\n"
                  "  - {name: eco, provider: heroku, plan: eco, "
                  "architecture: per-tenant, extras: {postgres: essential-0}}\n"
                  "  - {name: e2, provider: heroku, plan: standard-1x, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {postgres: essential-2}}\n"
                  "  - {name: std0, provider: heroku, plan: standard-1x, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {postgres: standard-0}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* Essential-1 $9 for the whole month; + $25 dyno = $34 */
    assert_usd(test_item_usd(test_deploy(&t, "s1"), "postgres_essential_1"),
               "9", "essential-1");
    assert_usd(test_deploy(&t, "s1")->month_usd, "34", "s1 total");
    /* Eco $5 + Essential-0 $5 = $10 */
    assert_usd(test_deploy(&t, "eco")->month_usd, "10", "eco total");
    /* $25 + Essential-2 $20 = $45 */
    assert_usd(test_deploy(&t, "e2")->month_usd, "45", "e2 total");
    /* $25 + Standard-0 $50 = $75 */
    assert_usd(test_deploy(&t, "std0")->month_usd, "75", "std0 total");
    test_run_free(&t);
}

Test(billing_heroku, retired_postgres_mini_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: s1, provider: heroku, plan: standard-1x, "
                  "architecture: shared, scaling: {mode: fixed, instances: 1}, "
                  "extras: {postgres: mini}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "unknown Heroku Postgres plan 'mini'"));
    test_run_free(&t);
}

Test(billing_heroku, measured_basis_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD WL
                  "deployments:\n"
                  "  - {name: s1, provider: heroku, plan: standard-1x, "
                  "architecture: shared, billing_basis: measured, "
                  "scaling: {mode: fixed, instances: 1}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "heroku bills the size of a running "
                            "instance"));
    test_run_free(&t);
}
