/*
 * test_arrivals.c -- workloads beyond Poisson through the whole stack:
 * tenant classes, trace replay, sessions, the hour pool running dry and
 * the warnings for settings a provider does not have.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

#define DEPLOY                                                             \
    "deployments:\n"                                                       \
    "  - {name: a, provider: railway, plan: pro, architecture: per-agent, "\
    "instance: {vcpu: 1, memory_gb: 1}, billing_basis: allocated, "        \
    "scaling: {mode: scale-to-zero}}\n"                                    \
    "  - {name: s, provider: railway, plan: pro, architecture: shared, "   \
    "instance: {vcpu: 8, memory_gb: 8}}\n"

/* Agents are numbered class by class, so two identical classes of 30 and
 * 20 tenants are the very same agents as one class of 50: the results
 * must be identical to the last digit. */
Test(arrivals, two_identical_classes_are_one_class)
{
    test_run one, two;
    test_run_yaml(&one, "capsim: 1\nname: same\nreplications: 2\nworkload: {tenants: "
                  "50, agents_per_tenant: 2, transport: sse, "
                  "messages_per_agent_month: 200, busy_per_message: 20s}\n"
                  DEPLOY);
    test_run_yaml(&two, "capsim: 1\nname: same\nreplications: 2\nworkload:\n"
                  "  transport: sse\n  busy_per_message: 20s\n"
                  "  messages_per_agent_month: 200\n"
                  "  classes:\n"
                  "    - {name: x, tenants: 30, agents_per_tenant: 2}\n"
                  "    - {name: y, tenants: 20, agents_per_tenant: 2}\n"
                  DEPLOY);
    cr_assert_eq(one.rc, SIM_OK);
    cr_assert_eq(two.rc, SIM_OK);
    char *a = rpt_render(one.res, RPT_JSON, "test");
    char *b = rpt_render(two.res, RPT_JSON, "test");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    test_run_free(&one);
    test_run_free(&two);
}

/* Classes add up: 10 tenants x 1 agent at 100 and 5 x 4 at 400 send
 * 1,000 + 8,000 messages a month on average. */
Test(arrivals, classes_add_their_messages)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nreplications: 4\nworkload:\n"
                  "  transport: sse\n  busy_per_message: 20s\n"
                  "  classes:\n"
                  "    - {tenants: 10, messages_per_agent_month: 100}\n"
                  "    - {tenants: 5, agents_per_tenant: 4, "
                  "messages_per_agent_month: 400, arrivals: {diurnal: "
                  "{peak_to_mean: 3}}}\n" DEPLOY);
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert_eq(t.scn->workload.tenants, 15);
    cr_assert_eq(scn_agents(t.scn), 30);
    double m = sim_fx_to_double(test_deploy(&t, "s")->usage.messages);
    /* Poisson: sd of the 4-replication mean is sqrt(9000 / 4) = 47. */
    cr_assert(fabs(m - 9000) < 4 * 47.5, "messages %f", m);
    test_run_free(&t);
}

static char *write_file(const char *name, const char *text)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/capsim-arrivals-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
    }
    char *path = malloc(256);
    snprintf(path, 256, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/*
 * A replayed trace, worked by hand.  Agent a of tenant t sends at 0 s,
 * 100 s and 2,000 s, each busy 10 s; Fargate with a 10-minute idle rule
 * and no cold start is awake over [0, 710) and [2000, 2610): 1,320 s of
 * the 3,600 s horizon, two wakes.  Agent b of tenant u sends once at
 * 3,000 s: awake to the horizon, 600 s, one wake.
 */
Test(arrivals, a_trace_replays_exactly)
{
    char *csv = write_file("trace.csv", "time,tenant,agent,busy\n"
                           "0,t,a,10\n100,t,a,10\n3000,u,b,10\n"
                           "2000,t,a,10\n");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "capsim: 1\nhorizon: 1h\nworkload: "
             "{transport: sse, arrivals: {trace: %s}}\n"
             "deployments:\n"
             "  - {name: f, provider: aws-fargate, architecture: per-agent, "
             "instance: {vcpu: 0.25, memory_gb: 0.5}, scaling: {mode: "
             "scale-to-zero, idle_timeout: 10m, cold_start: 0s}}\n", csv);
    test_run t;
    test_run_yaml(&t, yaml);
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert_eq(t.scn->workload.tenants, 2);
    const run_deploy *d = test_deploy(&t, "f");
    /* Two instances (one per agent) over 3,600 s: (1,320 + 600) / 7,200. */
    double want = (1320.0 + 600) / 7200;
    cr_assert(fabs(sim_fx_to_double(d->usage.awake_fraction) - want) < 1e-9,
              "awake %.15f", sim_fx_to_double(d->usage.awake_fraction));
    /* Three wakes in an hour is 2,190 a month of 730 hours. */
    cr_assert(fabs(sim_fx_to_double(d->usage.cold_starts) - 2190) < 1e-6);
    cr_assert(fabs(sim_fx_to_double(d->usage.messages) - 2920) < 1e-6);
    /* Fargate's 45 s start-up is replaced by 0 s: a what-if, said so. */
    cr_assert(test_diag_has(&t, "aws-fargate has no cold-start setting"));
    test_run_free(&t);
    free(csv);
}

/*
 * A client that lingers keeps a scale-to-zero container awake: the idle
 * timer starts `linger` after the last reply.  The trace above, over a
 * WebSocket with `connected: {linger: 5m}`: agent a's instance holds
 * 5 + 10 = 15 minutes after each reply, so it is awake over [0, 1,010)
 * (the 100 s message's reply at 110 s + 900 s) and [2,000, 2,910): 1,920 s.
 * Agent b: [3,000, 3,600), 600 s.  Without the linger it would be the
 * 1,320 s + 600 s above.
 */
Test(arrivals, a_lingering_client_keeps_a_container_awake)
{
    char *csv = write_file("linger.csv", "time,tenant,agent,busy\n"
                           "0,t,a,10\n100,t,a,10\n3000,u,b,10\n"
                           "2000,t,a,10\n");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "capsim: 1\nhorizon: 1h\nworkload: "
             "{transport: websocket, connected: {linger: 5m}, "
             "arrivals: {trace: %s}}\n"
             "deployments:\n"
             "  - {name: f, provider: aws-fargate, architecture: per-agent, "
             "instance: {vcpu: 0.25, memory_gb: 0.5}, scaling: {mode: "
             "scale-to-zero, idle_timeout: 10m, cold_start: 0s}}\n", csv);
    test_run t;
    test_run_yaml(&t, yaml);
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "f");
    /* (1,920 + 600) s awake of 2 x 3,600 s */
    double want = (1920.0 + 600) / 7200;
    cr_assert(fabs(sim_fx_to_double(d->usage.awake_fraction) - want) < 1e-9,
              "awake %.15f, want %.15f",
              sim_fx_to_double(d->usage.awake_fraction), want);
    /* (1,920 + 600) s an hour x 730 = 1,839,600 instance-seconds */
    cr_assert(fabs(sim_fx_to_double(d->usage.instance_seconds) - 1839600) <
                  1e-3, "instance-seconds %.6f",
              sim_fx_to_double(d->usage.instance_seconds));
    test_run_free(&t);
    free(csv);
}

Test(arrivals, a_bad_trace_row_names_its_line_and_column)
{
    char *csv = write_file("bad.csv", "0,t,a\n12,t,a\nsoon,t,b\n");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "capsim: 1\nworkload: {transport: sse, "
             "busy_per_message: 5s, arrivals: {trace: %s}}\n"
             "deployments:\n  - {provider: railway}\n", csv);
    test_run t;
    test_run_yaml(&t, yaml);
    cr_assert_neq(t.rc, SIM_OK);
    int found = 0;
    for (size_t i = 0; i < t.diag.n; i++) {
        const sim_diag_entry *e = &t.diag.v[i];
        if (e->file && strstr(e->file, "bad.csv") && e->line == 3 &&
            e->col == 1)
            found = 1;
    }
    cr_assert(found, "no error at bad.csv:3:1");
    test_run_free(&t);
    free(csv);
}

/* Sessions: 20 a month of 3 messages each is 60 messages per agent. */
Test(arrivals, sessions_send_their_messages)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nreplications: 4\nworkload: {tenants: 100, "
                  "transport: sse, busy_per_message: 20s, arrivals: "
                  "{sessions: {per_agent_month: 20, messages_per_session: "
                  "3, think_time: 2m}}}\n" DEPLOY);
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "a");
    double m = sim_fx_to_double(d->usage.messages);
    /* 2,000 sessions a replication, 3 messages each: sd of the mean of
     * four is 3 sqrt(2000 / 4) = 67. */
    cr_assert(fabs(m - 6000) < 4 * 67.1, "messages %f", m);
    /* A session's messages come minutes apart, within one idle period:
     * about one wake per session, far fewer than one per message. */
    double wakes = sim_fx_to_double(d->usage.cold_starts);
    cr_assert(wakes < 0.45 * m, "wakes %f for %f messages", wakes, m);
    test_run_free(&t);
}

/*
 * Heroku Eco's 1,000-hour pool.  Ten Eco apps (one per tenant) whose
 * WebSocket clients never disconnect never sleep once woken; with a
 * message a minute each wakes within seconds of the month's start, so
 * the pool runs dry at 1,000 h / 10 = 100 h, and users are refused for
 * the remaining 630 h.
 */
Test(arrivals, the_eco_hour_pool_runs_dry_at_the_right_hour)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nworkload: {tenants: 10, transport: "
                  "websocket, connected: always, messages_per_agent_month: "
                  "43800, busy_per_message: 5s}\n"
                  "deployments:\n  - {name: e, provider: heroku, plan: eco, "
                  "architecture: per-tenant, scaling: {mode: "
                  "scale-to-zero}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const run_deploy *d = test_deploy(&t, "e");
    double dry = sim_fx_to_double(d->usage.pool_dry_at) / 3600;
    cr_assert(fabs(dry - 100) < 0.05, "dry at %f h", dry);
    double refused = sim_fx_to_double(d->usage.refused_seconds) / 3600;
    cr_assert(fabs(refused - 630) < 0.05, "refused %f h", refused);
    /* A message a minute for 630 hours, ten tenants: 378,000 refused. */
    double rm = sim_fx_to_double(d->usage.refused_messages);
    cr_assert(fabs(rm - 378000) < 4 * sqrt(378000), "refused %f", rm);
    cr_assert(fabs(sim_fx_to_double(d->usage.pool_hours_used) - 1000) <
              1e-6);
    test_run_free(&t);
}

/* Railway decides when a service sleeps; a different idle timeout is a
 * what-if, simulated with a warning.  AWS leaves it to you: no warning. */
Test(arrivals, an_idle_timeout_the_provider_lacks_is_warned_about)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nworkload: {tenants: 5, transport: sse, "
                  "messages_per_agent_month: 100, busy_per_message: 20s}\n"
                  "deployments:\n"
                  "  - {name: r, provider: railway, architecture: per-agent, "
                  "instance: {vcpu: 1, memory_gb: 1}, scaling: {mode: "
                  "scale-to-zero, idle_timeout: 5m}}\n"
                  "  - {name: f, provider: aws-fargate, architecture: "
                  "per-agent, instance: {vcpu: 0.25, memory_gb: 0.5}, "
                  "scaling: {mode: scale-to-zero, idle_timeout: 5m}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "deployment 'r': railway has no "
                            "idle-timeout setting (its instances sleep "
                            "after 10m); simulating 5m as asked"));
    cr_assert_not(test_diag_has(&t, "deployment 'f': aws-fargate has no "
                                "idle-timeout"));
    test_run_free(&t);
}

/* Fly's suspend resumes from a memory snapshot in about 300 ms instead of
 * a 2 s boot; every wait is that long.  Other providers have no such
 * setting. */
Test(arrivals, fly_suspend_resumes_faster_than_stop)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nworkload: {tenants: 20, transport: sse, "
                  "messages_per_agent_month: 300, busy_per_message: 30s}\n"
                  "deployments:\n"
                  "  - {name: stop, provider: fly, plan: shared-cpu-1x-512mb, "
                  "architecture: per-agent, scaling: {mode: scale-to-zero}}\n"
                  "  - {name: suspend, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent, scaling: "
                  "{mode: scale-to-zero, auto_stop: suspend}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert_float_eq(test_deploy(&t, "stop")->wait_p95, 2, 1e-9);
    cr_assert_float_eq(test_deploy(&t, "suspend")->wait_p95, 0.3, 1e-9);
    test_run_free(&t);
    test_run_yaml(&t, "capsim: 1\nworkload: {tenants: 2, transport: sse, "
                  "messages_per_agent_month: 30, busy_per_message: 30s}\n"
                  "deployments:\n  - {name: r, provider: railway, "
                  "architecture: per-agent, scaling: {mode: scale-to-zero, "
                  "auto_stop: suspend}}\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "scaling.auto_stop is Fly's setting"));
    test_run_free(&t);
}

/* An autoscaled pool without `max` is bounded by its agents, not by the
 * 10^8 default: ten one-agent tenants run at once. */
Test(arrivals, autoscale_without_max_stays_small, .timeout = 20)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nworkload: {tenants: 10, transport: sse, "
                  "messages_per_agent_month: 300, busy_per_message: 30s}\n"
                  "deployments:\n  - {name: a, provider: aws-fargate, "
                  "architecture: per-tenant, instance: {vcpu: 0.25, "
                  "memory_gb: 0.5}, scaling: {mode: autoscale, min: 1}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    /* One instance per tenant: two would be the most ever wanted. */
    double peak = sim_fx_to_double(test_deploy(&t, "a")->usage.instances_peak);
    cr_assert(peak >= 10 && peak <= 20, "peak %f", peak);
    test_run_free(&t);
}

/* A trace whose tenants have different numbers of agents is refused
 * rather than billed for agents it does not have. */
Test(arrivals, an_uneven_trace_is_refused)
{
    char *csv = write_file("uneven.csv", "0,t1,a\n5,t1,b\n9,t2,a\n");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "capsim: 1\nworkload: {transport: sse, "
             "busy_per_message: 5s, arrivals: {trace: %s}}\n"
             "deployments:\n  - {provider: railway}\n", csv);
    test_run t;
    test_run_yaml(&t, yaml);
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "tenant 2 has fewer agents than the "
                            "largest tenant (2)"));
    test_run_free(&t);
    free(csv);
}
