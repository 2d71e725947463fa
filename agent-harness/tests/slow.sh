#!/bin/sh
# slow.sh -- slow clients must not stall anyone else or grow memory.
#
#   sh slow.sh SERVER AG_LOAD
#
# With server.requestTimeout 2s, while
#   - 8 slowloris connections send a header byte a second,
#   - an SSE reply, a following /events stream and a WebSocket each have
#     a reader that never reads (4 KiB receive buffers) while long
#     replies (2000 tokens, about 120 KB of events) stream to them,
# the load client runs 4 other sessions: they must see no error and
# replies no slower than 3 s (a reply takes 0.5 s), and /healthz must
# answer within a second.  Then: each slowloris connection was answered
# 400 and closed within the timeout (plus margin); the stalled replies
# still completed and are in history; server RSS grew by less than 64
# MiB (256 under sanitizers, AG_TEST_SCALE below 1); and once the stalled clients go, threads are back to where they
# started.
set -u
SERVER=${1:?usage: slow.sh SERVER AG_LOAD}
LOAD=${2:?usage: slow.sh SERVER AG_LOAD}
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

TOKENS=2000
mkdir -p "$T/a"
cat >"$T/a/agent.yaml" <<EOF
llm: {provider: scripted, tokens: $TOKENS, tokens_per_second: 4000}
storage: {database: sqlite, path: ./agent.db}
sessions: {maxSessions: 16, sessionTTL: 1h}
server: {requestTimeout: 2s, streamBuffer: 256, keepAlive: 1s,
         pingInterval: 1s, tenantConcurrency: 0}
EOF
start_server "$T/a/agent.yaml" a
THREADS0=$(threads "$PID")
RSS0=$(rss_kib "$PID")
HOLD=$(scaled 12 8)

python3 "$HERE/slow.py" slowloris "$PORT" 8 15 >"$T/loris.json" &
LORIS=$!
S1=$(new_session)
S2=$(new_session)
S3=$(new_session)
(sleep "$HOLD") | python3 "$HERE/slow.py" stall-sse "$PORT" "$S1" >"$T/st1" &
H1=$!
(sleep "$HOLD") | python3 "$HERE/slow.py" stall-follow "$PORT" "$S2" >"$T/st2" &
H2=$!
(sleep "$HOLD") | python3 "$HERE/slow.py" stall-ws "$PORT" "$S3" >"$T/st3" &
H3=$!
sleep 0.5
# Replies for the stalled follower; the WebSocket's own message streams.
(for i in 1 2 3; do
    curl -s --max-time 20 -o /dev/null -d '{"content":"x"}' \
        "$URL/v1/sessions/$S2/messages"
done) &
FEED=$!

T0=$(date +%s.%N)
check "/healthz answers at once beside the slow clients" \
    test "$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200
"$LOAD" --port "$PORT" --sessions 4 --ws 2 --seconds "$(scaled 5 3)" \
    --tokens "$TOKENS" >"$T/load.json"
LOADRC=$?
cat "$T/load.json"
check "other sessions: no error, nothing lost" test "$LOADRC" -eq 0
check "other sessions: p99 under 3 s" python3 -c '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])][-1]
sys.exit(0 if d["replies"] > 0 and d["p99_ms"] < 3000 else 1)' "$T/load.json"
RSS1=$(rss_kib "$PID")
echo "RSS before $RSS0 KiB, with slow clients $RSS1 KiB"
GROW_MIB=64
scaled_down && GROW_MIB=256
check "RSS grew by less than $GROW_MIB MiB" \
    test $((RSS1 - RSS0)) -lt $((GROW_MIB * 1024))

wait "$LORIS"
cat "$T/loris.json"
check "every slowloris connection got 400 within 2 s + 6 s" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if all(x and x["closed"] and x["status"] == 400 and
                  x["after"] < 8 for x in r) else 1)' "$T/loris.json"

wait "$FEED"
wait "$H1" "$H2" "$H3"
check "the stalled SSE reply completed and is in history" \
    test "$(req GET "/v1/sessions/$S1/messages")" = 200 -a \
    "$(jget "$T/body" '[m["role"] for m in d["messages"]]')" = \
    "['user', 'assistant']"
check "the stalled WebSocket's reply completed and is in history" \
    test "$(req GET "/v1/sessions/$S3/messages")" = 200 -a \
    "$(jget "$T/body" 'len(d["messages"])')" = 2
check "the stalled follower's session got its 3 replies" \
    test "$(req GET "/v1/sessions/$S2/messages")" = 200 -a \
    "$(jget "$T/body" 'len(d["messages"])')" = 6

i=0
while [ "$(threads "$PID")" -gt $((THREADS0 + 2)) ] && [ $i -lt 150 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "threads back to $THREADS0 once the slow clients left (now $(threads "$PID"))" \
    test "$(threads "$PID")" -le $((THREADS0 + 2))
check "the server is healthy" test "$(req GET /healthz)" = 200
stop_server TERM
check "SIGTERM exits 0" test "$CODE" -eq 0
finish slow
