/*
 * test_advice.c -- pricing recommendations, worked by hand.
 *
 * Ten tenants of one agent, 100 messages each a month, $0.001 of LLM spend
 * per message ($0.10 per agent), markup 2:
 *   worker     Cloudflare Workers Paid, a Worker per request: the $5
 *              subscription covers 1,000 messages (10 M requests are
 *              included), so $5 a month, all of it fixed;
 *   fly-tenant a Fly shared-cpu-1x 256 MB machine per tenant, always on:
 *              $1.94 per 30 days, which is also the most it costs in a
 *              730-hour month (Fly's cap), per tenant, nothing fixed.
 * Worker's price per tenant is 2 x ($0.50 + $0.10) = $1.20; it covers its
 * $5 of fees from ceil(5 / (1.20 - 0 - 0.10)) = 5 tenants.  Extrapolated,
 * fly-tenant costs 1.94 N against worker's 5: cheaper up to 2 tenants.
 * fly-tenant's price per agent is 2 x ($1.94 + $0.10) = $4.08.
 */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static cJSON *run_json(test_run *t)
{
    /* Agents hold 100 MB: they fit in a Worker's 128 MB. */
    test_run_yaml(t, "capsim: 1\nname: advice\n"
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.1}\n"
                  "workload: {tenants: 10, "
                  "transport: sse, active_fraction: 0.1, "
                  "messages_per_agent_month: 100}\n"
                  "deployments:\n"
                  "  - {name: worker, provider: cloudflare, plan: "
                  "workers-paid, architecture: per-request}\n"
                  "  - {name: fly-tenant, provider: fly, plan: "
                  "shared-cpu-1x-256mb, architecture: per-tenant}\n"
                  "recommendation: {markups: [2], llm_usd_per_message: "
                  "0.001}\n");
    cr_assert_eq(t->rc, SIM_OK);
    char *text = rpt_render(t->res, RPT_JSON, "test");
    cJSON *root = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(root);
    return root;
}

static double num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, ".")) {
        if (*tok >= '0' && *tok <= '9')
            cur = cJSON_GetArrayItem(cur, atoi(tok));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        cr_assert_not_null(cur, "no %s", path);
    }
    return cur->valuedouble;
}

Test(advice, prices_margins_and_break_even)
{
    test_run t;
    cJSON *root = run_json(&t);
    const cJSON *w = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(root, "deployments"), 0);
    cr_assert_float_eq(num(w, "recommendation.fixed_month_usd"), 5, 1e-9);
    cr_assert_float_eq(num(w, "recommendation.llm_usd_per_agent_month"), 0.1,
                       1e-9);
    cr_assert_float_eq(num(w, "recommendation.prices.0.per_tenant_usd"), 1.2,
                       1e-9);
    cr_assert_float_eq(num(w, "recommendation.prices.0.gross_margin_pct"),
                       50, 1e-9);
    cr_assert_float_eq(num(w, "recommendation.break_even_tenants.0.tenants"),
                       5, 1e-9);
    const cJSON *f = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(root, "deployments"), 1);
    cr_assert_float_eq(num(f, "recommendation.variable_per_tenant_usd"),
                       1.94, 1e-9);
    cr_assert_float_eq(num(f, "recommendation.prices.0.per_agent_usd"),
                       4.08, 1e-9);
    cJSON_Delete(root);
    test_run_free(&t);
}

Test(advice, cheapest_by_scale_band)
{
    test_run t;
    cJSON *root = run_json(&t);
    const cJSON *bands = cJSON_GetObjectItemCaseSensitive(root, "cheapest");
    cr_assert_eq(cJSON_GetArraySize(bands), 2);
    const cJSON *b0 = cJSON_GetArrayItem(bands, 0);
    const cJSON *b1 = cJSON_GetArrayItem(bands, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(b0, "deployment")->valuestring,
                     "fly-tenant");
    cr_assert_float_eq(num(b0, "to_tenants"), 2, 1e-9);
    cr_assert_str_eq(cJSON_GetObjectItem(b1, "deployment")->valuestring,
                     "worker");
    cr_assert_float_eq(num(b1, "from_tenants"), 3, 1e-9);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(b1, "to_tenants")));
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(root, "advice");
    cr_assert_str_eq(cJSON_GetArrayItem(adv, 0)->valuestring,
                     "At 10 tenants (10 agents) the cheapest feasible deployment is "
                     "worker: $5.00 a month, $0.50 per tenant, $0.50 per "
                     "agent.");
    cr_assert(strstr(cJSON_GetArrayItem(adv, 2)->valuestring,
                     "covers it from 5 tenants"));
    cJSON_Delete(root);
    test_run_free(&t);
}
