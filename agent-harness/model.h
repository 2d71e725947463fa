/*
 * model.h -- model back ends behind one call: send a conversation, get
 * the reply streamed token by token, then its text, tool calls and token
 * usage.
 *
 *   openai    an OpenAI-compatible chat-completions client over libcurl:
 *             POST {base_url}/chat/completions with "stream": true,
 *             reading the `data:` lines of the server-sent events
 *             (content deltas, tool_call deltas, usage, [DONE]).
 *   scripted  a stand-in provider for simulation and tests: streams
 *             llm.tokens tokens at llm.tokens_per_second; when
 *             llm.tool_call is set it first asks for that tool (once per
 *             reply), and answers the tool result with the tokens.
 *
 * Token usage comes from the provider when it reports it (the openai back
 * end asks for it with stream_options.include_usage); otherwise, and for
 * the scripted model's input, it is estimated at four characters a token
 * and flagged as estimated.
 *
 * Cancellation: a completion stops early, returning AG_MODEL_ECANCELED,
 * when *req->cancel becomes nonzero or the sink's token callback returns
 * nonzero.  The openai back end notices within about a second even while
 * waiting for the first byte.
 *
 * A model may serve several completions at once from different threads.
 * libcurl must be initialised (curl_global_init) before the first openai
 * completion.
 */
#ifndef AG_MODEL_H
#define AG_MODEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-harness/config.h"
#include "agent-harness/store.h"

/* Status besides sim_status; never renumber. */
enum {
    AG_MODEL_ECANCELED = 40,    /* cancelled by the caller */
    AG_MODEL_EHTTP = 41,        /* the provider answered with an error */
    AG_MODEL_EPROTO = 42        /* the stream could not be understood */
};

/* Caps on what a provider may send back; beyond them the completion
 * fails with SIM_ERANGE rather than growing memory without bound. */
#define AG_MODEL_MAX_LINE ((size_t)1 << 20)     /* one SSE line */
#define AG_MODEL_MAX_TEXT ((size_t)4 << 20)     /* reply text, arguments */
#define AG_MODEL_MAX_CALLS 64                   /* tool calls per step */

/* A tool as the model is told about it. */
typedef struct ag_tool_spec {
    const char *name;
    const char *description;
    const char *parameters;     /* JSON Schema of the arguments, as text */
} ag_tool_spec;

/* A tool call the model asked for. */
typedef struct ag_tool_call {
    char *id;                   /* owned, e.g. "call_1" */
    char *name;                 /* owned */
    char *arguments;            /* owned JSON text */
} ag_tool_call;

typedef struct ag_model_request {
    const char *system;         /* system prompt, or NULL */
    const ag_message *messages; /* the history, then this reply's tool
                                   exchange; the user's message included */
    size_t nmessages;
    const ag_tool_spec *tools;
    size_t ntools;
    int64_t max_output_tokens;  /* 0: the provider's default */
    const atomic_int *cancel;   /* may be NULL */
} ag_model_request;

/* Receives text as it streams.  Returning nonzero cancels. */
typedef struct ag_model_sink {
    int (*token)(void *ud, const char *text, size_t len);
    void *ud;
} ag_model_sink;

typedef struct ag_model_result {
    char *content;              /* owned reply text ("" when none) */
    ag_tool_call *calls;        /* owned */
    size_t ncalls;
    int64_t input_tokens, output_tokens;
    int usage_estimated;        /* nonzero when not reported */
    char finish_reason[32];     /* "stop", "tool_calls", "length", ... */
    char error[256];            /* why, when the call failed */
} ag_model_result;

void ag_model_result_fini(ag_model_result *r);

typedef struct ag_model ag_model;   /* opaque */

/* Creates the back end `llm->provider` names; borrows `llm`, which must
 * outlive the model.  Returns SIM_OK, SIM_EINVAL (no base_url or model
 * for openai, no tokens for scripted) or SIM_ENOMEM. */
int ag_model_new(const ag_llm *llm, ag_model **out /* OUT */);
void ag_model_free(ag_model *m);

/* "openai" or "scripted". */
const char *ag_model_name(const ag_model *m);

/*
 * Runs one completion.  *out is filled in every case (fini it); on
 * failure out->error says why and any usage known so far is kept.
 * Returns SIM_OK, AG_MODEL_ECANCELED, AG_MODEL_EHTTP, AG_MODEL_EPROTO,
 * SIM_EIO (network), SIM_ERANGE (a cap above) or SIM_ENOMEM.
 */
int ag_model_complete(ag_model *m, const ag_model_request *req,
                      const ag_model_sink *sink,
                      ag_model_result *out /* OUT */);

/* Characters / 4, rounded up: the estimate used when a provider does not
 * report usage. */
int64_t ag_model_estimate_tokens(size_t chars);

/* The estimated input tokens of a request (system, messages, tools). */
int64_t ag_model_estimate_input(const ag_model_request *req);

/*
 * The chat-completions request body for `req` (exposed for tests): the
 * model, messages with tool calls in OpenAI's shape, tools, stream and
 * stream_options.  Returns malloc'd JSON or NULL when out of memory.
 */
char *ag_model_openai_body(const ag_llm *llm, const ag_model_request *req);

#endif
