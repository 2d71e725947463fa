/*
 * test_store.c -- sessions and history on SQLite and in memory: the
 * session limit, TTL expiry and pinning, appends, history windows,
 * restart, WAL mode and tenant totals.
 */
/* mkdtemp is an X/Open extension beyond POSIX 2008. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-harness/store.h"
#include "base/fixed.h"

static char dir[64], db[128];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/ag-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/agent.db", dir);
}

static void rm_tmp(void)
{
    char p[160];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", db, suffix[i]);
        remove(p);
    }
    rmdir(dir);
}

static ag_store *open_kind(enum ag_storage_kind kind, int64_t max,
                           int64_t ttl, int64_t now)
{
    ag_store_opts o = {kind, db, max, ttl};
    ag_store *st = NULL;
    char err[256] = "";
    int rc = ag_store_open(&o, now, &st, err, sizeof err);
    cr_assert_eq(rc, SIM_OK, "open: %s", err);
    return st;
}

static ag_message user_msg(const char *text)
{
    ag_message m = {0};
    m.role = AG_ROLE_USER;
    m.content = (char *)text;
    return m;
}

/* Every behaviour below runs on both kinds. */
#define BOTH(name)                                                         \
    static void name##_body(enum ag_storage_kind kind);                    \
    Test(store_sqlite, name, .init = mkdir_tmp, .fini = rm_tmp)            \
    {                                                                      \
        name##_body(AG_STORE_SQLITE);                                      \
    }                                                                      \
    Test(store_memory, name, .init = mkdir_tmp, .fini = rm_tmp)            \
    {                                                                      \
        name##_body(AG_STORE_MEMORY);                                      \
    }                                                                      \
    static void name##_body(enum ag_storage_kind kind)

BOTH(create_get_list_and_delete)
{
    ag_store *st = open_kind(kind, 10, 0, 1000);
    char a[AG_ID_SIZE], b[AG_ID_SIZE];
    cr_assert_eq(ag_store_create(st, "acme", 1000, a), SIM_OK);
    cr_assert_eq(ag_store_create(st, "default", 2000, b), SIM_OK);
    cr_assert_eq(strlen(a), 32);
    cr_assert_str_neq(a, b);
    ag_session_info info;
    cr_assert_eq(ag_store_get(st, a, 3000, &info), SIM_OK);
    cr_assert_str_eq(info.tenant, "acme");
    cr_assert_eq(info.created_ms, 1000);
    ag_session_info *v;
    size_t n;
    cr_assert_eq(ag_store_list(st, 3000, &v, &n), SIM_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].id, a, "oldest first");
    free(v);
    cr_assert_eq(ag_store_delete(st, a), SIM_OK);
    cr_assert_eq(ag_store_get(st, a, 3000, &info), SIM_ENOTFOUND);
    cr_assert_eq(ag_store_delete(st, a), SIM_ENOTFOUND);
    cr_assert_eq(ag_store_count(st, 3000), 1);
    ag_store_close(st);
}

BOTH(a_full_store_refuses_new_sessions)
{
    ag_store *st = open_kind(kind, 2, 0, 0);
    char id[AG_ID_SIZE];
    cr_assert_eq(ag_store_create(st, "t", 0, id), SIM_OK);
    cr_assert_eq(ag_store_create(st, "t", 0, id), SIM_OK);
    cr_assert_eq(ag_store_create(st, "t", 0, id), AG_STORE_EFULL);
    ag_store_close(st);
}

BOTH(expired_sessions_vanish_and_make_room)
{
    ag_store *st = open_kind(kind, 2, 1000, 0);
    char a[AG_ID_SIZE], b[AG_ID_SIZE], c[AG_ID_SIZE];
    ag_store_create(st, "t", 0, a);
    ag_store_create(st, "t", 500, b);
    ag_session_info info;
    cr_assert_eq(ag_store_get(st, a, 1000, &info), SIM_OK, "TTL not passed");
    cr_assert_eq(ag_store_get(st, a, 1001, &info), SIM_ENOTFOUND);
    cr_assert_eq(ag_store_create(st, "t", 1200, c), SIM_OK,
                 "the expired session makes room");
    cr_assert_eq(ag_store_count(st, 1200), 2);
    cr_assert_eq(ag_store_create(st, "t", 1200, c), AG_STORE_EFULL);
    size_t n = 99;
    cr_assert_eq(ag_store_evict(st, 5000, &n), SIM_OK);
    cr_assert_eq(n, 2);
    ag_store_close(st);
}

BOTH(touch_and_append_keep_a_session_alive)
{
    ag_store *st = open_kind(kind, 5, 1000, 0);
    char a[AG_ID_SIZE];
    ag_store_create(st, "t", 0, a);
    cr_assert_eq(ag_store_touch(st, a, 900), SIM_OK);
    ag_message m = user_msg("hi");
    cr_assert_eq(ag_store_append(st, a, "t", &m, 1, 1800), SIM_OK);
    ag_session_info info;
    cr_assert_eq(ag_store_get(st, a, 2700, &info), SIM_OK);
    cr_assert_eq(info.last_active_ms, 1800);
    ag_store_close(st);
}

BOTH(a_pinned_session_does_not_expire)
{
    ag_store *st = open_kind(kind, 5, 1000, 0);
    char a[AG_ID_SIZE];
    ag_store_create(st, "t", 0, a);
    cr_assert_eq(ag_store_pin(st, a, 0), SIM_OK);
    ag_session_info info;
    cr_assert_eq(ag_store_get(st, a, 50000, &info), SIM_OK);
    size_t n;
    ag_store_evict(st, 50000, &n);
    cr_assert_eq(n, 0);
    ag_store_unpin(st, a, 50000);
    cr_assert_eq(ag_store_get(st, a, 50500, &info), SIM_OK,
                 "unpin counts as activity");
    cr_assert_eq(ag_store_get(st, a, 52000, &info), SIM_ENOTFOUND);
    ag_store_close(st);
}

BOTH(append_numbers_messages_and_sums_usage)
{
    ag_store *st = open_kind(kind, 5, 0, 0);
    char a[AG_ID_SIZE];
    ag_store_create(st, "t", 0, a);
    ag_message u = user_msg("what time is it?");
    cr_assert_eq(ag_store_append(st, a, "acme", &u, 1, 10), SIM_OK);
    cr_assert_eq(u.seq, 1);
    ag_message reply[3] = {{0}, {0}, {0}};
    reply[0].role = AG_ROLE_ASSISTANT;
    reply[0].tool_calls = "[{\"id\":\"c1\",\"name\":\"currentTime\","
                          "\"arguments\":\"{}\"}]";
    reply[0].input_tokens = 10;
    reply[0].output_tokens = 3;
    reply[0].cost = 7;
    reply[1].role = AG_ROLE_TOOL;
    reply[1].content = "{\"iso\":\"x\"}";
    reply[1].tool_call_id = "c1";
    reply[1].name = "currentTime";
    reply[2].role = AG_ROLE_ASSISTANT;
    reply[2].content = "noon";
    reply[2].input_tokens = 20;
    reply[2].output_tokens = 1;
    reply[2].cost = SIM_FX_ONE / 1000;
    cr_assert_eq(ag_store_append(st, a, "acme", reply, 3, 20), SIM_OK);
    cr_assert_eq(reply[2].seq, 4);

    ag_session_info info;
    ag_store_get(st, a, 30, &info);
    cr_assert_eq(info.messages, 4);
    cr_assert_eq(info.usage.input_tokens, 30);
    cr_assert_eq(info.usage.output_tokens, 4);
    cr_assert(info.usage.cost == SIM_FX_ONE / 1000 + 7);

    ag_message *h;
    size_t n;
    cr_assert_eq(ag_store_history(st, a, 30, 0, &h, &n), SIM_OK);
    cr_assert_eq(n, 4);
    cr_assert_eq(h[0].role, AG_ROLE_USER);
    cr_assert_str_eq(h[0].content, "what time is it?");
    cr_assert_null(h[1].content);
    cr_assert_str_eq(h[1].tool_calls, reply[0].tool_calls);
    cr_assert_str_eq(h[2].tool_call_id, "c1");
    cr_assert_str_eq(h[2].name, "currentTime");
    cr_assert_str_eq(h[3].content, "noon");
    cr_assert_eq(h[3].created_ms, 20);
    cr_assert(h[3].cost == SIM_FX_ONE / 1000);
    ag_messages_free(h, n);

    ag_usage tu;
    cr_assert_eq(ag_store_tenant_usage(st, "acme", &tu), SIM_OK);
    cr_assert_eq(tu.output_tokens, 4);
    cr_assert_eq(ag_store_tenant_usage(st, "nobody", &tu), SIM_OK);
    cr_assert_eq(tu.output_tokens, 0);
    ag_store_close(st);
}

BOTH(history_limit_returns_the_latest_messages)
{
    ag_store *st = open_kind(kind, 5, 0, 0);
    char a[AG_ID_SIZE];
    ag_store_create(st, "t", 0, a);
    const char *texts[] = {"one", "two", "three", "four"};
    for (int i = 0; i < 4; i++) {
        ag_message m = user_msg(texts[i]);
        ag_store_append(st, a, "t", &m, 1, i);
    }
    ag_message *h;
    size_t n;
    cr_assert_eq(ag_store_history(st, a, 5, 2, &h, &n), SIM_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(h[0].content, "three");
    cr_assert_eq(h[1].seq, 4);
    ag_messages_free(h, n);
    ag_store_close(st);
}

BOTH(unknown_sessions_and_bad_tenants_are_refused)
{
    ag_store *st = open_kind(kind, 5, 0, 0);
    ag_message m = user_msg("x");
    ag_message *h;
    size_t n;
    char id[AG_ID_SIZE];
    cr_assert_eq(ag_store_append(st, "nope", "t", &m, 1, 0), SIM_ENOTFOUND);
    cr_assert_eq(ag_store_history(st, "nope", 0, 0, &h, &n), SIM_ENOTFOUND);
    cr_assert_eq(ag_store_create(st, "", 0, id), SIM_EINVAL);
    ag_store_close(st);
}

Test(store_sqlite, a_restart_restores_sessions_history_and_usage,
     .init = mkdir_tmp, .fini = rm_tmp)
{
    ag_store *st = open_kind(AG_STORE_SQLITE, 5, 0, 0);
    cr_assert_eq(ag_store_boot(st), 1);
    char a[AG_ID_SIZE];
    ag_store_create(st, "acme", 0, a);
    ag_message m[2] = {user_msg("hello"), {0}};
    m[1].role = AG_ROLE_ASSISTANT;
    m[1].content = "hi there";
    m[1].output_tokens = 2;
    m[1].cost = 123456789;
    ag_store_append(st, a, "acme", m, 2, 5);
    ag_store_close(st);

    st = open_kind(AG_STORE_SQLITE, 5, 0, 10);
    cr_assert_eq(ag_store_boot(st), 2);
    ag_session_info info;
    cr_assert_eq(ag_store_get(st, a, 10, &info), SIM_OK);
    cr_assert_eq(info.messages, 2);
    cr_assert(info.usage.cost == 123456789);
    cr_assert_eq(info.last_active_ms, 5);
    ag_message *h;
    size_t n;
    cr_assert_eq(ag_store_history(st, a, 10, 0, &h, &n), SIM_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(h[1].content, "hi there");
    ag_messages_free(h, n);
    ag_usage tu;
    ag_store_tenant_usage(st, "acme", &tu);
    cr_assert_eq(tu.output_tokens, 2);
    ag_store_close(st);
}

Test(store_sqlite, a_restart_drops_sessions_that_expired_meanwhile,
     .init = mkdir_tmp, .fini = rm_tmp)
{
    ag_store *st = open_kind(AG_STORE_SQLITE, 5, 1000, 0);
    char a[AG_ID_SIZE];
    ag_store_create(st, "t", 0, a);
    ag_store_close(st);
    st = open_kind(AG_STORE_SQLITE, 5, 1000, 5000);
    cr_assert_eq(ag_store_count(st, 5000), 0);
    ag_store_close(st);
    sqlite3 *h;
    sqlite3_open(db, &h);
    sqlite3_stmt *s;
    sqlite3_prepare_v2(h, "SELECT count(*) FROM sessions", -1, &s, NULL);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(s, 0), 0, "deleted, not just unloaded");
    sqlite3_finalize(s);
    sqlite3_close(h);
}

Test(store_sqlite, the_database_runs_in_wal_mode_and_close_checkpoints,
     .init = mkdir_tmp, .fini = rm_tmp)
{
    ag_store *st = open_kind(AG_STORE_SQLITE, 5, 0, 0);
    char a[AG_ID_SIZE];
    ag_store_create(st, "t", 0, a);
    sqlite3 *h;
    sqlite3_open(db, &h);
    sqlite3_stmt *s;
    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(h);
    ag_store_close(st);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", db);
    FILE *f = fopen(wal, "rb");
    long size = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
    }
    cr_assert_eq(size, 0, "the WAL was checkpointed away");
}

Test(store_sqlite, an_unopenable_database_is_an_io_error,
     .init = mkdir_tmp, .fini = rm_tmp)
{
    ag_store_opts o = {AG_STORE_SQLITE, "/nonexistent/dir/agent.db", 5, 0};
    ag_store *st = NULL;
    char err[256] = "";
    cr_assert_eq(ag_store_open(&o, 0, &st, err, sizeof err), SIM_EIO);
    cr_assert(strstr(err, "cannot open database") != NULL, "%s", err);
}

Test(store_memory, memory_storage_keeps_nothing_across_opens,
     .init = mkdir_tmp, .fini = rm_tmp)
{
    ag_store *st = open_kind(AG_STORE_MEMORY, 5, 0, 0);
    char a[AG_ID_SIZE];
    ag_store_create(st, "t", 0, a);
    ag_store_close(st);
    st = open_kind(AG_STORE_MEMORY, 5, 0, 0);
    cr_assert_eq(ag_store_count(st, 0), 0);
    cr_assert_eq(ag_store_boot(st), 1);
    cr_assert_eq(access(db, F_OK), -1, "no file is made");
    ag_store_close(st);
}
