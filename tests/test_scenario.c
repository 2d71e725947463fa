/*
 * test_scenario.c -- loading scenarios: values, defaults and every kind of
 * error a user can make, each with its position and what was expected.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define HEAD "capsim: 1\n"
#define WL "workload: {tenants: 10, agents_per_tenant: 2, active_fraction: 0.1}\n"
#define DEP "deployments:\n  - {name: r, provider: railway, plan: hobby}\n"

/* The first diagnostic, for position checks. */
static const sim_diag_entry *first(const test_run *t)
{
    cr_assert(t->diag.n > 0, "expected a diagnostic");
    return &t->diag.v[0];
}

Test(scenario, reads_values_durations_and_defaults)
{
    test_run t;
    test_run_yaml(&t, HEAD "name: demo\nhorizon: 7d\nseed: 42\n"
                  "profile: {active_vcpu: 0.5, heartbeat_interval: 250ms}\n"
                  WL DEP);
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert_str_eq(t.scn->name, "demo");
    cr_assert_eq(t.scn->horizon_us, 7LL * 86400 * 1000000);
    cr_assert_eq(t.scn->seed, 42);
    cr_assert(t.scn->profile.active_vcpu == fx("0.5"));
    cr_assert(t.scn->profile.active_memory_gb == fx("0.5"));
    cr_assert_eq(t.scn->profile.heartbeat_us, 250000);
    cr_assert_eq(scn_agents(t.scn), 20);
    cr_assert_str_eq(t.scn->pricing, "default");
    cr_assert_eq(t.scn->nmarkups, 3);
    test_run_free(&t);
}

Test(scenario, unknown_key_suggests_the_right_one)
{
    test_run t;
    test_run_yaml(&t, HEAD "workload: {tenants: 10, agent_per_tenant: 2, "
                  "active_fraction: 0.1}\n" DEP);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "unknown key 'agent_per_tenant' in workload; "
                            "did you mean 'agents_per_tenant'?"));
    cr_assert_eq(first(&t)->line, 2);
    cr_assert_eq(first(&t)->col, 25);
    test_run_free(&t);
}

Test(scenario, missing_version_is_an_error)
{
    test_run t;
    test_run_yaml(&t, WL DEP);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "missing 'capsim: 1'"));
    test_run_free(&t);
}

Test(scenario, wrong_version_names_the_range)
{
    test_run t;
    test_run_yaml(&t, "capsim: 2\n" WL DEP);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "must be between 1 and 1, found 2"));
    cr_assert_eq(first(&t)->line, 1);
    cr_assert_eq(first(&t)->col, 9);
    test_run_free(&t);
}

Test(scenario, duration_needs_a_unit)
{
    test_run t;
    test_run_yaml(&t, HEAD "horizon: 730\n" WL DEP);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "expected horizon as a duration with a unit"));
    cr_assert(test_diag_has(&t, "found '730'"));
    test_run_free(&t);
}

Test(scenario, fraction_out_of_range)
{
    test_run t;
    test_run_yaml(&t, HEAD "workload: {tenants: 10, active_fraction: 1.5}\n"
                  DEP);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "workload.active_fraction must be between 0 "
                            "and 1, found 1.5"));
    test_run_free(&t);
}

Test(scenario, number_given_as_text)
{
    test_run t;
    test_run_yaml(&t, HEAD "workload: {tenants: many, active_fraction: 0.1}\n"
                  DEP);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "expected workload.tenants as a whole number, "
                            "found 'many'"));
    test_run_free(&t);
}

Test(scenario, enum_value_suggests)
{
    test_run t;
    test_run_yaml(&t, HEAD WL "deployments:\n  - {provider: railway, "
                  "architecture: per-tennant}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "unknown architecture 'per-tennant'; did you "
                            "mean 'per-tenant'?"));
    test_run_free(&t);
}

Test(scenario, unknown_provider_and_plan_are_named)
{
    test_run t;
    test_run_yaml(&t, HEAD WL "deployments:\n  - {provider: railwy}\n"
                  "  - {provider: fly, plan: shared-cpu-1x-512}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "unknown provider 'railwy'; did you mean "
                            "'railway'?"));
    cr_assert(test_diag_has(&t, "unknown fly plan 'shared-cpu-1x-512'; did "
                            "you mean 'shared-cpu-1x-512mb'?"));
    test_run_free(&t);
}

Test(scenario, yaml_syntax_error_has_a_position)
{
    test_run t;
    test_run_yaml(&t, HEAD "workload: {tenants: 10\n" DEP);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "invalid YAML"));
    cr_assert(first(&t)->line >= 2);
    test_run_free(&t);
}

Test(scenario, both_workload_forms_need_one)
{
    test_run t;
    test_run_yaml(&t, HEAD "workload: {tenants: 10}\n" DEP);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "workload needs 'active_fraction'"));
    test_run_free(&t);
}

Test(scenario, fixed_needs_instances)
{
    test_run t;
    test_run_yaml(&t, HEAD WL "deployments:\n  - {provider: railway, "
                  "scaling: {mode: fixed}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "scaling mode 'fixed' needs 'instances'"));
    test_run_free(&t);
}

Test(scenario, unknown_rate_override_suggests)
{
    test_run t;
    test_run_yaml(&t, HEAD "rates: {railway.memory_gb_secnd: 0.000003}\n"
                  WL DEP);
    cr_assert_eq(t.rc, SIM_ENOTFOUND);
    test_run_free(&t);

    /* The catalog names the closest item, and a close provider. */
    sim_diag d;
    price_catalog *c = NULL;
    const char *hint = NULL;
    char *path = price_catalog_resolve("default", NULL);
    sim_diag_init(&d);
    cr_assert_eq(price_catalog_load(path, &d, &c), SIM_OK);
    cr_assert_eq(price_catalog_override(c, "railway.memory_gb_secnd",
                                        SIM_FX_ONE, &hint), SIM_ENOTFOUND);
    cr_assert_str_eq(hint, "memory_gb_second");
    cr_assert_eq(price_catalog_override(c, "railwy.vcpu_second", SIM_FX_ONE,
                                        &hint), SIM_ENOTFOUND);
    cr_assert_str_eq(hint, "railway");
    price_catalog_free(c);
    sim_diag_fini(&d);
    free(path);
}

Test(scenario, rate_override_changes_the_bill)
{
    test_run t;
    /* 10 x 2 agents x 0.1 active x 0.5 GB = 1 GB over 2,628,000 s at a
     * negotiated $0.000001/GB-s = $2.628; vCPU: 0.5 vCPU x 2,628,000 x
     * 0.00000772 = $10.14408; usage $12.77208 is above the $5 minimum. */
    test_run_yaml(&t, HEAD "rates: {railway.memory_gb_second: 0.000001}\n"
                  WL DEP);
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "r");
    cr_assert(test_item_usd(d, "memory_gb_second") == fx("2.628"));
    cr_assert(test_item_usd(d, "vcpu_second") == fx("10.14408"));
    cr_assert(d->month_usd == fx("12.77208"));
    test_run_free(&t);
}

Test(scenario, scale_to_zero_needs_the_stochastic_form)
{
    test_run t;
    test_run_yaml(&t, HEAD WL "deployments:\n  - {provider: railway, "
                  "architecture: per-agent, scaling: {mode: "
                  "scale-to-zero}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "scale-to-zero depends on when messages "
                            "arrive"));
    test_run_free(&t);
}
