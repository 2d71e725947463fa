/*
 * store.c -- the session manager and history over SQLite or memory.
 *
 * Both kinds keep the session records in memory (an array: lookups are
 * linear, and max_sessions bounds the array, so a lookup costs at most a
 * few microseconds at 10^4 sessions; a hash was not worth its code).
 * SQLite is the record of truth for everything else; memory storage keeps
 * each session's history in the same array instead.
 *
 * Schema (one file, created on first open):
 *   meta(key, value)             the boot counter
 *   sessions(id, tenant, ...)    one row per live session, usage totals
 *   messages(session, seq, ...)  the history, never rewritten
 *   tenants(tenant, ...)         usage per tenant, for token budgets
 */
#include "agent-harness/store.h"
#include "base/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

typedef struct sess {
    ag_session_info info;
    unsigned pins;
    ag_message *msgs;       /* memory storage: the history */
    size_t nmsgs, cap;
} sess;

typedef struct tenant_row {
    char name[AG_TENANT_SIZE];
    ag_usage usage;
} tenant_row;

enum { ST_INS_SESSION, ST_DEL_SESSION, ST_DEL_MSGS, ST_INS_MSG, ST_UPD_SESSION,
       ST_UPS_TENANT, ST_SEL_TENANT, ST_SEL_HISTORY, ST_COUNT };

static const char *const stmt_sql[ST_COUNT] = {
    "INSERT INTO sessions(id, tenant, created_ms, last_active_ms)"
    " VALUES(?1, ?2, ?3, ?3)",
    "DELETE FROM sessions WHERE id = ?1",
    "DELETE FROM messages WHERE session = ?1",
    "INSERT INTO messages(session, seq, role, content, tool_calls,"
    " tool_call_id, name, created_ms, input_tokens, output_tokens, cost_pusd)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    "UPDATE sessions SET last_active_ms = ?2, messages = ?3,"
    " input_tokens = ?4, output_tokens = ?5, cost_pusd = ?6 WHERE id = ?1",
    "INSERT INTO tenants(tenant, input_tokens, output_tokens, cost_pusd)"
    " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(tenant) DO UPDATE SET"
    " input_tokens = input_tokens + ?2, output_tokens = output_tokens + ?3,"
    " cost_pusd = cost_pusd + ?4",
    "SELECT input_tokens, output_tokens, cost_pusd FROM tenants"
    " WHERE tenant = ?1",
    "SELECT seq, role, content, tool_calls, tool_call_id, name, created_ms,"
    " input_tokens, output_tokens, cost_pusd FROM messages"
    " WHERE session = ?1 AND seq > ?2 ORDER BY seq",
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions(id TEXT PRIMARY KEY,"
    " tenant TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " last_active_ms INTEGER NOT NULL, messages INTEGER NOT NULL DEFAULT 0,"
    " input_tokens INTEGER NOT NULL DEFAULT 0,"
    " output_tokens INTEGER NOT NULL DEFAULT 0,"
    " cost_pusd INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS messages(session TEXT NOT NULL,"
    " seq INTEGER NOT NULL, role TEXT NOT NULL, content TEXT,"
    " tool_calls TEXT, tool_call_id TEXT, name TEXT,"
    " created_ms INTEGER NOT NULL, input_tokens INTEGER NOT NULL DEFAULT 0,"
    " output_tokens INTEGER NOT NULL DEFAULT 0,"
    " cost_pusd INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(session, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tenants(tenant TEXT PRIMARY KEY,"
    " input_tokens INTEGER NOT NULL DEFAULT 0,"
    " output_tokens INTEGER NOT NULL DEFAULT 0,"
    " cost_pusd INTEGER NOT NULL DEFAULT 0);";

struct ag_store {
    pthread_mutex_t mu;
    enum ag_storage_kind kind;
    int64_t max_sessions, ttl_ms;
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    sess *v;
    size_t n, cap;
    tenant_row *tenants;    /* memory storage */
    size_t ntenants, tcap;
    uint32_t boot;
};

const char *ag_role_name(enum ag_role r)
{
    switch (r) {
    case AG_ROLE_USER: return "user";
    case AG_ROLE_ASSISTANT: return "assistant";
    case AG_ROLE_TOOL: return "tool";
    }
    return "user";
}

static int role_parse(const char *s, enum ag_role *out)
{
    if (!s)
        return SIM_EINVAL;
    if (strcmp(s, "user") == 0)
        *out = AG_ROLE_USER;
    else if (strcmp(s, "assistant") == 0)
        *out = AG_ROLE_ASSISTANT;
    else if (strcmp(s, "tool") == 0)
        *out = AG_ROLE_TOOL;
    else
        return SIM_EINVAL;
    return SIM_OK;
}

void ag_message_fini(ag_message *m)
{
    sim_free(m->content);
    sim_free(m->tool_calls);
    sim_free(m->tool_call_id);
    sim_free(m->name);
    m->content = m->tool_calls = m->tool_call_id = m->name = NULL;
}

void ag_messages_free(ag_message *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        ag_message_fini(&v[i]);
    sim_free(v);
}

static int dup_opt(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return SIM_OK;
    *out = sim_strdup(s);
    return *out ? SIM_OK : SIM_ENOMEM;
}

static int message_copy(ag_message *dst, const ag_message *src)
{
    *dst = *src;
    dst->content = dst->tool_calls = dst->tool_call_id = dst->name = NULL;
    if (dup_opt(src->content, &dst->content) != SIM_OK ||
        dup_opt(src->tool_calls, &dst->tool_calls) != SIM_OK ||
        dup_opt(src->tool_call_id, &dst->tool_call_id) != SIM_OK ||
        dup_opt(src->name, &dst->name) != SIM_OK) {
        ag_message_fini(dst);
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* Money goes to the database as an integer of 10^-12 USD, sim_fx's own
 * unit, so it round-trips exactly; int64 holds $9.2 million. */
static int64_t fx_to_i64(sim_fx v)
{
    return (int64_t)v;
}

static int valid_tenant(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    return n > 0 && n < AG_TENANT_SIZE;
}

static int expired(const ag_store *st, const sess *s, int64_t now)
{
    return st->ttl_ms > 0 && s->pins == 0 &&
           now - s->info.last_active_ms > st->ttl_ms;
}

/* The live session `id`, or NULL.  Lock held. */
static sess *find(ag_store *st, const char *id, int64_t now)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->v[i].info.id, id) == 0)
            return expired(st, &st->v[i], now) ? NULL : &st->v[i];
    return NULL;
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *a)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a);
}

/* ---- SQLite helpers ------------------------------------------------ */

static sqlite3_stmt *stmt_reset(ag_store *st, int which)
{
    sqlite3_stmt *s = st->stmt[which];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (!v)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static int exec(ag_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK
               ? SIM_OK : SIM_EIO;
}

/* Whether the disk under the database is nearly out of space, or one of
 * its files is at the process's file size limit (RLIMIT_FSIZE).  SQLite
 * says SQLITE_FULL only for ENOSPC; past a file size limit write(2)
 * fails with EFBIG, which it reports as SQLITE_IOERR_WRITE and whose
 * errno it does not keep (sqlite3_system_errno reads errno later, when
 * it is 0), so the limit is looked at directly. */
static int no_room(ag_store *st)
{
    const char *db = sqlite3_db_filename(st->db, "main");
    if (!db || !*db)
        return 0;
    struct statvfs v;
    if (statvfs(db, &v) == 0 &&
        (uint64_t)v.f_bavail * v.f_frsize < ((uint64_t)1 << 20))
        return 1;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    const char *files[2] = {db, sqlite3_filename_wal(db)};
    for (size_t i = 0; i < 2; i++) {
        struct stat sb;
        if (files[i] && stat(files[i], &sb) == 0 &&
            (uint64_t)sb.st_size + 65536 >= (uint64_t)rl.rlim_cur)
            return 1;
    }
    return 0;
}

/* SIM_EIO, or AG_STORE_ENOSPC when the last failure was the disk (or
 * the file size limit) being full.  Call it before ROLLBACK, which
 * resets the error. */
static int io_status(ag_store *st)
{
    int e = sqlite3_extended_errcode(st->db) & 0xff;
    int sys = sqlite3_system_errno(st->db);
    if (e == SQLITE_FULL ||
        (e == SQLITE_IOERR && (sys == ENOSPC || sys == EFBIG ||
                               sys == EDQUOT || no_room(st))))
        return AG_STORE_ENOSPC;
    return SIM_EIO;
}

/* Runs a statement that returns no rows. */
static int step_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SIM_OK : SIM_EIO;
}

static int db_delete_session(ag_store *st, const char *id)
{
    if (exec(st, "BEGIN IMMEDIATE") != SIM_OK)
        return SIM_EIO;
    sqlite3_stmt *a = stmt_reset(st, ST_DEL_MSGS);
    bind_text(a, 1, id);
    sqlite3_stmt *b = stmt_reset(st, ST_DEL_SESSION);
    bind_text(b, 1, id);
    if (step_done(a) != SIM_OK || step_done(b) != SIM_OK) {
        exec(st, "ROLLBACK");
        return SIM_EIO;
    }
    if (exec(st, "COMMIT") != SIM_OK) {
        exec(st, "ROLLBACK");
        return SIM_EIO;
    }
    return SIM_OK;
}

/* Reads journal_mode's answer: the pragma silently stays on another
 * mode where WAL is impossible (some network file systems). */
static int set_wal(ag_store *st)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s,
                           NULL) != SQLITE_OK)
        return SIM_EIO;
    int ok = sqlite3_step(s) == SQLITE_ROW &&
             sqlite3_column_text(s, 0) &&
             strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
    sqlite3_finalize(s);
    return ok ? SIM_OK : SIM_EIO;
}

static int read_boot(ag_store *st)
{
    if (exec(st, "INSERT INTO meta(key, value) VALUES('boot', 1)"
                 " ON CONFLICT(key) DO UPDATE SET value = value + 1") != SIM_OK)
        return SIM_EIO;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key='boot'",
                           -1, &s, NULL) != SQLITE_OK)
        return SIM_EIO;
    int rc = SIM_EIO;
    if (sqlite3_step(s) == SQLITE_ROW) {
        st->boot = (uint32_t)sqlite3_column_int64(s, 0);
        rc = SIM_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

static int grow_sessions(ag_store *st)
{
    if (st->n < st->cap)
        return SIM_OK;
    size_t cap = st->cap ? st->cap * 2 : 16;
    sess *v = sim_realloc(st->v, cap * sizeof *v);
    if (!v)
        return SIM_ENOMEM;
    st->v = v;
    st->cap = cap;
    return SIM_OK;
}

static void copy_str(char *dst, size_t size, const unsigned char *src)
{
    snprintf(dst, size, "%s", src ? (const char *)src : "");
}

static int load_sessions(ag_store *st)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
            "SELECT id, tenant, created_ms, last_active_ms, messages,"
            " input_tokens, output_tokens, cost_pusd FROM sessions"
            " ORDER BY created_ms, id", -1, &s, NULL) != SQLITE_OK)
        return SIM_EIO;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (grow_sessions(st) != SIM_OK) {
            sqlite3_finalize(s);
            return SIM_ENOMEM;
        }
        sess *e = &st->v[st->n++];
        memset(e, 0, sizeof *e);
        copy_str(e->info.id, sizeof e->info.id, sqlite3_column_text(s, 0));
        copy_str(e->info.tenant, sizeof e->info.tenant,
                 sqlite3_column_text(s, 1));
        e->info.created_ms = sqlite3_column_int64(s, 2);
        e->info.last_active_ms = sqlite3_column_int64(s, 3);
        e->info.messages = sqlite3_column_int64(s, 4);
        e->info.usage.input_tokens = sqlite3_column_int64(s, 5);
        e->info.usage.output_tokens = sqlite3_column_int64(s, 6);
        e->info.usage.cost = (sim_fx)sqlite3_column_int64(s, 7);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SIM_OK : SIM_EIO;
}

static int open_sqlite(ag_store *st, const char *path, char *err,
                       size_t errlen)
{
    if (!path || !*path) {
        set_err(err, errlen, "%s", "no database path");
        return SIM_EINVAL;
    }
    /* Our own lock serialises every use of the connection. */
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        set_err(err, errlen, "cannot open database: %s",
                st->db ? sqlite3_errmsg(st->db) : "out of memory");
        return SIM_EIO;
    }
    sqlite3_busy_timeout(st->db, 5000);
    if (set_wal(st) != SIM_OK) {
        set_err(err, errlen, "cannot put the database in WAL mode: %s",
                sqlite3_errmsg(st->db));
        return SIM_EIO;
    }
    if (exec(st, "PRAGMA synchronous=NORMAL") != SIM_OK ||
        exec(st, schema_sql) != SIM_OK || read_boot(st) != SIM_OK) {
        set_err(err, errlen, "cannot set up the database: %s",
                sqlite3_errmsg(st->db));
        return SIM_EIO;
    }
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                               NULL) != SQLITE_OK) {
            set_err(err, errlen, "cannot prepare a statement: %s",
                    sqlite3_errmsg(st->db));
            return SIM_EIO;
        }
    int rc = load_sessions(st);
    if (rc != SIM_OK)
        set_err(err, errlen, "cannot read sessions: %s",
                sqlite3_errmsg(st->db));
    return rc;
}

static void evict_locked(ag_store *st, int64_t now, size_t *count, int *rc);

int ag_store_open(const ag_store_opts *o, int64_t now_ms, ag_store **out,
                  char *err, size_t errlen)
{
    if (o->max_sessions < 1) {
        set_err(err, errlen, "%s", "maxSessions must be at least 1");
        return SIM_EINVAL;
    }
    ag_store *st = sim_calloc(1, sizeof *st);
    if (!st)
        return SIM_ENOMEM;
    if (pthread_mutex_init(&st->mu, NULL) != 0) {
        sim_free(st);
        return SIM_ENOMEM;
    }
    st->kind = o->kind;
    st->max_sessions = o->max_sessions;
    st->ttl_ms = o->ttl_ms;
    st->boot = 1;
    if (st->kind == AG_STORE_SQLITE) {
        int rc = open_sqlite(st, o->path, err, errlen);
        if (rc != SIM_OK) {
            ag_store_close(st);
            return rc;
        }
    }
    int rc = SIM_OK;
    evict_locked(st, now_ms, NULL, &rc);
    *out = st;
    return SIM_OK;
}

int ag_store_checkpoint(ag_store *st)
{
    if (st->kind != AG_STORE_SQLITE || !st->db)
        return SIM_OK;
    pthread_mutex_lock(&st->mu);
    int rc = sqlite3_wal_checkpoint_v2(st->db, NULL,
                                       SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                       NULL);
    pthread_mutex_unlock(&st->mu);
    return rc == SQLITE_OK ? SIM_OK : SIM_EIO;
}

void ag_store_close(ag_store *st)
{
    if (!st)
        return;
    if (st->db) {
        ag_store_checkpoint(st);
        for (int i = 0; i < ST_COUNT; i++)
            sqlite3_finalize(st->stmt[i]);
        sqlite3_close(st->db);
    }
    for (size_t i = 0; i < st->n; i++)
        ag_messages_free(st->v[i].msgs, st->v[i].nmsgs);
    sim_free(st->v);
    sim_free(st->tenants);
    pthread_mutex_destroy(&st->mu);
    sim_free(st);
}

uint32_t ag_store_boot(ag_store *st)
{
    return st->boot;        /* set once by open */
}

size_t ag_store_count(ag_store *st, int64_t now_ms)
{
    pthread_mutex_lock(&st->mu);
    size_t live = 0;
    for (size_t i = 0; i < st->n; i++)
        live += !expired(st, &st->v[i], now_ms);
    pthread_mutex_unlock(&st->mu);
    return live;
}

/* ---- sessions ------------------------------------------------------ */

/* 128 random bits: ids are the only thing standing between a client and
 * another client's session, so they must not be guessable, and the
 * simulation's seeded streams are the wrong source. */
static int new_id(char id[AG_ID_SIZE])
{
    unsigned char raw[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SIM_EIO;
    ssize_t got = read(fd, raw, sizeof raw);
    close(fd);
    if (got != (ssize_t)sizeof raw)
        return SIM_EIO;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        id[2 * i] = hex[raw[i] >> 4];
        id[2 * i + 1] = hex[raw[i] & 15];
    }
    id[32] = '\0';
    return SIM_OK;
}

/* Removes v[i] from memory (the database row is already gone). */
static void drop_at(ag_store *st, size_t i)
{
    ag_messages_free(st->v[i].msgs, st->v[i].nmsgs);
    memmove(&st->v[i], &st->v[i + 1], (st->n - i - 1) * sizeof *st->v);
    st->n--;
}

static void evict_locked(ag_store *st, int64_t now, size_t *count, int *rc)
{
    size_t i = 0, n = 0;
    *rc = SIM_OK;
    while (i < st->n) {
        if (!expired(st, &st->v[i], now)) {
            i++;
            continue;
        }
        if (st->db && db_delete_session(st, st->v[i].info.id) != SIM_OK) {
            *rc = SIM_EIO;      /* leave it; it stays invisible */
            i++;
            continue;
        }
        drop_at(st, i);
        n++;
    }
    if (count)
        *count = n;
}

int ag_store_evict(ag_store *st, int64_t now_ms, size_t *n)
{
    int rc;
    pthread_mutex_lock(&st->mu);
    evict_locked(st, now_ms, n, &rc);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static size_t live_count(ag_store *st, int64_t now)
{
    size_t live = 0;
    for (size_t i = 0; i < st->n; i++)
        live += !expired(st, &st->v[i], now);
    return live;
}

int ag_store_create(ag_store *st, const char *tenant, int64_t now_ms,
                    char id[AG_ID_SIZE])
{
    if (!valid_tenant(tenant))
        return SIM_EINVAL;
    sess e;
    memset(&e, 0, sizeof e);
    int rc = new_id(e.info.id);
    if (rc != SIM_OK)
        return rc;
    snprintf(e.info.tenant, sizeof e.info.tenant, "%s", tenant);
    e.info.created_ms = e.info.last_active_ms = now_ms;

    pthread_mutex_lock(&st->mu);
    if ((int64_t)live_count(st, now_ms) >= st->max_sessions) {
        pthread_mutex_unlock(&st->mu);
        return AG_STORE_EFULL;
    }
    /* Expired sessions still take a slot in the array until deleted. */
    if ((int64_t)st->n >= st->max_sessions)
        evict_locked(st, now_ms, NULL, &rc);
    rc = grow_sessions(st);
    if (rc == SIM_OK && st->db) {
        sqlite3_stmt *s = stmt_reset(st, ST_INS_SESSION);
        bind_text(s, 1, e.info.id);
        bind_text(s, 2, e.info.tenant);
        sqlite3_bind_int64(s, 3, now_ms);
        rc = step_done(s);
        if (rc != SIM_OK)
            rc = io_status(st);
    }
    if (rc == SIM_OK) {
        st->v[st->n++] = e;
        memcpy(id, e.info.id, AG_ID_SIZE);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int ag_store_get(ag_store *st, const char *id, int64_t now_ms,
                 ag_session_info *out)
{
    pthread_mutex_lock(&st->mu);
    sess *s = find(st, id, now_ms);
    if (s)
        *out = s->info;
    pthread_mutex_unlock(&st->mu);
    return s ? SIM_OK : SIM_ENOTFOUND;
}

int ag_store_touch(ag_store *st, const char *id, int64_t now_ms)
{
    pthread_mutex_lock(&st->mu);
    sess *s = find(st, id, now_ms);
    if (s && now_ms > s->info.last_active_ms)
        s->info.last_active_ms = now_ms;
    pthread_mutex_unlock(&st->mu);
    return s ? SIM_OK : SIM_ENOTFOUND;
}

int ag_store_list(ag_store *st, int64_t now_ms, ag_session_info **out,
                  size_t *n)
{
    pthread_mutex_lock(&st->mu);
    size_t live = live_count(st, now_ms), k = 0;
    ag_session_info *v = sim_alloc((live ? live : 1) * sizeof *v);
    if (!v) {
        pthread_mutex_unlock(&st->mu);
        return SIM_ENOMEM;
    }
    for (size_t i = 0; i < st->n; i++)
        if (!expired(st, &st->v[i], now_ms))
            v[k++] = st->v[i].info;
    pthread_mutex_unlock(&st->mu);
    *out = v;
    *n = k;
    return SIM_OK;
}

int ag_store_delete(ag_store *st, const char *id)
{
    pthread_mutex_lock(&st->mu);
    int rc = SIM_ENOTFOUND;
    for (size_t i = 0; i < st->n; i++) {
        if (strcmp(st->v[i].info.id, id) != 0)
            continue;
        rc = st->db ? db_delete_session(st, id) : SIM_OK;
        if (rc == SIM_OK)
            drop_at(st, i);
        break;
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int ag_store_pin(ag_store *st, const char *id, int64_t now_ms)
{
    pthread_mutex_lock(&st->mu);
    sess *s = find(st, id, now_ms);
    if (s) {
        s->pins++;
        if (now_ms > s->info.last_active_ms)
            s->info.last_active_ms = now_ms;
    }
    pthread_mutex_unlock(&st->mu);
    return s ? SIM_OK : SIM_ENOTFOUND;
}

void ag_store_unpin(ag_store *st, const char *id, int64_t now_ms)
{
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->n; i++) {
        sess *s = &st->v[i];
        if (strcmp(s->info.id, id) != 0)
            continue;
        if (s->pins > 0)
            s->pins--;
        if (now_ms > s->info.last_active_ms)
            s->info.last_active_ms = now_ms;
        break;
    }
    pthread_mutex_unlock(&st->mu);
}

/* ---- history ------------------------------------------------------- */

static void usage_add(ag_usage *u, const ag_message *m)
{
    u->input_tokens += m->input_tokens;
    u->output_tokens += m->output_tokens;
    u->cost += m->cost;
}

static tenant_row *mem_tenant(ag_store *st, const char *tenant, int add)
{
    for (size_t i = 0; i < st->ntenants; i++)
        if (strcmp(st->tenants[i].name, tenant) == 0)
            return &st->tenants[i];
    if (!add)
        return NULL;
    if (st->ntenants == st->tcap) {
        size_t cap = st->tcap ? st->tcap * 2 : 8;
        tenant_row *v = sim_realloc(st->tenants, cap * sizeof *v);
        if (!v)
            return NULL;
        st->tenants = v;
        st->tcap = cap;
    }
    tenant_row *t = &st->tenants[st->ntenants++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", tenant);
    return t;
}

static int mem_append(ag_store *st, sess *s, const char *tenant,
                      const ag_message *msgs, size_t n)
{
    if (s->nmsgs + n > s->cap) {
        size_t cap = s->cap ? s->cap : 8;
        while (cap < s->nmsgs + n)
            cap *= 2;
        ag_message *v = sim_realloc(s->msgs, cap * sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        s->msgs = v;
        s->cap = cap;
    }
    tenant_row *t = mem_tenant(st, tenant, 1);
    if (!t)
        return SIM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (message_copy(&s->msgs[s->nmsgs + i], &msgs[i]) != SIM_OK) {
            while (i-- > 0)
                ag_message_fini(&s->msgs[s->nmsgs + i]);
            return SIM_ENOMEM;
        }
    }
    s->nmsgs += n;
    for (size_t i = 0; i < n; i++)
        usage_add(&t->usage, &msgs[i]);
    return SIM_OK;
}

static int db_insert_message(ag_store *st, const char *id,
                             const ag_message *m)
{
    sqlite3_stmt *s = stmt_reset(st, ST_INS_MSG);
    bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, m->seq);
    bind_text(s, 3, ag_role_name(m->role));
    bind_text(s, 4, m->content);
    bind_text(s, 5, m->tool_calls);
    bind_text(s, 6, m->tool_call_id);
    bind_text(s, 7, m->name);
    sqlite3_bind_int64(s, 8, m->created_ms);
    sqlite3_bind_int64(s, 9, m->input_tokens);
    sqlite3_bind_int64(s, 10, m->output_tokens);
    sqlite3_bind_int64(s, 11, fx_to_i64(m->cost));
    return step_done(s);
}

/* The append's rows, inside the caller's transaction. */
static int db_append(ag_store *st, const char *id, const char *tenant,
                     const ag_message *msgs, size_t n,
                     const ag_session_info *after, const ag_usage *add)
{
    for (size_t i = 0; i < n; i++)
        if (db_insert_message(st, id, &msgs[i]) != SIM_OK)
            return SIM_EIO;
    sqlite3_stmt *s = stmt_reset(st, ST_UPD_SESSION);
    bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, after->last_active_ms);
    sqlite3_bind_int64(s, 3, after->messages);
    sqlite3_bind_int64(s, 4, after->usage.input_tokens);
    sqlite3_bind_int64(s, 5, after->usage.output_tokens);
    sqlite3_bind_int64(s, 6, fx_to_i64(after->usage.cost));
    if (step_done(s) != SIM_OK)
        return SIM_EIO;
    s = stmt_reset(st, ST_UPS_TENANT);
    bind_text(s, 1, tenant);
    sqlite3_bind_int64(s, 2, add->input_tokens);
    sqlite3_bind_int64(s, 3, add->output_tokens);
    sqlite3_bind_int64(s, 4, fx_to_i64(add->cost));
    return step_done(s);
}

int ag_store_append(ag_store *st, const char *id, const char *tenant,
                    ag_message *msgs, size_t n, int64_t now_ms)
{
    if (!valid_tenant(tenant))
        return SIM_EINVAL;
    pthread_mutex_lock(&st->mu);
    sess *s = find(st, id, now_ms);
    if (!s) {
        pthread_mutex_unlock(&st->mu);
        return SIM_ENOTFOUND;
    }
    ag_session_info after = s->info;
    ag_usage add = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        msgs[i].seq = after.messages + 1 + (int64_t)i;
        msgs[i].created_ms = now_ms;
        usage_add(&add, &msgs[i]);
    }
    after.messages += (int64_t)n;
    after.usage.input_tokens += add.input_tokens;
    after.usage.output_tokens += add.output_tokens;
    after.usage.cost += add.cost;
    if (now_ms > after.last_active_ms)
        after.last_active_ms = now_ms;

    int rc;
    if (st->db) {
        rc = exec(st, "BEGIN IMMEDIATE");
        if (rc == SIM_OK)
            rc = db_append(st, id, tenant, msgs, n, &after, &add);
        if (rc == SIM_OK)
            rc = exec(st, "COMMIT");
        if (rc == SIM_EIO) {
            rc = io_status(st);
            exec(st, "ROLLBACK");
        }
    } else {
        rc = mem_append(st, s, tenant, msgs, n);
    }
    if (rc == SIM_OK)
        s->info = after;
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static int dup_col(sqlite3_stmt *s, int col, char **out)
{
    return dup_opt((const char *)sqlite3_column_text(s, col), out);
}

static int db_history(ag_store *st, const char *id, int64_t from_seq,
                      ag_message *v, size_t max, size_t *n)
{
    sqlite3_stmt *s = stmt_reset(st, ST_SEL_HISTORY);
    bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, from_seq);
    size_t k = 0;
    int rc = SQLITE_DONE;
    while (k < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        ag_message *m = &v[k];
        memset(m, 0, sizeof *m);
        k++;
        m->seq = sqlite3_column_int64(s, 0);
        if (role_parse((const char *)sqlite3_column_text(s, 1), &m->role) !=
            SIM_OK) {
            rc = SQLITE_CORRUPT;
            break;
        }
        if (dup_col(s, 2, &m->content) != SIM_OK ||
            dup_col(s, 3, &m->tool_calls) != SIM_OK ||
            dup_col(s, 4, &m->tool_call_id) != SIM_OK ||
            dup_col(s, 5, &m->name) != SIM_OK) {
            rc = SQLITE_NOMEM;
            break;
        }
        m->created_ms = sqlite3_column_int64(s, 6);
        m->input_tokens = sqlite3_column_int64(s, 7);
        m->output_tokens = sqlite3_column_int64(s, 8);
        m->cost = (sim_fx)sqlite3_column_int64(s, 9);
    }
    sqlite3_reset(s);
    *n = k;
    /* ROW: stopped at max with rows left, which the window excludes. */
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return SIM_OK;
    return rc == SQLITE_NOMEM ? SIM_ENOMEM : SIM_EIO;
}

static int mem_history(const sess *s, size_t from, ag_message *v,
                       size_t want, size_t *n)
{
    for (size_t k = 0; k < want; k++) {
        if (message_copy(&v[k], &s->msgs[from + k]) != SIM_OK) {
            *n = k;
            return SIM_ENOMEM;
        }
    }
    *n = want;
    return SIM_OK;
}

int ag_store_history(ag_store *st, const char *id, int64_t now_ms,
                     size_t limit, ag_message **out, size_t *n)
{
    pthread_mutex_lock(&st->mu);
    sess *s = find(st, id, now_ms);
    if (!s) {
        pthread_mutex_unlock(&st->mu);
        return SIM_ENOTFOUND;
    }
    size_t total = (size_t)s->info.messages;
    size_t want = limit && limit < total ? limit : total;
    ag_message *v = sim_calloc(want ? want : 1, sizeof *v);
    if (!v) {
        pthread_mutex_unlock(&st->mu);
        return SIM_ENOMEM;
    }
    size_t k = 0;
    int rc = st->db ? db_history(st, id, (int64_t)(total - want), v, want, &k)
                    : mem_history(s, total - want, v, want, &k);
    pthread_mutex_unlock(&st->mu);
    if (rc != SIM_OK) {
        ag_messages_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return SIM_OK;
}

int ag_store_tenant_usage(ag_store *st, const char *tenant, ag_usage *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->mu);
    int rc = SIM_OK;
    if (st->db) {
        sqlite3_stmt *s = stmt_reset(st, ST_SEL_TENANT);
        bind_text(s, 1, tenant);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
            out->input_tokens = sqlite3_column_int64(s, 0);
            out->output_tokens = sqlite3_column_int64(s, 1);
            out->cost = (sim_fx)sqlite3_column_int64(s, 2);
        } else if (r != SQLITE_DONE) {
            rc = SIM_EIO;
        }
        sqlite3_reset(s);
    } else {
        tenant_row *t = mem_tenant(st, tenant, 0);
        if (t)
            *out = t->usage;
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}
