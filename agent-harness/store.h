/*
 * store.h -- sessions and their history: the session manager over a
 * SQLite database (storage: sqlite) or over memory (storage: memory),
 * behind one API.
 *
 * Sessions.  At most max_sessions exist at once.  A session idle for
 * longer than the TTL (no message appended, no touch) has expired: it
 * is invisible at once and is deleted, with its history, by the next
 * ag_store_evict or by a create that finds the store full.  Expiry
 * deletes rather than merely unloading: otherwise max_sessions would cap
 * the sessions ever created (Dexto counts persisted records against its
 * maxSessions), and history would grow without bound.  A pinned session
 * (a reply in flight) never expires.  Creating a session when max_sessions
 * live ones remain after eviction fails with AG_STORE_EFULL.
 *
 * History.  Messages are appended, never rewritten: each call of
 * ag_store_append is one transaction, so a reply's messages land whole
 * or not at all, and a crash leaves every earlier append intact.  SQLite
 * runs in WAL mode with synchronous=NORMAL: a committed append survives
 * the process being killed (the WAL is in the OS's hands); only a power
 * loss may take the last few.  History is read from the database on
 * demand and never cached, so resident memory does not grow with it.
 *
 * Restart.  Opening an existing database restores its sessions (minus
 * expired ones) and their history, and counts a boot (ag_store_boot),
 * which the agent uses to keep event ids increasing across restarts.
 *
 * Time is passed in (now_ms, milliseconds on any fixed epoch), so tests
 * control expiry.  Every function is thread-safe (one lock per store).
 *
 * Ownership: functions borrow their arguments; arrays and messages
 * returned through OUT parameters belong to the caller.
 */
#ifndef AG_STORE_H
#define AG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "agent-harness/config.h"
#include "base/fixed.h"

#define AG_ID_SIZE 33           /* a session id: 32 hex digits and a NUL */
#define AG_TENANT_SIZE 65       /* a tenant name: up to 64 bytes */

/* Status besides sim_status; never renumber. */
enum {
    AG_STORE_EFULL = 30,        /* max_sessions live sessions exist */
    AG_STORE_ENOSPC = 31        /* the disk (or the file size limit) is
                                   full: nothing was written, and a later
                                   call may succeed once there is room */
};

enum ag_role { AG_ROLE_USER, AG_ROLE_ASSISTANT, AG_ROLE_TOOL };

/* "user", "assistant", "tool". */
const char *ag_role_name(enum ag_role r);

/* One history entry. */
typedef struct ag_message {
    enum ag_role role;
    char *content;          /* owned text; NULL only for an assistant
                               message that is all tool calls */
    char *tool_calls;       /* assistant: owned JSON array of
                               {"id","name","arguments"}, or NULL */
    char *tool_call_id;     /* tool: the call it answers (owned) */
    char *name;             /* tool: the tool's name (owned) */
    int64_t seq;            /* 1, 2, ... within the session; set by append */
    int64_t created_ms;     /* set by append */
    int64_t input_tokens;   /* assistant: usage of the model calls */
    int64_t output_tokens;
    sim_fx cost;            /* USD */
} ag_message;

/* Frees the strings of one message. */
void ag_message_fini(ag_message *m);
/* Frees `n` messages and the array.  NULL is a no-op. */
void ag_messages_free(ag_message *v, size_t n);

typedef struct ag_usage {
    int64_t input_tokens, output_tokens;
    sim_fx cost;            /* USD */
} ag_usage;

typedef struct ag_session_info {
    char id[AG_ID_SIZE];
    char tenant[AG_TENANT_SIZE];    /* who created it */
    int64_t created_ms, last_active_ms;
    int64_t messages;               /* history length */
    ag_usage usage;                 /* sum over its messages */
} ag_session_info;

typedef struct ag_store ag_store;   /* opaque */

typedef struct ag_store_opts {
    enum ag_storage_kind kind;
    const char *path;       /* sqlite: the database file */
    int64_t max_sessions;   /* >= 1 */
    int64_t ttl_ms;         /* <= 0: sessions never expire */
} ag_store_opts;

/*
 * Opens (creating if needed) the store, restores its live sessions and
 * deletes expired ones.  Returns SIM_OK, SIM_EINVAL (bad options),
 * SIM_EIO (database cannot be opened, set to WAL or read; the reason is
 * in err) or SIM_ENOMEM.
 */
int ag_store_open(const ag_store_opts *o, int64_t now_ms,
                  ag_store **out /* OUT */, char *err, size_t errlen);

/* Checkpoints the WAL into the database, truncating it, and closes.
 * NULL is a no-op. */
void ag_store_close(ag_store *st);

/* Checkpoints the WAL (TRUNCATE).  SIM_OK or SIM_EIO; memory: SIM_OK. */
int ag_store_checkpoint(ag_store *st);

/* How many times this database has been opened, this time included
 * (1 for memory storage). */
uint32_t ag_store_boot(ag_store *st);

/* Live (unexpired) sessions. */
size_t ag_store_count(ag_store *st, int64_t now_ms);

/*
 * Creates a session for `tenant` with a fresh random id (written to id).
 * Evicts expired sessions first when the store is full.  Returns SIM_OK,
 * AG_STORE_EFULL, AG_STORE_ENOSPC, SIM_EIO or SIM_ENOMEM.
 */
int ag_store_create(ag_store *st, const char *tenant, int64_t now_ms,
                    char id[AG_ID_SIZE] /* OUT */);

/* Copies a live session's record.  SIM_OK or SIM_ENOTFOUND. */
int ag_store_get(ag_store *st, const char *id, int64_t now_ms,
                 ag_session_info *out /* OUT */);

/* Marks a live session active now (in memory; persisted with the next
 * append).  SIM_OK or SIM_ENOTFOUND. */
int ag_store_touch(ag_store *st, const char *id, int64_t now_ms);

/* Live sessions, oldest first; free *out with sim_free().  SIM_OK or
 * SIM_ENOMEM. */
int ag_store_list(ag_store *st, int64_t now_ms,
                  ag_session_info **out /* OUT */, size_t *n /* OUT */);

/* Deletes a session and its history.  SIM_OK, SIM_ENOTFOUND or SIM_EIO. */
int ag_store_delete(ag_store *st, const char *id);

/* Deletes every expired, unpinned session; *n (may be NULL) gets how
 * many.  SIM_OK or SIM_EIO. */
int ag_store_evict(ag_store *st, int64_t now_ms, size_t *n /* OUT */);

/* Pins a live session so it cannot expire (and touches it); unpin
 * touches it again.  Pins nest.  pin: SIM_OK or SIM_ENOTFOUND. */
int ag_store_pin(ag_store *st, const char *id, int64_t now_ms);
void ag_store_unpin(ag_store *st, const char *id, int64_t now_ms);

/*
 * Appends msgs[0..n) to a session's history in one transaction, numbers
 * them (seq) and stamps them (created_ms), adds their usage to the
 * session and to `tenant`'s totals, and touches the session.  On failure
 * nothing is appended.  Returns SIM_OK, SIM_ENOTFOUND, SIM_EINVAL (a bad
 * tenant name), AG_STORE_ENOSPC (disk full), SIM_EIO or SIM_ENOMEM.
 */
int ag_store_append(ag_store *st, const char *id, const char *tenant,
                    ag_message *msgs, size_t n, int64_t now_ms);

/* The last `limit` messages of a live session (0: all), oldest first;
 * free with ag_messages_free.  Reading does not touch the session.
 * SIM_OK, SIM_ENOTFOUND, SIM_EIO or SIM_ENOMEM. */
int ag_store_history(ag_store *st, const char *id, int64_t now_ms,
                     size_t limit, ag_message **out /* OUT */,
                     size_t *n /* OUT */);

/* A tenant's usage over every completed reply (zero when unknown).
 * SIM_OK or SIM_EIO. */
int ag_store_tenant_usage(ag_store *st, const char *tenant,
                          ag_usage *out /* OUT */);

#endif
