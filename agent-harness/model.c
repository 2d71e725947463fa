/*
 * model.c -- the openai streaming client and the scripted model.
 */
#include "agent-harness/model.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "agent-harness/bus.h"
#include "base/fixed.h"

struct ag_model {
    const ag_llm *llm;
    char *url;              /* openai: {base_url}/chat/completions */
};

void ag_model_result_fini(ag_model_result *r)
{
    sim_free(r->content);
    for (size_t i = 0; i < r->ncalls; i++) {
        sim_free(r->calls[i].id);
        sim_free(r->calls[i].name);
        sim_free(r->calls[i].arguments);
    }
    sim_free(r->calls);
    r->content = NULL;
    r->calls = NULL;
    r->ncalls = 0;
}

int64_t ag_model_estimate_tokens(size_t chars)
{
    return (int64_t)((chars + 3) / 4);
}

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

int64_t ag_model_estimate_input(const ag_model_request *req)
{
    size_t chars = slen(req->system);
    for (size_t i = 0; i < req->nmessages; i++) {
        const ag_message *m = &req->messages[i];
        chars += slen(m->content) + slen(m->tool_calls) +
                 slen(m->tool_call_id);
    }
    for (size_t i = 0; i < req->ntools; i++)
        chars += slen(req->tools[i].name) + slen(req->tools[i].description) +
                 slen(req->tools[i].parameters);
    return ag_model_estimate_tokens(chars);
}

static int cancelled(const ag_model_request *req)
{
    return req->cancel && atomic_load(req->cancel);
}

static void set_error(ag_model_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(ag_model_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

/* o[k] when it is a string, else NULL (o may be NULL). */
static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

/* ---- a capped growable buffer (curl's dynbuf idea) -------------------- */

typedef struct dbuf {
    char *p;
    size_t len, cap, max;
} dbuf;

static int dbuf_add(dbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->max)
        return SIM_ERANGE;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > b->max)
            cap = b->max;
        char *p = sim_realloc(b->p, cap);
        if (!p)
            return SIM_ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return SIM_OK;
}

static const char *dbuf_str(const dbuf *b)
{
    return b->p ? b->p : "";
}

/* Hands the text over (an empty string when nothing was added). */
static char *dbuf_take(dbuf *b)
{
    char *p = b->p ? b->p : sim_strdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

/* ---- the scripted model ------------------------------------------- */

static const char *const words[] = {
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing",
    "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore",
    "et", "dolore", "magna", "aliqua",
};

/* Whether this reply's tool call has been answered: a tool message after
 * the last user message. */
static int tool_answered(const ag_model_request *req)
{
    for (size_t i = req->nmessages; i-- > 0;) {
        if (req->messages[i].role == AG_ROLE_TOOL)
            return 1;
        if (req->messages[i].role == AG_ROLE_USER)
            return 0;
    }
    return 0;
}

/*
 * llm.tool_call is a tool name, optionally followed by whitespace and a
 * JSON object of arguments ("readResource {\"uri\": \"file:///x\"}");
 * without one the arguments are {}.
 */
static int scripted_tool_call(const ag_model *m, const ag_model_request *req,
                              ag_model_result *out)
{
    const char *spec = m->llm->tool_call;
    size_t nl = strcspn(spec, " \t\r\n");
    const char *args = spec + nl;
    args += strspn(args, " \t\r\n");
    if (!*args)
        args = "{}";
    out->calls = sim_calloc(1, sizeof *out->calls);
    if (!out->calls)
        return SIM_ENOMEM;
    out->ncalls = 1;
    char id[48];
    snprintf(id, sizeof id, "call_%zu", req->nmessages);
    out->calls[0].id = sim_strdup(id);
    out->calls[0].name = sim_strndup(spec, nl);
    out->calls[0].arguments = sim_strdup(args);
    out->content = sim_strdup("");
    if (!out->calls[0].id || !out->calls[0].name ||
        !out->calls[0].arguments || !out->content)
        return SIM_ENOMEM;
    out->output_tokens = ag_model_estimate_tokens(nl + strlen(args));
    snprintf(out->finish_reason, sizeof out->finish_reason, "tool_calls");
    return SIM_OK;
}

static void ts_add_ns(struct timespec *t, int64_t ns)
{
    t->tv_sec += (time_t)(ns / 1000000000);
    t->tv_nsec += (long)(ns % 1000000000);
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec ||
           (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Sleeps until `until` (monotonic) in slices of at most 50 ms, so a
 * cancel is seen quickly even at one token a second.  Returns nonzero
 * when cancelled. */
static int pace_until(const ag_model_request *req, const struct timespec *until)
{
    for (;;) {
        if (cancelled(req))
            return 1;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!ts_before(&now, until))
            return 0;
        struct timespec slice = now;
        ts_add_ns(&slice, 50000000);
        if (ts_before(until, &slice))
            slice = *until;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &slice, NULL)
               == EINTR)
            ;
    }
}

static int scripted_complete(ag_model *m, const ag_model_request *req,
                             const ag_model_sink *sink, ag_model_result *out)
{
    out->input_tokens = ag_model_estimate_input(req);
    out->usage_estimated = 1;
    if (m->llm->tool_call && *m->llm->tool_call && !tool_answered(req))
        return scripted_tool_call(m, req, out);

    int64_t n = m->llm->tokens;
    const char *finish = "stop";
    if (req->max_output_tokens > 0 && n > req->max_output_tokens) {
        n = req->max_output_tokens;
        finish = "length";
    }
    /* Token i is due at start + i / rate: sleeping to absolute deadlines
     * keeps scheduling jitter from adding up over a long reply. */
    int64_t step_ns = m->llm->tokens_per_second > 0
                          ? (int64_t)(1e9 / m->llm->tokens_per_second) : 0;
    struct timespec due;
    clock_gettime(CLOCK_MONOTONIC, &due);
    dbuf text = {NULL, 0, 0, AG_MODEL_MAX_TEXT};
    int rc = SIM_OK;
    for (int64_t i = 0; i < n && rc == SIM_OK; i++) {
        ts_add_ns(&due, step_ns);
        if (pace_until(req, &due)) {
            rc = AG_MODEL_ECANCELED;
            break;
        }
        char tok[32];
        int len = snprintf(tok, sizeof tok, "%s%s", i ? " " : "",
                           words[i % (int64_t)(sizeof words / sizeof *words)]);
        rc = dbuf_add(&text, tok, (size_t)len);
        if (rc == SIM_OK && sink && sink->token &&
            sink->token(sink->ud, tok, (size_t)len))
            rc = AG_MODEL_ECANCELED;
        if (rc == SIM_OK)
            out->output_tokens++;
    }
    out->content = dbuf_take(&text);
    if (!out->content)
        return SIM_ENOMEM;
    if (rc == AG_MODEL_ECANCELED)
        snprintf(out->error, sizeof out->error, "cancelled");
    else if (rc == SIM_OK)
        snprintf(out->finish_reason, sizeof out->finish_reason, "%s", finish);
    return rc;
}

/* ---- the request body ------------------------------------------------ */

/* Our stored tool calls [{"id","name","arguments"}] in OpenAI's shape
 * [{"id","type":"function","function":{"name","arguments"}}]. */
static cJSON *openai_tool_calls(const char *stored, int *bad)
{
    cJSON *in = cJSON_Parse(stored);
    cJSON *arr = ag__jarr(bad);
    const cJSON *c;
    cJSON_ArrayForEach(c, in) {
        cJSON *call = ag__jobj(bad);
        cJSON *fn = ag__jobj(bad);
        ag__jstr(call, "id", jstr(c, "id"), bad);
        ag__jstr(call, "type", "function", bad);
        ag__jstr(fn, "name", jstr(c, "name"), bad);
        const char *args = jstr(c, "arguments");
        ag__jstr(fn, "arguments", args ? args : "{}", bad);
        ag__jitem(call, "function", fn, bad);
        ag__jpush(arr, call, bad);
    }
    cJSON_Delete(in);
    return arr;
}

static cJSON *openai_message(const ag_message *m, int *bad)
{
    cJSON *o = ag__jobj(bad);
    ag__jstr(o, "role", ag_role_name(m->role), bad);
    if (m->role == AG_ROLE_ASSISTANT && m->tool_calls) {
        ag__jstr(o, "content", m->content && *m->content ? m->content : NULL,
                 bad);
        ag__jitem(o, "tool_calls", openai_tool_calls(m->tool_calls, bad),
                  bad);
    } else {
        ag__jstr(o, "content", m->content ? m->content : "", bad);
    }
    if (m->role == AG_ROLE_TOOL)
        ag__jstr(o, "tool_call_id", m->tool_call_id ? m->tool_call_id : "",
                 bad);
    return o;
}

static cJSON *openai_tools(const ag_model_request *req, int *bad)
{
    cJSON *arr = ag__jarr(bad);
    for (size_t i = 0; i < req->ntools; i++) {
        const ag_tool_spec *t = &req->tools[i];
        cJSON *tool = ag__jobj(bad), *fn = ag__jobj(bad);
        ag__jstr(tool, "type", "function", bad);
        ag__jstr(fn, "name", t->name, bad);
        ag__jstr(fn, "description", t->description ? t->description : "",
                 bad);
        cJSON *params = t->parameters ? cJSON_Parse(t->parameters) : NULL;
        if (!params)
            ag__jraw(fn, "parameters", "{\"type\":\"object\"}", bad);
        else
            ag__jitem(fn, "parameters", params, bad);
        ag__jitem(tool, "function", fn, bad);
        ag__jpush(arr, tool, bad);
    }
    return arr;
}

char *ag_model_openai_body(const ag_llm *llm, const ag_model_request *req)
{
    int bad = 0;
    cJSON *body = ag__jobj(&bad);
    ag__jstr(body, "model", llm->model ? llm->model : "", &bad);
    cJSON *msgs = ag__jarr(&bad);
    if (req->system && *req->system) {
        cJSON *sys = ag__jobj(&bad);
        ag__jstr(sys, "role", "system", &bad);
        ag__jstr(sys, "content", req->system, &bad);
        ag__jpush(msgs, sys, &bad);
    }
    for (size_t i = 0; i < req->nmessages; i++)
        ag__jpush(msgs, openai_message(&req->messages[i], &bad), &bad);
    ag__jitem(body, "messages", msgs, &bad);
    if (req->ntools > 0)
        ag__jitem(body, "tools", openai_tools(req, &bad), &bad);
    if (req->max_output_tokens > 0)
        ag__jint(body, "max_tokens", req->max_output_tokens, &bad);
    ag__jbool(body, "stream", 1, &bad);
    ag__jraw(body, "stream_options", "{\"include_usage\":true}", &bad);
    return ag__jprint(body, &bad);
}

/* ---- the openai streaming client ---------------------------------- */

typedef struct oa_call {
    char *id, *name;
    dbuf args;
} oa_call;

typedef struct oa_state {
    const ag_model_request *req;
    const ag_model_sink *sink;
    ag_model_result *out;
    long status;            /* of the last status line */
    dbuf line, data, content, errbody;
    oa_call calls[AG_MODEL_MAX_CALLS];
    size_t ncalls;
    int done, usage_seen;
    int rc;                 /* why the write callback stopped the transfer */
} oa_state;

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    oa_state *st = ud;
    size_t len = size * n;
    int major, minor, code;
    char line[64];
    size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, p, k);
    line[k] = '\0';
    if (sscanf(line, "HTTP/%d.%d %d", &major, &minor, &code) == 3 ||
        sscanf(line, "HTTP/%d %d", &major, &code) == 2)
        st->status = code;
    return len;
}

static int set_str(char **dst, const char *src)
{
    if (!src)
        return SIM_OK;
    char *p = sim_strdup(src);
    if (!p)
        return SIM_ENOMEM;
    sim_free(*dst);
    *dst = p;
    return SIM_OK;
}

static int on_tool_delta(oa_state *st, const cJSON *tc, int pos)
{
    const cJSON *ix = cJSON_GetObjectItem(tc, "index");
    int i = cJSON_IsNumber(ix) ? ix->valueint : pos;
    if (i < 0 || i >= AG_MODEL_MAX_CALLS)
        return SIM_ERANGE;
    if ((size_t)i >= st->ncalls)
        st->ncalls = (size_t)i + 1;
    oa_call *c = &st->calls[i];
    const cJSON *fn = cJSON_GetObjectItem(tc, "function");
    const char *args = jstr(fn, "arguments");
    int rc = set_str(&c->id, jstr(tc, "id"));
    if (rc == SIM_OK)
        rc = set_str(&c->name, jstr(fn, "name"));
    if (rc == SIM_OK && args)
        rc = dbuf_add(&c->args, args, strlen(args));
    return rc;
}

static int on_choice(oa_state *st, const cJSON *choice)
{
    const cJSON *delta = cJSON_GetObjectItem(choice, "delta");
    const char *text = jstr(delta, "content");
    if (text && *text) {
        size_t n = strlen(text);
        int rc = dbuf_add(&st->content, text, n);
        if (rc != SIM_OK)
            return rc;
        if (st->sink && st->sink->token &&
            st->sink->token(st->sink->ud, text, n))
            return AG_MODEL_ECANCELED;
    }
    const cJSON *tc;
    int pos = 0;
    cJSON_ArrayForEach(tc, cJSON_GetObjectItem(delta, "tool_calls")) {
        int rc = on_tool_delta(st, tc, pos++);
        if (rc != SIM_OK)
            return rc;
    }
    const char *fin = jstr(choice, "finish_reason");
    if (fin)
        snprintf(st->out->finish_reason, sizeof st->out->finish_reason, "%s",
                 fin);
    return SIM_OK;
}

/* One complete event: a chat.completion.chunk, an error, or [DONE]. */
static int on_event(oa_state *st, const char *data)
{
    if (strcmp(data, "[DONE]") == 0) {
        st->done = 1;
        return SIM_OK;
    }
    cJSON *chunk = cJSON_Parse(data);
    if (!chunk) {
        set_error(st->out, "unreadable stream chunk: %.120s", data);
        return AG_MODEL_EPROTO;
    }
    int rc = SIM_OK;
    const cJSON *err = cJSON_GetObjectItem(chunk, "error");
    if (err) {
        const char *msg = jstr(err, "message");
        set_error(st->out, "provider error: %.200s", msg ? msg : "unknown");
        rc = AG_MODEL_EHTTP;
    }
    const cJSON *choice;
    cJSON_ArrayForEach(choice, cJSON_GetObjectItem(chunk, "choices")) {
        if (rc == SIM_OK)
            rc = on_choice(st, choice);
        break;  /* n = 1: only the first choice is ours */
    }
    const cJSON *usage = cJSON_GetObjectItem(chunk, "usage");
    if (cJSON_IsObject(usage)) {
        const cJSON *pt = cJSON_GetObjectItem(usage, "prompt_tokens");
        const cJSON *ct = cJSON_GetObjectItem(usage, "completion_tokens");
        if (cJSON_IsNumber(pt) && cJSON_IsNumber(ct)) {
            st->out->input_tokens = (int64_t)pt->valuedouble;
            st->out->output_tokens = (int64_t)ct->valuedouble;
            st->usage_seen = 1;
        }
    }
    cJSON_Delete(chunk);
    return rc;
}

/* One line of the event stream (without its end of line).  Data lines
 * accumulate; a blank line dispatches them, as the SSE format says. */
static int on_line(oa_state *st, char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    if (len == 0) {
        if (st->data.len == 0)
            return SIM_OK;
        int rc = on_event(st, dbuf_str(&st->data));
        st->data.len = 0;
        return rc;
    }
    if (strncmp(line, "data:", 5) != 0)
        return SIM_OK;      /* comments, event:, id:, retry: */
    const char *v = line + 5;
    if (*v == ' ')
        v++;
    if (st->data.len > 0) {
        int rc = dbuf_add(&st->data, "\n", 1);
        if (rc != SIM_OK)
            return rc;
    }
    return dbuf_add(&st->data, v, strlen(v));
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    oa_state *st = ud;
    size_t len = size * n;
    if (st->status != 200) {
        /* An error body: keep the start of it for the message. */
        size_t room = st->errbody.max - st->errbody.len - 1;
        dbuf_add(&st->errbody, p, len < room ? len : room);
        return len;
    }
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\n') {
            int rc = dbuf_add(&st->line, &p[i], 1);
            if (rc != SIM_OK) {
                st->rc = rc;
                return 0;
            }
            continue;
        }
        int rc = on_line(st, st->line.p ? st->line.p : (char[]){""},
                         st->line.len);
        st->line.len = 0;
        if (rc != SIM_OK) {
            st->rc = rc;
            return 0;       /* makes curl stop with CURLE_WRITE_ERROR */
        }
    }
    return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const oa_state *st = ud;
    return cancelled(st->req);
}

/* The provider's message from an error body, else the body's start. */
static void http_error(oa_state *st)
{
    char status[16];
    snprintf(status, sizeof status, "%ld", st->status);
    cJSON *j = cJSON_Parse(dbuf_str(&st->errbody));
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    const char *msg = jstr(e, "message");
    if (!msg)
        msg = cJSON_GetStringValue(e);
    if (!msg)
        msg = dbuf_str(&st->errbody);
    set_error(st->out, "provider answered HTTP %s: %.200s", status, msg);
    cJSON_Delete(j);
}

static int collect_calls(oa_state *st)
{
    ag_model_result *out = st->out;
    if (st->ncalls == 0)
        return SIM_OK;
    out->calls = sim_calloc(st->ncalls, sizeof *out->calls);
    if (!out->calls)
        return SIM_ENOMEM;
    for (size_t i = 0; i < st->ncalls; i++) {
        oa_call *c = &st->calls[i];
        if (!c->name) {
            set_error(out, "tool call %s has no function name",
                      c->id ? c->id : "?");
            return AG_MODEL_EPROTO;
        }
        char id[32];
        snprintf(id, sizeof id, "call_%zu", i);
        ag_tool_call *t = &out->calls[out->ncalls++];
        t->id = c->id ? c->id : sim_strdup(id);
        t->name = c->name;
        t->arguments = c->args.len ? dbuf_take(&c->args) : sim_strdup("{}");
        c->id = c->name = NULL;
        if (!t->id || !t->arguments)
            return SIM_ENOMEM;
    }
    return SIM_OK;
}

static void oa_state_fini(oa_state *st)
{
    sim_free(st->line.p);
    sim_free(st->data.p);
    sim_free(st->content.p);
    sim_free(st->errbody.p);
    for (size_t i = 0; i < AG_MODEL_MAX_CALLS; i++) {
        sim_free(st->calls[i].id);
        sim_free(st->calls[i].name);
        sim_free(st->calls[i].args.p);
    }
}

static struct curl_slist *oa_headers(const ag_llm *llm)
{
    struct curl_slist *h = NULL, *t;
    const char *fixed[] = {"Content-Type: application/json",
                           "Accept: text/event-stream", NULL};
    for (int i = 0; fixed[i]; i++) {
        t = curl_slist_append(h, fixed[i]);
        if (!t)
            goto fail;
        h = t;
    }
    if (llm->api_key && *llm->api_key) {
        size_t n = strlen(llm->api_key) + 32;
        char *auth = sim_alloc(n);
        if (!auth)
            goto fail;
        snprintf(auth, n, "Authorization: Bearer %s", llm->api_key);
        t = curl_slist_append(h, auth);
        sim_free(auth);
        if (!t)
            goto fail;
        h = t;
    }
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

/* The state after a transfer, as a status. */
static int oa_finish(oa_state *st, CURLcode cc, const char *curlerr)
{
    ag_model_result *out = st->out;
    if (cc == CURLE_ABORTED_BY_CALLBACK ||
        (cc == CURLE_WRITE_ERROR && st->rc == AG_MODEL_ECANCELED)) {
        snprintf(out->error, sizeof out->error, "cancelled");
        return AG_MODEL_ECANCELED;
    }
    if (cc == CURLE_WRITE_ERROR && st->rc != SIM_OK) {
        if (st->rc == SIM_ERANGE)
            set_error(out, "the provider's reply exceeds a size cap");
        return st->rc;
    }
    if (cc != CURLE_OK) {
        set_error(out, "request failed: %s",
                  *curlerr ? curlerr : curl_easy_strerror(cc));
        return SIM_EIO;
    }
    if (st->status != 200) {
        http_error(st);
        return AG_MODEL_EHTTP;
    }
    /* A stream cut short of [DONE] and of a finish reason is a failure;
     * some compatible servers omit [DONE] but all send a finish reason. */
    if (st->line.len > 0) {
        on_line(st, st->line.p, st->line.len);
        st->line.len = 0;
    }
    if (st->data.len > 0 && on_event(st, dbuf_str(&st->data)) != SIM_OK)
        return AG_MODEL_EPROTO;
    if (!st->done && !out->finish_reason[0]) {
        set_error(out, "the stream ended before [DONE]");
        return AG_MODEL_EPROTO;
    }
    return SIM_OK;
}

static int openai_complete(ag_model *m, const ag_model_request *req,
                           const ag_model_sink *sink, ag_model_result *out)
{
    oa_state st;
    memset(&st, 0, sizeof st);
    st.req = req;
    st.sink = sink;
    st.out = out;
    st.line.max = AG_MODEL_MAX_LINE;
    st.data.max = AG_MODEL_MAX_LINE;
    st.content.max = AG_MODEL_MAX_TEXT;
    st.errbody.max = 4096;
    for (size_t i = 0; i < AG_MODEL_MAX_CALLS; i++)
        st.calls[i].args.max = AG_MODEL_MAX_TEXT;

    int rc = SIM_ENOMEM;
    char *body = ag_model_openai_body(m->llm, req);
    struct curl_slist *hdr = oa_headers(m->llm);
    CURL *c = curl_easy_init();
    char curlerr[CURL_ERROR_SIZE] = "";
    if (!body || !hdr || !c) {
        set_error(out, "out of memory");
        goto done;
    }
    curl_easy_setopt(c, CURLOPT_URL, m->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* No total timeout: replies stream for as long as they stream.  A
     * provider that sends nothing for five minutes is treated as gone. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 300L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &st);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &st);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "capsim-agent");

    rc = oa_finish(&st, curl_easy_perform(c), curlerr);
    if (rc == SIM_OK)
        rc = collect_calls(&st);
done:
    out->content = dbuf_take(&st.content);
    if (!out->content && rc == SIM_OK)
        rc = SIM_ENOMEM;
    if (!st.usage_seen) {
        size_t chars = out->content ? strlen(out->content) : 0;
        for (size_t i = 0; i < out->ncalls; i++)
            chars += strlen(out->calls[i].name) +
                     strlen(out->calls[i].arguments);
        out->input_tokens = ag_model_estimate_input(req);
        out->output_tokens = ag_model_estimate_tokens(chars);
        out->usage_estimated = 1;
    }
    oa_state_fini(&st);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdr);
    sim_free(body);
    return rc;
}

/* ---- the interface ------------------------------------------------ */

int ag_model_new(const ag_llm *llm, ag_model **out)
{
    if (llm->provider == AG_LLM_OPENAI &&
        (!llm->base_url || !*llm->base_url || !llm->model))
        return SIM_EINVAL;
    if (llm->provider == AG_LLM_SCRIPTED && llm->tokens < 0)
        return SIM_EINVAL;
    ag_model *m = sim_calloc(1, sizeof *m);
    if (!m)
        return SIM_ENOMEM;
    m->llm = llm;
    if (llm->provider == AG_LLM_OPENAI) {
        size_t n = strlen(llm->base_url);
        while (n > 0 && llm->base_url[n - 1] == '/')
            n--;
        m->url = sim_alloc(n + sizeof "/chat/completions");
        if (!m->url) {
            sim_free(m);
            return SIM_ENOMEM;
        }
        memcpy(m->url, llm->base_url, n);
        memcpy(m->url + n, "/chat/completions", sizeof "/chat/completions");
    }
    *out = m;
    return SIM_OK;
}

void ag_model_free(ag_model *m)
{
    if (!m)
        return;
    sim_free(m->url);
    sim_free(m);
}

const char *ag_model_name(const ag_model *m)
{
    return m->llm->provider == AG_LLM_OPENAI ? "openai" : "scripted";
}

int ag_model_complete(ag_model *m, const ag_model_request *req,
                      const ag_model_sink *sink, ag_model_result *out)
{
    memset(out, 0, sizeof *out);
    if (cancelled(req)) {
        snprintf(out->error, sizeof out->error, "cancelled");
        return AG_MODEL_ECANCELED;
    }
    if (m->llm->provider == AG_LLM_OPENAI)
        return openai_complete(m, req, sink, out);
    return scripted_complete(m, req, sink, out);
}
