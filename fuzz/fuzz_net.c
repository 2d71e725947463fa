/*
 * fuzz_net.c -- the harness client's reading of what a server sends
 * (agent-harness/net.c), which `capsim calibrate` and `run --live` trust
 * to be a well-behaved server but must survive when it is not.
 *
 * Feeds: the first byte picks, the rest is what "the server" sends,
 * written into one end of a socketpair that is then shut, so the client
 * reads it as it reads a socket and sees EOF after it:
 *   0  an HTTP response head (ag_net_read_head), then WebSocket frames
 *      (ag_net_ws_read) to the end, as after ag_net_ws_open;
 *   1  an SSE reply (ag__net_sse_reply: the head, then SSE lines to EOF,
 *      the reading half of ag_net_sse_message);
 *   2  WebSocket frames alone (ag_net_ws_read until it fails).
 * At most 64 KiB are sent, which a socketpair's buffer holds whole.
 *
 * Asserts: no crash, no hang (every read ends at EOF), no block left
 * live through the seam; a frame read is within the bytes sent, and the
 * bytes counted are the bytes sent.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-harness/net.h"
#include "base/alloc.h"
#include "base/fixed.h"
#include "fuzz/support.h"

#define MAX_SENT (64 * 1024)

/* A connection that reads `data` and then EOF. */
static int feed(ag_net_conn *c, const uint8_t *data, size_t size)
{
    int sv[2];
    memset(c, 0, sizeof *c);
    c->fd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("fuzz: socketpair");
        abort();
    }
    size_t off = 0;
    while (off < size) {
        ssize_t k = write(sv[1], data + off, size - off);
        if (k <= 0) {
            perror("fuzz: write");
            abort();
        }
        off += (size_t)k;
    }
    close(sv[1]);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    c->fd = sv[0];
    c->cap = 16384;         /* as ag_net_conn_init starts it */
    c->buf = sim_alloc(c->cap);
    if (!c->buf) {
        ag_net_conn_fini(c);
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

static void frames(ag_net_conn *c, size_t sent)
{
    int opcode;
    const char *payload;
    size_t plen, wire, total = c->pos;
    double deadline = ag_net_now_ms() + 5000;
    while (ag_net_ws_read(c, deadline, &opcode, &payload, &plen, &wire) ==
           SIM_OK) {
        total += wire;
        if (plen > wire || total > sent || payload < c->buf ||
            payload + plen > c->buf + c->len)
            fuzz_fail("a WebSocket frame past the bytes sent");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    if (size == 0)
        return 0;
    int mode = data[0] % 3;
    data++, size--;
    if (size > MAX_SENT)
        size = MAX_SENT;
    long live = sim_alloc_live();
    ag_net_conn c;
    if (feed(&c, data, size) != SIM_OK)
        return 0;
    double deadline = ag_net_now_ms() + 5000;
    int status = 0;
    if (mode == 0) {
        if (ag_net_read_head(&c, &status, deadline) == SIM_OK)
            frames(&c, size);
    } else if (mode == 1) {
        double done_ms = 0;
        uint64_t data_bytes = 0;
        (void)ag__net_sse_reply(&c, deadline, &status, &done_ms,
                                &data_bytes);
        if (data_bytes > size)
            fuzz_fail("SSE data counted past the bytes sent");
    } else {
        frames(&c, size);
    }
    if (c.bytes > size)
        fuzz_fail("more bytes counted than were sent");
    ag_net_conn_fini(&c);
    fuzz_no_leak(live, "the client's parsers");
    return 0;
}
