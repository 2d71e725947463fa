/*
 * test_profile.c -- measured profiles (docs/profiles.md): a profile
 * round-trips into a scenario for its transport, and every bad figure is
 * named at its own line and column.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario/profile.h"
#include "support.h"

#define MEASURED TEST_DIR "/fixtures/profiles/measured.json"

#define SCENARIO(transport, extra)                                         \
    "capsim: 1\nseed: 1\nprofile: " MEASURED "\n"                          \
    "workload: {tenants: 2, transport: " transport ", "                    \
    "messages_per_agent_month: 10, busy_per_message: 10s" extra "}\n"      \
    "deployments:\n"                                                       \
    "  - {name: fly, provider: fly, plan: shared-cpu-1x-512mb, "           \
    "architecture: per-agent, scaling: {mode: scale-to-zero}}\n"

Test(profile, figures_land_for_the_scenarios_transport)
{
    test_run t;
    test_run_yaml(&t, SCENARIO("sse", ""));
    cr_assert_eq(t.rc, SIM_OK);
    const scn_profile *p = &t.scn->profile;
    cr_assert_eq(p->active_vcpu, fx("0.05"));
    cr_assert_eq(p->active_memory_gb, fx("0.002"));
    cr_assert_eq(p->idle_memory_gb, fx("0.0001"));
    cr_assert_eq(p->base_memory_gb, fx("0.01"));
    /* 4 ms a message over one request a message. */
    cr_assert_eq(p->cpu_ms_per_request, fx("4"));
    cr_assert_eq(p->egress_kb_per_message, fx("2.5"));
    cr_assert_eq(p->idle_kb_per_hour, fx("7.5"));
    cr_assert_eq(p->heartbeat_us, 15000000);
    cr_assert_eq(p->runtime_start_us, 250000);
    cr_assert_str_eq(p->source, MEASURED);
    test_run_free(&t);

    test_run_yaml(&t, SCENARIO("websocket", ", connected: while-active"));
    cr_assert_eq(t.rc, SIM_OK);
    p = &t.scn->profile;
    cr_assert_eq(p->egress_kb_per_message, fx("1.5"));
    cr_assert_eq(p->idle_kb_per_hour, fx("3.75"));
    cr_assert_eq(p->heartbeat_us, 30000000);
    test_run_free(&t);
}

/* The runtime starts after the machine: Fly's 512 MB machine's start from
 * the catalog plus the profile's 0.25 s. */
Test(profile, runtime_start_adds_to_the_platforms_cold_start)
{
    test_run t, plain;
    test_run_yaml(&t, SCENARIO("sse", ""));
    test_run_yaml(&plain, "capsim: 1\nseed: 1\n"
                  "workload: {tenants: 2, transport: sse, "
                  "messages_per_agent_month: 10, busy_per_message: 10s}\n"
                  "deployments:\n"
                  "  - {name: fly, provider: fly, plan: shared-cpu-1x-512mb, "
                  "architecture: per-agent, scaling: {mode: "
                  "scale-to-zero}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert_eq(plain.rc, SIM_OK);
    cr_assert_eq(test_deploy(&t, "fly")->pd.cold_start_us,
                 test_deploy(&plain, "fly")->pd.cold_start_us + 250000);
    test_run_free(&t);
    test_run_free(&plain);
}

/* Writes `text` to a temporary profile and reads it for `tr`. */
static int read_text(const char *text, int tr, sim_diag *d, char *path,
                     size_t size)
{
    snprintf(path, size, "/tmp/capsim-profile-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    scn_profile p;
    memset(&p, 0, sizeof p);
    sim_diag_init(d);
    int rc = scn_profile_read(path, (enum scn_transport)tr, 0, d, &p);
    unlink(path);
    return rc;
}

static int has_at(const sim_diag *d, int line, int col, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].line == line && d->v[i].col == col &&
            strstr(d->v[i].message, needle))
            return 1;
    return 0;
}

Test(profile, bad_figures_are_named_where_they_are)
{
    sim_diag d;
    char path[64];
    int rc = read_text("{\n"
                       "  \"capsim_profile\": 1,\n"
                       "  \"active_vcpu\": -1,\n"
                       "  \"idle_kb_per_hr\": 3,\n"
                       "  \"egress_kb_per_message\": {\"sse\": 2, \"ws\": 1},\n"
                       "  \"idle_kb_per_hour\": {\"sse\": 2}\n"
                       "}\n", SCN_WEBSOCKET, &d, path, sizeof path);
    cr_assert_eq(rc, SIM_EPARSE);
    cr_assert(has_at(&d, 3, 18, "expected 'active_vcpu' as a number from 0"));
    cr_assert(has_at(&d, 4, 3, "unknown profile key 'idle_kb_per_hr'; did "
                     "you mean 'idle_kb_per_hour'?"));
    cr_assert(has_at(&d, 5, 39, "unknown transport 'ws'"));
    /* The "sse" of line 6 is not the one of line 5. */
    cr_assert(has_at(&d, 6, 23, "'idle_kb_per_hour' has no figure for "
                     "websocket"));
    cr_assert(has_at(&d, 5, 28, "'egress_kb_per_message' has no figure for "
                     "websocket"));
    sim_diag_fini(&d);
}

Test(profile, malformed_json_and_nul_bytes_have_positions)
{
    sim_diag d;
    char path[64];
    cr_assert_eq(read_text("{\n  \"capsim_profile\": 1,\n  \"active_vcpu\": "
                           "0.1,,\n}\n", SCN_SSE, &d, path, sizeof path),
                 SIM_EPARSE);
    cr_assert_eq(d.n, 1);
    cr_assert_eq(d.v[0].line, 3);
    cr_assert_eq(d.v[0].col, 22, "col %d", d.v[0].col);
    sim_diag_fini(&d);
    static const char nul[] = "{\n  \"capsim_profile\": 1\0}\n";
    snprintf(path, sizeof path, "/tmp/capsim-profile-XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "wb");
    fwrite(nul, 1, sizeof nul - 1, f);
    fclose(f);
    scn_profile p;
    sim_diag_init(&d);
    cr_assert_eq(scn_profile_read(path, SCN_SSE, 0, &d, &p), SIM_EPARSE);
    unlink(path);
    cr_assert(has_at(&d, 2, 22, "unexpected NUL byte"));
    sim_diag_fini(&d);
}

Test(profile, version_is_required)
{
    sim_diag d;
    char path[64];
    cr_assert_eq(read_text("{\"active_vcpu\": 0.1}", SCN_SSE, &d, path,
                           sizeof path), SIM_EPARSE);
    cr_assert(has_at(&d, 1, 1, "missing \"capsim_profile\": 1"));
    sim_diag_fini(&d);
    cr_assert_eq(read_text("{\"capsim_profile\": 2}", SCN_SSE, &d, path,
                           sizeof path), SIM_EPARSE);
    cr_assert(has_at(&d, 1, 20, "the only version there is"));
    sim_diag_fini(&d);
}

Test(profile, a_missing_file_is_named_in_the_scenario)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nprofile: /nonexistent/prof.json\n"
                  "workload: {tenants: 1, active_fraction: 0.1}\n"
                  "deployments: [{name: f, provider: fly, plan: "
                  "shared-cpu-1x-512mb, architecture: per-agent}]\n");
    cr_assert_neq(t.rc, SIM_OK);
    cr_assert(test_diag_has(&t, "cannot read profile "
                            "'/nonexistent/prof.json'"));
    cr_assert_eq(t.diag.v[0].line, 2);
    cr_assert_eq(t.diag.v[0].col, 10);
    test_run_free(&t);
}

/*
 * Keep-alives to connected, idle clients: 1,024 KiB an hour.  Two agents
 * connected all month: 2 x 730 h x 1,024 KiB = 1,495,040 KiB = 1.42578125
 * GB.  Lingering 60 s after each of 2 x 100 messages: 12,000 s = 3.3333 h
 * x 1,024 KiB = 3,413.33 KiB = 0.0032552 GB.  Connected only while active:
 * none.
 */
#define IDLE(connected)                                                    \
    "capsim: 1\n"                                                          \
    "profile: {idle_kb_per_hour: 1024}\n"                                  \
    "workload: {tenants: 2, transport: websocket, active_fraction: 0.1, "  \
    "messages_per_agent_month: 100, connected: " connected "}\n"           \
    "deployments:\n"                                                       \
    "  - {name: r, provider: railway, plan: hobby, architecture: "         \
    "per-agent, instance: {vcpu: 0.25, memory_gb: 0.5}}\n"

Test(profile, idle_keepalives_are_egress_while_connected)
{
    static const struct {
        const char *yaml;
        const char *gb;
    } cases[] = {
        {IDLE("always"), "1.42578125"},
        {IDLE("{linger: 60s}"), "0.003255208"},
        {IDLE("while-active"), "0"},
    };
    for (size_t i = 0; i < 3; i++) {
        test_run t;
        test_run_yaml(&t, cases[i].yaml);
        cr_assert_eq(t.rc, SIM_OK);
        sim_fx got = test_deploy(&t, "r")->usage.egress_gb;
        sim_fx want = fx(cases[i].gb);
        sim_fx off = got > want ? got - want : want - got;
        cr_assert(off < SIM_FX_ONE / 1000000,
                  "case %zu: %f GB", i, sim_fx_to_double(got));
        test_run_free(&t);
    }
}

/* A suspended Fly machine resumes from its memory snapshot: the runtime
 * does not start again, so the cold start stays the resume's 300 ms. */
Test(profile, a_resumed_snapshot_does_not_start_the_runtime)
{
    test_run t;
    test_run_yaml(&t, "capsim: 1\nseed: 1\nprofile: " MEASURED "\n"
                  "workload: {tenants: 2, transport: sse, "
                  "messages_per_agent_month: 10, busy_per_message: 10s}\n"
                  "deployments:\n"
                  "  - {name: fly, provider: fly, plan: shared-cpu-1x-512mb, "
                  "architecture: per-agent, scaling: {mode: scale-to-zero, "
                  "auto_stop: suspend}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert_eq(test_deploy(&t, "fly")->pd.cold_start_us, 300000);
    test_run_free(&t);
}
