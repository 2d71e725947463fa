/*
 * serve.c -- HTTP routes, SSE, WebSocket, and `capsim agent serve`.
 *
 * Threads.  civetweb runs each connection on a worker thread from its
 * pool; a streaming response (SSE) or a WebSocket holds its worker for
 * as long as it lasts, so the pool is sized from max_sessions.  Replies
 * started over SSE or WebSocket run on threads of their own (agent.c),
 * so a client that disconnects does not stop its reply, and a slow one
 * only falls behind in the ring.  A JSON reply runs on its worker.
 * Each WebSocket has one writer thread: bus callbacks (on reply threads)
 * only push frames into the connection's bounded queue, never write to
 * the socket, so a stalled client cannot stall a reply; the writer also
 * sends the pings.  One more thread sweeps expired sessions.
 *
 * Routing is done in civetweb's begin_request callback for every
 * request, so every answer, 404 and 405 included, is JSON; only a
 * WebSocket upgrade on /v1/ws is passed on to civetweb's handler.
 */
#include "agent-harness/serve.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "agent-harness/agent.h"
#include "agent-harness/bus.h"
#include "agent-harness/model.h"
#include "agent-harness/resource.h"
#include "agent-harness/store.h"
#include "agent-harness/stream.h"
#include "agent-harness/tools.h"
#include "base/diag.h"
#include "base/fixed.h"

#define WS_MAX_SESSIONS 64      /* sessions one WebSocket may follow */
#define DRAIN_MS 2000           /* for the last events, at a stop */
#define MAX_JSON_DEPTH 32       /* requests are {"content": "..."} */

struct ag_server {
    const ag_config *cfg;
    ag_store *store;
    ag_bus *bus;
    ag_model *model;
    ag_tools *tools;
    ag_agent *agent;
    struct mg_context *ctx;
    int port;
    int64_t keepalive_ms, ping_ms;
    size_t ws_queue;
    atomic_int stopping;
    /* the sweeper, and what a stop waits to drain */
    pthread_t sweeper;
    int sweeper_started, sweeper_stop;
    int streams;            /* SSE responses in progress */
    int64_t backlog;        /* WebSocket frames queued, not yet written */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Counts streams and queued frames, so a stop can let them drain:
 * civetweb drops writes once mg_stop has begun, and the last events of
 * a reply finished during the grace period would be lost. */
static void track(ag_server *s, int streams, int64_t frames)
{
    pthread_mutex_lock(&s->mu);
    s->streams += streams;
    s->backlog += frames;
    if (s->streams == 0 && s->backlog <= 0)
        pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- responses ------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Error";
    }
}

/* Sends a whole JSON response; `extra` is more header lines or "". */
static int send_json(struct mg_connection *c, int status, const char *body,
                     const char *extra)
{
    size_t n = strlen(body);
    mg_printf(c,
              "HTTP/1.1 %d %s\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: %zu\r\n"
              "Cache-Control: no-store\r\n"
              "Connection: close\r\n"
              "%s\r\n",
              status, reason(status), n + 1, extra);
    mg_write(c, body, n);
    mg_write(c, "\n", 1);
    return status;
}

/* A JSON object built with ag__j*, or a fixed 500 when it could not be. */
static int send_obj(struct mg_connection *c, int status, struct cJSON *o,
                    int *bad, const char *extra)
{
    char *text = ag__jprint(o, bad);
    if (!text)
        return send_json(c, 500, "{\"error\":\"out of memory\"}", "");
    int rc = send_json(c, status, text, extra);
    sim_free(text);
    return rc;
}

static int send_error_x(struct mg_connection *c, int status, const char *msg,
                        const char *extra)
{
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "error", msg, &bad);
    return send_obj(c, status, o, &bad, extra);
}

static int send_error(struct mg_connection *c, int status, const char *msg)
{
    return send_error_x(c, status, msg, "");
}

static int method_not_allowed(struct mg_connection *c, const char *allow)
{
    char extra[64];
    snprintf(extra, sizeof extra, "Allow: %s\r\n", allow);
    return send_error_x(c, 405, "method not allowed", extra);
}

/* The HTTP status for an agent-harness status. */
static int http_status(int rc, const char *code)
{
    if (code && strcmp(code, "model") == 0)
        return rc == AG_MODEL_ECANCELED ? 503 : 502;
    if (code && strcmp(code, "cancelled") == 0)
        return 503;
    switch (rc) {
    case SIM_EINVAL: return 400;
    case SIM_ENOTFOUND: return 404;
    case AG_EBUSY: return 409;
    case AG_ELIMIT:
    case AG_EBUDGET: return 429;
    case AG_STORE_EFULL:
    case AG_ESTOPPING: return 503;
    case AG_STORE_ENOSPC: return 507;
    default: return 500;
    }
}

/* ---- request helpers ------------------------------------------------- */

typedef struct req {
    ag_server *srv;
    struct mg_connection *c;
    const struct mg_request_info *ri;
    char tenant[AG_TENANT_SIZE];
} req;

/* Compares in time independent of where the strings differ. */
static int secret_eq(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char d = (unsigned char)(na != nb);
    for (size_t i = 0; i < nb; i++)
        d |= (unsigned char)(a[i < na ? i : 0] ^ b[i]);
    return d == 0 && na == nb;
}

static int authorized(const req *r)
{
    const char *key = r->srv->cfg->api_key;
    if (!key || !*key)
        return 1;
    const char *h = mg_get_header(r->c, "X-API-Key");
    if (h && secret_eq(h, key))
        return 1;
    h = mg_get_header(r->c, "Authorization");
    return h && strncasecmp(h, "Bearer ", 7) == 0 && secret_eq(h + 7, key);
}

static int valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
              ch == '-'))
            return 0;
    }
    return 1;
}

/* Reads the whole body, at most AG_SERVE_MAX_BODY bytes.  SIM_OK,
 * SIM_ERANGE (too large) or SIM_ENOMEM. */
static int read_body(struct mg_connection *c, long long declared, char **out)
{
    if (declared > AG_SERVE_MAX_BODY)
        return SIM_ERANGE;
    size_t cap = declared > 0 ? (size_t)declared + 1 : 4096, len = 0;
    char *buf = sim_alloc(cap);
    if (!buf)
        return SIM_ENOMEM;
    for (;;) {
        if (len + 1 >= cap) {
            if ((long long)cap > AG_SERVE_MAX_BODY) {
                sim_free(buf);
                return SIM_ERANGE;
            }
            char *p = sim_realloc(buf, cap * 2);
            if (!p) {
                sim_free(buf);
                return SIM_ENOMEM;
            }
            buf = p;
            cap *= 2;
        }
        int n = mg_read(c, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
        /* The buffer doubles past the limit, so the limit is checked on
         * what was read: a chunked body (no Content-Length) of 1-2 MiB
         * was otherwise taken whole. */
        if ((long long)len > AG_SERVE_MAX_BODY) {
            sim_free(buf);
            return SIM_ERANGE;
        }
    }
    buf[len] = '\0';
    *out = buf;
    return SIM_OK;
}

static int query_var(const req *r, const char *name, char *buf, size_t size)
{
    const char *qs = r->ri->query_string;
    if (!qs)
        return 0;
    return mg_get_var(qs, strlen(qs), name, buf, size) >= 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || strlen(s) > 20)
        return 0;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* ---- JSON views ------------------------------------------------------ */

static cJSON *usage_json(const ag_usage *u, int *bad)
{
    cJSON *o = ag__jobj(bad);
    ag__jint(o, "input_tokens", u->input_tokens, bad);
    ag__jint(o, "output_tokens", u->output_tokens, bad);
    return o;
}

static cJSON *session_json(const ag_session_info *s, int *bad)
{
    cJSON *o = ag__jobj(bad);
    ag__jstr(o, "id", s->id, bad);
    ag__jstr(o, "tenant", s->tenant, bad);
    ag__jint(o, "created_ms", s->created_ms, bad);
    ag__jint(o, "last_active_ms", s->last_active_ms, bad);
    ag__jint(o, "messages", s->messages, bad);
    ag__jitem(o, "usage", usage_json(&s->usage, bad), bad);
    ag__jusd(o, "cost_usd", s->usage.cost, bad);
    return o;
}

static cJSON *message_json(const ag_message *m, int *bad)
{
    cJSON *o = ag__jobj(bad);
    ag__jint(o, "seq", m->seq, bad);
    ag__jstr(o, "role", ag_role_name(m->role), bad);
    ag__jstr(o, "content", m->content, bad);
    ag__jint(o, "created_ms", m->created_ms, bad);
    if (m->tool_calls) {
        cJSON *calls = cJSON_Parse(m->tool_calls);
        if (calls)
            ag__jitem(o, "tool_calls", calls, bad);
        else
            ag__jstr(o, "tool_calls", m->tool_calls, bad);
    }
    if (m->role == AG_ROLE_TOOL) {
        ag__jstr(o, "tool_call_id", m->tool_call_id, bad);
        ag__jstr(o, "name", m->name, bad);
    }
    if (m->role == AG_ROLE_ASSISTANT) {
        ag_usage u = {m->input_tokens, m->output_tokens, m->cost};
        ag__jitem(o, "usage", usage_json(&u, bad), bad);
        ag__jusd(o, "cost_usd", m->cost, bad);
    }
    return o;
}

/* ---- SSE ------------------------------------------------------------- */

static int put(struct mg_connection *c, const char *s, size_t n)
{
    return mg_write(c, s, n) == (int)n ? 0 : -1;
}

static int sse_begin(struct mg_connection *c)
{
    const char h[] = "HTTP/1.1 200 OK\r\n"
                     "Content-Type: text/event-stream\r\n"
                     "Cache-Control: no-cache\r\n"
                     "X-Accel-Buffering: no\r\n"
                     "Connection: close\r\n\r\n";
    return put(c, h, sizeof h - 1);
}

static int sse_event(struct mg_connection *c, const ag_stream_item *it)
{
    char head[96];
    int n = snprintf(head, sizeof head, "id: %" PRIu64 "\nevent: %s\ndata: ",
                     it->id, it->type);
    if (n < 0 || (size_t)n >= sizeof head)
        return -1;
    if (put(c, head, (size_t)n) || put(c, it->data, strlen(it->data)) ||
        put(c, "\n\n", 2))
        return -1;
    return 0;
}

static int sse_gap(struct mg_connection *c, uint64_t missed, int restarted)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf,
                     "event: gap\ndata: {\"missed\":%" PRIu64 "%s}\n\n",
                     missed, restarted ? ",\"restarted\":true" : "");
    return put(c, buf, (size_t)n);
}

/*
 * Relays ring events after `after` to the client until (when `until_end`)
 * a done or error event has been sent, the ring closes (session deleted,
 * shutdown) or the client is gone.
 */
static void sse_relay(ag_server *srv, struct mg_connection *c,
                      ag_stream *ring, uint64_t after, int until_end,
                      int restarted)
{
    for (;;) {
        ag_stream_item it;
        uint64_t missed = 0;
        int rc = ag_stream_read(ring, after, srv->keepalive_ms, &it, &missed);
        if (rc == AG_STREAM_TIMEOUT) {
            if (put(c, ": keepalive\n\n", 13))
                return;
            continue;
        }
        if (rc != SIM_OK)
            return;     /* closed, or out of memory */
        int fail = 0;
        if (missed > 0 || restarted)
            fail = sse_gap(c, missed, restarted);
        restarted = 0;
        if (!fail)
            fail = sse_event(c, &it);
        after = it.id;
        int end = until_end && (strcmp(it.type, "done") == 0 ||
                                strcmp(it.type, "error") == 0);
        ag_stream_item_fini(&it);
        if (fail || end)
            return;
    }
}

/* ---- routes ---------------------------------------------------------- */

static int route_healthz(req *r)
{
    if (strcmp(r->ri->request_method, "GET") != 0 &&
        strcmp(r->ri->request_method, "HEAD") != 0)
        return method_not_allowed(r->c, "GET");
    int stopping = atomic_load(&r->srv->stopping);
    const char *body = stopping ? "{\"status\":\"stopping\"}"
                                : "{\"status\":\"ok\"}";
    int status = stopping ? 503 : 200;
    if (strcmp(r->ri->request_method, "HEAD") == 0) {
        mg_printf(r->c, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                  status, reason(status), strlen(body) + 1);
        return status;
    }
    return send_json(r->c, status, body, "");
}

static int create_session(req *r)
{
    char id[AG_ID_SIZE];
    int rc = ag_agent_create_session(r->srv->agent, r->tenant, id);
    if (rc == AG_STORE_EFULL) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "session limit reached (maxSessions %lld); delete a "
                 "session or wait for idle ones to expire",
                 (long long)r->srv->cfg->max_sessions);
        return send_error(r->c, 503, msg);
    }
    if (rc != SIM_OK)
        return send_error(r->c, http_status(rc, NULL), ag_strerror(rc));
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "id", id, &bad);
    char loc[80];
    snprintf(loc, sizeof loc, "Location: /v1/sessions/%s\r\n", id);
    return send_obj(r->c, 201, o, &bad, loc);
}

static int list_sessions(req *r)
{
    ag_session_info *v = NULL;
    size_t n = 0;
    int64_t now = ag_agent_now(r->srv->agent);
    if (ag_store_list(r->srv->store, now, &v, &n) != SIM_OK)
        return send_error(r->c, 500, "out of memory");
    char want[AG_TENANT_SIZE] = "";
    int filter = query_var(r, "tenant", want, sizeof want);
    int bad = 0;
    cJSON *o = ag__jobj(&bad), *arr = ag__jarr(&bad);
    for (size_t i = 0; i < n; i++)
        if (!filter || strcmp(v[i].tenant, want) == 0)
            ag__jpush(arr, session_json(&v[i], &bad), &bad);
    sim_free(v);
    ag__jitem(o, "sessions", arr, &bad);
    return send_obj(r->c, 200, o, &bad, "");
}

static int route_sessions(req *r)
{
    const char *m = r->ri->request_method;
    if (strcmp(m, "POST") == 0)
        return create_session(r);
    if (strcmp(m, "GET") == 0)
        return list_sessions(r);
    return method_not_allowed(r->c, "GET, POST");
}

static int no_session(req *r, const char *id)
{
    char msg[96];
    snprintf(msg, sizeof msg, "no session \"%.40s\"", id);
    return send_error(r->c, 404, msg);
}

static int route_session(req *r, const char *id)
{
    const char *m = r->ri->request_method;
    if (strcmp(m, "GET") == 0) {
        ag_session_info info;
        if (ag_store_get(r->srv->store, id, ag_agent_now(r->srv->agent),
                         &info) != SIM_OK)
            return no_session(r, id);
        int bad = 0;
        cJSON *o = session_json(&info, &bad);
        return send_obj(r->c, 200, o, &bad, "");
    }
    if (strcmp(m, "DELETE") == 0) {
        int rc = ag_agent_delete_session(r->srv->agent, id);
        if (rc == SIM_ENOTFOUND)
            return no_session(r, id);
        if (rc != SIM_OK)
            return send_error(r->c, 500, ag_strerror(rc));
        int bad = 0;
        cJSON *o = ag__jobj(&bad);
        ag__jstr(o, "deleted", id, &bad);
        return send_obj(r->c, 200, o, &bad, "");
    }
    return method_not_allowed(r->c, "GET, DELETE");
}

static int get_history(req *r, const char *id)
{
    char lim[24] = "";
    uint64_t limit = 0;
    if (query_var(r, "limit", lim, sizeof lim) && !parse_u64(lim, &limit))
        return send_error(r->c, 400, "limit must be a whole number");
    ag_message *v = NULL;
    size_t n = 0;
    int rc = ag_store_history(r->srv->store, id, ag_agent_now(r->srv->agent),
                              (size_t)limit, &v, &n);
    if (rc == SIM_ENOTFOUND)
        return no_session(r, id);
    if (rc != SIM_OK)
        return send_error(r->c, 500, ag_strerror(rc));
    int bad = 0;
    cJSON *o = ag__jobj(&bad), *arr = ag__jarr(&bad);
    ag__jstr(o, "session", id, &bad);
    for (size_t i = 0; i < n; i++)
        ag__jpush(arr, message_json(&v[i], &bad), &bad);
    ag_messages_free(v, n);
    ag__jitem(o, "messages", arr, &bad);
    return send_obj(r->c, 200, o, &bad, "");
}

int ag__serve_body_content(const char *body, char **content,
                           const char **why)
{
    cJSON *j = ag__json_depth_ok(body, strlen(body), MAX_JSON_DEPTH)
                   ? cJSON_Parse(body) : NULL;
    *content = NULL;
    *why = "request body is not valid JSON (or nests too deep)";
    if (!j)
        return 400;
    const cJSON *ct = cJSON_GetObjectItem(j, "content");
    if (!cJSON_IsString(ct) || !*ct->valuestring) {
        cJSON_Delete(j);
        *why = "body must be {\"content\": \"...\"} with a non-empty "
               "string";
        return 400;
    }
    *content = sim_strdup(ct->valuestring);
    cJSON_Delete(j);
    *why = "out of memory";
    return *content ? 0 : 500;
}

/* The user's message from a {"content": "..."} body, or an error sent. */
static int read_content(req *r, char **content)
{
    char *body = NULL;
    const char *why = NULL;
    int rc = read_body(r->c, r->ri->content_length, &body);
    if (rc == SIM_ERANGE)
        return send_error(r->c, 413, "request body over 1 MiB");
    if (rc != SIM_OK)
        return send_error(r->c, 500, "out of memory");
    int status = ag__serve_body_content(body, content, &why);
    sim_free(body);
    return status ? send_error(r->c, status, why) : 0;
}

static int reply_json(req *r, const char *id, const char *content)
{
    ag_reply_result res;
    int rc = ag_agent_reply(r->srv->agent, id, r->tenant, content, &res);
    int bad = 0, status = 200;
    cJSON *o = ag__jobj(&bad);
    if (rc != SIM_OK) {
        status = http_status(rc, res.code);
        ag__jstr(o, "error", res.error[0] ? res.error : ag_strerror(rc), &bad);
        if (res.code[0])
            ag__jstr(o, "code", res.code, &bad);
    } else {
        ag__jstr(o, "session", id, &bad);
        ag__jstr(o, "content", res.content, &bad);
        ag__jitem(o, "usage", usage_json(&res.usage, &bad), &bad);
        ag__jbool(o, "usage_estimated", res.usage_estimated, &bad);
        ag__jusd(o, "cost_usd", res.usage.cost, &bad);
        ag__jint(o, "iterations", res.iterations, &bad);
        ag__jstr(o, "finish_reason", res.finish_reason, &bad);
        ag__jint(o, "seq", res.seq, &bad);
    }
    ag_reply_result_fini(&res);
    return send_obj(r->c, status, o, &bad, "");
}

static int reply_sse(req *r, const char *id, const char *content)
{
    ag_stream *ring = NULL;
    uint64_t after = 0;
    char err[256] = "";
    int rc = ag_agent_reply_start(r->srv->agent, id, r->tenant, content,
                                  &ring, &after, err, sizeof err);
    if (rc != SIM_OK)
        return send_error(r->c, http_status(rc, NULL),
                          err[0] ? err : ag_strerror(rc));
    track(r->srv, 1, 0);
    if (sse_begin(r->c) == 0)
        sse_relay(r->srv, r->c, ring, after, 1, 0);
    track(r->srv, -1, 0);
    ag_stream_free(ring);
    return 200;
}

static int wants_sse(const req *r)
{
    const char *a = mg_get_header(r->c, "Accept");
    return a && strstr(a, "text/event-stream") != NULL;
}

static int route_messages(req *r, const char *id)
{
    const char *m = r->ri->request_method;
    if (strcmp(m, "GET") == 0)
        return get_history(r, id);
    if (strcmp(m, "POST") != 0)
        return method_not_allowed(r->c, "GET, POST");
    char *content = NULL;
    int sent = read_content(r, &content);
    if (sent)
        return sent;
    int status = wants_sse(r) ? reply_sse(r, id, content)
                              : reply_json(r, id, content);
    sim_free(content);
    return status;
}

static int route_events(req *r, const char *id)
{
    if (strcmp(r->ri->request_method, "GET") != 0)
        return method_not_allowed(r->c, "GET");
    const char *h = mg_get_header(r->c, "Last-Event-ID");
    char qbuf[24] = "";
    if (!h && query_var(r, "last_event_id", qbuf, sizeof qbuf))
        h = qbuf;
    uint64_t after = 0;
    if (h && !parse_u64(h, &after))
        return send_error(r->c, 400, "Last-Event-ID must be an event id");
    char fbuf[8] = "";
    int follow = query_var(r, "follow", fbuf, sizeof fbuf) &&
                 (strcmp(fbuf, "1") == 0 || strcmp(fbuf, "true") == 0);
    ag_stream *ring = NULL;
    int rc = ag_agent_stream(r->srv->agent, id, &ring);
    if (rc == SIM_ENOTFOUND)
        return no_session(r, id);
    if (rc != SIM_OK)
        return send_error(r->c, http_status(rc, NULL), ag_strerror(rc));
    int restarted = 0;
    uint64_t last = ag_stream_last_id(ring);
    if (!h || after > last)
        after = last;       /* live; an id never issued counts as now */
    else if (after > 0 && after + 1 < ag_stream_first_id(ring))
        restarted = 1;      /* an id from an earlier run */
    track(r->srv, 1, 0);
    if (sse_begin(r->c) == 0)
        sse_relay(r->srv, r->c, ring, after, !follow, restarted);
    track(r->srv, -1, 0);
    ag_stream_free(ring);
    return 200;
}

static int valid_id(const char *id)
{
    return valid_name(id, AG_ID_SIZE - 1);
}

/* /v1/sessions/{id}[/rest] */
static int route_session_tree(req *r, const char *tail)
{
    char id[AG_ID_SIZE + 1];
    size_t n = strcspn(tail, "/");
    if (n == 0 || n >= sizeof id)
        return send_error(r->c, 404, "no such route");
    memcpy(id, tail, n);
    id[n] = '\0';
    const char *rest = tail + n;
    if (!valid_id(id))
        return no_session(r, id);
    if (*rest == '\0')
        return route_session(r, id);
    if (strcmp(rest, "/messages") == 0)
        return route_messages(r, id);
    if (strcmp(rest, "/events") == 0)
        return route_events(r, id);
    return send_error(r->c, 404, "no such route");
}

static int is_upgrade(struct mg_connection *c)
{
    const char *u = mg_get_header(c, "Upgrade");
    return u && strcasecmp(u, "websocket") == 0;
}

/* The request line and headers as they came, give or take the spaces
 * civetweb trimmed. */
static size_t head_size(const struct mg_request_info *ri)
{
    size_t n = strlen(ri->request_method) + strlen(ri->request_uri) +
               (ri->http_version ? strlen(ri->http_version) : 0) + 16;
    for (int i = 0; i < ri->num_headers; i++)
        n += strlen(ri->http_headers[i].name) +
             strlen(ri->http_headers[i].value) + 4;
    return n;
}

static int begin_request(struct mg_connection *c)
{
    req r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.ri = mg_get_request_info(c);
    r.srv = mg_get_user_data(mg_get_context(c));
    const char *uri = r.ri->local_uri ? r.ri->local_uri : "";
    if (head_size(r.ri) > AG_SERVE_MAX_HEAD)
        return send_error(c, 431, "request line and headers over 8 KiB");
    if (r.ri->content_length > AG_SERVE_MAX_BODY)
        return send_error(c, 413, "request body over 1 MiB");
    if (strcmp(uri, "/healthz") == 0)
        return route_healthz(&r);
    if (strncmp(uri, "/v1/", 4) != 0)
        return send_error(c, 404, "no such route");
    if (!authorized(&r))
        return send_error_x(c, 401, "missing or invalid API key",
                            "WWW-Authenticate: Bearer\r\n");
    const char *t = mg_get_header(c, "X-Tenant");
    if (!t)
        t = "default";
    if (!valid_name(t, AG_TENANT_SIZE - 1))
        return send_error(c, 400, "X-Tenant must be 1-64 characters of "
                                  "A-Z a-z 0-9 . _ -");
    snprintf(r.tenant, sizeof r.tenant, "%s", t);
    if (atomic_load(&r.srv->stopping))
        return send_error(c, 503, "the server is shutting down");
    if (strcmp(uri, "/v1/ws") == 0) {
        if (strcmp(r.ri->request_method, "GET") != 0)
            return method_not_allowed(c, "GET");
        if (!is_upgrade(c))
            return send_error(c, 400, "WebSocket upgrade required");
        return 0;   /* civetweb's WebSocket handler takes it from here */
    }
    if (strcmp(uri, "/v1/sessions") == 0)
        return route_sessions(&r);
    if (strncmp(uri, "/v1/sessions/", 13) == 0)
        return route_session_tree(&r, uri + 13);
    return send_error(c, 404, "no such route");
}

/* civetweb's own refusals as JSON like every other answer.  civetweb
 * 1.15 says 400 "Malformed message" alike for a garbled request, a head
 * over max_request_size and a head not complete within
 * request_timeout_ms (slowloris), so the text names all three. */
static int http_error(struct mg_connection *c, int status, const char *msg)
{
    char text[160];
    snprintf(text, sizeof text, "%s", msg && *msg ? msg : reason(status));
    if (status == 400)
        snprintf(text, sizeof text, "malformed request, request head over "
                 "32 KiB, or not sent within requestTimeout");
    send_error(c, status, text);
    return 0;
}

/* Quiets civetweb's own logging: a library does not print. */
static int log_message(const struct mg_connection *c, const char *msg)
{
    (void)c, (void)msg;
    return 1;
}

/* ---- WebSocket ------------------------------------------------------- */

typedef struct ws_conn {
    ag_server *srv;
    struct mg_connection *c;
    ag_stream *q;           /* frames waiting for the writer */
    pthread_t writer;
    int writer_started;
    char tenant[AG_TENANT_SIZE];
    pthread_mutex_t mu;     /* subs */
    struct {
        char session[AG_ID_SIZE];
        ag_bus_sub *sub;
    } subs[WS_MAX_SESSIONS];
    size_t nsubs;
    char *frag;             /* a fragmented message being assembled */
    size_t fraglen;
    int fragop;
} ws_conn;

static void ws_push(ws_conn *w, const char *frame)
{
    if (frame && ag_stream_push(w->q, "frame", frame, NULL) == SIM_OK)
        track(w->srv, 0, 1);
}

static void ws_error(ws_conn *w, const char *session, int status,
                     const char *msg)
{
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "type", "error", &bad);
    if (session)
        ag__jstr(o, "session", session, &bad);
    ag__jstr(o, "error", msg, &bad);
    ag__jint(o, "status", status, &bad);
    char *s = ag__jprint(o, &bad);
    ws_push(w, s);
    sim_free(s);
}

/* A bus event as a frame: {"type","session","id", ...data}.  Spliced as
 * text: type and session are our own safe strings, and data is already
 * a JSON object, so no parse is needed per token. */
static void ws_forward(const ag_event *ev, void *ud)
{
    ws_conn *w = ud;
    size_t dl = strlen(ev->data);
    size_t n = dl + strlen(ev->type) + strlen(ev->session) + 64;
    char *f = sim_alloc(n);
    if (!f)
        return;
    int k = snprintf(f, n,
                     "{\"type\":\"%s\",\"session\":\"%s\",\"id\":%" PRIu64,
                     ev->type, ev->session, ev->id);
    const char *rest = ev->data[0] == '{' ? ev->data + 1 : "}";
    while (*rest == ' ')
        rest++;
    snprintf(f + k, n - (size_t)k, "%s%s", *rest == '}' ? "" : ",", rest);
    ws_push(w, f);
    sim_free(f);
}

static int ws_follow(ws_conn *w, const char *session)
{
    pthread_mutex_lock(&w->mu);
    int rc = SIM_OK;
    size_t i;
    for (i = 0; i < w->nsubs; i++)
        if (strcmp(w->subs[i].session, session) == 0)
            break;
    if (i == w->nsubs) {
        if (w->nsubs == WS_MAX_SESSIONS) {
            rc = SIM_ERANGE;
        } else {
            rc = ag_bus_subscribe(w->srv->bus, session, ws_forward, w,
                                  &w->subs[i].sub);
            if (rc == SIM_OK) {
                snprintf(w->subs[i].session, AG_ID_SIZE, "%s", session);
                w->nsubs++;
            }
        }
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Stops following a session the connection followed for nothing (its
 * first message was refused because the session does not exist). */
static void ws_unfollow(ws_conn *w, const char *session)
{
    ag_bus_sub *sub = NULL;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->nsubs; i++) {
        if (strcmp(w->subs[i].session, session) != 0)
            continue;
        sub = w->subs[i].sub;
        w->subs[i] = w->subs[--w->nsubs];
        break;
    }
    pthread_mutex_unlock(&w->mu);
    ag_bus_unsubscribe(sub);    /* outside the lock: it may wait */
}

static void ws_refuse(ag_ws_request *r, const char *session, int status,
                      const char *error)
{
    r->kind = AG_WS_REFUSED;
    r->session = session;
    r->status = status;
    r->error = error;
}

struct cJSON *ag__ws_parse(const char *text, size_t len, ag_ws_request *r)
{
    cJSON *j = ag__json_depth_ok(text, len, MAX_JSON_DEPTH)
                   ? cJSON_ParseWithLength(text, len) : NULL;
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"));
    const char *sid = cJSON_GetStringValue(cJSON_GetObjectItem(j, "session"));
    const char *content =
        cJSON_GetStringValue(cJSON_GetObjectItem(j, "content"));
    memset(r, 0, sizeof *r);
    if (!j || !cJSON_IsObject(j))
        ws_refuse(r, NULL, 400, "frame is not a JSON object");
    else if (type && strcmp(type, "ping") == 0)
        r->kind = AG_WS_PING;
    else if (!type || strcmp(type, "message") != 0)
        ws_refuse(r, NULL, 400, "unknown frame type; expected \"message\"");
    else if (!sid || !valid_id(sid))
        ws_refuse(r, NULL, 404, "\"session\" must name a session");
    else if (!content || !*content)
        ws_refuse(r, sid, 400, "\"content\" must be a non-empty string");
    else {
        r->kind = AG_WS_MESSAGE;
        r->session = sid;
        r->content = content;
    }
    return j;
}

static void ws_message(ws_conn *w, const char *text, size_t len)
{
    ag_ws_request m;
    cJSON *j = ag__ws_parse(text, len, &m);
    const char *sid = m.session;
    if (m.kind == AG_WS_PING) {
        ws_push(w, "{\"type\":\"pong\"}");
    } else if (m.kind == AG_WS_REFUSED) {
        ws_error(w, sid, m.status, m.error);
    } else if (ws_follow(w, sid) != SIM_OK) {
        ws_error(w, sid, 400, "this connection follows too many sessions");
    } else {
        ag_stream *ring = NULL;
        uint64_t after;
        char err[256] = "";
        int rc = ag_agent_reply_start(w->srv->agent, sid, w->tenant,
                                      m.content, &ring, &after, err,
                                      sizeof err);
        if (rc == SIM_ENOTFOUND)
            ws_unfollow(w, sid);
        if (rc != SIM_OK)
            ws_error(w, sid, http_status(rc, NULL),
                     err[0] ? err : ag_strerror(rc));
        ag_stream_free(ring);
    }
    cJSON_Delete(j);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ws_send(ws_conn *w, int opcode, const char *s, size_t n)
{
    return mg_websocket_write(w->c, opcode, s, n) > 0 ? 0 : -1;
}

/* The connection's only writer: frames from the queue, pings when
 * nothing else went out for ping_ms. */
static void *ws_writer(void *arg)
{
    ws_conn *w = arg;
    uint64_t after = ag_stream_last_id(w->q);
    int64_t ping = w->srv->ping_ms, last = mono_ms();
    int dead = 0;
    while (!dead) {
        int64_t wait = ping > 0 ? last + ping - mono_ms() : -1;
        if (ping > 0 && wait < 0)
            wait = 0;
        ag_stream_item it;
        uint64_t missed = 0;
        int rc = ag_stream_read(w->q, after, wait, &it, &missed);
        if (rc == AG_STREAM_TIMEOUT) {
            dead = ws_send(w, MG_WEBSOCKET_OPCODE_PING, "", 0);
            last = mono_ms();
            continue;
        }
        if (rc != SIM_OK)
            break;
        track(w->srv, 0, -(int64_t)(missed + 1));
        if (missed > 0) {
            char gap[64];
            int n = snprintf(gap, sizeof gap,
                             "{\"type\":\"gap\",\"missed\":%" PRIu64 "}",
                             missed);
            dead = ws_send(w, MG_WEBSOCKET_OPCODE_TEXT, gap, (size_t)n);
        }
        if (!dead)
            dead = ws_send(w, MG_WEBSOCKET_OPCODE_TEXT, it.data,
                           strlen(it.data));
        after = it.id;
        last = mono_ms();
        ag_stream_item_fini(&it);
    }
    /* A dead socket: stop reading the queue; its ring bound keeps what
     * piles up until the close handler runs, which settles the count. */
    return NULL;
}

/* Frames queued but never written, for the backlog count. */
static void ws_settle(ws_conn *w)
{
    uint64_t left = ag_stream_count(w->q);
    if (left > 0)
        track(w->srv, 0, -(int64_t)left);
}

static void ws_conn_free(ws_conn *w)
{
    if (!w)
        return;
    /* Unsubscribing first guarantees no callback can touch w (bus.h). */
    for (size_t i = 0; i < w->nsubs; i++)
        ag_bus_unsubscribe(w->subs[i].sub);
    if (w->q)
        ag_stream_close(w->q);
    if (w->writer_started)
        pthread_join(w->writer, NULL);
    if (w->q)
        ws_settle(w);
    ag_stream_free(w->q);
    pthread_mutex_destroy(&w->mu);
    sim_free(w->frag);
    sim_free(w);
}

static int ws_connect(const struct mg_connection *c, void *cb)
{
    (void)c;
    ag_server *srv = cb;
    return atomic_load(&srv->stopping) ? 1 : 0;
}

static void ws_ready(struct mg_connection *c, void *cb)
{
    ag_server *srv = cb;
    ws_conn *w = sim_calloc(1, sizeof *w);
    if (!w)
        return;     /* the data handler closes a connection without state */
    w->srv = srv;
    w->c = c;
    const char *t = mg_get_header(c, "X-Tenant");
    snprintf(w->tenant, sizeof w->tenant, "%s", t ? t : "default");
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        sim_free(w);
        return;
    }
    if (ag_stream_new(srv->ws_queue, AG_STREAM_DEFAULT_BYTES, 1, &w->q) !=
            SIM_OK ||
        pthread_create(&w->writer, NULL, ws_writer, w) != 0) {
        ws_conn_free(w);
        return;
    }
    w->writer_started = 1;
    mg_set_user_connection_data(c, w);
}

/* Assembles fragments (FIN clear) up to AG_SERVE_MAX_BODY.  Returns 1 to
 * keep the connection, 0 to close it. */
static int ws_data(struct mg_connection *c, int bits, char *data, size_t len,
                   void *cb)
{
    (void)cb;
    ws_conn *w = mg_get_user_connection_data(c);
    if (!w)
        return 0;
    int op = bits & 0x0f, fin = (bits & 0x80) != 0;
    if (op == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE)
        return 0;
    if (op == MG_WEBSOCKET_OPCODE_PING || op == MG_WEBSOCKET_OPCODE_PONG)
        return 1;
    if (op != MG_WEBSOCKET_OPCODE_CONTINUATION) {
        sim_free(w->frag);
        w->frag = NULL;
        w->fraglen = 0;
        w->fragop = op;
    }
    if (w->fraglen + len > (size_t)AG_SERVE_MAX_BODY) {
        ws_error(w, NULL, 413, "message over 1 MiB");
        return 0;
    }
    if (!fin || w->frag) {
        char *p = sim_realloc(w->frag, w->fraglen + len + 1);
        if (!p)
            return 0;
        memcpy(p + w->fraglen, data, len);
        w->frag = p;
        w->fraglen += len;
        if (!fin)
            return 1;
        data = w->frag;
        len = w->fraglen;
    }
    if (w->fragop == MG_WEBSOCKET_OPCODE_TEXT)
        ws_message(w, data, len);
    else
        ws_error(w, NULL, 400, "only text frames are understood");
    sim_free(w->frag);
    w->frag = NULL;
    w->fraglen = 0;
    return 1;
}

static void ws_close(const struct mg_connection *c, void *cb)
{
    (void)cb;
    ws_conn *w = mg_get_user_connection_data(c);
    ws_conn_free(w);
}

/* ---- building the runtime -------------------------------------------- */

static int read_resource(void *ud, const char *uri, const char *source,
                         char **data, size_t *len, char *err, size_t errlen)
{
    const ag_config *cfg = ud;
    ag_buf b;
    ag_buf_init(&b);
    int rc = ag_res_load(cfg, uri, source, &b, err, errlen);
    if (rc != SIM_OK)
        return rc;
    *data = b.data;
    *len = b.len;
    return SIM_OK;
}

/* The database path: relative paths are relative to the agent's
 * directory, not to wherever the server was started. */
static char *db_path(const ag_config *cfg)
{
    const char *p = cfg->db_path ? cfg->db_path : "agent.db";
    if (p[0] == '/' || !cfg->agent_dir)
        return sim_strdup(p);
    size_t n = strlen(cfg->agent_dir) + strlen(p) + 2;
    char *full = sim_alloc(n);
    if (full)
        snprintf(full, n, "%s/%s", cfg->agent_dir, p);
    return full;
}

static int64_t sweep_interval(const ag_config *cfg)
{
    int64_t quarter = cfg->session_ttl_ms > 0 ? cfg->session_ttl_ms / 4
                                              : 15 * 60 * 1000;
    if (quarter < 1000)
        quarter = 1000;
    if (quarter > 15 * 60 * 1000)
        quarter = 15 * 60 * 1000;
    return quarter;
}

/* Sweeps every min(TTL/4, 15 min) (Dexto's cleanup interval), at least a
 * second apart. */
static void *sweeper(void *arg)
{
    ag_server *s = arg;
    int64_t every = sweep_interval(s->cfg);
    pthread_mutex_lock(&s->mu);
    while (!s->sweeper_stop) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += (time_t)(every / 1000);
        dl.tv_nsec += (long)(every % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!s->sweeper_stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&s->cv, &s->mu, &dl);
        if (s->sweeper_stop)
            break;
        pthread_mutex_unlock(&s->mu);
        ag_agent_sweep(s->agent, NULL);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int build_runtime(ag_server *s, char *err, size_t errlen)
{
    const ag_config *cfg = s->cfg;
    char msg[256] = "";
    char *path = db_path(cfg);
    if (!path)
        return SIM_ENOMEM;
    ag_store_opts so = {cfg->storage, path,
                        cfg->max_sessions > 0 ? cfg->max_sessions : 100,
                        cfg->session_ttl_ms};
    int rc = ag_store_open(&so, ag_clock_real(NULL), &s->store, msg,
                           sizeof msg);
    if (rc != SIM_OK) {
        set_err(err, errlen, "%s: %s", path, msg[0] ? msg : sim_strerror(rc));
        sim_free(path);
        return rc;
    }
    sim_free(path);
    if ((rc = ag_bus_new(&s->bus)) != SIM_OK)
        return rc;
    if ((rc = ag_model_new(&cfg->llm, &s->model)) != SIM_OK) {
        set_err(err, errlen, "llm: the openai provider needs base_url and "
                             "model");
        return rc;
    }
    if ((rc = ag_tools_new(&s->tools)) != SIM_OK)
        return rc;
    ag_builtin_env env = {NULL, NULL, read_resource, (void *)cfg};
    rc = ag_tools_add_builtins(s->tools, cfg->tools, cfg->ntools, &env, msg,
                               sizeof msg);
    if (rc != SIM_OK) {
        set_err(err, errlen, "tools: %s", msg);
        return rc;
    }
    char *prompt = NULL;
    rc = ag_res_system_prompt(cfg, &prompt, msg, sizeof msg);
    if (rc != SIM_OK) {
        set_err(err, errlen, "system prompt: %s",
                msg[0] ? msg : sim_strerror(rc));
        return rc;
    }
    ag_agent_opts ao = {cfg, s->store, s->model, s->tools, s->bus, prompt,
                        NULL, NULL};
    rc = ag_agent_new(&ao, &s->agent);
    sim_free(prompt);
    return rc;
}

/* civetweb's worker pool: every open SSE stream and WebSocket holds a
 * thread, so allow two per session plus slack for short requests. */
static int pool_size(const ag_config *cfg)
{
    int64_t n = (cfg->max_sessions > 0 ? cfg->max_sessions : 100) * 2 + 16;
    return (int)(n < 32 ? 32 : n > 1024 ? 1024 : n);
}

static int start_http(ag_server *s, const char *host, int port, char *err,
                      size_t errlen)
{
    char listen[300], threads[16], timeout[24], head[24];
    snprintf(listen, sizeof listen, "%s:%d", host, port);
    snprintf(threads, sizeof threads, "%d", pool_size(s->cfg));
    snprintf(timeout, sizeof timeout, "%" PRId64,
             s->cfg->request_timeout_ms > 0 ? s->cfg->request_timeout_ms
                                            : 30000);
    snprintf(head, sizeof head, "%d", AG_SERVE_CIVETWEB_HEAD);
    /* request_timeout_ms bounds every read and write of a request,
     * headers included: a client that sends a byte a second (slowloris)
     * or stops reading loses its connection and worker after it. */
    const char *opts[] = {
        "listening_ports", listen,
        "num_threads", threads,
        "request_timeout_ms", timeout,
        "max_request_size", head,
        "enable_keep_alive", "no",
        "enable_directory_listing", "no",
        NULL,
    };
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.begin_request = begin_request;
    cb.http_error = http_error;
    cb.log_message = log_message;
    struct mg_init_data init = {&cb, s, opts};
    char text[256] = "";
    struct mg_error_data ed = {NULL, text, sizeof text};
    s->ctx = mg_start2(&init, &ed);
    if (!s->ctx) {
        set_err(err, errlen, "cannot listen on %s: %s", listen,
                text[0] ? text : "civetweb failed to start");
        return SIM_EIO;
    }
    mg_set_websocket_handler(s->ctx, "/v1/ws", ws_connect, ws_ready, ws_data,
                             ws_close, s);
    struct mg_server_port ports[4];
    int n = mg_get_server_ports(s->ctx, 4, ports);
    s->port = n > 0 ? ports[0].port : port;
    return SIM_OK;
}

static void free_runtime(ag_server *s)
{
    ag_agent_free(s->agent);
    ag_tools_free(s->tools);
    ag_model_free(s->model);
    ag_bus_free(s->bus);
    ag_store_close(s->store);
}

int ag_server_start(const ag_config *cfg, const char *host, int port,
                    ag_server **out, char *err, size_t errlen)
{
    ag_server *s = sim_calloc(1, sizeof *s);
    if (!s)
        return SIM_ENOMEM;
    s->cfg = cfg;
    atomic_init(&s->stopping, 0);
    /* keepAlive: 0 turns the comments off: readers then wait silently,
     * and a vanished client is noticed only at the next event. */
    s->keepalive_ms = cfg->keepalive_ms > 0 ? cfg->keepalive_ms : -1;
    s->ping_ms = cfg->ping_interval_ms;
    s->ws_queue = cfg->stream_buffer > 0 ? (size_t)cfg->stream_buffer : 1024;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        sim_free(s);
        return SIM_ENOMEM;
    }
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        sim_free(s);
        return SIM_ENOMEM;
    }
    mg_init_library(0);
    int rc = build_runtime(s, err, errlen);
    if (rc == SIM_OK)
        rc = start_http(s, host, port, err, errlen);
    if (rc == SIM_OK) {
        if (pthread_create(&s->sweeper, NULL, sweeper, s) == 0)
            s->sweeper_started = 1;
        else
            rc = SIM_ENOMEM;
    }
    if (rc != SIM_OK) {
        if (err && errlen && !err[0])
            set_err(err, errlen, "%s", sim_strerror(rc));
        ag_server_stop(s, 0);
        return rc;
    }
    *out = s;
    return SIM_OK;
}

/* Waits up to ms for SSE streams to end and WebSocket queues to empty. */
static void drain(ag_server *s, int64_t ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t)(ms / 1000);
    dl.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while ((s->streams > 0 || s->backlog > 0) &&
           pthread_cond_timedwait(&s->cv, &s->mu, &dl) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&s->mu);
}

int ag_server_port(const ag_server *s)
{
    return s->port;
}

void ag_server_stop(ag_server *s, int64_t grace_ms)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    if (s->sweeper_started) {
        pthread_mutex_lock(&s->mu);
        s->sweeper_stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->sweeper, NULL);
    }
    /* Replies first: their end closes the rings, which ends every SSE
     * handler, so mg_stop does not wait on streams that never end.  Then
     * a short wait for the last events to reach the clients. */
    if (s->agent)
        ag_agent_shutdown(s->agent, grace_ms);
    drain(s, DRAIN_MS);
    if (s->ctx)
        mg_stop(s->ctx);
    free_runtime(s);    /* closing the store checkpoints the WAL */
    mg_exit_library();
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    sim_free(s);
}

/* ---- the command ----------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: capsim agent serve --config AGENT.yaml [--port N] "
          "[--host ADDR]\n"
          "\n"
          "Serves the agent over HTTP (REST + SSE) and WebSocket until "
          "SIGTERM or SIGINT.\n"
          "  --config FILE   the agent config (required)\n"
          "  --port N        port to listen on (default 8080; 0: any free "
          "port)\n"
          "  --host ADDR     IPv4 address to listen on (default 127.0.0.1; "
          "0.0.0.0: all)\n",
          f);
}

typedef struct serve_args {
    const char *config, *host;
    int port;
    int help;
} serve_args;

const char *ag__opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        return "";
    return argv[++*i];
}

static int bad_arg(const char *fmt, const char *v)
{
    fputs("capsim agent serve: ", stderr);
    fprintf(stderr, fmt, v);
    fputc('\n', stderr);
    return -1;
}

static int parse_port(const char *v, int *port)
{
    char *end;
    errno = 0;
    long p = strtol(v, &end, 10);
    if (!*v || *end || errno || p < 0 || p > 65535)
        return bad_arg("--port must be 0-65535, not \"%s\"", v);
    *port = (int)p;
    return 0;
}

static int parse_args(int argc, char **argv, serve_args *a)
{
    a->config = NULL;
    a->host = "127.0.0.1";
    a->port = 8080;
    a->help = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            a->help = 1;
        } else if ((v = ag__opt_value(argc, argv, &i, "--config")) ||
                   (v = ag__opt_value(argc, argv, &i, "-c"))) {
            if (!*v)
                return bad_arg("--config needs a file%s", "");
            a->config = v;
        } else if ((v = ag__opt_value(argc, argv, &i, "--port"))) {
            if (parse_port(v, &a->port) != 0)
                return -1;
        } else if ((v = ag__opt_value(argc, argv, &i, "--host"))) {
            /* civetweb reads 999.1.1.1 as 231.1.1.1 without a word, so
             * the address is checked here; its build has no IPv6. */
            struct in_addr in;
            if (strcmp(v, "localhost") == 0)
                v = "127.0.0.1";
            if (inet_pton(AF_INET, v, &in) != 1)
                return bad_arg("--host must be an IPv4 address, not \"%s\"",
                               v);
            a->host = v;
        } else {
            return bad_arg("unknown argument \"%s\"", argv[i]);
        }
    }
    if (!a->help && !a->config)
        return bad_arg("--config is required%s", "");
    return 0;
}

int ag_serve_main(int argc, char **argv)
{
    serve_args a;
    if (parse_args(argc, argv, &a) != 0) {
        usage(stderr);
        return AG_EXIT_USAGE;
    }
    if (a.help) {
        usage(stdout);
        return AG_EXIT_OK;
    }
    sim_diag d;
    sim_diag_init(&d);
    ag_config *cfg = NULL;
    int rc = ag_config_load(a.config, &d, &cfg);
    sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
    if (rc != SIM_OK)
        return rc == SIM_ENOMEM ? AG_EXIT_RUNTIME : AG_EXIT_CONFIG;

    /* Signals are taken by sigwait below, so every thread -- civetweb's,
     * the replies', libcurl's -- must start with them blocked. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    struct sigaction ign, oldpipe;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &oldpipe);
    /* Past a file size limit (ulimit -f) a write fails with EFBIG, which
     * the store reports as a full disk, instead of killing the server. */
    struct sigaction oldxfsz;
    sigaction(SIGXFSZ, &ign, &oldxfsz);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    ag_server *srv = NULL;
    char err[512] = "";
    rc = ag_server_start(cfg, a.host, a.port, &srv, err, sizeof err);
    int code = AG_EXIT_OK;
    if (rc != SIM_OK) {
        fprintf(stderr, "capsim agent serve: %s\n", err);
        code = rc == SIM_EINVAL || rc == SIM_ENOTFOUND ? AG_EXIT_CONFIG
                                                       : AG_EXIT_RUNTIME;
    } else {
        printf("capsim agent serve: listening on http://%s:%d\n", a.host,
               ag_server_port(srv));
        fflush(stdout);
        int sig = 0;
        while (sigwait(&stop, &sig) != 0)
            ;
        fprintf(stderr, "capsim agent serve: %s, shutting down\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        ag_server_stop(srv, AG_SERVE_GRACE_MS);
        fprintf(stderr, "capsim agent serve: stopped\n");
    }
    curl_global_cleanup();
    sigaction(SIGPIPE, &oldpipe, NULL);
    sigaction(SIGXFSZ, &oldxfsz, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ag_config_free(cfg);
    return code;
}
