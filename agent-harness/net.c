/*
 * net.c -- the harness's loopback client (net.h).
 *
 * Sockets are non-blocking and every wait is a poll() bounded by the
 * caller's deadline, so a server that stops answering costs a timeout,
 * never a hang.
 */
#include "agent-harness/net.h"
#include "base/alloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

double ag_net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void ag_net_sleep_ms(double ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1e3), (long)(fmod(ms, 1e3) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void ag_net_sleep_until(double at_ms)
{
    ag_net_sleep_ms(at_ms - ag_net_now_ms());
}

int ag_net_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen && !err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Waits for `events` on fd until the deadline: SIM_OK or a status. */
static int wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        double left = deadline - ag_net_now_ms();
        if (left <= 0)
            return AG_NET_ETIMEOUT;
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, (int)(left + 1));
        if (n > 0)
            return SIM_OK;
        if (n < 0 && errno != EINTR)
            return SIM_EIO;
    }
}

int ag_net_conn_init(ag_net_conn *c, int port, double deadline)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return SIM_EIO;
    int fl = fcntl(c->fd, F_GETFL);
    int one = 1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = SIM_EIO;
    if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(c->fd, F_SETFD, FD_CLOEXEC) < 0)
        goto fail;
    /* Requests are one write each; Nagle would only add latency. */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        rc = wait_fd(c->fd, POLLOUT, deadline);
        if (rc != SIM_OK)
            goto fail;
        int err = 0;
        socklen_t len = sizeof err;
        rc = SIM_EIO;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err)
            goto fail;
    }
    c->cap = 16384;
    c->buf = sim_alloc(c->cap);
    if (!c->buf) {
        rc = SIM_ENOMEM;
        goto fail;
    }
    return SIM_OK;
fail:
    close(c->fd);
    c->fd = -1;
    return rc;
}

void ag_net_conn_fini(ag_net_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    sim_free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

int ag_net_send(ag_net_conn *c, const char *data, size_t n, double deadline)
{
    size_t off = 0;
    while (off < n) {
        ssize_t k = send(c->fd, data + off, n - off, MSG_NOSIGNAL);
        if (k > 0) {
            off += (size_t)k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
            errno != EINTR)
            return SIM_EIO;
        int rc = wait_fd(c->fd, POLLOUT, deadline);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* Reads more into the buffer: 1 bytes came, 0 EOF, else -status. */
static int fill(ag_net_conn *c, double deadline)
{
    if (c->pos > 0 && c->pos == c->len)
        c->pos = c->len = 0;
    if (c->len + 1 >= c->cap) {
        if (c->pos > 0) {
            memmove(c->buf, c->buf + c->pos, c->len - c->pos);
            c->len -= c->pos;
            c->pos = 0;
        } else {
            if (c->cap >= AG_NET_MAX_ANSWER + 64)
                return -SIM_ERANGE;
            char *p = sim_realloc(c->buf, c->cap * 2);
            if (!p)
                return -SIM_ENOMEM;
            c->buf = p;
            c->cap *= 2;
        }
    }
    for (;;) {
        ssize_t k = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (k > 0) {
            c->len += (size_t)k;
            c->bytes += (uint64_t)k;
            c->buf[c->len] = '\0';
            return 1;
        }
        if (k == 0)
            return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -SIM_EIO;
        int rc = wait_fd(c->fd, POLLIN, deadline);
        if (rc != SIM_OK)
            return -rc;
    }
}

int ag_net_read_head(ag_net_conn *c, int *status, double deadline)
{
    char *end;
    for (;;) {
        end = c->len ? strstr(c->buf + c->pos, "\r\n\r\n") : NULL;
        if (end)
            break;
        int r = fill(c, deadline);
        if (r <= 0)
            return r == 0 ? SIM_EIO : -r;
    }
    int code = 0;
    if (sscanf(c->buf + c->pos, "HTTP/1.%*d %d", &code) != 1)
        return SIM_EIO;
    *status = code;
    c->pos = (size_t)(end + 4 - c->buf);
    return SIM_OK;
}

/* Reads to EOF. */
static int read_to_eof(ag_net_conn *c, double deadline)
{
    for (;;) {
        int r = fill(c, deadline);
        if (r == 0)
            return SIM_OK;
        if (r < 0)
            return -r;
    }
}

/* "Name: value\r\n" header lines for the key and tenant ("" when none). */
static void auth_headers(char *out, size_t size, const char *api_key,
                         const char *tenant)
{
    int n = snprintf(out, size, "%s%s%s", api_key ? "X-API-Key: " : "",
                     api_key ? api_key : "", api_key ? "\r\n" : "");
    if (tenant && n >= 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, "X-Tenant: %s\r\n", tenant);
}

static int send_request(ag_net_conn *c, int port, const char *method,
                        const char *path, const char *extra,
                        const char *body, const char *api_key,
                        const char *tenant, double deadline)
{
    char auth[512];
    auth_headers(auth, sizeof auth, api_key, tenant);
    size_t blen = body ? strlen(body) : 0;
    size_t cap = strlen(path) + strlen(extra) + strlen(auth) + blen + 256;
    char *req = sim_alloc(cap);
    if (!req)
        return SIM_ENOMEM;
    int n = snprintf(req, cap,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s"
                     "Content-Length: %zu\r\n%s\r\n%s",
                     method, path, port, auth, extra, blen,
                     body ? "Content-Type: application/json\r\n" : "",
                     body ? body : "");
    int rc = n < 0 || (size_t)n >= cap
                 ? SIM_ENOMEM : ag_net_send(c, req, (size_t)n, deadline);
    sim_free(req);
    return rc;
}

int ag_net_request(int port, const char *method, const char *path,
                    const char *body, const char *api_key,
                    const char *tenant, double deadline, int *status,
                    char **rbody)
{
    ag_net_conn c;
    *status = 0;
    if (rbody)
        *rbody = NULL;
    int rc = ag_net_conn_init(&c, port, deadline);
    if (rc == SIM_OK)
        rc = send_request(&c, port, method, path, "", body, api_key, tenant,
                          deadline);
    if (rc == SIM_OK)
        rc = ag_net_read_head(&c, status, deadline);
    if (rc == SIM_OK)
        rc = read_to_eof(&c, deadline);
    if (rc == SIM_OK && rbody) {
        *rbody = sim_strdup(c.buf + c.pos);
        if (!*rbody)
            rc = SIM_ENOMEM;
    }
    ag_net_conn_fini(&c);
    return rc;
}

/*
 * Walks the complete SSE lines in c->buf from *scan: notes `event: done`
 * and `event: error`, and adds the length of each `data:` payload.
 */
static void sse_scan(const ag_net_conn *c, size_t *scan, int *done,
                     int *failed, uint64_t *data_bytes)
{
    for (;;) {
        const char *line = c->buf + *scan;
        const char *nl = memchr(line, '\n', c->len - *scan);
        if (!nl)
            return;
        size_t n = (size_t)(nl - line);
        if (n == 11 && strncmp(line, "event: done", 11) == 0)
            *done = 1;
        else if (n == 12 && strncmp(line, "event: error", 12) == 0)
            *failed = 1;
        else if (n >= 6 && strncmp(line, "data: ", 6) == 0)
            *data_bytes += n - 6;
        *scan += n + 1;
    }
}

int ag__net_sse_reply(ag_net_conn *c, double deadline, int *status,
                      double *done_ms, uint64_t *data_bytes)
{
    int rc = ag_net_read_head(c, status, deadline);
    if (rc == SIM_OK && *status != 200)
        rc = AG_NET_EHTTP;
    size_t scan = c->pos;
    int done = 0, failed = 0;
    while (rc == SIM_OK) {
        int was = done;
        sse_scan(c, &scan, &done, &failed, data_bytes);
        if (done && !was)
            *done_ms = ag_net_now_ms();
        /* Keep only the unscanned tail: a long reply must not grow the
         * buffer to its whole size. */
        c->pos = scan;
        int r = fill(c, deadline);
        scan = c->pos;
        if (r < 0)
            rc = -r;
        else if (r == 0)
            break;
    }
    if (rc == SIM_OK && (failed || !done))
        rc = SIM_EIO;
    return rc;
}

int ag_net_sse_message(int port, const char *session, const char *content,
                        const char *api_key, const char *tenant,
                        double deadline, double *done_ms, uint64_t *bytes,
                        uint64_t *data_bytes, int *status)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/v1/sessions/%s/messages", session);
    snprintf(body, sizeof body, "{\"content\":\"%s\"}", content);
    ag_net_conn c;
    *done_ms = 0;
    *bytes = *data_bytes = 0;
    *status = 0;
    int rc = ag_net_conn_init(&c, port, deadline);
    if (rc == SIM_OK)
        rc = send_request(&c, port, "POST", path,
                          "Accept: text/event-stream\r\n", body, api_key,
                          tenant, deadline);
    if (rc == SIM_OK)
        rc = ag__net_sse_reply(&c, deadline, status, done_ms, data_bytes);
    *bytes = c.bytes;
    ag_net_conn_fini(&c);
    return rc;
}

int ag_net_sse_follow(ag_net_conn *c, int port, const char *session,
                       const char *api_key, double deadline)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/sessions/%s/events?follow=1", session);
    int status = 0;
    int rc = ag_net_conn_init(c, port, deadline);
    if (rc == SIM_OK)
        rc = send_request(c, port, "GET", path,
                          "Accept: text/event-stream\r\n", NULL, api_key,
                          NULL, deadline);
    if (rc == SIM_OK)
        rc = ag_net_read_head(c, &status, deadline);
    if (rc == SIM_OK && status != 200)
        rc = AG_NET_EHTTP;
    return rc;
}

/* The Sec-WebSocket-Accept a server must answer `key` with. */
static int ws_accept_for(const char *key, char *out, size_t size)
{
    char in[128];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int k = snprintf(in, sizeof in, "%s%s", key, WS_GUID);
    if (k < 0 || (size_t)k >= sizeof in || size < 32 ||
        !EVP_Digest(in, (size_t)k, md, &n, EVP_sha1(), NULL))
        return SIM_EIO;
    EVP_EncodeBlock((unsigned char *)out, md, (int)n);
    return SIM_OK;
}

int ag_net_ws_open(ag_net_conn *c, int port, const char *api_key,
                    const char *tenant, double deadline)
{
    unsigned char nonce[16];
    char key[32], want[64], extra[256];
    if (RAND_bytes(nonce, sizeof nonce) != 1)
        return SIM_EIO;
    EVP_EncodeBlock((unsigned char *)key, nonce, sizeof nonce);
    int rc = ws_accept_for(key, want, sizeof want);
    if (rc != SIM_OK)
        return rc;
    snprintf(extra, sizeof extra,
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", key);
    int status = 0;
    rc = ag_net_conn_init(c, port, deadline);
    if (rc != SIM_OK)
        return rc;
    /* send_request adds Content-Length: 0, which a GET may carry. */
    rc = send_request(c, port, "GET", "/v1/ws", extra, NULL, api_key,
                      tenant, deadline);
    if (rc == SIM_OK)
        rc = ag_net_read_head(c, &status, deadline);
    if (rc == SIM_OK && status != 101)
        rc = AG_NET_EHTTP;
    if (rc == SIM_OK && !strstr(c->buf, want))
        rc = SIM_EIO;
    return rc;
}

int ag_net_ws_send(ag_net_conn *c, const char *text, double deadline)
{
    size_t n = strlen(text), h = 0;
    unsigned char mask[4];
    if (RAND_bytes(mask, sizeof mask) != 1)
        return SIM_EIO;
    unsigned char *f = sim_alloc(n + 14);
    if (!f)
        return SIM_ENOMEM;
    f[h++] = 0x81;                      /* FIN, text */
    if (n < 126) {
        f[h++] = (unsigned char)(0x80 | n);
    } else if (n < 65536) {
        f[h++] = 0x80 | 126;
        f[h++] = (unsigned char)(n >> 8);
        f[h++] = (unsigned char)n;
    } else {
        f[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            f[h++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    memcpy(f + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < n; i++)
        f[h + i] = (unsigned char)text[i] ^ mask[i % 4];
    int rc = ag_net_send(c, (const char *)f, h + n, deadline);
    sim_free(f);
    return rc;
}

/* Makes sure `need` unread bytes are buffered. */
static int want_bytes(ag_net_conn *c, size_t need, double deadline)
{
    if (need > AG_NET_MAX_ANSWER + 16)
        return SIM_ERANGE;
    while (c->len - c->pos < need) {
        if (c->pos > 0) {
            memmove(c->buf, c->buf + c->pos, c->len - c->pos);
            c->len -= c->pos;
            c->pos = 0;
        }
        while (c->cap < need + 1) {
            char *p = sim_realloc(c->buf, c->cap * 2);
            if (!p)
                return SIM_ENOMEM;
            c->buf = p;
            c->cap *= 2;
        }
        int r = fill(c, deadline);
        if (r <= 0)
            return r == 0 ? SIM_EIO : -r;
    }
    return SIM_OK;
}

int ag_net_ws_read(ag_net_conn *c, double deadline, int *opcode,
                    const char **payload, size_t *plen, size_t *wire)
{
    int rc = want_bytes(c, 2, deadline);
    if (rc != SIM_OK)
        return rc;
    const unsigned char *p = (const unsigned char *)c->buf + c->pos;
    size_t h = 2;
    uint64_t n = p[1] & 0x7f;
    int masked = (p[1] & 0x80) != 0;
    if (n == 126)
        h += 2;
    else if (n == 127)
        h += 8;
    if (masked)
        h += 4;
    if ((rc = want_bytes(c, h, deadline)) != SIM_OK)
        return rc;
    p = (const unsigned char *)c->buf + c->pos;
    if (n == 126) {
        n = (uint64_t)p[2] << 8 | p[3];
    } else if (n == 127) {
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | p[2 + i];
    }
    if (n > AG_NET_MAX_ANSWER)
        return SIM_ERANGE;
    if ((rc = want_bytes(c, h + (size_t)n, deadline)) != SIM_OK)
        return rc;
    p = (const unsigned char *)c->buf + c->pos;
    char *data = c->buf + c->pos + h;
    if (masked)     /* servers do not mask; unmask anyway if one does */
        for (uint64_t i = 0; i < n; i++)
            data[i] ^= (char)p[h - 4 + i % 4];
    *opcode = p[0] & 0x0f;
    c->pos += h + (size_t)n;
    *payload = data;
    *plen = (size_t)n;
    *wire = h + (size_t)n;
    return SIM_OK;
}

int ag_net_drain_until(ag_net_conn *c, double until, double *last_ms)
{
    for (;;) {
        c->pos = c->len = 0;
        int r = fill(c, until);
        if (r == 0)
            return SIM_EIO;
        if (r == -AG_NET_ETIMEOUT)
            return SIM_OK;
        if (r < 0)
            return -r;
        *last_ms = ag_net_now_ms();
    }
}
