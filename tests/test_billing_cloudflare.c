/*
 * test_billing_cloudflare.c -- Workers Paid ($5 minimum, 10M requests and
 * 30M CPU-ms included), Workers for Platforms ($25, 20M / 60M, 1,000
 * scripts), Durable Objects (wall-clock duration at 128 MB = 0.125 GB per
 * object with 400,000 GB-s included; requests with 1M included and incoming
 * WebSocket messages at 20:1), R2 (free tier, round-up to whole units),
 * and the architectures Cloudflare cannot run.  Month = 2,628,000 s.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "support.h"

#define HEAD "capsim: 1\n"

/* 10,000 agents over SSE: one request of 5 CPU-ms per message. */
#define WORKERS(msgs) "workload: {tenants: 100, agents_per_tenant: 100, " \
    "active_fraction: 0.1, transport: sse, messages_per_agent_month: " msgs "}\n"

Test(billing_cloudflare, workers_paid_minimum_covers_included_usage)
{
    test_run t;
    test_run_yaml(&t, HEAD WORKERS("500")
                  "deployments:\n"
                  "  - {name: w, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-request}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "w");
    /* 10,000 x 500 = 5M requests <= 10M; 25M CPU-ms <= 30M: $0 each */
    assert_usd(test_item_usd(d, "workers_requests"), "0", "requests");
    assert_usd(test_item_usd(d, "workers_cpu_ms"), "0", "cpu");
    /* just the $5 subscription */
    cr_assert(d->month_usd == fx("5"), "total %.6f",
              sim_fx_to_double(d->month_usd));
    test_run_free(&t);
}

Test(billing_cloudflare, workers_paid_overage)
{
    test_run t;
    test_run_yaml(&t, HEAD WORKERS("2000")
                  "deployments:\n"
                  "  - {name: w, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-request}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "w");
    /* 20M requests - 10M included = 10M x $0.30/M = $3.00 */
    assert_usd(test_item_usd(d, "workers_requests"), "3.00", "requests");
    /* 20M x 5 ms = 100M CPU-ms - 30M = 70M x $0.02/M = $1.40 */
    assert_usd(test_item_usd(d, "workers_cpu_ms"), "1.40", "cpu");
    /* $5 + $3 + $1.40 = $9.40 */
    assert_usd(d->month_usd, "9.40", "total");
    test_run_free(&t);
}

Test(billing_cloudflare, workers_for_platforms_25_with_20m_and_60m)
{
    test_run t;
    test_run_yaml(&t, HEAD WORKERS("2000")
                  "deployments:\n"
                  "  - {name: p, provider: cloudflare, "
                  "plan: workers-for-platforms, architecture: per-request}\n"
                  "  - {name: many, provider: cloudflare, "
                  "plan: workers-for-platforms, architecture: per-request, "
                  "extras: {scripts: 1500}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "p");
    /* 20M requests <= 20M included: $0 */
    assert_usd(test_item_usd(d, "wfp_requests"), "0", "requests");
    /* 100M CPU-ms - 60M = 40M x $0.02/M = $0.80 */
    assert_usd(test_item_usd(d, "wfp_cpu_ms"), "0.80", "cpu");
    /* $25 + $0.80 = $25.80 */
    assert_usd(d->month_usd, "25.80", "total");
    /* 1,500 scripts - 1,000 included = 500 x $0.02 = $10; $35.80 */
    const run_deploy *m = test_deploy(&t, "many");
    assert_usd(test_item_usd(m, "wfp_scripts"), "10", "scripts");
    assert_usd(m->month_usd, "35.80", "many total");
    test_run_free(&t);
}

Test(billing_cloudflare, durable_object_per_session_duration)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 100, agents_per_tenant: 10, "
                  "active_fraction: 0.1, transport: sse, "
                  "messages_per_agent_month: 100}\n"
                  "deployments:\n"
                  "  - {name: do, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-session}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "do");
    /* 1,000 objects x 0.1 active = 100 x 2,628,000 s x 0.125 GB
     * = 32,850,000 GB-s - 400,000 = 32,450,000 x $12.50/M = $405.625 */
    assert_usd(test_item_usd(d, "do_gb_seconds"), "405.625", "duration");
    /* 100,000 requests to the objects <= 1M included */
    assert_usd(test_item_usd(d, "do_requests"), "0", "do requests");
    /* $5 + $405.625 = $410.625 */
    assert_usd(d->month_usd, "410.625", "total");
    test_run_free(&t);
}

Test(billing_cloudflare, durable_object_duration_within_400k_gb_s)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 1, agents_per_tenant: 10, "
                  "active_fraction: 0.1, transport: sse}\n"
                  "deployments:\n"
                  "  - {name: do, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-session}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "do");
    /* 1 object active all month: 2,628,000 s x 0.125 GB = 328,500 GB-s
     * <= 400,000 included: $0; total the $5 minimum */
    assert_usd(test_item_usd(d, "do_gb_seconds"), "0", "duration");
    assert_usd(d->month_usd, "5", "total");
    test_run_free(&t);
}

Test(billing_cloudflare, durable_object_per_tenant_is_active_when_any_agent_is)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 10, agents_per_tenant: 2, "
                  "active_fraction: 0.1, transport: sse}\n"
                  "deployments:\n"
                  "  - {name: do, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-tenant}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "do");
    /* active share 1 - 0.9^2 = 0.19; 10 x 0.19 x 2,628,000 s x 0.125 GB
     * = 624,150 GB-s - 400,000 = 224,150 x $12.50/M = $2.801875 */
    assert_usd(test_item_usd(d, "do_gb_seconds"), "2.801875", "duration");
    assert_usd(d->month_usd, "7.801875", "total");
    test_run_free(&t);
}

Test(billing_cloudflare, websocket_incoming_messages_count_20_to_1)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "profile: {cpu_ms_per_request: 0}\n"
                  "workload: {tenants: 100, agents_per_tenant: 10, "
                  "active_fraction: 0.1, transport: websocket, "
                  "connected: always, messages_per_agent_month: 100000}\n"
                  "deployments:\n"
                  "  - {name: do, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-session, extras: {hibernation: true}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "do");
    /* 1,000 upgrades + 100M incoming messages / 20 = 5,001,000 requests
     * - 1M included = 4,001,000 x $0.15/M = $0.60015 */
    assert_usd(test_item_usd(d, "do_requests"), "0.60015", "do requests");
    /* hibernating sockets: billed only while active, $405.625 as above */
    assert_usd(test_item_usd(d, "do_gb_seconds"), "405.625", "duration");
    /* 1,000 upgrade requests to the Worker <= 10M: $0;
     * total $5 + $0.60015 + $405.625 = $411.22515 */
    assert_usd(d->month_usd, "411.22515", "total");
    test_run_free(&t);
}

Test(billing_cloudflare, non_hibernatable_socket_bills_the_whole_month)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 100, agents_per_tenant: 10, "
                  "active_fraction: 0.1, transport: websocket, "
                  "connected: always}\n"
                  "deployments:\n"
                  "  - {name: do, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-session, extras: {hibernation: false}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "do");
    /* 1,000 objects x 2,628,000 s x 0.125 GB = 328,500,000 GB-s
     * - 400,000 = 328,100,000 x $12.50/M = $4,101.25 */
    assert_usd(test_item_usd(d, "do_gb_seconds"), "4101.25", "duration");
    test_run_free(&t);
}

Test(billing_cloudflare, r2_free_tier_and_round_up_to_whole_units)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 1, agents_per_tenant: 1, "
                  "active_fraction: 0.1, transport: sse}\n"
                  "deployments:\n"
                  "  - {name: r2, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-request, extras: {r2_storage_gb: 25.5, "
                  "r2_class_a_millions: 1.5, r2_class_b_millions: 12.2}}\n"
                  "  - {name: free, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-request, extras: {r2_storage_gb: 9.5, "
                  "r2_class_a_millions: 0.9, r2_class_b_millions: 9}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "r2");
    /* 25.5 - 10 free = 15.5 GB-month, rounded up to 16 x $0.015 = $0.24 */
    assert_usd(test_item_usd(d, "r2_storage_gb_month"), "0.24", "storage");
    /* 1.5M - 1M free = 0.5M, rounded up to 1M x $4.50 = $4.50 */
    assert_usd(test_item_usd(d, "r2_class_a"), "4.50", "class a");
    /* 12.2M - 10M free = 2.2M, rounded up to 3M x $0.36 = $1.08 */
    assert_usd(test_item_usd(d, "r2_class_b"), "1.08", "class b");
    /* $5 + $0.24 + $4.50 + $1.08 = $10.82 */
    assert_usd(d->month_usd, "10.82", "total");
    /* all within the free tier: the $5 minimum only */
    assert_usd(test_deploy(&t, "free")->month_usd, "5", "free total");
    test_run_free(&t);
}

Test(billing_cloudflare, shared_architecture_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 10, agents_per_tenant: 2, "
                  "active_fraction: 0.1}\n"
                  "deployments:\n"
                  "  - {name: w, provider: cloudflare, plan: workers-paid, "
                  "architecture: shared}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "cloudflare cannot run architecture "
                            "'shared'"));
    test_run_free(&t);
}

Test(billing_cloudflare, fixed_instances_are_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 10, agents_per_tenant: 2, "
                  "active_fraction: 0.1}\n"
                  "deployments:\n"
                  "  - {name: w, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-session, "
                  "scaling: {mode: fixed, instances: 2}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "Cloudflare has no fixed instances"));
    test_run_free(&t);
}

/* ---------------------------------------------------------------------
 * Durable Object duration and WebSocket upgrades, replayed from a trace
 * so every second is known.  One hour of traffic, scaled to the month by
 * 730.  Tenant t has two agents, each with an object of its own:
 *   a: 0 s busy 1,000 s; 1,500 s busy 1,000 s; 3,000 s busy 500 s
 *   b: 0 s busy 1,000 s; 1,100 s busy 1,000 s; 3,000 s busy 500 s
 * Busy: 2,500 s each, 5,000 s in the hour.  `cold_start: 0s` keeps the
 * object's 5 ms start out of the sums.
 * ------------------------------------------------------------------ */

static char *write_trace(void)
{
    static const char rows[] = "time,tenant,agent,busy\n"
                               "0,t,a,1000\n1500,t,a,1000\n3000,t,a,500\n"
                               "0,t,b,1000\n1100,t,b,1000\n3000,t,b,500\n";
    char *path = malloc(64);
    cr_assert_not_null(path);
    snprintf(path, 64, "/tmp/capsim-do-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, rows, sizeof rows - 1), (ssize_t)(sizeof rows - 1));
    close(fd);
    return path;
}

/* Runs the trace on one object per agent with `connected` and
 * `hibernation` as given. */
static void run_do_trace(test_run *t, const char *connected,
                         const char *hibernation)
{
    char *csv = write_trace();
    char yaml[1024];
    snprintf(yaml, sizeof yaml, HEAD "horizon: 1h\n"
             "profile: {cpu_ms_per_request: 0}\n"
             "workload: {transport: websocket, connected: %s, "
             "arrivals: {trace: %s}}\n"
             "deployments:\n"
             "  - {name: do, provider: cloudflare, plan: workers-paid, "
             "architecture: per-agent, scaling: {cold_start: 0s}, "
             "extras: {hibernation: %s}}\n", connected, csv, hibernation);
    test_run_yaml(t, yaml);
    unlink(csv);
    free(csv);
    cr_assert_eq(t->rc, SIM_OK);
}

/* Billed object-seconds and dollars of duration for one run. */
static void assert_duration(const test_run *t, double seconds_per_hour,
                            const char *usd)
{
    const run_deploy *d = test_deploy(t, "do");
    double got = sim_fx_to_double(d->usage.object_seconds);
    cr_assert(fabs(got - seconds_per_hour * 730) < 1e-6,
              "object-seconds %.6f, want %.0f x 730", got, seconds_per_hour);
    assert_usd(test_item_usd(d, "do_gb_seconds"), usd, "duration");
}

Test(billing_cloudflare, hibernatable_object_bills_only_busy_time)
{
    test_run t;
    run_do_trace(&t, "{linger: 5m}", "true");
    /* Busy 5,000 s an hour; the 10 s the objects stay in memory after
     * each reply, and the lingering clients, could hibernate: free.
     * 5,000 x 730 = 3,650,000 s x 0.125 GB = 456,250 GB-s - 400,000
     * = 56,250 x $12.50/M = $0.703125 */
    assert_duration(&t, 5000, "0.703125");
    test_run_free(&t);
}

Test(billing_cloudflare, non_hibernatable_socket_bills_its_linger_per_gap)
{
    test_run t;
    run_do_trace(&t, "{linger: 5m}", "false");
    /* Each reply holds the socket 300 s more, unless the next message
     * comes first:
     *   a: [0, 1,300) + [1,500, 2,800) + [3,000, 3,600) = 3,200 s
     *   b: [0, 1,300) and [1,100, 2,400) merge: 2,400 + 600 = 3,000 s
     * 6,200 x 730 = 4,526,000 s x 0.125 = 565,750 GB-s - 400,000
     * = 165,750 x $12.50/M = $2.071875 */
    assert_duration(&t, 6200, "2.071875");
    test_run_free(&t);
}

Test(billing_cloudflare, non_hibernatable_socket_connected_always_bills_all)
{
    test_run t;
    run_do_trace(&t, "always", "false");
    /* The socket holds each object from its first message to the end of
     * the hour: 2 x 3,600 = 7,200 x 730 = 5,256,000 s x 0.125 = 657,000
     * GB-s - 400,000 = 257,000 x $12.50/M = $3.2125 */
    assert_duration(&t, 7200, "3.2125");
    test_run_free(&t);
}

Test(billing_cloudflare, non_hibernatable_socket_while_active_bills_busy)
{
    test_run t;
    run_do_trace(&t, "while-active", "false");
    /* Connected only while a message is in service: busy time, $0.703125
     * as for the hibernatable object. */
    assert_duration(&t, 5000, "0.703125");
    test_run_free(&t);
}

/* Upgrades are requests to the Worker and to the object, in every mode:
 *   always: each client connects once a month: 2;
 *   while-active: a connection per message that finds none open --
 *     a: 3; b: 1,100 s comes after b's reply at 1,000 s: 3; 6 an hour;
 *   linger 5m: a: 3; b: 1,100 s is within 300 s of 1,000 s: 2; 5 an hour.
 * Per month: 2, 6 x 730 = 4,380 and 5 x 730 = 3,650. */
Test(billing_cloudflare, websocket_upgrades_count_in_every_connected_mode)
{
    static const struct {
        const char *connected;
        double upgrades;
    } modes[] = {{"always", 2}, {"while-active", 4380}, {"{linger: 5m}", 3650}};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        test_run t;
        run_do_trace(&t, modes[i].connected, "true");
        const run_deploy *d = test_deploy(&t, "do");
        double up = sim_fx_to_double(d->usage.ws_connects);
        double req = sim_fx_to_double(d->usage.requests);
        cr_assert(fabs(up - modes[i].upgrades) < 1e-6, "%s: %.6f upgrades",
                  modes[i].connected, up);
        cr_assert(fabs(req - modes[i].upgrades) < 1e-6, "%s: %.6f requests",
                  modes[i].connected, req);
        test_run_free(&t);
    }
}

/* The fluid form: 1,000 objects, a = 0.1, 100 messages an agent-month. */
#define DO_FLUID(connected, msgs) "workload: {tenants: 100, " \
    "agents_per_tenant: 10, active_fraction: 0.1, transport: websocket, " \
    "connected: " connected ", messages_per_agent_month: " msgs "}\n"

Test(billing_cloudflare, fluid_non_hibernatable_linger_bills_per_message)
{
    test_run t;
    test_run_yaml(&t, HEAD DO_FLUID("{linger: 10m}", "100")
                  "deployments:\n"
                  "  - {name: do, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-session, extras: {hibernation: false}}\n"
                  "  - {name: hib, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-session}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* Active 0.1 x 2,628,000 = 262,800 s, and 100 messages x 600 s of
     * linger = 60,000 s: 322,800 s an object, x 1,000 x 0.125 GB =
     * 40,350,000 GB-s - 400,000 = 39,950,000 x $12.50/M = $499.375 */
    assert_usd(test_item_usd(test_deploy(&t, "do"), "do_gb_seconds"),
               "499.375", "non-hibernatable");
    /* The hibernatable object lingers for free: 32,850,000 GB-s - 400,000
     * = 32,450,000 x $12.50/M = $405.625 */
    assert_usd(test_item_usd(test_deploy(&t, "hib"), "do_gb_seconds"),
               "405.625", "hibernatable");
    /* 100 messages a month are 26,280 s apart, more than 600 s: each
     * reconnects, 100,000 upgrades */
    cr_assert(test_deploy(&t, "do")->usage.ws_connects == fx("100000"));
    test_run_free(&t);
}

Test(billing_cloudflare, fluid_upgrades_follow_the_connected_mode)
{
    static const struct {
        const char *yaml;
        const char *upgrades;
    } cases[] = {
        /* one connection a client a month */
        {DO_FLUID("always", "100"), "1000"},
        /* one per message: 1,000 x 100 */
        {DO_FLUID("while-active", "100"), "100000"},
        /* 5,000 messages x 600 s = 3,000,000 s >= 2,628,000 s: the
         * socket never closes, one connection a client */
        {DO_FLUID("{linger: 10m}", "5000"), "1000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        test_run t;
        char yaml[1024];
        snprintf(yaml, sizeof yaml, HEAD "%s"
                 "deployments:\n"
                 "  - {name: do, provider: cloudflare, plan: workers-paid, "
                 "architecture: per-session}\n", cases[i].yaml);
        test_run_yaml(&t, yaml);
        cr_assert_eq(t.rc, SIM_OK);
        const run_deploy *d = test_deploy(&t, "do");
        cr_assert(d->usage.ws_connects == fx(cases[i].upgrades),
                  "case %zu: %.6f upgrades", i,
                  sim_fx_to_double(d->usage.ws_connects));
        cr_assert(d->usage.requests == fx(cases[i].upgrades));
        test_run_free(&t);
    }
}

Test(billing_cloudflare, fluid_linger_without_messages_is_rejected)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "workload: {tenants: 10, agents_per_tenant: 2, "
                  "active_fraction: 0.1, transport: websocket, "
                  "connected: {linger: 10m}}\n"
                  "deployments:\n"
                  "  - {name: do, provider: cloudflare, plan: workers-paid, "
                  "architecture: per-session, extras: {hibernation: false}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "give messages_per_agent_month"));
    test_run_free(&t);
}
