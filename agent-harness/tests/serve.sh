#!/bin/sh
# serve.sh -- the agent server end to end over loopback.
#
#   sh serve.sh SERVER [TESTS_DIR]
#
# SERVER is either the capsim binary (run as `capsim agent serve`) or a
# driver whose main calls ag_serve_main (run as `SERVER --config ...`).
# Needs curl and python3 (standard library only: the WebSocket client
# and the fake OpenAI server are written here and in fake_openai.py).
#
# Phases:
#   A  a fast scripted model: health, auth, sessions, an SSE reply (ids
#      increase, `done` carries usage and cost), re-attach with
#      Last-Event-ID (only the missed events; a `gap` when the ring lost
#      some), keep-alive comments, a JSON reply, history, bad requests,
#      WebSocket (events as frames, pings), SIGTERM exits 0 and
#      checkpoints the database;
#   B  a slow scripted model: the tenant concurrency limit (429), kill -9
#      mid-stream and restart: every completed message is there, the
#      partial reply is not; SIGTERM with a reply in flight exits 0;
#   C  the openai back end against fake_openai.py: streamed tokens, the
#      tool loop, usage as the provider reported it.
set -u

SERVER=${1:?usage: serve.sh SERVER [TESTS_DIR]}
TESTS=${2:-$(cd "$(dirname "$0")" && pwd)}
# The helpers the reliability tests share: T, FAILS, PID, fail/ok/check,
# serve, start_server, stop_server, sanitizer_clean, req, jget.
. "$TESTS/lib.sh"
FAKE=

cleanup() {
    [ -n "$FAKE" ] && kill "$FAKE" 2>/dev/null
    lib_cleanup
}
trap cleanup EXIT

KEY="X-API-Key: test-key"

is_json_error() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(d.get("error"), str) and d["error"] else 1)' "$T/body"
}

# ---- helpers in Python: SSE checks and a WebSocket client ----------------

cat >"$T/sse.py" <<'EOF'
import json, sys

def events(path):
    out, cur = [], {}
    for line in open(path, encoding="utf-8").read().split("\n"):
        if line == "":
            if cur:
                out.append(cur)
            cur = {}
        elif line.startswith(":"):
            cur.setdefault("comment", line)
        else:
            k, _, v = line.partition(":")
            cur[k] = v[1:] if v.startswith(" ") else v
    if cur:
        out.append(cur)
    return [e for e in out if "event" in e or "comment" in e]

def die(msg):
    print(msg)
    sys.exit(1)

cmd, path = sys.argv[1], sys.argv[2]
evs = [e for e in events(path) if "event" in e]
if cmd == "reply":
    # every event has an id, ids increase, the last event is done
    ids = [int(e["id"]) for e in evs if e["event"] != "gap"]
    if not ids or any(b <= a for a, b in zip(ids, ids[1:])):
        die("ids not increasing: %s" % ids)
    if evs[-1]["event"] != "done":
        die("last event is %s" % evs[-1]["event"])
    done = json.loads(evs[-1]["data"])
    if "usage" not in done or "cost_usd" not in done:
        die("done lacks usage or cost: %s" % done)
    tokens = sum(1 for e in evs if e["event"] == "token")
    print(len(ids), ids[0], ids[-1], tokens, done["usage"]["output_tokens"],
          json.dumps(done["usage"]))
elif cmd == "nth-id":
    print(evs[int(sys.argv[3])]["id"])
elif cmd == "after":
    # only events after id K, ending with done, no gap
    k = int(sys.argv[3])
    if any(e["event"] == "gap" for e in evs):
        die("unexpected gap")
    ids = [int(e["id"]) for e in evs]
    if not ids or min(ids) != k + 1 or evs[-1]["event"] != "done":
        die("ids %s after %d" % (ids[:3], k))
    print(len(ids))
elif cmd == "gap":
    # a gap first, then events; the gap counts exactly the ids skipped
    k = int(sys.argv[3])
    if not evs or evs[0]["event"] != "gap":
        die("no gap first: %s" % [e["event"] for e in evs[:3]])
    missed = json.loads(evs[0]["data"])["missed"]
    first = int(evs[1]["id"])
    if missed <= 0 or first != k + missed + 1 or "id" in evs[0]:
        die("gap %d but next id %d after %d" % (missed, first, k))
    print(missed)
elif cmd == "keepalive":
    if not any("comment" in e for e in events(path)):
        die("no keep-alive comment")
elif cmd == "types":
    print(" ".join(e["event"] for e in evs))
EOF

cat >"$T/ws.py" <<'EOF'
# A minimal WebSocket client (RFC 6455): handshake, masked text frames
# out, unmasked frames in.
import base64, hashlib, json, os, socket, struct, sys, time

port, key, session = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
nonce = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "X-API-Key: %s\r\n\r\n" % (nonce, key)).encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
want = base64.b64encode(hashlib.sha1(
    (nonce + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
if b" 101 " not in head.split(b"\r\n")[0] or want not in head:
    sys.exit("bad handshake: %r" % head)

def recv_exact(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b

def send_raw(data, op=1):
    mask = os.urandom(4)
    hdr = bytes([0x80 | op])
    n = len(data)
    if n < 126:
        hdr += bytes([0x80 | n])
    elif n < 65536:
        hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
    s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

def send(obj):
    send_raw(json.dumps(obj).encode())

def next_frame():
    op, data = recv()
    while op == 9:
        op, data = recv()
    return json.loads(data)

def recv():
    b0, b1 = recv_exact(2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack(">H", recv_exact(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", recv_exact(8))[0]
    return b0 & 0x0f, recv_exact(n)

send({"type": "message", "session": session, "content": "hi over ws"})
frames, pings = [], 0
while True:
    op, data = recv()
    if op == 9:
        pings += 1
        continue
    f = json.loads(data)
    frames.append(f)
    if f["type"] in ("done", "error"):
        break
types = [f["type"] for f in frames]
ids = [f["id"] for f in frames]
if types[-1] != "done" or "token" not in types:
    sys.exit("frames: %s" % types)
if any(b <= a for a, b in zip(ids, ids[1:])):
    sys.exit("ids not increasing: %s" % ids)
if any(f["session"] != session for f in frames):
    sys.exit("a frame for another session")
if "cost_usd" not in frames[-1] or "usage" not in frames[-1]:
    sys.exit("done without usage/cost: %s" % frames[-1])
# Malformed frames get error frames, and the connection stays up.
for bad, status in ((b'{"type": "nonsense"}', 400), (b"{not json", 400),
                    (json.dumps({"type": "message", "session": "0" * 32,
                                 "content": "x"}).encode(), 404)):
    send_raw(bad)
    err = next_frame()
    if err["type"] != "error" or err["status"] != status:
        sys.exit("%r: no error frame %d: %s" % (bad, status, err))
# Idle: the server pings (pingInterval 1s in the test config).
deadline = time.time() + 3
while pings == 0 and time.time() < deadline:
    op, data = recv()
    if op == 9:
        pings += 1
if pings == 0:
    sys.exit("no ping")
send_raw(b"", op=8)
print(len(frames), "frames,", pings, "ping(s)")
EOF

# ---- A: fast scripted model ---------------------------------------------

mkdir -p "$T/a"
cat >"$T/a/agent.yaml" <<'EOF'
llm:
  provider: scripted
  tokens: 40
  tokens_per_second: 400
  toolCall: currentTime
  price: {inputPerMTok: 0.15, outputPerMTok: 0.6}
systemPrompt: "You are a test agent."
tools: [currentTime]
storage: {database: sqlite, path: ./agent.db}
sessions: {maxSessions: 10, sessionTTL: 1h}
server:
  apiKey: test-key
  keepAlive: 1s
  pingInterval: 1s
  streamBuffer: 64
EOF
start_server "$T/a/agent.yaml" a

check "GET /healthz is 200 JSON" \
    test "$(req GET /healthz)" = 200 -a "$(jget "$T/body" 'd["status"]')" = ok
check "a request without the API key gets 401 JSON" \
    test "$(req POST /v1/sessions)" = 401
is_json_error || fail "401 body is not a JSON error"
check "a wrong API key gets 401" \
    test "$(req GET /v1/sessions -H 'Authorization: Bearer nope')" = 401
check "POST /v1/sessions is 201 with an id (Bearer auth)" \
    test "$(req POST /v1/sessions -H 'Authorization: Bearer test-key')" = 201
S=$(jget "$T/body" 'd["id"]')
[ ${#S} -eq 32 ] || fail "session id $S"

# An SSE reply: ids increase, done arrives with usage and cost.
curl -s -N -H "$KEY" -H 'Accept: text/event-stream' \
    -d '{"content":"hello"}' "$URL/v1/sessions/$S/messages" >"$T/sse1"
if R=$(python3 "$T/sse.py" reply "$T/sse1"); then
    ok "SSE reply: ids increase, done with usage and cost ($R)"
else
    fail "SSE reply: $R"
fi
set -- $R
[ "$4" -eq 40 ] || fail "40 tokens streamed, saw $4"
types=$(python3 "$T/sse.py" types "$T/sse1")
case $types in
"tool_call tool_result token"*) ok "the tool loop ran first" ;;
*) fail "event types: $types" ;;
esac

# Re-attach after the 10th event: exactly the rest, through done.
K=$(python3 "$T/sse.py" nth-id "$T/sse1" 9)
curl -s -N -H "$KEY" -H "Last-Event-ID: $K" --max-time 10 \
    "$URL/v1/sessions/$S/events" >"$T/sse2"
if N=$(python3 "$T/sse.py" after "$T/sse2" "$K"); then
    [ "$N" -eq $(($1 - 10)) ] && ok "Last-Event-ID re-attach got only the $N missed events" \
        || fail "re-attach got $N events, wanted $(($1 - 10))"
else
    fail "re-attach: $N"
fi

# A second reply (JSON); the ring (64) now holds less than both replies,
# so re-attaching at the first event reports a gap.
check "a JSON reply is 200" test "$(req POST /v1/sessions/$S/messages \
    -H "$KEY" -d '{"content":"again"}')" = 200
check "the JSON reply has content, usage and cost" \
    test "$(jget "$T/body" 'len(d["content"]) > 0 and d["usage"]["output_tokens"] > 40 and d["cost_usd"] > 0 and d["iterations"] == 2')" = True
FIRST=$(python3 "$T/sse.py" nth-id "$T/sse1" 0)
curl -s -N -H "$KEY" -H "Last-Event-ID: $FIRST" --max-time 10 \
    "$URL/v1/sessions/$S/events" >"$T/sse3"
if G=$(python3 "$T/sse.py" gap "$T/sse3" "$FIRST"); then
    ok "a reader behind the ring gets event: gap (missed $G)"
else
    fail "gap: $G"
fi

# Keep-alive comments while idle (keepAlive 1s), on a following stream.
curl -s -N -H "$KEY" --max-time 1.6 "$URL/v1/sessions/$S/events?follow=1" \
    >"$T/sse4"
check "idle SSE streams get keep-alive comments" \
    python3 "$T/sse.py" keepalive "$T/sse4"

check "GET history is 200" test "$(req GET /v1/sessions/$S/messages -H "$KEY")" = 200
check "history holds both exchanges (user, call, tool, answer) x 2" \
    test "$(jget "$T/body" '[m["role"] for m in d["messages"]]')" = \
    "['user', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'tool', 'assistant']"
check "GET /v1/sessions lists it" \
    test "$(req GET /v1/sessions -H "$KEY")" = 200 -a \
    "$(jget "$T/body" 'd["sessions"][0]["id"]')" = "$S"

# Bad requests: status and a JSON error, and the server stays up.
check "bad JSON is 400" test "$(req POST /v1/sessions/$S/messages -H "$KEY" -d '{oops')" = 400
is_json_error || fail "bad JSON body"
python3 -c 'print("[" * 100000)' >"$T/deep"
check "deeply nested JSON is 400, not a crash" test "$(req POST /v1/sessions/$S/messages -H "$KEY" --data-binary @"$T/deep")" = 400
check "a body without content is 400" test "$(req POST /v1/sessions/$S/messages -H "$KEY" -d '{"text":"x"}')" = 400
is_json_error || fail "missing content body"
check "an unknown session is 404" test "$(req POST /v1/sessions/0123456789abcdef0123456789abcdef/messages -H "$KEY" -d '{"content":"x"}')" = 404
is_json_error || fail "404 body"
check "an unknown route is 404" test "$(req GET /v1/nothing -H "$KEY")" = 404
check "a wrong method is 405" test "$(req PUT /v1/sessions -H "$KEY")" = 405
is_json_error || fail "405 body"
check "a bad X-Tenant is 400" test "$(req GET /v1/sessions -H "$KEY" -H 'X-Tenant: a b')" = 400
check "a bad Last-Event-ID is 400" test "$(req GET /v1/sessions/$S/events -H "$KEY" -H 'Last-Event-ID: x')" = 400
check "GET /v1/ws without an upgrade is 400" test "$(req GET /v1/ws -H "$KEY")" = 400
head -c 2000000 /dev/zero | tr '\0' 'a' >"$T/big"
check "a body over 1 MiB is 413" test "$(req POST /v1/sessions/$S/messages -H "$KEY" --data-binary @"$T/big")" = 413
check "the server survived it all" test "$(req GET /healthz)" = 200

# WebSocket: a message in, the reply's events out as frames, then pings.
if W=$(python3 "$T/ws.py" "$PORT" test-key "$S" 2>&1); then
    ok "WebSocket: events as JSON frames, error frames, pings ($W)"
else
    fail "WebSocket: $W"
fi

check "DELETE removes the session" test "$(req DELETE /v1/sessions/$S -H "$KEY")" = 200
check "a deleted session is 404" test "$(req GET /v1/sessions/$S/messages -H "$KEY")" = 404

stop_server TERM
check "SIGTERM exits 0" test "$CODE" -eq 0
check "the WAL was checkpointed on the way out" \
    test ! -s "$T/a/agent.db-wal"

# ---- B: slow scripted model: limits, kill -9, restart --------------------
# The reply takes 5 s (150 tokens at 30 a second) so that, on a loaded
# machine too, it is still streaming when the limits and the kill are
# tried.

mkdir -p "$T/b"
cat >"$T/b/agent.yaml" <<'EOF'
llm: {provider: scripted, tokens: 150, tokens_per_second: 30}
storage: {database: sqlite, path: ./agent.db}
sessions: {maxSessions: 10, sessionTTL: 1h}
server: {tenantConcurrency: 1, keepAlive: 1s}
EOF
start_server "$T/b/agent.yaml" b
req POST /v1/sessions >/dev/null
S=$(jget "$T/body" 'd["id"]')
req POST /v1/sessions >/dev/null
S2=$(jget "$T/body" 'd["id"]')
check "a first message completes (JSON, 5 s)" \
    test "$(req POST /v1/sessions/$S/messages -H 'X-Tenant: acme' -d '{"content":"first"}')" = 200

# A reply in flight for tenant acme; a second one for acme is refused.
curl -s -N -H 'Accept: text/event-stream' -H 'X-Tenant: acme' \
    -d '{"content":"second"}' "$URL/v1/sessions/$S/messages" >"$T/sse5" &
CURL=$!
i=0
while [ "$(grep -c '^event: token' "$T/sse5" 2>/dev/null)" -lt 3 ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
check "another reply for the same tenant gets 429" \
    test "$(req POST /v1/sessions/$S2/messages -H 'X-Tenant: acme' -d '{"content":"x"}')" = 429
is_json_error || fail "429 body"
check "the same session is busy: 409" \
    test "$(req POST /v1/sessions/$S/messages -H 'X-Tenant: other' -d '{"content":"x"}')" = 409

# kill -9 mid-stream, then restart on the same database.
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
sanitizer_clean
wait "$CURL" 2>/dev/null
grep -q '^event: done' "$T/sse5" && fail "the reply finished before the kill"
start_server "$T/b/agent.yaml" b2
check "after restart the session is back" \
    test "$(req GET /v1/sessions/$S/messages)" = 200
check "history: the completed exchange and the second message, no partial reply" \
    test "$(jget "$T/body" '[(m["role"], m["content"][:6]) for m in d["messages"]]')" = \
    "[('user', 'first'), ('assistant', 'lorem '), ('user', 'second')]"
check "the other session survived too" test "$(req GET /v1/sessions/$S2)" = 200

# SIGTERM while a reply streams: it finishes within the grace, exit 0.
curl -s -N -H 'Accept: text/event-stream' -d '{"content":"third"}' \
    "$URL/v1/sessions/$S2/messages" >"$T/sse6" &
CURL=$!
sleep 0.5
stop_server TERM
wait "$CURL" 2>/dev/null
check "SIGTERM with a reply in flight exits 0" test "$CODE" -eq 0
grep -q "^event: done" "$T/sse6" && ok "the in-flight reply was finished, not dropped" \
    || fail "the in-flight reply was dropped: $(tail -c 300 "$T/sse6")"

# ---- C: the openai back end against fake_openai.py -----------------------

python3 "$TESTS/fake_openai.py" --api-key sk-fake --tokens 7 \
    --log "$T/openai.log" >"$T/fake.out" 2>"$T/fake.err" &
FAKE=$!
i=0
while ! grep -q '^port ' "$T/fake.out" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
FPORT=$(sed -n 's/^port //p' "$T/fake.out")
mkdir -p "$T/c"
printf 'Answer in one line.' >"$T/c/prompt.md"
cat >"$T/c/agent.yaml" <<EOF
llm:
  provider: openai
  model: fake-model
  baseURL: http://127.0.0.1:$FPORT/v1
  apiKey: sk-fake
  price: {inputPerMTok: 1, outputPerMTok: 2}
systemPrompt:
  contributors:
    - {name: base, type: file, priority: 10,
       file: "\${{dexto.agent_dir}}/prompt.md"}
    - {name: persona, type: static, priority: 0, content: "You are terse."}
tools: [currentTime]
storage: {database: memory}
EOF
start_server "$T/c/agent.yaml" c
req POST /v1/sessions >/dev/null
S=$(jget "$T/body" 'd["id"]')
curl -s -N -H 'Accept: text/event-stream' -d '{"content":"hello openai"}' \
    "$URL/v1/sessions/$S/messages" >"$T/sse7"
if R=$(python3 "$T/sse.py" reply "$T/sse7"); then
    ok "openai: the reply streams through done ($R)"
else
    fail "openai reply: $R $(cat "$T/sse7")"
fi
set -- $R
[ "$4" -eq 7 ] || fail "openai: 7 tokens streamed, saw $4"
case $R in
*'"estimated": false'*) ok "openai: usage is the provider's, not an estimate" ;;
*) fail "openai usage: $R" ;;
esac
types=$(python3 "$T/sse.py" types "$T/sse7")
case $types in
"tool_call tool_result token"*) ok "openai: the tool loop ran" ;;
*) fail "openai event types: $types" ;;
esac
LOGSUM=$(python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
ok = all(x["stream"] and x["stream_options"]["include_usage"] for x in r)
print(len(r), ok, r[1]["messages"][-1]["role"])' "$T/openai.log")
check "openai: two requests, both streaming with usage, then the tool result" \
    test "$LOGSUM" = "2 True tool"
check "openai: the system prompt is the contributors in priority order" \
    test "$(python3 -c 'import json,sys; print(repr(json.loads(open(sys.argv[1]).readline())["messages"][0]))' "$T/openai.log")" = \
    "{'role': 'system', 'content': 'You are terse.\\n\\nAnswer in one line.'}"
check "openai: history has the reply" \
    test "$(req GET /v1/sessions/$S/messages)" = 200 -a \
    "$(jget "$T/body" 'd["messages"][-1]["content"]')" = \
    "alpha beta gamma delta epsilon zeta eta"
stop_server TERM
check "SIGTERM exits 0 (openai)" test "$CODE" -eq 0

# A bad config is exit 3, a usage error exit 2.
echo "llm: {provider: nope}" >"$T/bad.yaml"
(serve --config "$T/bad.yaml" --port 0) >/dev/null 2>&1
check "a bad config exits 3" test $? -eq 3
(serve --port 0) >/dev/null 2>&1
check "a missing --config exits 2" test $? -eq 2

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
fi
echo "all serve checks passed"
