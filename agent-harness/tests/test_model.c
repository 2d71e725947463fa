/*
 * test_model.c -- the scripted model (tokens, pace, tool call, cancel)
 * and the openai client against an in-process OpenAI-compatible server
 * (civetweb) that replays canned chat.completion.chunk streams.
 */
#include <criterion/criterion.h>
#include <civetweb.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-harness/model.h"
#include "base/fixed.h"

typedef struct sink_rec {
    char text[4096];
    int tokens;
    int cancel_after;       /* 0: never */
} sink_rec;

static int on_token(void *ud, const char *text, size_t len)
{
    sink_rec *r = ud;
    strncat(r->text, text, len < sizeof r->text - strlen(r->text) - 1
                               ? len : sizeof r->text - strlen(r->text) - 1);
    r->tokens++;
    return r->cancel_after && r->tokens >= r->cancel_after;
}

static ag_llm scripted(int64_t tokens, double tps, char *tool)
{
    ag_llm l;
    memset(&l, 0, sizeof l);
    l.provider = AG_LLM_SCRIPTED;
    l.tokens = tokens;
    l.tokens_per_second = tps;
    l.tool_call = tool;
    return l;
}

static ag_message user(const char *text)
{
    ag_message m = {0};
    m.role = AG_ROLE_USER;
    m.content = (char *)text;
    return m;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

Test(model_scripted, streams_the_set_number_of_tokens)
{
    ag_llm l = scripted(5, 0, NULL);
    ag_model *m;
    cr_assert_eq(ag_model_new(&l, &m), SIM_OK);
    cr_assert_str_eq(ag_model_name(m), "scripted");
    ag_message msgs[1] = {user("0123456789abcdef")};
    ag_model_request req = {"sys.", msgs, 1, NULL, 0, 0, NULL};
    sink_rec r = {0};
    ag_model_sink sink = {on_token, &r};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, &sink, &res), SIM_OK);
    cr_assert_eq(r.tokens, 5);
    cr_assert_str_eq(res.content, "lorem ipsum dolor sit amet");
    cr_assert_str_eq(r.text, res.content);
    cr_assert_eq(res.output_tokens, 5);
    cr_assert_eq(res.input_tokens, 5, "20 chars / 4");
    cr_assert(res.usage_estimated);
    cr_assert_str_eq(res.finish_reason, "stop");
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_scripted, keeps_the_pace)
{
    ag_llm l = scripted(10, 100, NULL);
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("hi")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    ag_model_result res;
    double t0 = now_ms();
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), SIM_OK);
    double ms = now_ms() - t0;
    cr_assert_geq(ms, 95.0, "10 tokens at 100/s took %.1f ms", ms);
    cr_assert_lt(ms, 1000.0);
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_scripted, max_output_tokens_cuts_the_reply)
{
    ag_llm l = scripted(10, 0, NULL);
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("hi")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 3, NULL};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), SIM_OK);
    cr_assert_eq(res.output_tokens, 3);
    cr_assert_str_eq(res.finish_reason, "length");
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_scripted, asks_for_its_tool_once_then_answers)
{
    ag_llm l = scripted(3, 0, "currentTime");
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[3] = {user("time?"), {0}, {0}};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), SIM_OK);
    cr_assert_eq(res.ncalls, 1);
    cr_assert_str_eq(res.calls[0].name, "currentTime");
    cr_assert_str_eq(res.calls[0].arguments, "{}");
    cr_assert_str_eq(res.finish_reason, "tool_calls");
    cr_assert_gt(res.output_tokens, 0);
    ag_model_result_fini(&res);

    msgs[1].role = AG_ROLE_ASSISTANT;
    msgs[1].tool_calls = "[]";
    msgs[2].role = AG_ROLE_TOOL;
    msgs[2].content = "{}";
    req.nmessages = 3;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), SIM_OK);
    cr_assert_eq(res.ncalls, 0);
    cr_assert_eq(res.output_tokens, 3);
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_scripted, tool_call_may_carry_arguments)
{
    ag_llm l = scripted(3, 0, "readResource {\"uri\":\"file:///x\"}");
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("read")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), SIM_OK);
    cr_assert_str_eq(res.calls[0].name, "readResource");
    cr_assert_str_eq(res.calls[0].arguments, "{\"uri\":\"file:///x\"}");
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_scripted, cancels_from_the_sink_or_the_flag)
{
    ag_llm l = scripted(100, 1000, NULL);
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("hi")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    sink_rec r = {0};
    r.cancel_after = 4;
    ag_model_sink sink = {on_token, &r};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, &sink, &res), AG_MODEL_ECANCELED);
    cr_assert_eq(r.tokens, 4);
    cr_assert_str_eq(res.error, "cancelled");
    ag_model_result_fini(&res);

    atomic_int flag;
    atomic_init(&flag, 1);
    req.cancel = &flag;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), AG_MODEL_ECANCELED);
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_openai, the_request_body_carries_history_tools_and_stream)
{
    ag_llm l;
    memset(&l, 0, sizeof l);
    l.provider = AG_LLM_OPENAI;
    l.model = "gpt-test";
    ag_message msgs[4] = {user("time?"), {0}, {0}, {0}};
    msgs[1].role = AG_ROLE_ASSISTANT;
    msgs[1].tool_calls =
        "[{\"id\":\"c1\",\"name\":\"currentTime\",\"arguments\":\"{}\"}]";
    msgs[2].role = AG_ROLE_TOOL;
    msgs[2].tool_call_id = "c1";
    msgs[2].content = "{\"iso\":\"t\"}";
    msgs[3].role = AG_ROLE_ASSISTANT;
    msgs[3].content = "noon";
    ag_tool_spec tools[1] = {{"currentTime", "now", "{\"type\":\"object\"}"}};
    ag_model_request req = {"be brief", msgs, 4, tools, 1, 64, NULL};
    char *body = ag_model_openai_body(&l, &req);
    cr_assert_not_null(body);
    cJSON *j = cJSON_Parse(body);
    cr_assert_not_null(j);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "model")->valuestring,
                     "gpt-test");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "stream")));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(
        cJSON_GetObjectItem(j, "stream_options"), "include_usage")));
    cr_assert_eq(cJSON_GetObjectItem(j, "max_tokens")->valueint, 64);
    cJSON *m = cJSON_GetObjectItem(j, "messages");
    cr_assert_eq(cJSON_GetArraySize(m), 5);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "role")
                         ->valuestring, "system");
    cJSON *call = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(m, 2), "tool_calls"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(call, "type")->valuestring,
                     "function");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(call,
                     "function"), "name")->valuestring, "currentTime");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 2),
                                               "content")));
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 3),
                     "tool_call_id")->valuestring, "c1");
    cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tools"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "function"),
                     "name")->valuestring, "currentTime");
    cJSON_Delete(j);
    free(body);
}

/* ---- a canned OpenAI-compatible server ------------------------------- */

static const char *g_reply;         /* the SSE body to send */
static int g_status = 200;
static char g_auth[128];
static char g_body[8192];

static int fake_handler(struct mg_connection *c, void *ud)
{
    (void)ud;
    const char *a = mg_get_header(c, "Authorization");
    snprintf(g_auth, sizeof g_auth, "%s", a ? a : "");
    int n = mg_read(c, g_body, sizeof g_body - 1);
    g_body[n > 0 ? n : 0] = '\0';
    if (g_status != 200) {
        mg_printf(c, "HTTP/1.1 %d Nope\r\nContent-Type: application/json\r\n"
                     "Connection: close\r\n\r\n%s", g_status, g_reply);
        return g_status;
    }
    mg_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 "Connection: close\r\n\r\n");
    /* In small pieces, so lines arrive split across reads. */
    size_t len = strlen(g_reply);
    for (size_t i = 0; i < len; i += 7) {
        mg_write(c, g_reply + i, len - i < 7 ? len - i : 7);
        if (strstr(g_reply, "slow") && i % 70 == 0) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return 200;
}

static struct mg_context *g_ctx;
static char g_base[64];

static void start_fake(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *opts[] = {"listening_ports", "127.0.0.1:0", NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    g_ctx = mg_start(&cb, NULL, opts);
    cr_assert_not_null(g_ctx);
    mg_set_request_handler(g_ctx, "/v1/chat/completions", fake_handler,
                           NULL);
    struct mg_server_port p[2];
    cr_assert_geq(mg_get_server_ports(g_ctx, 2, p), 1);
    snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d/v1/", p[0].port);
    g_status = 200;
}

static void stop_fake(void)
{
    mg_stop(g_ctx);
    curl_global_cleanup();
}

static ag_llm openai(void)
{
    ag_llm l;
    memset(&l, 0, sizeof l);
    l.provider = AG_LLM_OPENAI;
    l.model = "gpt-test";
    l.base_url = g_base;
    l.api_key = "sk-test";
    return l;
}

#define CHUNK(delta, fin)                                                  \
    "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0," \
    "\"delta\":" delta ",\"finish_reason\":" fin "}]}\n\n"

Test(model_openai, streams_deltas_and_records_usage, .init = start_fake,
     .fini = stop_fake)
{
    g_reply = ": comment\n\n"
              CHUNK("{\"role\":\"assistant\",\"content\":\"\"}", "null")
              CHUNK("{\"content\":\"Hello\"}", "null")
              CHUNK("{\"content\":\", world\"}", "null")
              "data: {\"choices\":[{\"index\":0,\"delta\":{},"
              "\"finish_reason\":\"stop\"}]}\r\n\r\n"
              "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
              "\"completion_tokens\":3,\"total_tokens\":15}}\n\n"
              "data: [DONE]\n\n";
    ag_llm l = openai();
    ag_model *m;
    cr_assert_eq(ag_model_new(&l, &m), SIM_OK);
    ag_message msgs[1] = {user("hi")};
    ag_model_request req = {"sys", msgs, 1, NULL, 0, 0, NULL};
    sink_rec r = {0};
    ag_model_sink sink = {on_token, &r};
    ag_model_result res;
    int rc = ag_model_complete(m, &req, &sink, &res);
    cr_assert_eq(rc, SIM_OK, "%s", res.error);
    cr_assert_str_eq(res.content, "Hello, world");
    cr_assert_eq(r.tokens, 2);
    cr_assert_eq(res.input_tokens, 12);
    cr_assert_eq(res.output_tokens, 3);
    cr_assert_not(res.usage_estimated);
    cr_assert_str_eq(res.finish_reason, "stop");
    cr_assert_str_eq(g_auth, "Bearer sk-test");
    cr_assert(strstr(g_body, "\"stream\":true") != NULL);
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_openai, assembles_tool_calls_from_deltas, .init = start_fake,
     .fini = stop_fake)
{
    g_reply = CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\","
                    "\"type\":\"function\",\"function\":{\"name\":"
                    "\"currentTime\",\"arguments\":\"\"}}]}", "null")
              CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":"
                    "{\"arguments\":\"{\\\"tz\\\":\"}}]}", "null")
              CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":"
                    "{\"arguments\":\"\\\"UTC\\\"}\"}}]}", "null")
              CHUNK("{}", "\"tool_calls\"")
              "data: [DONE]\n\n";
    ag_llm l = openai();
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("time?")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), SIM_OK, "%s",
                 res.error);
    cr_assert_eq(res.ncalls, 1);
    cr_assert_str_eq(res.calls[0].id, "call_a");
    cr_assert_str_eq(res.calls[0].name, "currentTime");
    cr_assert_str_eq(res.calls[0].arguments, "{\"tz\":\"UTC\"}");
    cr_assert_str_eq(res.finish_reason, "tool_calls");
    cr_assert(res.usage_estimated, "no usage chunk: estimated");
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_openai, an_http_error_carries_the_providers_message,
     .init = start_fake, .fini = stop_fake)
{
    g_status = 401;
    g_reply = "{\"error\":{\"message\":\"Incorrect API key provided\"}}";
    ag_llm l = openai();
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("hi")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), AG_MODEL_EHTTP);
    cr_assert(strstr(res.error, "401") && strstr(res.error, "Incorrect"),
              "%s", res.error);
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_openai, a_stream_cut_short_is_a_protocol_error,
     .init = start_fake, .fini = stop_fake)
{
    g_reply = CHUNK("{\"content\":\"Hel\"}", "null");
    ag_llm l = openai();
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("hi")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), AG_MODEL_EPROTO);
    ag_model_result_fini(&res);
    g_reply = "data: {not json\n\n";
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), AG_MODEL_EPROTO);
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_openai, cancelling_stops_the_transfer, .init = start_fake,
     .fini = stop_fake)
{
    g_reply = ": slow\n\n"
              CHUNK("{\"content\":\"a\"}", "null")
              CHUNK("{\"content\":\"b\"}", "null")
              CHUNK("{\"content\":\"c\"}", "null")
              CHUNK("{\"content\":\"d\"}", "null")
              "data: [DONE]\n\n";
    ag_llm l = openai();
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("hi")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    sink_rec r = {0};
    r.cancel_after = 1;
    ag_model_sink sink = {on_token, &r};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, &sink, &res), AG_MODEL_ECANCELED);
    cr_assert_eq(r.tokens, 1);
    ag_model_result_fini(&res);
    ag_model_free(m);
}

Test(model_openai, an_unreachable_provider_is_an_io_error)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ag_llm l;
    memset(&l, 0, sizeof l);
    l.provider = AG_LLM_OPENAI;
    l.model = "x";
    l.base_url = "http://127.0.0.1:1";
    ag_model *m;
    ag_model_new(&l, &m);
    ag_message msgs[1] = {user("hi")};
    ag_model_request req = {NULL, msgs, 1, NULL, 0, 0, NULL};
    ag_model_result res;
    cr_assert_eq(ag_model_complete(m, &req, NULL, &res), SIM_EIO);
    cr_assert(strstr(res.error, "request failed") != NULL, "%s", res.error);
    ag_model_result_fini(&res);
    ag_model_free(m);
    curl_global_cleanup();
}

Test(model_openai, needs_a_base_url)
{
    ag_llm l;
    memset(&l, 0, sizeof l);
    l.provider = AG_LLM_OPENAI;
    l.model = "x";
    ag_model *m;
    cr_assert_eq(ag_model_new(&l, &m), SIM_EINVAL);
}
