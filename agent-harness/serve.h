/*
 * serve.h -- the agent's HTTP server (civetweb): REST + SSE and
 * WebSocket, and the `capsim agent serve` command.
 *
 * Routes (spec.md, "The agent core"; every body is JSON, every error
 * {"error": "..."}):
 *
 *   GET    /healthz                     200 {"status":"ok"}; 503 stopping
 *   POST   /v1/sessions                 201 {"id": "..."}
 *   GET    /v1/sessions                 {"sessions": [...]} (?tenant=)
 *   GET    /v1/sessions/{id}            one session's record
 *   DELETE /v1/sessions/{id}            {"deleted": "..."}
 *   POST   /v1/sessions/{id}/messages   body {"content": "..."}; with
 *          Accept: text/event-stream the reply streams as SSE, else the
 *          whole reply as JSON
 *   GET    /v1/sessions/{id}/messages   {"session", "messages": [...]}
 *   GET    /v1/sessions/{id}/events     SSE re-attach (Last-Event-ID)
 *   GET    /v1/ws                       WebSocket
 *
 * SSE: each event is `id: N`, `event: TYPE`, `data: JSON` (agent.h lists
 * the types and their data).  A reader that fell behind the ring first
 * gets `event: gap` with data {"missed": N} and no id (so its
 * Last-Event-ID stays put); one whose Last-Event-ID is from an earlier
 * run of the server gets {"missed": N, "restarted": true}.  While
 * nothing happens the server sends `: keepalive` every keepalive_ms.
 * POST .../messages ends after this reply's `done` or `error`; /events
 * ends after the next `done` or `error`, or stays open with ?follow=1.
 * Without Last-Event-ID, /events starts with the next event.
 *
 * WebSocket: text frames {"type":"message","session":"...","content":
 * "..."} in; out, every event of each session the connection has sent a
 * message to, as {"type": TYPE, "session": "...", "id": N, ...data},
 * plus {"type":"gap","missed":N} when it falls behind, {"type":"error",
 * "error":"...","status":N} for refused or malformed frames, and a ping
 * frame every ping_interval_ms without other traffic.  {"type":"ping"}
 * is answered with {"type":"pong"}.
 *
 * Access: with api_key configured every /v1 request needs
 * `Authorization: Bearer KEY` or `X-API-Key: KEY` (else 401).  The
 * tenant is `X-Tenant` (default "default"; 1-64 of [A-Za-z0-9._-]).
 *
 * Statuses: 400 bad JSON or input, 401, 404 unknown route or session,
 * 405 wrong method (with Allow), 408 request not received within
 * request_timeout_ms, 409 session busy, 413 body over 1 MiB, 429 tenant
 * limit or budget, 431 request line and headers over 8 KiB, 502 model
 * provider failure, 503 session limit reached or shutting down, 500
 * storage failure, 507 the disk is full (the server keeps serving reads
 * and takes writes again once there is room).
 */
#ifndef AG_SERVE_H
#define AG_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "agent-harness/config.h"

/* Exit codes of ag_serve_main. */
enum {
    AG_EXIT_OK = 0,
    AG_EXIT_USAGE = 2,
    AG_EXIT_CONFIG = 3,
    AG_EXIT_RUNTIME = 4
};

/* Request bodies larger than this get 413. */
#define AG_SERVE_MAX_BODY ((long long)1 << 20)

/* A request line and headers larger than this get 431; civetweb itself
 * refuses heads over AG_SERVE_CIVETWEB_HEAD with 400 (it cannot tell an
 * over-long head from a malformed one). */
#define AG_SERVE_MAX_HEAD 8192
#define AG_SERVE_CIVETWEB_HEAD 32768

/* How long a shutdown lets replies in flight finish before cancelling. */
#define AG_SERVE_GRACE_MS 5000

typedef struct ag_server ag_server;     /* opaque */

/*
 * Builds the runtime for `cfg` (store, bus, model, tools, system prompt,
 * agent) and starts serving on host:port (port 0: any free port; see
 * ag_server_port).  `cfg` is borrowed and must outlive the server.
 * Returns SIM_OK, or a status with a message in err: SIM_EINVAL or
 * SIM_ENOTFOUND (the config names a tool or prompt resource that cannot
 * be used), SIM_EIO (database, listening socket), SIM_ENOMEM.
 */
int ag_server_start(const ag_config *cfg, const char *host, int port,
                    ag_server **out /* OUT */, char *err, size_t errlen);

/* The port actually listened on. */
int ag_server_port(const ag_server *s);

/*
 * Graceful stop: refuses new work (503), gives replies in flight grace_ms
 * to finish and cancels the rest, ends every stream, closes the listener
 * and connections, checkpoints the database and frees everything.  NULL
 * is a no-op.
 */
void ag_server_stop(ag_server *s, int64_t grace_ms);

/*
 * `capsim agent serve --config AGENT.yaml [--port N] [--host ADDR]`.
 * argv[0] is the command's name; options follow.  Serves until SIGTERM
 * or SIGINT, then stops gracefully.  Prints `listening on
 * http://HOST:PORT` on stdout once ready, diagnostics on stderr.
 * Returns AG_EXIT_OK, AG_EXIT_USAGE, AG_EXIT_CONFIG or AG_EXIT_RUNTIME.
 */
int ag_serve_main(int argc, char **argv);

/* "--name value" or "--name=value": the value (or "" when it is missing),
 * advancing *i past what it used; NULL when argv[*i] is not `name`.  For
 * the agent layer's commands (serve, calibrate). */
const char *ag__opt_value(int argc, char **argv, int *i, const char *name);

/*
 * The server's reading of untrusted bytes, apart from any connection:
 * the handlers call these, and so do the fuzz targets (fuzz/fuzz_serve.c),
 * which have no socket to drive them through.
 */

/* A POST .../messages body {"content": "..."}: 0 with *content a new
 * string (sim_free), else the status to refuse it with (400 not JSON or
 * no non-empty "content", 500 out of memory) and *why a static message. */
int ag__serve_body_content(const char *body, char **content /* OUT */,
                           const char **why /* OUT */);

/* What one WebSocket text message asks for. */
enum ag_ws_kind { AG_WS_MESSAGE, AG_WS_PING, AG_WS_REFUSED };
typedef struct ag_ws_request {
    enum ag_ws_kind kind;
    const char *session;    /* MESSAGE; REFUSED when the error names it */
    const char *content;    /* MESSAGE: non-empty */
    int status;             /* REFUSED: 400 or 404 */
    const char *error;      /* REFUSED: a static message */
} ag_ws_request;

/* Parses `len` bytes of a text message into *r.  Returns the parsed JSON
 * (free with cJSON_Delete; NULL when it is not JSON), which the strings in
 * *r borrow from. */
struct cJSON *ag__ws_parse(const char *text, size_t len,
                           ag_ws_request *r /* OUT */);

#endif
