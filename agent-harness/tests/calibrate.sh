#!/bin/sh
# calibrate.sh -- `capsim calibrate` against the scripted agent core.
#
#   sh calibrate.sh CAPSIM SOURCE_DIR
#
# The scripted model is built to stream `tokens` tokens at
# `tokens_per_second`, so the figures calibrate reports have known
# answers: a reply takes tokens / rate seconds; half the rate doubles it;
# more tokens mean more bytes; an idle stream carries one heartbeat per
# interval.  Each run is small (4 sessions, 24 messages, short heartbeat
# intervals) so the whole script takes well under a minute on loopback.
# Needs python3 (standard library) and curl.
set -u

CAPSIM=${1:?usage: calibrate.sh CAPSIM SOURCE_DIR}
SRC=${2:?usage: calibrate.sh CAPSIM SOURCE_DIR}
# T, FAILS, PID, fail/ok/check and the cleanup on exit.
SERVER=$CAPSIM
. "$SRC/agent-harness/tests/lib.sh"

# agent NAME TOKENS RATE: a scripted config with 250 ms heartbeats.
agent() {
    cat >"$T/$1.yaml" <<EOF
llm: {provider: scripted, tokens: $2, tokens_per_second: $3}
storage: {database: memory}
sessions: {maxSessions: 20}
server: {keepAlive: 250ms, pingInterval: 250ms}
EOF
}
agent a40 40 400
agent a40slow 40 200
agent a80 80 400

SMALL="--sessions 4 --messages 24 --idle-span 1.5"

# ---- the profile: every key, sane figures ----------------------------

"$CAPSIM" calibrate --agent "$T/a40.yaml" $SMALL --repeats 2 \
    --out "$T/p40.json" 2>"$T/p40.err"
check "calibrate exits 0" [ $? -eq 0 ]
check "progress on stderr names each repeat" \
    grep -q "repeat 2/2" "$T/p40.err"
check "no temporary file is left beside the profile" \
    sh -c "! ls '$T' | grep -q 'p40.json.tmp'"
check "the profile validates" "$CAPSIM" validate "$T/p40.json"

# Every key of the example in docs/profiles.md is in the profile, and the
# bounds that follow from what the scripted core is built to do.
python3 - "$SRC/docs/profiles.md" "$T/p40.json" "$T/a40.yaml" <<'EOF'
import hashlib, json, re, sys
doc = open(sys.argv[1]).read()
example = json.loads(re.search(r"```json\n(.*?)```", doc, re.S).group(1))
p = json.load(open(sys.argv[2]))
bad = []

def keys(want, got, path):
    for k, v in want.items():
        if path == "measured.spread":
            continue            # one entry per figure; checked below
        if k not in got:
            bad.append("missing key %s%s" % (path + "." if path else "", k))
        elif isinstance(v, dict):
            keys(v, got[k], (path + "." if path else "") + k)
keys(example, p, "")

def within(name, x, lo, hi):
    if not (lo <= x <= hi):
        bad.append("%s = %r, expected within [%r, %r]" % (name, x, lo, hi))

# 40 tokens at 400 a second: 0.1 s, plus loopback and scheduling.
within("reply_s.p50", p["reply_s"]["p50"], 0.09, 0.3)
within("reply_s.p99", p["reply_s"]["p99"], p["reply_s"]["p50"], 1.0)
within("cold_start_s", p["cold_start_s"], 1e-6, 5)
within("base_memory_gb", p["base_memory_gb"], 2**20 / 2**30, 1.0)
within("idle_memory_gb", p["idle_memory_gb"], 0, 0.01)
within("active_memory_gb", p["active_memory_gb"], 0, 0.1)
within("cpu_ms_per_message", p["cpu_ms_per_message"], 0, 1000)
within("active_vcpu", p["active_vcpu"], 0, 2)
# An idle SSE stream carries ": keepalive\n\n" (13 bytes), a WebSocket a
# ping frame with no payload (2 bytes), each every 250 ms.
for tr, beat in (("sse", 13), ("websocket", 2)):
    want = beat * 3600 / 0.25 / 1024
    within("idle_kb_per_hour." + tr, p["idle_kb_per_hour"][tr],
           0.8 * want, 1.25 * want)
    within("heartbeat_interval_s." + tr, p["heartbeat_interval_s"][tr],
           0.25, 0.25)
    within("egress_kb_per_message." + tr, p["egress_kb_per_message"][tr],
           0.5, 64)
m = p["measured"]
if m["agent_config"] != sys.argv[3]:
    bad.append("measured.agent_config is %r" % m["agent_config"])
sha = hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
if m["agent_config_sha256"] != sha:
    bad.append("measured.agent_config_sha256 is not the file's")
if m["transports"] != ["sse", "websocket"]:
    bad.append("measured.transports is %r" % m["transports"])
if (m["sessions"], m["messages"], m["repeats"]) != (4, 24, 2):
    bad.append("measured sessions/messages/repeats are wrong")
if not re.fullmatch(r"\d{4}-\d\d-\d\d", m["date"]):
    bad.append("measured.date is %r" % m["date"])
if not re.match(r"\S+, \d+ cores?, \S+ \S+", m["machine"]):
    bad.append("measured.machine is %r" % m["machine"])
# A spread for every figure, around its mean.
figs = {"active_vcpu", "active_memory_gb", "idle_memory_gb",
        "base_memory_gb", "cpu_ms_per_message", "cold_start_s",
        "reply_s.p50", "reply_s.p95", "reply_s.p99",
        "egress_kb_per_message.sse", "egress_kb_per_message.websocket",
        "idle_kb_per_hour.sse", "idle_kb_per_hour.websocket"}
if set(m["spread"]) != figs:
    bad.append("measured.spread has %r" % sorted(m["spread"]))
for f in figs & set(m["spread"]):
    s, v = m["spread"][f], p
    for part in f.split("."):
        v = v[part]
    if not (s["min"] <= v * 1.001 and v <= s["max"] * 1.001 and
            s["sd"] >= 0):
        bad.append("spread of %s does not surround its mean" % f)
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
check "the profile has every documented key and in-bound figures" \
    [ $? -eq 0 ]

# ---- what the figures respond to --------------------------------------

"$CAPSIM" calibrate --agent "$T/a40slow.yaml" $SMALL --repeats 1 \
    --transport sse --quiet >"$T/slow.json" 2>"$T/slow.err"
check "calibrate --transport sse --quiet: the profile on stdout only" \
    sh -c "[ $? -eq 0 ] && [ ! -s '$T/slow.err' ] && [ -s '$T/slow.json' ]"
"$CAPSIM" calibrate --agent "$T/a80.yaml" $SMALL --repeats 1 --quiet \
    --out "$T/p80.json"
check "calibrate with 80 tokens exits 0" [ $? -eq 0 ]
python3 - "$T/p40.json" "$T/slow.json" "$T/p80.json" <<'EOF'
import json, sys
p40, slow, p80 = (json.load(open(f)) for f in sys.argv[1:4])
bad = []
r = slow["reply_s"]["p50"] / p40["reply_s"]["p50"]
if not 1.6 <= r <= 2.4:
    bad.append("half the token rate: p50 ratio %.3f, expected ~2" % r)
if set(slow["egress_kb_per_message"]) != {"sse"} or \
   slow["measured"]["transports"] != ["sse"]:
    bad.append("an sse-only profile has other transports")
for tr in ("sse", "websocket"):
    a, b = p40["egress_kb_per_message"][tr], p80["egress_kb_per_message"][tr]
    if not b > 1.3 * a:
        bad.append("%s egress: 80 tokens %.3f KiB, 40 tokens %.3f" %
                   (tr, b, a))
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
check "reply time follows the token rate, egress the token count" \
    [ $? -eq 0 ]

# ---- egress is what a client reads ------------------------------------

# One SSE reply read with curl: the profile's bytes per message are at
# least the events' data payloads, and close to all curl read (status
# line, headers and SSE framing included).
("$CAPSIM" agent serve --config "$T/a40.yaml" --port 0 \
    >"$T/serve.out" 2>"$T/serve.err") &
PID=$!
i=0
while ! grep -q 'listening on' "$T/serve.out" 2>/dev/null && [ $i -lt 200 ]
do
    i=$((i + 1))
    sleep 0.05
done
URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$T/serve.out")
SID=$(curl -s -X POST "$URL/v1/sessions" |
      sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p')
curl -s -i -N -H 'Accept: text/event-stream' -d '{"content":"hello"}' \
    "$URL/v1/sessions/$SID/messages" >"$T/reply.sse"
kill -TERM "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
PID=
python3 - "$T/p40.json" "$T/reply.sse" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], "rb").read()
payload = sum(len(l) - 6 for l in raw.split(b"\n") if l.startswith(b"data: "))
got = p["egress_kb_per_message"]["sse"] * 1024
bad = []
if payload < 500 or got < payload:
    bad.append("SSE egress %.0f B is less than the payloads' %d B" %
               (got, payload))
if not 0.9 * len(raw) <= got <= 1.15 * len(raw):
    bad.append("SSE egress %.0f B, curl read %d B" % (got, len(raw)))
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
check "SSE egress covers the payloads and matches what curl reads" \
    [ $? -eq 0 ]

# ---- errors -----------------------------------------------------------

printf 'llm: {provider: scripted, tokens: 40}\nserver: {keepAlive: soon}\n' \
    >"$T/bad.yaml"
"$CAPSIM" calibrate --agent "$T/bad.yaml" --out "$T/bad.json" \
    2>"$T/bad.err"
check "a bad agent config exits 3" [ $? -eq 3 ]
check "... naming FILE:LINE:COL" \
    grep -Eq "bad.yaml:2:[0-9]+: error:" "$T/bad.err"
check "... and writing nothing" [ ! -e "$T/bad.json" ]

"$CAPSIM" calibrate --agent "$T/missing.yaml" 2>/dev/null
check "a missing agent config exits 3" [ $? -eq 3 ]

for args in "--bogus" "--transport carrier-pigeon" "--sessions 0" \
            "--messages x" "--repeats" "--idle-span -1"; do
    "$CAPSIM" calibrate $args >/dev/null 2>&1
    check "calibrate $args exits 2" [ $? -eq 2 ]
done
"$CAPSIM" calibrate --agent "$T/a40.yaml" --sessions 20 >/dev/null \
    2>"$T/max.err"
check "more sessions than maxSessions exits 2, naming it" \
    sh -c "[ $? -eq 2 ] && grep -q maxSessions '$T/max.err'"

# The server cannot open its database: run-time failure, no profile.
cat >"$T/nodb.yaml" <<EOF
llm: {provider: scripted}
storage: {database: sqlite, path: $T/no/such/dir/agent.db}
EOF
"$CAPSIM" calibrate --agent "$T/nodb.yaml" --out "$T/nodb.json" \
    $SMALL 2>"$T/nodb.err"
check "a server that cannot start exits 4" [ $? -eq 4 ]
check "... says so" grep -q "did not start" "$T/nodb.err"
check "... and leaves no profile" \
    sh -c "! ls '$T' | grep -q nodb.json"

# Replies refused mid-run (a token budget spent by the third message):
# run-time failure, at once rather than after the idle span, no profile.
cat >"$T/budget.yaml" <<EOF
llm: {provider: scripted}
storage: {database: memory}
server: {keepAlive: 250ms, pingInterval: 250ms, tenantTokenBudget: 100}
EOF
START=$(date +%s)
"$CAPSIM" calibrate --agent "$T/budget.yaml" --sessions 3 --messages 30 \
    --idle-span 60 --out "$T/budget.json" 2>"$T/budget.err"
check "replies refused mid-run exit 4" [ $? -eq 4 ]
check "... naming the status" grep -q "HTTP 429" "$T/budget.err"
check "... without waiting out the idle span" \
    [ $(($(date +%s) - START)) -lt 30 ]
check "... and leave no profile" \
    sh -c "! ls '$T' | grep -q budget.json"

"$CAPSIM" calibrate --help | grep -q -- "--transport"
check "calibrate --help lists its options" [ $? -eq 0 ]
"$CAPSIM" help calibrate | grep -q -- "--idle-span"
check "capsim help calibrate" [ $? -eq 0 ]

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
fi
echo "all calibrate checks passed"
