/*
 * agent.c -- admission, the reply loop, events, limits and shutdown.
 */
#include "agent-harness/agent.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/fixed.h"

/* Why a reply was cancelled (the value of job.cancel). */
enum { CANCEL_NONE, CANCEL_SHUTDOWN, CANCEL_DELETED };

struct job;

/* A session's runtime state, made the first time it is needed. */
typedef struct runtime {
    char id[AG_ID_SIZE];
    ag_stream *ring;
    struct job *job;        /* the reply in flight, or NULL */
    int deleted;            /* drop when the reply ends */
} runtime;

typedef struct tenant {
    char name[AG_TENANT_SIZE];
    int64_t in_flight;
    int64_t output_tokens;  /* spent, for the budget */
} tenant;

typedef struct job {
    ag_agent *a;
    runtime *rt;
    tenant *t;
    char session[AG_ID_SIZE];
    char tenant_name[AG_TENANT_SIZE];
    char *content;
    ag_stream *ring;        /* a reference of the job's own */
    atomic_int cancel;
    int released;           /* session and tenant slot given back */
    ag_reply_result res;
    /* the conversation sent to the model: history, then this reply's
     * tool exchange, which is also what gets stored */
    ag_message *msgs;
    size_t nmsgs, cap, nhist;
} job;

struct ag_agent {
    pthread_mutex_t mu;
    pthread_cond_t idle;    /* in_flight dropped */
    const ag_config *cfg;
    ag_store *store;
    ag_model *model;
    ag_tools *tools;
    ag_bus *bus;
    char *system;
    ag_clock_fn clock;
    void *clock_ud;
    runtime **rts;          /* pointers: jobs hold them across reallocs */
    size_t nrt, caprt;
    tenant **tenants;
    size_t nten, capten;
    size_t in_flight;
    int stopping;
    sim_fx in_price, out_price;     /* USD per million tokens */
    uint64_t first_id;      /* of every ring made in this run */
    size_t ring_events;
};

const char *ag_strerror(int status)
{
    switch (status) {
    case AG_STREAM_TIMEOUT: return "timed out waiting for an event";
    case AG_STREAM_CLOSED: return "the stream is closed";
    case AG_STORE_EFULL: return "the session limit is reached";
    case AG_STORE_ENOSPC: return "the disk is full";
    case AG_MODEL_ECANCELED: return "cancelled";
    case AG_MODEL_EHTTP: return "the model provider returned an error";
    case AG_MODEL_EPROTO: return "the model provider's stream was malformed";
    case AG_EBUSY: return "the session already has a reply in flight";
    case AG_ELIMIT: return "the tenant's concurrency limit is reached";
    case AG_EBUDGET: return "the tenant's token budget is spent";
    case AG_ESTOPPING: return "the server is shutting down";
    default: return sim_strerror(status);
    }
}

void ag_reply_result_fini(ag_reply_result *r)
{
    sim_free(r->content);
    r->content = NULL;
}

int64_t ag_agent_now(ag_agent *a)
{
    return a->clock(a->clock_ud);
}

int ag_agent_new(const ag_agent_opts *o, ag_agent **out)
{
    ag_agent *a = sim_calloc(1, sizeof *a);
    if (!a)
        return SIM_ENOMEM;
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        sim_free(a);
        return SIM_ENOMEM;
    }
    if (pthread_cond_init(&a->idle, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        sim_free(a);
        return SIM_ENOMEM;
    }
    a->cfg = o->cfg;
    a->store = o->store;
    a->model = o->model;
    a->tools = o->tools;
    a->bus = o->bus;
    a->clock = o->clock ? o->clock : ag_clock_real;
    a->clock_ud = o->clock_ud;
    if (o->system_prompt && *o->system_prompt) {
        a->system = sim_strdup(o->system_prompt);
        if (!a->system) {
            ag_agent_free(a);
            return SIM_ENOMEM;
        }
    }
    a->in_price = sim_fx_from_double(o->cfg->llm.input_usd_per_mtok);
    a->out_price = sim_fx_from_double(o->cfg->llm.output_usd_per_mtok);
    a->first_id = ((uint64_t)ag_store_boot(o->store) << 32) + 1;
    a->ring_events = o->cfg->stream_buffer > 0
                         ? (size_t)o->cfg->stream_buffer : 1024;
    *out = a;
    return SIM_OK;
}

static void runtime_free(runtime *rt)
{
    if (!rt)
        return;
    if (rt->ring) {
        ag_stream_close(rt->ring);
        ag_stream_free(rt->ring);
    }
    sim_free(rt);
}

void ag_agent_free(ag_agent *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nrt; i++)
        runtime_free(a->rts[i]);
    sim_free(a->rts);
    for (size_t i = 0; i < a->nten; i++)
        sim_free(a->tenants[i]);
    sim_free(a->tenants);
    sim_free(a->system);
    pthread_cond_destroy(&a->idle);
    pthread_mutex_destroy(&a->mu);
    sim_free(a);
}

/* ---- runtime state (agent lock held) --------------------------------- */

static runtime *rt_find(ag_agent *a, const char *id, size_t *at)
{
    for (size_t i = 0; i < a->nrt; i++)
        if (!a->rts[i]->deleted && strcmp(a->rts[i]->id, id) == 0) {
            if (at)
                *at = i;
            return a->rts[i];
        }
    return NULL;
}

static int rt_get(ag_agent *a, const char *id, runtime **out)
{
    runtime *rt = rt_find(a, id, NULL);
    if (rt) {
        *out = rt;
        return SIM_OK;
    }
    if (a->nrt == a->caprt) {
        size_t cap = a->caprt ? a->caprt * 2 : 16;
        runtime **v = sim_realloc(a->rts, cap * sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        a->rts = v;
        a->caprt = cap;
    }
    rt = sim_calloc(1, sizeof *rt);
    if (!rt)
        return SIM_ENOMEM;
    snprintf(rt->id, sizeof rt->id, "%s", id);
    int rc = ag_stream_new(a->ring_events, AG_STREAM_DEFAULT_BYTES,
                           a->first_id, &rt->ring);
    if (rc != SIM_OK) {
        sim_free(rt);
        return rc;
    }
    a->rts[a->nrt++] = rt;
    *out = rt;
    return SIM_OK;
}

static void rt_remove(ag_agent *a, runtime *rt)
{
    for (size_t i = 0; i < a->nrt; i++) {
        if (a->rts[i] != rt)
            continue;
        a->rts[i] = a->rts[--a->nrt];
        runtime_free(rt);
        return;
    }
}

/* Tenant names come from a request header, so their records are capped:
 * past the cap an idle tenant's record is dropped (it reloads its
 * completed replies' usage from the store when next seen). */
#define MAX_TENANTS 10000

static void tenant_make_room(ag_agent *a)
{
    if (a->nten < MAX_TENANTS)
        return;
    for (size_t i = 0; i < a->nten; i++) {
        if (a->tenants[i]->in_flight > 0)
            continue;
        sim_free(a->tenants[i]);
        a->tenants[i] = a->tenants[--a->nten];
        return;
    }
}

/* The tenant's record, its spending loaded from the store the first time
 * it is seen in this run. */
static int tenant_get(ag_agent *a, const char *name, tenant **out)
{
    for (size_t i = 0; i < a->nten; i++)
        if (strcmp(a->tenants[i]->name, name) == 0) {
            *out = a->tenants[i];
            return SIM_OK;
        }
    tenant_make_room(a);
    ag_usage u;
    int rc = ag_store_tenant_usage(a->store, name, &u);
    if (rc != SIM_OK)
        return rc;
    if (a->nten == a->capten) {
        size_t cap = a->capten ? a->capten * 2 : 8;
        tenant **v = sim_realloc(a->tenants, cap * sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        a->tenants = v;
        a->capten = cap;
    }
    tenant *t = sim_calloc(1, sizeof *t);
    if (!t)
        return SIM_ENOMEM;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->output_tokens = u.output_tokens;
    a->tenants[a->nten++] = t;
    *out = t;
    return SIM_OK;
}

/* ---- sessions -------------------------------------------------------- */

int ag_agent_create_session(ag_agent *a, const char *tenant_name,
                            char id[AG_ID_SIZE])
{
    pthread_mutex_lock(&a->mu);
    int stopping = a->stopping;
    pthread_mutex_unlock(&a->mu);
    if (stopping)
        return AG_ESTOPPING;
    return ag_store_create(a->store, tenant_name, ag_agent_now(a), id);
}

int ag_agent_delete_session(ag_agent *a, const char *id)
{
    pthread_mutex_lock(&a->mu);
    runtime *rt = rt_find(a, id, NULL);
    int rc = ag_store_delete(a->store, id);
    if (rt && rc == SIM_OK) {
        ag_stream_close(rt->ring);
        if (rt->job) {
            /* The reply ends by itself; its end drops the runtime. */
            atomic_store(&rt->job->cancel, CANCEL_DELETED);
            rt->deleted = 1;
        } else {
            rt_remove(a, rt);
        }
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int ag_agent_sweep(ag_agent *a, size_t *n)
{
    pthread_mutex_lock(&a->mu);
    int64_t now = ag_agent_now(a);
    int rc = ag_store_evict(a->store, now, n);
    ag_session_info info;
    for (size_t i = 0; i < a->nrt;) {
        runtime *rt = a->rts[i];
        if (!rt->job && ag_store_get(a->store, rt->id, now, &info) != SIM_OK)
            rt_remove(a, rt);   /* moves the last runtime into slot i */
        else
            i++;
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int ag_agent_stream(ag_agent *a, const char *session, ag_stream **out)
{
    ag_session_info info;
    pthread_mutex_lock(&a->mu);
    runtime *rt = NULL;
    /* Rings made after shutdown closed the others would never close. */
    int rc = a->stopping ? AG_ESTOPPING
                         : ag_store_get(a->store, session, ag_agent_now(a),
                                        &info);
    if (rc == SIM_OK)
        rc = rt_get(a, session, &rt);
    if (rc == SIM_OK)
        *out = ag_stream_retain(rt->ring);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

size_t ag_agent_in_flight(ag_agent *a)
{
    pthread_mutex_lock(&a->mu);
    size_t n = a->in_flight;
    pthread_mutex_unlock(&a->mu);
    return n;
}

/* ---- events ---------------------------------------------------------- */

/* Records an event in the ring, then publishes it.  Takes ownership of
 * data (NULL: out of memory, and the event is dropped -- an event that
 * cannot be built cannot be sent either). */
static void emit(job *j, const char *type, char *data)
{
    if (!data)
        return;
    uint64_t id = 0;
    if (ag_stream_push(j->ring, type, data, &id) == SIM_OK) {
        if (!j->res.first_id)
            j->res.first_id = id;
        j->res.last_id = id;
    }
    ag_event ev = {j->session, id, type, data};
    ag_bus_emit(j->a->bus, &ev);
    sim_free(data);
}

static int on_token(void *ud, const char *text, size_t len)
{
    job *j = ud;
    (void)len;
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "text", text, &bad);
    emit(j, "token", ag__jprint(o, &bad));
    return atomic_load(&j->cancel) != CANCEL_NONE;
}

static void emit_error(job *j, const char *code)
{
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "error", j->res.error, &bad);
    ag__jstr(o, "code", code, &bad);
    emit(j, "error", ag__jprint(o, &bad));
}

static void emit_done(job *j)
{
    const ag_reply_result *r = &j->res;
    int bad = 0;
    cJSON *o = ag__jobj(&bad), *u = ag__jobj(&bad);
    ag__jint(u, "input_tokens", r->usage.input_tokens, &bad);
    ag__jint(u, "output_tokens", r->usage.output_tokens, &bad);
    ag__jbool(u, "estimated", r->usage_estimated, &bad);
    ag__jitem(o, "usage", u, &bad);
    ag__jusd(o, "cost_usd", r->usage.cost, &bad);
    ag__jint(o, "iterations", r->iterations, &bad);
    ag__jstr(o, "finish_reason", r->finish_reason, &bad);
    ag__jint(o, "seq", r->seq, &bad);
    emit(j, "done", ag__jprint(o, &bad));
}

/* ---- the reply loop -------------------------------------------------- */

static sim_fx cost_of(const ag_agent *a, int64_t in, int64_t out)
{
    sim_fx mega = sim_fx_from_int(1000000), c1 = 0, c2 = 0;
    /* SIM_ERANGE needs ~10^14 tokens at $10^6/Mtok: not a real case, and
     * a zero cost beats a failed reply if it ever happens. */
    if (sim_fx_muldiv(sim_fx_from_int(in), a->in_price, mega, &c1) != SIM_OK)
        c1 = 0;
    if (sim_fx_muldiv(sim_fx_from_int(out), a->out_price, mega, &c2) !=
        SIM_OK)
        c2 = 0;
    return c1 + c2;
}

static int msgs_push(job *j, ag_message *m)
{
    if (j->nmsgs == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 16;
        ag_message *v = sim_realloc(j->msgs, cap * sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        j->msgs = v;
        j->cap = cap;
    }
    j->msgs[j->nmsgs++] = *m;
    memset(m, 0, sizeof *m);
    return SIM_OK;
}

/* Our stored form of a step's tool calls: [{"id","name","arguments"}]. */
static char *calls_json(const ag_model_result *r)
{
    int bad = 0;
    cJSON *arr = ag__jarr(&bad);
    for (size_t i = 0; i < r->ncalls; i++) {
        cJSON *c = ag__jobj(&bad);
        ag__jstr(c, "id", r->calls[i].id, &bad);
        ag__jstr(c, "name", r->calls[i].name, &bad);
        ag__jstr(c, "arguments", r->calls[i].arguments, &bad);
        ag__jpush(arr, c, &bad);
    }
    return ag__jprint(arr, &bad);
}

static void emit_call(job *j, const ag_tool_call *c)
{
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "call_id", c->id, &bad);
    ag__jstr(o, "name", c->name, &bad);
    ag__jstr(o, "arguments", c->arguments, &bad);
    emit(j, "tool_call", ag__jprint(o, &bad));
}

static void emit_result(job *j, const ag_tool_call *c, const char *result,
                        int is_error)
{
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "call_id", c->id, &bad);
    ag__jstr(o, "name", c->name, &bad);
    ag__jstr(o, "result", result, &bad);
    ag__jbool(o, "is_error", is_error, &bad);
    emit(j, "tool_result", ag__jprint(o, &bad));
}

/* The assistant's tool-call message, then one tool message per call. */
static int run_tools(job *j, ag_model_result *r, const ag_message *step)
{
    ag_message m = *step;
    m.tool_calls = calls_json(r);
    m.content = r->content;
    r->content = NULL;
    if (!m.tool_calls || msgs_push(j, &m) != SIM_OK) {
        ag_message_fini(&m);
        return SIM_ENOMEM;
    }
    for (size_t i = 0; i < r->ncalls; i++) {
        const ag_tool_call *c = &r->calls[i];
        emit_call(j, c);
        char *out = NULL;
        int is_error = 1, rc;
        if (j->a->tools)
            rc = ag_tools_call(j->a->tools, c->name, c->arguments, &out,
                               &is_error);
        else
            rc = (out = sim_strdup("{\"error\":\"no tools are enabled\"}"))
                     ? SIM_OK : SIM_ENOMEM;
        if (rc != SIM_OK)
            return rc;
        emit_result(j, c, out, is_error);
        ag_message tm = {0};
        tm.role = AG_ROLE_TOOL;
        tm.content = out;
        tm.tool_call_id = sim_strdup(c->id);
        tm.name = sim_strdup(c->name);
        if (!tm.tool_call_id || !tm.name || msgs_push(j, &tm) != SIM_OK) {
            ag_message_fini(&tm);
            return SIM_ENOMEM;
        }
    }
    return SIM_OK;
}

/* One model call.  *more says whether the loop should go on. */
static int step(job *j, int *more)
{
    ag_agent *a = j->a;
    size_t nspecs = 0;
    const ag_tool_spec *specs = a->tools ? ag_tools_specs(a->tools, &nspecs)
                                         : NULL;
    ag_model_request req = {a->system, j->msgs, j->nmsgs, specs, nspecs,
                            a->cfg->llm.max_output_tokens, &j->cancel};
    ag_model_sink sink = {on_token, j};
    ag_model_result r;
    int rc = ag_model_complete(a->model, &req, &sink, &r);
    j->res.iterations++;
    j->res.usage.input_tokens += r.input_tokens;
    j->res.usage.output_tokens += r.output_tokens;
    j->res.usage_estimated |= r.usage_estimated;
    ag_message m = {0};
    m.role = AG_ROLE_ASSISTANT;
    m.input_tokens = r.input_tokens;
    m.output_tokens = r.output_tokens;
    m.cost = cost_of(a, r.input_tokens, r.output_tokens);
    j->res.usage.cost += m.cost;
    *more = 0;
    if (rc != SIM_OK) {
        snprintf(j->res.error, sizeof j->res.error, "%s",
                 r.error[0] ? r.error : ag_strerror(rc));
    } else if (r.ncalls > 0 &&
               j->res.iterations < (a->cfg->llm.max_iterations > 0
                                        ? a->cfg->llm.max_iterations : 10)) {
        rc = run_tools(j, &r, &m);
        *more = rc == SIM_OK;
    } else {
        /* The final answer.  Calls the loop has no room left to run are
         * dropped: history must not hold a call without its result. */
        snprintf(j->res.finish_reason, sizeof j->res.finish_reason, "%s",
                 r.ncalls > 0 ? "max_iterations"
                              : r.finish_reason[0] ? r.finish_reason : "stop");
        m.content = r.content ? r.content : sim_strdup("");
        r.content = NULL;
        j->res.content = m.content ? sim_strdup(m.content) : NULL;
        if (!m.content || !j->res.content || msgs_push(j, &m) != SIM_OK) {
            ag_message_fini(&m);
            rc = SIM_ENOMEM;
        }
    }
    ag_model_result_fini(&r);
    return rc;
}

static const char *cancel_text(int why)
{
    return why == CANCEL_DELETED ? "cancelled: the session was deleted"
                                 : "cancelled: the server is shutting down";
}

static void release(job *j);

/* Steps 2-5 of agent.h's list.  Returns the reply's status. */
static int run(job *j)
{
    ag_agent *a = j->a;
    ag_message user = {0};
    user.role = AG_ROLE_USER;
    user.content = j->content;
    int rc = ag_store_append(a->store, j->session, j->tenant_name, &user, 1,
                             ag_agent_now(a));
    const char *code = "storage";
    if (rc == SIM_OK)
        rc = ag_store_history(a->store, j->session, ag_agent_now(a),
                              AG_HISTORY_LIMIT, &j->msgs, &j->nmsgs);
    if (rc != SIM_OK) {
        snprintf(j->res.error, sizeof j->res.error,
                 "could not record the message: %s", ag_strerror(rc));
        goto fail;
    }
    j->cap = j->nhist = j->nmsgs;
    int more = 1;
    code = "model";
    while (more && rc == SIM_OK)
        rc = step(j, &more);
    if (rc != SIM_OK)
        goto fail;
    code = "storage";
    rc = ag_store_append(a->store, j->session, j->tenant_name,
                         j->msgs + j->nhist, j->nmsgs - j->nhist,
                         ag_agent_now(a));
    if (rc != SIM_OK) {
        snprintf(j->res.error, sizeof j->res.error,
                 "could not store the reply: %s", ag_strerror(rc));
        goto fail;
    }
    j->res.seq = j->msgs[j->nmsgs - 1].seq;
    release(j);
    emit_done(j);
    return SIM_OK;
fail:;
    int why = atomic_load(&j->cancel);
    if (why != CANCEL_NONE) {
        rc = why == CANCEL_DELETED ? SIM_ENOTFOUND : AG_ESTOPPING;
        snprintf(j->res.error, sizeof j->res.error, "%s", cancel_text(why));
        code = "cancelled";
    }
    snprintf(j->res.code, sizeof j->res.code, "%s", code);
    release(j);
    emit_error(j, code);
    return rc;
}

/* ---- admission and completion ---------------------------------------- */

static void set_msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_msg(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int admit_locked(ag_agent *a, job *j, char *err, size_t errlen)
{
    ag_session_info info;
    int64_t now = ag_agent_now(a);
    const ag_config *c = a->cfg;
    if (a->stopping) {
        set_msg(err, errlen, "the server is shutting down");
        return AG_ESTOPPING;
    }
    if (ag_store_get(a->store, j->session, now, &info) != SIM_OK) {
        set_msg(err, errlen, "no session \"%.40s\"", j->session);
        return SIM_ENOTFOUND;
    }
    int rc = rt_get(a, j->session, &j->rt);
    if (rc == SIM_OK)
        rc = tenant_get(a, j->tenant_name, &j->t);
    if (rc != SIM_OK) {
        set_msg(err, errlen, "%s", ag_strerror(rc));
        return rc;
    }
    if (j->rt->job) {
        set_msg(err, errlen, "session %s already has a reply in flight",
                j->session);
        return AG_EBUSY;
    }
    if (c->tenant_concurrency > 0 && j->t->in_flight >= c->tenant_concurrency) {
        set_msg(err, errlen,
                "tenant \"%s\" has %lld replies in flight (limit %lld)",
                j->tenant_name, (long long)j->t->in_flight,
                (long long)c->tenant_concurrency);
        return AG_ELIMIT;
    }
    if (c->tenant_token_budget > 0 &&
        j->t->output_tokens >= c->tenant_token_budget) {
        set_msg(err, errlen,
                "tenant \"%s\" has used %lld of its %lld-token budget",
                j->tenant_name, (long long)j->t->output_tokens,
                (long long)c->tenant_token_budget);
        return AG_EBUDGET;
    }
    if (ag_store_pin(a->store, j->session, now) != SIM_OK) {
        set_msg(err, errlen, "no session \"%.40s\"", j->session);
        return SIM_ENOTFOUND;
    }
    j->rt->job = j;
    j->t->in_flight++;
    a->in_flight++;
    j->ring = ag_stream_retain(j->rt->ring);
    return SIM_OK;
}

static void job_free(job *j)
{
    if (!j)
        return;
    ag_messages_free(j->msgs, j->nmsgs);
    ag_stream_free(j->ring);
    ag_reply_result_fini(&j->res);
    sim_free(j->content);
    sim_free(j);
}

static int job_new(ag_agent *a, const char *session, const char *tenant_name,
                   const char *content, job **out)
{
    if (!tenant_name || !*tenant_name ||
        strlen(tenant_name) >= AG_TENANT_SIZE)
        return SIM_EINVAL;
    job *j = sim_calloc(1, sizeof *j);
    if (!j)
        return SIM_ENOMEM;
    j->a = a;
    snprintf(j->session, sizeof j->session, "%s", session ? session : "");
    snprintf(j->tenant_name, sizeof j->tenant_name, "%s", tenant_name);
    atomic_init(&j->cancel, CANCEL_NONE);
    j->content = sim_strdup(content ? content : "");
    if (!j->content) {
        sim_free(j);
        return SIM_ENOMEM;
    }
    *out = j;
    return SIM_OK;
}

/*
 * Frees the reply's session and its tenant's slot.  Runs before the final
 * event goes out: a client that sends its next message the moment it
 * reads `done` must find the session free (not 409) and its tenant's
 * concurrency back (not 429).
 */
static void release(job *j)
{
    ag_agent *a = j->a;
    if (j->released)
        return;
    j->released = 1;
    pthread_mutex_lock(&a->mu);
    j->t->in_flight--;
    j->t->output_tokens += j->res.usage.output_tokens;
    j->rt->job = NULL;
    if (j->rt->deleted)
        rt_remove(a, j->rt);
    j->rt = NULL;
    pthread_mutex_unlock(&a->mu);
    ag_store_unpin(a->store, j->session, ag_agent_now(a));
}

/* The count shutdown waits on drops only after the final event is out,
 * so a stopping server never closes a stream before its `done`. */
static void finish(job *j)
{
    ag_agent *a = j->a;
    release(j);
    pthread_mutex_lock(&a->mu);
    a->in_flight--;
    pthread_cond_broadcast(&a->idle);
    pthread_mutex_unlock(&a->mu);
}

static int admit(ag_agent *a, const char *session, const char *tenant_name,
                 const char *content, job **out, char *err, size_t errlen)
{
    int rc = job_new(a, session, tenant_name, content, out);
    if (rc != SIM_OK) {
        set_msg(err, errlen, "%s", rc == SIM_EINVAL
                    ? "tenant names are 1 to 64 bytes" : ag_strerror(rc));
        return rc;
    }
    pthread_mutex_lock(&a->mu);
    rc = admit_locked(a, *out, err, errlen);
    pthread_mutex_unlock(&a->mu);
    if (rc != SIM_OK) {
        job_free(*out);
        *out = NULL;
    }
    return rc;
}

int ag_agent_reply(ag_agent *a, const char *session, const char *tenant_name,
                   const char *content, ag_reply_result *out)
{
    memset(out, 0, sizeof *out);
    job *j = NULL;
    int rc = admit(a, session, tenant_name, content, &j, out->error,
                   sizeof out->error);
    if (rc != SIM_OK)
        return rc;
    rc = run(j);
    finish(j);
    *out = j->res;
    memset(&j->res, 0, sizeof j->res);
    job_free(j);
    return rc;
}

static void *reply_thread(void *arg)
{
    job *j = arg;
    run(j);
    finish(j);
    job_free(j);
    return NULL;
}

int ag_agent_reply_start(ag_agent *a, const char *session,
                         const char *tenant_name, const char *content,
                         ag_stream **stream, uint64_t *after, char *err,
                         size_t errlen)
{
    job *j = NULL;
    int rc = admit(a, session, tenant_name, content, &j, err, errlen);
    if (rc != SIM_OK)
        return rc;
    *after = ag_stream_last_id(j->ring);
    *stream = ag_stream_retain(j->ring);
    pthread_attr_t attr;
    pthread_t tid;
    int ok = pthread_attr_init(&attr) == 0;
    if (ok) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        ok = pthread_create(&tid, &attr, reply_thread, j) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!ok) {
        snprintf(j->res.error, sizeof j->res.error,
                 "could not start the reply: out of threads");
        release(j);
        emit_error(j, "resources");
        finish(j);
        job_free(j);
        ag_stream_free(*stream);
        *stream = NULL;
        set_msg(err, errlen, "could not start the reply: out of threads");
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* ---- shutdown -------------------------------------------------------- */

static void deadline_in(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void ag_agent_shutdown(ag_agent *a, int64_t grace_ms)
{
    pthread_mutex_lock(&a->mu);
    a->stopping = 1;
    if (grace_ms > 0) {
        struct timespec dl;
        deadline_in(&dl, grace_ms);
        while (a->in_flight > 0 &&
               pthread_cond_timedwait(&a->idle, &a->mu, &dl) != ETIMEDOUT)
            ;
    }
    for (size_t i = 0; i < a->nrt; i++)
        if (a->rts[i]->job)
            atomic_store(&a->rts[i]->job->cancel, CANCEL_SHUTDOWN);
    /* Cancelled replies end within a model's cancel latency (about a
     * second for openai); a tool call in progress runs to its own
     * timeout.  Waiting without a bound is what makes freeing safe. */
    while (a->in_flight > 0)
        pthread_cond_wait(&a->idle, &a->mu);
    for (size_t i = 0; i < a->nrt; i++)
        ag_stream_close(a->rts[i]->ring);
    pthread_mutex_unlock(&a->mu);
}
