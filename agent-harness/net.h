/*
 * net.h -- the loopback client the harness drives the agent server
 * with (`capsim calibrate`, `run --live`): plain HTTP/1.1 requests, SSE replies and a small RFC 6455
 * WebSocket client, each counting every byte it reads from the socket.
 *
 * Plain sockets rather than libcurl because the figures are byte counts
 * of what a client reads -- status line, headers, SSE lines, WebSocket
 * frame headers -- and a socket we read ourselves gives them exactly;
 * the server closes every HTTP connection after its response, so a
 * response ends at EOF.
 *
 * Every call takes an absolute deadline (ag_net_now_ms() clock) and
 * fails with AG_NET_ETIMEOUT once it passes.  Status: SIM_OK, SIM_EIO
 * (socket error, closed early, malformed answer), SIM_ENOMEM, SIM_ERANGE
 * (an answer over its cap), AG_NET_ETIMEOUT.  Nothing here prints.
 * The harness's own, not the agent core's: the core never calls it.
 */
#ifndef AG_NET_H
#define AG_NET_H

#include <stddef.h>
#include <stdint.h>

#include "base/fixed.h"

/* Module status codes: next to agent.h's 50-53, never renumbered. */
enum { AG_NET_ETIMEOUT = 60, AG_NET_EHTTP = 61 };

/* Largest HTTP head, JSON body or WebSocket frame the client accepts. */
#define AG_NET_MAX_ANSWER (1 << 20)

/* A connection and its read buffer.  Caller-owned: ag_net_conn_init
 * (by connecting) / ag_net_conn_fini. */
typedef struct ag_net_conn {
    int fd;
    char *buf;
    size_t len, pos, cap;
    uint64_t bytes;         /* every byte read from the socket */
} ag_net_conn;

/* Monotonic milliseconds (fractional). */
double ag_net_now_ms(void);

/* Sleeps `ms` (nothing when <= 0), and until `at_ms` on that clock. */
void ag_net_sleep_ms(double ms);
void ag_net_sleep_until(double at_ms);

/* Writes the message into err unless err holds one already (the first
 * failure is the one to tell), and returns rc. */
int ag_net_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Connects to 127.0.0.1:port.  On failure c->fd is -1. */
int ag_net_conn_init(ag_net_conn *c, int port, double deadline);
void ag_net_conn_fini(ag_net_conn *c);

/* Writes all of data. */
int ag_net_send(ag_net_conn *c, const char *data, size_t n,
                 double deadline);

/* Reads an HTTP response head; *status is its code.  The body starts at
 * c->buf + c->pos. */
int ag_net_read_head(ag_net_conn *c, int *status /* OUT */,
                      double deadline);

/*
 * One request on a fresh connection, whole answer read to EOF: method,
 * path, an optional JSON body, the API key (or NULL).  *status is the
 * HTTP status and *body (caller frees; may be NULL) the response body.
 */
int ag_net_request(int port, const char *method, const char *path,
                    const char *body, const char *api_key,
                    const char *tenant, double deadline,
                    int *status /* OUT */, char **rbody /* OUT */);

/*
 * POST /v1/sessions/{id}/messages with Accept: text/event-stream, read
 * to EOF.  *done_ms is when the `done` event had arrived (ag_net_now_ms
 * clock), *bytes all bytes read on the connection.  SIM_EIO when the
 * reply ended with an `error` event or without `done`; AG_NET_EHTTP with
 * *status for a refused request.  *data_bytes sums the lengths of the
 * events' data payloads.
 */
int ag_net_sse_message(int port, const char *session, const char *content,
                        const char *api_key, const char *tenant,
                        double deadline, double *done_ms /* OUT */,
                        uint64_t *bytes /* OUT */,
                        uint64_t *data_bytes /* OUT */,
                        int *status /* OUT */);

/*
 * The reading half of ag_net_sse_message on a connection whose request
 * is sent: the head, then SSE lines to EOF.  Apart so that the parser can
 * be fed bytes that no server sent (fuzz/fuzz_net.c).
 */
int ag__net_sse_reply(ag_net_conn *c, double deadline, int *status /* OUT */,
                      double *done_ms /* OUT */,
                      uint64_t *data_bytes /* OUT */);

/* Opens GET /v1/sessions/{id}/events?follow=1 and reads its head; bytes
 * read after it are the stream's. */
int ag_net_sse_follow(ag_net_conn *c, int port, const char *session,
                       const char *api_key, double deadline);

/* Opens a WebSocket on /v1/ws (checks Sec-WebSocket-Accept). */
int ag_net_ws_open(ag_net_conn *c, int port, const char *api_key,
                    const char *tenant, double deadline);

/* Sends a masked text frame. */
int ag_net_ws_send(ag_net_conn *c, const char *text, double deadline);

/*
 * Reads one frame: its opcode, its payload (not NUL-terminated; borrowed
 * until the next call on c) and its size on the wire, header included.
 */
int ag_net_ws_read(ag_net_conn *c, double deadline, int *opcode /* OUT */,
                    const char **payload /* OUT */, size_t *plen /* OUT */,
                    size_t *wire /* OUT */);

/*
 * Reads whatever arrives on c until `until`, counting bytes; *last_ms is
 * when the last bytes came (untouched if none did).  Returns SIM_OK at
 * `until`, SIM_EIO if the peer closed.
 */
int ag_net_drain_until(ag_net_conn *c, double until, double *last_ms);

#endif
