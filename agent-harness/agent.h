/*
 * agent.h -- the reply loop, and the runtime state around it: per-session
 * stream rings, per-tenant limits, cancellation and shutdown.
 *
 * One reply to one user message:
 *
 *   1. admission: the session exists and has no reply in flight, the
 *      tenant is under its concurrency limit and token budget (else
 *      AG_EBUSY, AG_ELIMIT or AG_EBUDGET, with a message);
 *   2. the user's message is appended to history (one transaction);
 *   3. the model gets system prompt + history (+ tool schemas) and
 *      streams; each text delta becomes a `token` event;
 *   4. when the model asks for tools, each call becomes a `tool_call`
 *      event, runs, and its output a `tool_result` event; the exchange
 *      is added to the conversation and the model is asked again, at
 *      most llm.max_iterations model calls in all (then the reply ends
 *      with finish_reason "max_iterations");
 *   5. the reply's messages (tool exchange and final answer, each with
 *      its model call's usage and cost) are appended in one transaction,
 *      and a `done` event carries the reply's usage and cost.  On any
 *      failure or cancel an `error` event ends it instead and nothing of
 *      the reply is stored, so history only ever holds whole replies.
 *
 * Events go into the session's stream ring (which gives them their ids)
 * and then onto the bus.  Event data, as JSON objects (no field is named
 * type, session or id: a WebSocket frame adds those beside them):
 *
 *   token        {"text": "..."}
 *   tool_call    {"call_id": "call_1", "name": "currentTime",
 *                 "arguments": "{}"}
 *   tool_result  {"call_id": "call_1", "name": "currentTime",
 *                 "result": "...", "is_error": false}
 *   done         {"usage": {"input_tokens": N, "output_tokens": N,
 *                 "estimated": bool}, "cost_usd": 0.000024,
 *                 "iterations": N, "finish_reason": "stop", "seq": N}
 *   error        {"error": "...", "code": "model" | "cancelled" | "storage"
 *                 | "resources"}
 *
 * Cost per message = input tokens x llm.input_usd_per_mtok / 10^6 +
 * output tokens x llm.output_usd_per_mtok / 10^6, in exact fixed point
 * (sim_fx); the config's prices are decimals read as doubles and rounded
 * to 10^-12 USD once.
 *
 * Limits, per tenant (the X-Tenant header): at most tenant_concurrency
 * replies in flight, and no new reply once its output tokens reach
 * tenant_token_budget (0: no limit).  The budget counts every reply's
 * output tokens, failed ones included (they were paid for), and starts
 * from the stored totals of completed replies, so a restart does not
 * reset it.  A reply admitted under budget runs to its end, so a tenant
 * may overshoot by at most one reply per concurrent slot.
 *
 * Thread model: replies run on the caller's thread (ag_agent_reply) or
 * on a thread of their own (ag_agent_reply_start); any number may run at
 * once, one per session.  Every function is thread-safe.  Lock order:
 * agent, then store, then ring; no lock is held while events are
 * emitted.
 */
#ifndef AG_AGENT_H
#define AG_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "agent-harness/bus.h"
#include "agent-harness/config.h"
#include "agent-harness/model.h"
#include "agent-harness/store.h"
#include "agent-harness/stream.h"
#include "agent-harness/tools.h"

/* Status besides sim_status and the store's and model's; never
 * renumber. */
enum {
    AG_EBUSY = 50,          /* the session already has a reply in flight */
    AG_ELIMIT = 51,         /* the tenant's concurrency limit is reached */
    AG_EBUDGET = 52,        /* the tenant's token budget is spent */
    AG_ESTOPPING = 53       /* the agent is shutting down */
};

/* A sentence for any status of the agent-harness modules. */
const char *ag_strerror(int status);

/* History messages sent to the model per call (Dexto loads 10,000). */
#define AG_HISTORY_LIMIT 10000

typedef struct ag_agent ag_agent;   /* opaque */

typedef struct ag_agent_opts {
    const ag_config *cfg;       /* borrowed: llm, limits, stream_buffer */
    ag_store *store;            /* borrowed */
    ag_model *model;            /* borrowed */
    ag_tools *tools;            /* borrowed; NULL: no tools */
    ag_bus *bus;                /* borrowed */
    const char *system_prompt;  /* copied; NULL: none */
    ag_clock_fn clock;          /* NULL: ag_clock_real */
    void *clock_ud;
} ag_agent_opts;

/* What a reply came to. */
typedef struct ag_reply_result {
    char *content;              /* owned final text, or NULL */
    ag_usage usage;             /* over all its model calls */
    int usage_estimated;
    int iterations;             /* model calls made */
    char finish_reason[32];
    int64_t seq;                /* history seq of its final message */
    uint64_t first_id, last_id; /* its events' stream ids */
    char error[256];            /* why, when it failed */
    char code[16];              /* and where: "model", "storage",
                                   "cancelled", or "" for admission */
} ag_reply_result;

void ag_reply_result_fini(ag_reply_result *r);

/* Creates an agent.  SIM_OK or SIM_ENOMEM. */
int ag_agent_new(const ag_agent_opts *o, ag_agent **out /* OUT */);

/* Frees the agent; call ag_agent_shutdown first if replies may still
 * run.  NULL is a no-op. */
void ag_agent_free(ag_agent *a);

/* The agent's clock (ms since the Unix epoch). */
int64_t ag_agent_now(ag_agent *a);

/* Creates a session (see ag_store_create).  AG_ESTOPPING when shutting
 * down. */
int ag_agent_create_session(ag_agent *a, const char *tenant,
                            char id[AG_ID_SIZE] /* OUT */);

/* Deletes a session and its history, cancels its reply if one is in
 * flight and closes its stream.  SIM_OK, SIM_ENOTFOUND or SIM_EIO. */
int ag_agent_delete_session(ag_agent *a, const char *id);

/* Deletes expired sessions and drops the streams of vanished ones;
 * *n (may be NULL) gets how many were deleted. */
int ag_agent_sweep(ag_agent *a, size_t *n /* OUT */);

/* A new reference to a live session's stream ring (release with
 * ag_stream_free).  SIM_OK, SIM_ENOTFOUND, AG_ESTOPPING or SIM_ENOMEM. */
int ag_agent_stream(ag_agent *a, const char *session,
                    ag_stream **out /* OUT */);

/*
 * Runs one reply on the calling thread and waits for it.  *out is always
 * filled (fini it).  Returns SIM_OK when the reply completed and was
 * stored; otherwise the status, with out->error saying why: admission
 * (SIM_ENOTFOUND, AG_EBUSY, AG_ELIMIT, AG_EBUDGET, AG_ESTOPPING, SIM_EINVAL
 * for a bad tenant), the model's statuses, SIM_EIO (storage), SIM_ENOMEM.
 */
int ag_agent_reply(ag_agent *a, const char *session, const char *tenant,
                   const char *content, ag_reply_result *out /* OUT */);

/*
 * Admits a reply and runs it on a new thread.  On SIM_OK, *stream is a
 * new reference to the session's ring and *after the id after which the
 * reply's events start; read from there until `done` or `error`.  On
 * failure nothing runs and err says why (statuses as ag_agent_reply).
 */
int ag_agent_reply_start(ag_agent *a, const char *session, const char *tenant,
                         const char *content, ag_stream **stream /* OUT */,
                         uint64_t *after /* OUT */, char *err, size_t errlen);

/* Replies in flight now. */
size_t ag_agent_in_flight(ag_agent *a);

/*
 * Stops the agent: new replies and sessions are refused (AG_ESTOPPING),
 * replies in flight get up to grace_ms to finish and are then cancelled
 * (they end with an `error` event and store nothing), and once none is
 * left every stream is closed so its readers return.  Idempotent.
 */
void ag_agent_shutdown(ag_agent *a, int64_t grace_ms);

#endif
