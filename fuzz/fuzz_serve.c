/*
 * fuzz_serve.c -- the agent server's reading of what clients send
 * (agent-harness/serve.c).
 *
 * Feeds: the first byte picks, the rest is the bytes:
 *   even  a POST /v1/sessions/{id}/messages body, to
 *         ag__serve_body_content (read_content's parse: depth check,
 *         cJSON, the "content" string);
 *   odd   a WebSocket text message, to ag__ws_parse (ws_message's parse:
 *         depth check, cJSON, type/session/content and the id rules).
 * Both are the functions the handlers call, exposed in serve.h because
 * a socket and a running server are not needed to reach them.  civetweb's
 * own HTTP and frame parsing is civetweb's, not fuzzed here.
 *
 * Asserts: no crash, no block left live through the seam; a body is
 * accepted exactly with a non-empty content string, or refused with 400
 * (500 only when out of memory) and a message; a message is a ping, a
 * refusal with a status and a message, or a non-empty content for a
 * session id of 1-32 characters of [A-Za-z0-9._-].
 */
#include <cJSON.h>
#include <string.h>

#include "agent-harness/serve.h"
#include "agent-harness/store.h"
#include "base/alloc.h"
#include "fuzz/support.h"

static void body(const uint8_t *data, size_t size)
{
    /* A body as read_body hands it over: NUL-terminated, read up to the
     * first NUL. */
    char *text = sim_strndup((const char *)data, size);
    if (!text)
        return;
    char *content = NULL;
    const char *why = NULL;
    int status = ag__serve_body_content(text, &content, &why);
    if (status == 0 && (!content || !*content))
        fuzz_fail("a body accepted without content");
    if (status != 0 && (content || !why || (status != 400 && status != 500)))
        fuzz_fail("a body refused without 400 and a reason");
    sim_free(content);
    sim_free(text);
}

static void ws(const uint8_t *data, size_t size)
{
    ag_ws_request r;
    cJSON *j = ag__ws_parse((const char *)data, size, &r);
    switch (r.kind) {
    case AG_WS_PING:
        break;
    case AG_WS_REFUSED:
        if (!r.error || (r.status != 400 && r.status != 404))
            fuzz_fail("a WebSocket message refused without a status");
        break;
    case AG_WS_MESSAGE: {
        size_t n = r.session ? strlen(r.session) : 0;
        if (!j || n == 0 || n > AG_ID_SIZE - 1 || !r.content || !*r.content ||
            strspn(r.session, "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
            fuzz_fail("a WebSocket message accepted with a bad session "
                      "or no content");
        break;
    }
    default:
        fuzz_fail("a WebSocket message of no kind");
    }
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    if (size == 0)
        return 0;
    long live = sim_alloc_live();
    if (data[0] % 2 == 0)
        body(data + 1, size - 1);
    else
        ws(data + 1, size - 1);
    fuzz_no_leak(live, "the server's parsers");
    return 0;
}
