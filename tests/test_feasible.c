/*
 * test_feasible.c -- the service level and the limits a deployment must
 * meet before capsim names it, each against a figure worked out here.
 *
 * Breaks each test was seen to catch (one line changed in the source):
 *   queue_wait_slo_*           reading queue_p50 or queue_p99 for the p95
 *   refused_hours_*            dropping the refused-time rule
 *   durable_object_memory      comparing with <= the runtime's room
 *   infeasible_is_never_*      run_cheapest not skipping infeasible ones
 *   advice_band_at_one_tenant  the advice's fixed part from per-account
 *                              line items only (the old rule)
 */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/table.h"
#include "support.h"

/* Erlang B by its recurrence, Erlang C from it. */
static double erlang_c(int c, double a)
{
    double b = 1;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return c * b / (c - a * (1 - b));
}

static int has_reason(const run_deploy *d, const char *needle)
{
    for (size_t i = 0; i < d->why.n; i++)
        if (strstr(d->why.v[i], needle))
            return 1;
    return 0;
}

/*
 * M/M/4 at A = 3 erlangs (test_capacity.c's pool): P(wait) = C(4, 3) =
 * 0.5094 and P(W > t) = C e^{-(c mu - lambda) t} with c mu - lambda =
 * 1/60 s, so the p95 wait is 60 ln(C / 0.05) = 139.3 s, the p50 wait
 * 60 ln(C / 0.5) = 1.1 s and the p99 wait 60 ln(C / 0.01) = 235.9 s.
 */
#define MM4(slo)                                                           \
    "capsim: 1\nseed: 3\nreplications: 4\n" slo                            \
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"                \
    "workload: {tenants: 100, transport: sse, messages_per_agent_month: "  \
    "1314, busy_per_message: {dist: exponential, mean: 60s}}\n"            \
    "deployments:\n"                                                       \
    "  - {name: p, provider: railway, plan: pro, architecture: shared, "   \
    "instance: {vcpu: 0.25, memory_gb: 0.5}, scaling: {mode: fixed, "      \
    "instances: 4}}\n"

Test(feasible, queue_wait_slo_reads_the_p95_wait)
{
    double p95 = 60 * log(erlang_c(4, 3) / 0.05);
    cr_assert(fabs(p95 - 139.3) < 0.1, "p95 %f", p95);
    test_run t;
    /* 100 s: between the p50 (1.1 s) and the p95 (139 s). */
    test_run_yaml(&t, MM4("slo: {queue_wait_p95: 100s}\n"));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "p");
    cr_assert_not(d->feasible);
    cr_assert_eq(d->why.n, 1);
    cr_assert(strstr(d->why.v[0], "p95 queue wait "), "%s", d->why.v[0]);
    cr_assert(strstr(d->why.v[0], " s > 100 s"), "%s", d->why.v[0]);
    test_run_free(&t);
    /* 180 s: between the p95 (139 s) and the p99 (236 s). */
    test_run_yaml(&t, MM4("slo: {queue_wait_p95: 180s}\n"));
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert(test_deploy(&t, "p")->feasible);
    test_run_free(&t);
}

Test(feasible, queue_wait_slo_default_is_ten_seconds)
{
    test_run t;
    test_run_yaml(&t, MM4(""));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "p");
    cr_assert_not(d->feasible);
    cr_assert(has_reason(d, "s > 10 s"));
    char *table = rpt_render(t.res, RPT_TABLE, "test");
    cr_assert(strstr(table, "SLO: queue wait p95 <= 10 s, nothing refused "
                            "(the default; set slo: to change it)."),
              "%s", table);
    cr_assert(strstr(table, "  infeasible: p: p95 queue wait "), "%s", table);
    cr_assert(strstr(table, "No deployment is feasible."), "%s", table);
    free(table);
    test_run_free(&t);
}

/*
 * Two Eco apps always on want 2 x 730 = 1,460 dyno-hours from a pool of
 * 1,000: kept 1000 / 1460 of the month, refused 730 x 460 / 1460 = 230 h.
 */
#define ECO(slo)                                                           \
    "capsim: 1\n" slo                                                      \
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.25}\n"               \
    "workload: {tenants: 2, transport: sse, active_fraction: 0.5}\n"       \
    "deployments:\n"                                                       \
    "  - {name: eco, provider: heroku, plan: eco, architecture: "          \
    "per-tenant}\n"

Test(feasible, refused_hours_break_the_default_slo)
{
    test_run t;
    test_run_yaml(&t, ECO(""));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "eco");
    assert_usd(d->usage.refused_seconds / 3600, "230", "refused hours");
    cr_assert_not(d->feasible);
    cr_assert_str_eq(d->why.v[0], "service is refused 230 h a month once "
                     "its hours or credit run out");
    test_run_free(&t);
    /* A service level that tolerates refusals lets it stand. */
    test_run_yaml(&t, ECO("slo: {refused_messages: 1000}\n"));
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert(test_deploy(&t, "eco")->feasible);
    test_run_free(&t);
}

/* 0.5 GB agents do not fit a Durable Object's 128 MB; 0.125 GB ones do,
 * exactly. */
#define DO(mem)                                                            \
    "capsim: 1\nseed: 2\n"                                                 \
    "profile: {active_vcpu: 0.25, active_memory_gb: " mem "}\n"            \
    "workload: {tenants: 5, agents_per_tenant: 2, "                        \
    "messages_per_agent_month: 30, busy_per_message: 10s}\n"               \
    "deployments:\n"                                                       \
    "  - {name: do, provider: cloudflare, architecture: per-session}\n"    \
    "  - {name: worker, provider: cloudflare, architecture: per-request}\n"

Test(feasible, durable_object_memory)
{
    test_run t;
    test_run_yaml(&t, DO("0.5"));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "do");
    cr_assert_not(d->feasible);
    cr_assert_str_eq(d->why.v[0], "agents need 512 MB; a Durable Object "
                     "has 128 MB");
    cr_assert_str_eq(test_deploy(&t, "worker")->why.v[0],
                     "agents need 512 MB; a Worker has 128 MB");
    test_run_free(&t);
    test_run_yaml(&t, DO("0.125"));
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert(test_deploy(&t, "do")->feasible);
    cr_assert(test_deploy(&t, "worker")->feasible);
    test_run_free(&t);
}

Test(feasible, worker_cpu_per_request)
{
    test_run t;
    /* Five minutes is the most a Worker invocation may use. */
    test_run_yaml(&t, "capsim: 1\n"
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.1, "
                  "cpu_ms_per_request: 300001}\n"
                  "workload: {tenants: 2, transport: sse, "
                  "active_fraction: 0.1, messages_per_agent_month: 10}\n"
                  "deployments:\n"
                  "  - {name: w, provider: cloudflare, architecture: "
                  "per-request}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "w");
    cr_assert_not(d->feasible);
    cr_assert_str_eq(d->why.v[0], "per-request CPU of 300001 ms exceeds "
                     "the Workers limit of 300000 ms (5 minutes)");
    test_run_free(&t);
}

/*
 * A fixed fluid pool: 1 instance of 1 vCPU serves 1 / 0.25 = 4 messages
 * at once; 100 agents at 10% keep 10 busy: the queue grows without bound.
 * Two instances of 8 vCPU serve 64: fine.
 */
Test(feasible, fluid_fixed_pool_must_carry_the_mean_demand)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\n"
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.25}\n"
                  "workload: {tenants: 100, transport: sse, "
                  "active_fraction: 0.1}\n"
                  "deployments:\n"
                  "  - {name: small, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 1, memory_gb: 8}, "
                  "scaling: {mode: fixed, instances: 1}}\n"
                  "  - {name: big, provider: railway, plan: pro, "
                  "architecture: shared, instance: {vcpu: 8, memory_gb: 8}, "
                  "scaling: {mode: fixed, instances: 2}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *s = test_deploy(&t, "small");
    cr_assert_not(s->feasible);
    cr_assert_str_eq(s->why.v[0], "1 instances serve at most 4 messages at "
                     "once; 10 agents are busy on average, so the queue "
                     "grows without bound");
    cr_assert_eq(s->cap.slots, 4);
    cr_assert_not(s->cap.by_memory);
    cr_assert(test_deploy(&t, "big")->feasible);
    test_run_free(&t);
}

/* 2,500 agents x 0.05 GB idle need 81 tasks of 2 GB (test_capacity.c);
 * ten fixed ones or an autoscaling max of 50 cannot hold them. */
Test(feasible, pools_below_the_resident_floor)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nseed: 5\n"
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.5, "
                  "idle_memory_gb: 0.05}\n"
                  "workload: {tenants: 250, agents_per_tenant: 10, "
                  "transport: sse, messages_per_agent_month: 1, "
                  "busy_per_message: 10s}\n"
                  "slo: {queue_wait_p95: 1h}\n"
                  "deployments:\n"
                  "  - {name: fixed, provider: aws-fargate, architecture: "
                  "shared, instance: {vcpu: 1, memory_gb: 2}, scaling: "
                  "{mode: fixed, instances: 10}}\n"
                  "  - {name: auto, provider: aws-fargate, architecture: "
                  "shared, instance: {vcpu: 1, memory_gb: 2}, scaling: "
                  "{mode: autoscale, min: 1, max: 50}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *f = test_deploy(&t, "fixed");
    cr_assert_not(f->feasible);
    cr_assert(has_reason(f, "10 instances cannot keep them"), "%s",
              f->why.n ? f->why.v[0] : "");
    cr_assert(has_reason(f, "(81 needed"));
    const run_deploy *a = test_deploy(&t, "auto");
    cr_assert_not(a->feasible);
    cr_assert_str_eq(a->why.v[0], "autoscaling max 50 is below the 81 "
                     "instances that keep the agents' 125 GB resident with "
                     "a busy agent each");
    test_run_free(&t);
}

/*
 * The cheapest deployment by cost is a Durable Object per session ($5
 * of Workers Paid covers it) that cannot hold a 0.5 GB agent; capsim
 * names the always-on Fly machines (20 x $3.19) instead, in
 * the table, the advice and the bands.
 */
Test(feasible, infeasible_is_never_named_cheapest)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nname: cheap but impossible\nseed: 2\n"
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"
                  "workload: {tenants: 20, transport: sse, "
                  "messages_per_agent_month: 30, busy_per_message: 10s}\n"
                  "deployments:\n"
                  "  - {name: do, provider: cloudflare, architecture: "
                  "per-session}\n"
                  "  - {name: fly, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *dd = test_deploy(&t, "do");
    const run_deploy *fl = test_deploy(&t, "fly");
    cr_assert(dd->month_usd < fl->month_usd, "the object is cheaper");
    cr_assert_eq(run_cheapest(t.res), fl);
    char *json = rpt_render(t.res, RPT_JSON, "test");
    cJSON *root = cJSON_Parse(json);
    const cJSON *bands = cJSON_GetObjectItem(root, "cheapest");
    const cJSON *b;
    cJSON_ArrayForEach(b, bands)
        cr_assert_str_eq(cJSON_GetObjectItem(b, "deployment")->valuestring,
                         "fly");
    const cJSON *adv = cJSON_GetObjectItem(root, "advice");
    cr_assert(strstr(cJSON_GetArrayItem(adv, 0)->valuestring,
                     "the cheapest feasible deployment is fly:"));
    const cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root,
                                                             "deployments"),
                                         0);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(d0, "feasible")));
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(
                         d0, "infeasible_reasons"), 0)->valuestring,
                     "agents need 512 MB; a Durable Object has 128 MB");
    cJSON_Delete(root);
    free(json);
    char *md = rpt_render(t.res, RPT_MD, "test");
    cr_assert(strstr(md, "| infeasible |"), "%s", md);
    cr_assert(strstr(md, "- do is infeasible: agents need 512 MB; a Durable "
                         "Object has 128 MB."), "%s", md);
    cr_assert(strstr(md, "Cheapest feasible per agent: fly "), "%s", md);
    free(md);
    char *csv = rpt_render(t.res, RPT_CSV, "test");
    cr_assert(strstr(csv, ",total,Month total,month,"), "%s", csv);
    cr_assert(strstr(csv, "per-session,workers-paid,total,"), "%s", csv);
    free(csv);
    test_run_free(&t);
}

/*
 * The advice's band at one tenant must name what a real run at one tenant
 * finds cheapest.  A Fargate pool behind an ALB costs at least the ALB
 * ($16.43), its IPv4s and one task at any scale; per-agent Railway costs
 * the $5 Hobby minimum at one tenant.
 */
#define ADVICE(tenants)                                                    \
    "capsim: 1\nname: bands\n"                                             \
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"                \
    "workload: {tenants: " tenants ", agents_per_tenant: 2, "              \
    "active_fraction: 0.1, messages_per_agent_month: 30}\n"                \
    "deployments:\n"                                                       \
    "  - {name: railway, provider: railway, plan: hobby, architecture: "   \
    "per-agent, instance: {vcpu: 0.25, memory_gb: 0.5}}\n"                 \
    "  - {name: fargate, provider: aws-fargate, architecture: shared, "    \
    "instance: {vcpu: 1, memory_gb: 2}, extras: {load_balancer: alb, "     \
    "ipv4: 1}}\n"

Test(feasible, advice_band_at_one_tenant_agrees_with_a_run_there)
{
    test_run one, many;
    test_run_yaml(&one, ADVICE("1"));
    cr_assert_eq(one.rc, SIM_OK);
    const run_deploy *best = run_cheapest(one.res);
    cr_assert_str_eq(best->pd.dep->name, "railway");
    /* One tenant: Railway's $5 minimum; Fargate $16.425 for the ALB
     * alone. */
    assert_usd(best->month_usd, "5", "railway at one tenant");
    test_run_yaml(&many, ADVICE("100"));
    cr_assert_eq(many.rc, SIM_OK);
    char *json = rpt_render(many.res, RPT_JSON, "test");
    cJSON *root = cJSON_Parse(json);
    const cJSON *b0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root,
                                                             "cheapest"), 0);
    cr_assert_eq(cJSON_GetObjectItem(b0, "from_tenants")->valueint, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(b0, "deployment")->valuestring,
                     best->pd.dep->name);
    /* Fargate's fixed part is what one tenant costs less one tenant's
     * variable cost: the line through both runs. */
    const run_deploy *f = test_deploy(&many, "fargate");
    sim_fx var = (f->month_usd - f->small_month_usd) / 99;
    const cJSON *rec = cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(root, "deployments"), 1),
        "recommendation");
    cr_assert(fabs(cJSON_GetObjectItem(rec, "fixed_month_usd")->valuedouble -
                   sim_fx_to_double(f->small_month_usd - var)) < 1e-5);
    cr_assert_eq(f->small_tenants, 1);
    cJSON_Delete(root);
    free(json);
    test_run_free(&one);
    test_run_free(&many);
}

Test(feasible, one_tenant_reads_right)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nname: solo\n"
                  "workload: {tenants: 1, agents_per_tenant: 1, "
                  "active_fraction: 0.1}\n"
                  "deployments:\n"
                  "  - {name: fly, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent}\n"
                  "  - {name: fly2, provider: fly, plan: "
                  "shared-cpu-1x-1gb, architecture: per-agent}\n");
    cr_assert_eq(t.rc, SIM_OK);
    char *table = rpt_render(t.res, RPT_TABLE, "test");
    cr_assert(strstr(table, "solo: 1 tenant x 1 agent,"), "%s", table);
    free(table);
    char *json = rpt_render(t.res, RPT_JSON, "test");
    cr_assert(strstr(json, "At 1 tenant (1 agent) the cheapest"), "%s",
              json);
    cr_assert(strstr(json, "from 1 tenant up"), "%s", json);
    cr_assert_null(strstr(json, "1 tenants"));
    free(json);
    char *md = rpt_render(t.res, RPT_MD, "test");
    cr_assert(strstr(md, "1 tenant with 1 agent,"), "%s", md);
    free(md);
    test_run_free(&t);
}

Test(feasible, fluid_takes_no_stochastic_keys)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\n"
                  "workload: {tenants: 1, active_fraction: 0.1, "
                  "busy_per_message: 10s}\n"
                  "deployments:\n"
                  "  - {name: fly, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "'busy_per_message' belongs to the "
                            "stochastic form"));
    test_run_free(&t);
    test_run_yaml(&t, "capsim: 1\nreplications: 5\n"
                  "workload: {tenants: 1, active_fraction: 0.1}\n"
                  "deployments:\n"
                  "  - {name: fly, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "'replications' belongs to the stochastic "
                            "form"));
    test_run_free(&t);
}

Test(feasible, scale_to_zero_kept_awake_by_websockets_warns)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nseed: 1\n"
                  "workload: {tenants: 2, messages_per_agent_month: 10, "
                  "busy_per_message: 10s}\n"
                  "deployments:\n"
                  "  - {name: fly, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent, scaling: "
                  "{mode: scale-to-zero}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "scale-to-zero never sleeps here"));
    cr_assert(test_diag_has(&t, "set workload.connected to while-active"));
    /* Awake from its first message to the month's end, as the warning
     * says: never asleep again. */
    const run_deploy *d = test_deploy(&t, "fly");
    cr_assert_eq(d->usage.cold_starts, sim_fx_from_int(2),
                 "one start per machine: %f",
                 sim_fx_to_double(d->usage.cold_starts));
    test_run_free(&t);
}

/*
 * A tenant's agents share its one machine (scale-to-zero: one instance a
 * tenant, not a pool that can grow): ten agents holding 0.05 GB idle,
 * one of them busy at 0.1 GB, need 9 x 0.05 + 0.1 = 0.55 GB, over a 512 MB
 * machine; nine need 8 x 0.05 + 0.1 = 0.5 GB, which fits exactly.
 */
#define TENANT(apt)                                                        \
    "capsim: 1\n"                                                          \
    "profile: {active_vcpu: 0.1, active_memory_gb: 0.1, "                  \
    "idle_memory_gb: 0.05}\n"                                              \
    "workload: {tenants: 2, agents_per_tenant: " apt ", transport: sse, "  \
    "messages_per_agent_month: 10, busy_per_message: 10s}\n"              \
    "deployments:\n"                                                       \
    "  - {name: f, provider: fly, plan: shared-cpu-1x-512mb, "             \
    "architecture: per-tenant, scaling: {mode: scale-to-zero}}\n"

Test(feasible, a_tenants_agents_must_fit_its_instance)
{
    test_run t;
    test_run_yaml(&t, TENANT("10"));
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    cr_assert_not(d->feasible);
    cr_assert_str_eq(d->why.v[0], "10 agents on one instance need 563.2 MB "
                     "(51.2 MB idle each, one busy); a shared-cpu-1x-512mb "
                     "instance has 512 MB");
    test_run_free(&t);
    test_run_yaml(&t, TENANT("9"));
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert(test_deploy(&t, "f")->feasible);
    test_run_free(&t);
}

/* A busy agent needing 0.5 vCPU on a 0.25 vCPU Fargate task. */
Test(feasible, a_busy_agent_must_fit_the_instances_vcpu)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\n"
                  "profile: {active_vcpu: 0.5, active_memory_gb: 0.25}\n"
                  "workload: {tenants: 2, transport: sse, "
                  "active_fraction: 0.1}\n"
                  "deployments:\n"
                  "  - {name: small, provider: aws-fargate, architecture: "
                  "per-agent, instance: {vcpu: 0.25, memory_gb: 0.5}}\n"
                  "  - {name: big, provider: aws-fargate, architecture: "
                  "per-agent, instance: {vcpu: 0.5, memory_gb: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "small");
    cr_assert_not(d->feasible);
    cr_assert_str_eq(d->why.v[0], "a busy agent needs 0.5 vCPU; a 0.25 vCPU "
                     "/ 512 MB instance has 0.25");
    cr_assert(test_deploy(&t, "big")->feasible);
    test_run_free(&t);
}
