/*
 * test_agent.c -- the reply loop: events and their ids, history holding
 * only whole replies, usage and cost, the tool loop and its bound, the
 * per-tenant concurrency limit and token budget, cancellation by delete
 * and by shutdown.  Configs are built in C; the model is scripted.
 */
/* mkdtemp is an X/Open extension beyond POSIX 2008. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent-harness/agent.h"
#include "agent-harness/resource.h"
#include "base/fixed.h"

/* ---- fixture --------------------------------------------------------- */

typedef struct ev_log {
    pthread_mutex_t mu;
    char types[4096];       /* "token;token;done;" */
    uint64_t ids[512];
    size_t n;
    char last_data[1024];
} ev_log;

typedef struct fx {
    ag_config cfg;
    char *tools[2];
    ag_store *store;
    ag_bus *bus;
    ag_model *model;
    ag_tools *tools_reg;
    ag_agent *agent;
    ag_bus_sub *sub;
    ev_log log;
    char dir[64], db[128];
    const char *system;     /* system prompt; NULL: "Be brief." */
} fx;

static fx F;

#define START_MS 1700000000123LL    /* 2023-11-14T22:13:20.123Z */
static int64_t g_now = START_MS;

static int64_t fixed_clock(void *ud)
{
    (void)ud;
    return g_now;
}

static void record(const ag_event *ev, void *ud)
{
    ev_log *l = ud;
    pthread_mutex_lock(&l->mu);
    strncat(l->types, ev->type, sizeof l->types - strlen(l->types) - 1);
    strncat(l->types, ";", sizeof l->types - strlen(l->types) - 1);
    if (l->n < 512)
        l->ids[l->n++] = ev->id;
    snprintf(l->last_data, sizeof l->last_data, "%s", ev->data);
    pthread_mutex_unlock(&l->mu);
}

static int fake_read(void *ud, const char *uri, const char *source,
                     char **data, size_t *len, char *err, size_t errlen)
{
    (void)ud, (void)source;
    if (strcmp(uri, "file:///notes.txt") != 0) {
        snprintf(err, errlen, "Failed to load resource from \"%s\"", uri);
        return SIM_ENOTFOUND;
    }
    *data = strdup("the notes");
    *len = 9;
    return *data ? SIM_OK : SIM_ENOMEM;
}

static void base_config(void)
{
    memset(&F, 0, sizeof F);
    g_now = START_MS;
    pthread_mutex_init(&F.log.mu, NULL);
    ag_config *c = &F.cfg;
    c->llm.provider = AG_LLM_SCRIPTED;
    c->llm.model = "scripted";
    c->llm.tokens = 4;
    c->llm.tokens_per_second = 0;
    c->llm.max_iterations = 10;
    c->llm.input_usd_per_mtok = 1.0;
    c->llm.output_usd_per_mtok = 2.5;
    c->storage = AG_STORE_MEMORY;
    c->max_sessions = 10;
    c->stream_buffer = 256;
    F.tools[0] = "currentTime";
    F.tools[1] = "readResource";
    c->tools = F.tools;
    c->ntools = 2;
}

/* Builds the runtime from F.cfg (after a test adjusted it). */
static void build(void)
{
    ag_config *c = &F.cfg;
    ag_store_opts so = {c->storage, F.db, c->max_sessions, c->session_ttl_ms};
    char err[256] = "";
    cr_assert_eq(ag_store_open(&so, fixed_clock(NULL), &F.store, err,
                               sizeof err), SIM_OK, "%s", err);
    cr_assert_eq(ag_bus_new(&F.bus), SIM_OK);
    cr_assert_eq(ag_model_new(&c->llm, &F.model), SIM_OK);
    cr_assert_eq(ag_tools_new(&F.tools_reg), SIM_OK);
    ag_builtin_env env = {fixed_clock, NULL, fake_read, NULL};
    cr_assert_eq(ag_tools_add_builtins(F.tools_reg, c->tools, c->ntools,
                                       &env, err, sizeof err), SIM_OK);
    ag_agent_opts o = {c, F.store, F.model, F.tools_reg, F.bus,
                       F.system ? F.system : "Be brief.", fixed_clock, NULL};
    cr_assert_eq(ag_agent_new(&o, &F.agent), SIM_OK);
    cr_assert_eq(ag_bus_subscribe(F.bus, NULL, record, &F.log, &F.sub),
                 SIM_OK);
}

static void teardown(void)
{
    if (F.agent)
        ag_agent_shutdown(F.agent, 0);
    ag_bus_unsubscribe(F.sub);
    ag_agent_free(F.agent);
    ag_tools_free(F.tools_reg);
    ag_model_free(F.model);
    ag_bus_free(F.bus);
    ag_store_close(F.store);
    if (F.dir[0]) {
        char p[160];
        const char *suffix[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", F.db, suffix[i]);
            remove(p);
        }
        rmdir(F.dir);
    }
    pthread_mutex_destroy(&F.log.mu);
}

static void setup(void)
{
    base_config();
}

static void new_session(char id[AG_ID_SIZE])
{
    cr_assert_eq(ag_agent_create_session(F.agent, "default", id), SIM_OK);
}

static size_t history_len(const char *id)
{
    ag_message *h;
    size_t n;
    cr_assert_eq(ag_store_history(F.store, id, fixed_clock(NULL), 0, &h, &n),
                 SIM_OK);
    ag_messages_free(h, n);
    return n;
}

/* Reads a started reply's events from its ring until done or error. */
static void follow(ag_stream *ring, uint64_t after, char *types, size_t size)
{
    types[0] = '\0';
    for (;;) {
        ag_stream_item it;
        uint64_t missed;
        int rc = ag_stream_read(ring, after, 5000, &it, &missed);
        cr_assert_eq(rc, SIM_OK, "read: %d", rc);
        cr_assert_eq(missed, 0);
        strncat(types, it.type, size - strlen(types) - 1);
        strncat(types, ";", size - strlen(types) - 1);
        after = it.id;
        int end = !strcmp(it.type, "done") || !strcmp(it.type, "error");
        ag_stream_item_fini(&it);
        if (end)
            return;
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- replies --------------------------------------------------------- */

Test(agent, a_reply_streams_tokens_then_done_and_stores_both_messages,
     .init = setup, .fini = teardown)
{
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "hello", &r), SIM_OK,
                 "%s", r.error);
    cr_assert_str_eq(r.content, "lorem ipsum dolor sit");
    cr_assert_str_eq(F.log.types, "token;token;token;token;done;");
    cr_assert_eq(r.iterations, 1);
    cr_assert_str_eq(r.finish_reason, "stop");
    cr_assert_eq(r.seq, 2);
    cr_assert_eq(history_len(id), 2);
    /* Event ids increase, start at boot << 32 + 1, and match the ring. */
    uint64_t first = ((uint64_t)1 << 32) + 1;
    for (size_t i = 0; i < F.log.n; i++)
        cr_assert_eq(F.log.ids[i], first + i);
    cr_assert_eq(r.first_id, first);
    cr_assert_eq(r.last_id, first + 4);
    ag_reply_result_fini(&r);
}

Test(agent, usage_and_cost_are_exact, .init = setup, .fini = teardown)
{
    F.cfg.ntools = 0;       /* tool schemas would count as input */
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "hello", &r), SIM_OK);
    /* input: ("Be brief." 9 + "hello" 5) chars -> 4 tokens; output 4. */
    cr_assert_eq(r.usage.input_tokens, 4);
    cr_assert_eq(r.usage.output_tokens, 4);
    cr_assert(r.usage_estimated);
    /* 4 x $1/M + 4 x $2.5/M = $0.000014 */
    cr_assert(r.usage.cost == SIM_FX_ONE / 1000000 * 14);
    cJSON *done = cJSON_Parse(F.log.last_data);
    cr_assert_not_null(done);
    cJSON *u = cJSON_GetObjectItem(done, "usage");
    cr_assert_eq(cJSON_GetObjectItem(u, "output_tokens")->valueint, 4);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(u, "estimated")));
    cr_assert_float_eq(cJSON_GetObjectItem(done, "cost_usd")->valuedouble,
                       0.000014, 1e-12);
    cr_assert_eq(cJSON_GetObjectItem(done, "seq")->valueint, 2);
    cJSON_Delete(done);
    ag_session_info info;
    ag_store_get(F.store, id, fixed_clock(NULL), &info);
    cr_assert(info.usage.cost == r.usage.cost);
    ag_reply_result_fini(&r);
}

Test(agent, every_file_of_a_files_list_counts_toward_prompt_tokens,
     .init = setup, .fini = teardown)
{
    sim_diag d;
    ag_config *loaded = NULL;
    char err[512] = "", *prompt = NULL;
    sim_diag_init(&d);
    cr_assert_eq(ag_config_load(AGENT_TEST_DIR "/fixtures/files_list.yaml",
                                &d, &loaded), SIM_OK, "%s",
                 d.n ? d.v[0].message : "");
    cr_assert_eq(ag_res_system_prompt(loaded, &prompt, err, sizeof err),
                 SIM_OK, "%s", err);
    /* 24 + 2 + 29 + 2 + 20 + 2 + 39 + 2 + 20 chars: all three files. */
    cr_assert_eq(strlen(prompt), 140);
    F.system = prompt;
    F.cfg.ntools = 0;       /* tool schemas would count as input */
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "hello", &r), SIM_OK);
    /* (140 + "hello" 5) chars -> 37 tokens */
    cr_assert_eq(r.usage.input_tokens, 37);
    cr_assert(r.usage_estimated);
    ag_reply_result_fini(&r);
    free(prompt);
    ag_config_free(loaded);
    sim_diag_fini(&d);
}

Test(agent, the_tool_loop_runs_the_tool_and_records_the_exchange,
     .init = setup, .fini = teardown)
{
    F.cfg.llm.tool_call = "currentTime";
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "time?", &r), SIM_OK,
                 "%s", r.error);
    cr_assert_str_eq(F.log.types, "tool_call;tool_result;token;token;token;"
                                  "token;done;");
    cr_assert_eq(r.iterations, 2);
    ag_message *h;
    size_t n;
    ag_store_history(F.store, id, fixed_clock(NULL), 0, &h, &n);
    cr_assert_eq(n, 4, "user, assistant call, tool result, answer");
    cr_assert_eq(h[1].role, AG_ROLE_ASSISTANT);
    cr_assert(strstr(h[1].tool_calls, "currentTime") != NULL);
    cr_assert_eq(h[2].role, AG_ROLE_TOOL);
    cr_assert(strstr(h[2].content, "2023-11-14T22:13:20.123Z") != NULL,
              "%s", h[2].content);
    cr_assert_gt(h[1].output_tokens, 0, "the call's usage is kept");
    ag_messages_free(h, n);
    ag_reply_result_fini(&r);
}

Test(agent, read_resource_goes_through_the_injected_loader, .init = setup,
     .fini = teardown)
{
    F.cfg.llm.tool_call = "readResource {\"uri\":\"file:///notes.txt\"}";
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "read", &r), SIM_OK);
    ag_message *h;
    size_t n;
    ag_store_history(F.store, id, fixed_clock(NULL), 0, &h, &n);
    cr_assert_str_eq(h[2].content, "the notes");
    ag_messages_free(h, n);
    ag_reply_result_fini(&r);
}

Test(agent, a_failing_tool_is_reported_to_the_model_not_fatal,
     .init = setup, .fini = teardown)
{
    F.cfg.llm.tool_call = "readResource {\"uri\":\"file:///missing\"}";
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "read", &r), SIM_OK);
    ag_message *h;
    size_t n;
    ag_store_history(F.store, id, fixed_clock(NULL), 0, &h, &n);
    cr_assert(strstr(h[2].content, "\"error\"") != NULL, "%s", h[2].content);
    ag_messages_free(h, n);
    ag_reply_result_fini(&r);
}

Test(agent, max_iterations_bounds_the_tool_loop, .init = setup,
     .fini = teardown)
{
    F.cfg.llm.tool_call = "currentTime";
    F.cfg.llm.max_iterations = 1;
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "time?", &r), SIM_OK);
    cr_assert_eq(r.iterations, 1);
    cr_assert_str_eq(r.finish_reason, "max_iterations");
    cr_assert_str_eq(F.log.types, "done;", "the call was not run");
    cr_assert_eq(history_len(id), 2, "no call without its result");
    ag_reply_result_fini(&r);
}

Test(agent, unknown_sessions_and_bad_tenants_are_refused, .init = setup,
     .fini = teardown)
{
    build();
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, "nope", "default", "hi", &r),
                 SIM_ENOTFOUND);
    cr_assert(strstr(r.error, "no session") != NULL);
    ag_reply_result_fini(&r);
    char id[AG_ID_SIZE];
    new_session(id);
    cr_assert_eq(ag_agent_reply(F.agent, id, "", "hi", &r), SIM_EINVAL);
    ag_reply_result_fini(&r);
    cr_assert_str_eq(F.log.types, "", "nothing was emitted");
}

/* ---- limits ---------------------------------------------------------- */

Test(agent, a_busy_session_refuses_a_second_reply, .init = setup,
     .fini = teardown)
{
    F.cfg.llm.tokens = 50;
    F.cfg.llm.tokens_per_second = 500;     /* 100 ms */
    build();
    char id[AG_ID_SIZE], err[256];
    new_session(id);
    ag_stream *ring;
    uint64_t after;
    cr_assert_eq(ag_agent_reply_start(F.agent, id, "default", "one", &ring,
                                      &after, err, sizeof err), SIM_OK);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "two", &r), AG_EBUSY);
    cr_assert(strstr(r.error, "in flight") != NULL);
    ag_reply_result_fini(&r);
    char types[4096];
    follow(ring, after, types, sizeof types);
    ag_stream_free(ring);
}

/* The moment a client reads `done` it may send again: the session and the
 * tenant's slot are free before the event goes out (they were freed just
 * after it, and a fast client got 409 or 429 now and then). */
Test(agent, a_session_is_free_when_done_is_read, .init = setup,
     .fini = teardown)
{
    F.cfg.llm.tokens = 5;
    F.cfg.llm.tokens_per_second = 1000;
    F.cfg.tenant_concurrency = 1;
    build();
    char id[AG_ID_SIZE], err[256], types[4096];
    new_session(id);
    for (int i = 0; i < 50; i++) {
        ag_stream *ring;
        uint64_t after;
        cr_assert_eq(ag_agent_reply_start(F.agent, id, "acme", "again",
                                          &ring, &after, err, sizeof err),
                     SIM_OK, "reply %d: %s", i, err);
        follow(ring, after, types, sizeof types);
        cr_assert(strstr(types, "done;"), "%s", types);
        ag_stream_free(ring);
    }
}

Test(agent, the_tenant_concurrency_limit_refuses_with_a_clear_error,
     .init = setup, .fini = teardown)
{
    F.cfg.llm.tokens = 50;
    F.cfg.llm.tokens_per_second = 500;
    F.cfg.tenant_concurrency = 1;
    build();
    char a[AG_ID_SIZE], b[AG_ID_SIZE], err[256] = "";
    new_session(a);
    new_session(b);
    ag_stream *ring;
    uint64_t after;
    cr_assert_eq(ag_agent_reply_start(F.agent, a, "acme", "one", &ring,
                                      &after, err, sizeof err), SIM_OK);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, b, "acme", "two", &r), AG_ELIMIT);
    cr_assert_str_eq(r.error,
                     "tenant \"acme\" has 1 replies in flight (limit 1)");
    ag_reply_result_fini(&r);
    cr_assert_eq(ag_agent_reply(F.agent, b, "other", "two", &r), SIM_OK,
                 "another tenant is not limited");
    ag_reply_result_fini(&r);
    char types[4096];
    follow(ring, after, types, sizeof types);
    ag_stream_free(ring);
    while (ag_agent_in_flight(F.agent) > 0)
        sleep_ms(1);
    cr_assert_eq(ag_agent_reply(F.agent, b, "acme", "three", &r), SIM_OK);
    ag_reply_result_fini(&r);
}

Test(agent, the_token_budget_refuses_once_spent, .init = setup,
     .fini = teardown)
{
    F.cfg.tenant_token_budget = 6;
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "acme", "1", &r), SIM_OK);
    ag_reply_result_fini(&r);
    cr_assert_eq(ag_agent_reply(F.agent, id, "acme", "2", &r), SIM_OK,
                 "4 of 6 used: still under");
    ag_reply_result_fini(&r);
    cr_assert_eq(ag_agent_reply(F.agent, id, "acme", "3", &r), AG_EBUDGET);
    cr_assert_str_eq(r.error,
                     "tenant \"acme\" has used 8 of its 6-token budget");
    ag_reply_result_fini(&r);
}

static void mk_db(void)
{
    base_config();
    snprintf(F.dir, sizeof F.dir, "/tmp/ag-agent-XXXXXX");
    cr_assert_not_null(mkdtemp(F.dir));
    snprintf(F.db, sizeof F.db, "%s/agent.db", F.dir);
    F.cfg.storage = AG_STORE_SQLITE;
}

static void rebuild(void)
{
    ag_agent_shutdown(F.agent, 0);
    ag_bus_unsubscribe(F.sub);
    ag_agent_free(F.agent);
    ag_tools_free(F.tools_reg);
    ag_model_free(F.model);
    ag_bus_free(F.bus);
    ag_store_close(F.store);
    F.agent = NULL;
    F.log.types[0] = '\0';
    F.log.n = 0;
    build();
}

Test(agent, the_budget_survives_a_restart, .init = mk_db, .fini = teardown)
{
    F.cfg.tenant_token_budget = 4;
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "acme", "1", &r), SIM_OK);
    ag_reply_result_fini(&r);
    rebuild();
    cr_assert_eq(ag_agent_reply(F.agent, id, "acme", "2", &r), AG_EBUDGET);
    ag_reply_result_fini(&r);
}

Test(agent, event_ids_keep_increasing_across_a_restart, .init = mk_db,
     .fini = teardown)
{
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_reply_result r;
    ag_agent_reply(F.agent, id, "default", "1", &r);
    uint64_t before = r.last_id;
    ag_reply_result_fini(&r);
    rebuild();
    ag_agent_reply(F.agent, id, "default", "2", &r);
    cr_assert_gt(r.first_id, before);
    cr_assert_eq(r.first_id >> 32, 2, "boot 2");
    cr_assert_eq(history_len(id), 4);
    ag_reply_result_fini(&r);
}

/* ---- async replies, cancel, shutdown --------------------------------- */

Test(agent, a_started_reply_can_be_followed_from_its_ring, .init = setup,
     .fini = teardown)
{
    F.cfg.llm.tokens = 20;
    F.cfg.llm.tokens_per_second = 2000;
    build();
    char id[AG_ID_SIZE], err[256];
    new_session(id);
    ag_stream *ring;
    uint64_t after;
    cr_assert_eq(ag_agent_reply_start(F.agent, id, "default", "go", &ring,
                                      &after, err, sizeof err), SIM_OK);
    cr_assert_eq(after, (uint64_t)1 << 32, "nothing before it");
    char types[4096];
    follow(ring, after, types, sizeof types);
    cr_assert(strstr(types, "done;") != NULL);
    ag_stream_free(ring);
    while (ag_agent_in_flight(F.agent) > 0)
        sleep_ms(1);
    cr_assert_eq(history_len(id), 2);
}

Test(agent, deleting_the_session_cancels_its_reply, .init = setup,
     .fini = teardown)
{
    F.cfg.llm.tokens = 1000;
    F.cfg.llm.tokens_per_second = 100;      /* 10 s if not cancelled */
    build();
    char id[AG_ID_SIZE], err[256];
    new_session(id);
    ag_stream *ring;
    uint64_t after;
    ag_agent_reply_start(F.agent, id, "default", "go", &ring, &after, err,
                         sizeof err);
    sleep_ms(50);
    cr_assert_eq(ag_agent_delete_session(F.agent, id), SIM_OK);
    while (ag_agent_in_flight(F.agent) > 0)
        sleep_ms(1);
    cr_assert(strstr(F.log.last_data, "the session was deleted") != NULL,
              "%s", F.log.last_data);
    ag_stream_item it;
    uint64_t missed;
    /* The ring was closed: a reader drains it and is told so. */
    uint64_t last = ag_stream_last_id(ring);
    cr_assert_eq(ag_stream_read(ring, last, -1, &it, &missed),
                 AG_STREAM_CLOSED);
    ag_stream_free(ring);
    cr_assert_eq(ag_agent_stream(F.agent, id, &ring), SIM_ENOTFOUND);
}

Test(agent, shutdown_cancels_replies_and_stores_no_partial_reply,
     .init = setup, .fini = teardown)
{
    F.cfg.llm.tokens = 1000;
    F.cfg.llm.tokens_per_second = 100;
    build();
    char id[AG_ID_SIZE], err[256];
    new_session(id);
    ag_stream *ring;
    uint64_t after;
    ag_agent_reply_start(F.agent, id, "default", "go", &ring, &after, err,
                         sizeof err);
    sleep_ms(50);
    ag_agent_shutdown(F.agent, 20);
    cr_assert_eq(ag_agent_in_flight(F.agent), 0);
    cr_assert(strstr(F.log.types, "error;") != NULL);
    cr_assert(strstr(F.log.last_data, "\"code\":\"cancelled\"") != NULL,
              "%s", F.log.last_data);
    cr_assert_eq(history_len(id), 1, "the user's message only");
    ag_reply_result r;
    cr_assert_eq(ag_agent_reply(F.agent, id, "default", "late", &r),
                 AG_ESTOPPING);
    ag_reply_result_fini(&r);
    char id2[AG_ID_SIZE];
    cr_assert_eq(ag_agent_create_session(F.agent, "default", id2),
                 AG_ESTOPPING);
    ag_stream_free(ring);
}

Test(agent, shutdown_lets_short_replies_finish_within_the_grace,
     .init = setup, .fini = teardown)
{
    F.cfg.llm.tokens = 10;
    F.cfg.llm.tokens_per_second = 200;      /* 50 ms */
    build();
    char id[AG_ID_SIZE], err[256];
    new_session(id);
    ag_stream *ring;
    uint64_t after;
    ag_agent_reply_start(F.agent, id, "default", "go", &ring, &after, err,
                         sizeof err);
    ag_agent_shutdown(F.agent, 5000);
    cr_assert(strstr(F.log.types, "done;") != NULL, "%s", F.log.types);
    cr_assert_eq(history_len(id), 2);
    ag_stream_free(ring);
}

Test(agent, sweep_drops_expired_sessions_and_their_streams, .init = setup,
     .fini = teardown)
{
    F.cfg.session_ttl_ms = 1000;
    build();
    char id[AG_ID_SIZE];
    new_session(id);
    ag_stream *ring;
    cr_assert_eq(ag_agent_stream(F.agent, id, &ring), SIM_OK);
    size_t n = 9;
    cr_assert_eq(ag_agent_sweep(F.agent, &n), SIM_OK);
    cr_assert_eq(n, 0, "not expired yet");
    g_now += 1001;
    cr_assert_eq(ag_agent_sweep(F.agent, &n), SIM_OK);
    cr_assert_eq(n, 1);
    ag_stream_item it;
    uint64_t missed;
    cr_assert_eq(ag_stream_read(ring, 0, -1, &it, &missed), AG_STREAM_CLOSED,
                 "its stream was closed");
    ag_stream_free(ring);
    cr_assert_eq(ag_agent_stream(F.agent, id, &ring), SIM_ENOTFOUND);
}

Test(agent, strerror_knows_every_status)
{
    cr_assert_str_eq(ag_strerror(AG_ELIMIT),
                     "the tenant's concurrency limit is reached");
    cr_assert_str_eq(ag_strerror(AG_STORE_EFULL),
                     "the session limit is reached");
    cr_assert_str_eq(ag_strerror(SIM_ENOTFOUND), sim_strerror(SIM_ENOTFOUND));
}
