#!/bin/sh
# live.sh -- `capsim run --live` against the scripted agent core.
#
#   sh live.sh CAPSIM
#
# The scripted model streams 40 tokens at 400 a second, so a reply takes
# about 0.1 s; a scenario whose busy_per_message is 0.1 s is then the model
# of that core, and the live run must agree with it:
#   - every message sent is replied to (replication 0's count, no error);
#   - the summed reply time is the modelled 0.1 s x messages within 50 %
#     (HTTP and thread start-up add milliseconds to each reply);
#   - the awake fraction of per-agent instances that sleep after 5 minutes
#     is within 1 % (a reply a few ms longer moves the idle timer by as
#     much, against 300 s timeouts);
#   - the bytes per reply are within 25 % of calibrate's figure (2.36 KiB
#     over SSE, 3.92 over WebSocket, as measured on this core).
# A 1-hour horizon at 720x runs in about 5 s a transport.
set -u

CAPSIM=${1:?usage: live.sh CAPSIM}
T=$(mktemp -d /tmp/capsim-live-XXXXXX)
FAILS=0
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok - $*"; }

scenario() {    # scenario FILE TRANSPORT KIB
    cat >"$1" <<EOF
capsim: 1
name: live $2
horizon: 1h
seed: 4
profile: {active_vcpu: 0.03, active_memory_gb: 0.00004, idle_memory_gb: 0.00002, base_memory_gb: 0.015, egress_kb_per_message: $3}
workload:
  tenants: 2
  agents_per_tenant: 2
  transport: $2
  connected: while-active
  messages_per_agent_month: 20000
  busy_per_message: 0.1s
deployments:
  - {name: fly-agent, provider: fly, plan: shared-cpu-1x-256mb, architecture: per-agent, scaling: {mode: scale-to-zero, idle_timeout: 5m}}
  - {name: railway-shared, provider: railway, plan: hobby, architecture: shared}
EOF
}

for tr in sse websocket; do
    kib=2.36
    [ "$tr" = websocket ] && kib=3.92
    scenario "$T/$tr.yaml" "$tr" "$kib"
    "$CAPSIM" run "$T/$tr.yaml" --live --speedup 720 --format json \
        >"$T/$tr.json" 2>"$T/$tr.err"
    code=$?
    if [ "$code" != 0 ]; then
        fail "$tr: run --live exit $code"
        cat "$T/$tr.err" >&2
        continue
    fi
    # The count the model sends, replication 0, from the same workload:
    # messages_per_month x horizon / month.
    python3 - "$T/$tr.json" "$tr" <<'PY' || FAILS=$((FAILS + 1))
import json, sys
doc = json.load(open(sys.argv[1]))
tr = sys.argv[2]
bad = []
for d in doc["deployments"]:
    l = d["live"]
    want = round(d["messages_per_month"] / 730)   # a 1-hour horizon
    if l["transport"] != tr:
        bad.append("%s: transport %s" % (d["name"], l["transport"]))
    if l["messages_sent"] != want:
        bad.append("%s: sent %s, the model sends %s"
                   % (d["name"], l["messages_sent"], want))
    if l["replies_completed"] != l["messages_sent"] or l["errors"] != 0:
        bad.append("%s: %s completed of %s, %s errors"
                   % (d["name"], l["replies_completed"],
                      l["messages_sent"], l["errors"]))
    b = l["busy_s"]
    if abs(b["modelled"] - 0.1 * l["messages_sent"]) > 1e-6:
        bad.append("%s: modelled busy %s" % (d["name"], b["modelled"]))
    if not 0.5 <= b["measured"] / b["modelled"] <= 1.5:
        bad.append("%s: busy %s vs %s" % (d["name"], b["measured"],
                                           b["modelled"]))
    k = l["kib_per_message"]
    if abs(k["relative_difference"]) > 0.25:
        bad.append("%s: %s KiB a reply vs %s" % (d["name"], k["measured"],
                                                 k["modelled"]))
    if d["name"] == "fly-agent":
        a = l["awake_fraction"]
        if not 0 < a["modelled"] < 1 or abs(a["relative_difference"]) > 0.01:
            bad.append("awake %s vs %s" % (a["measured"], a["modelled"]))
    elif "awake_fraction" in l:
        bad.append("an always-on pool compares no awake fraction")
for b in bad:
    print("FAIL: " + tr + ": " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
    [ $? = 0 ] && ok "$tr: the live core agrees with its model"
    grep -q "Live run against the model" "$T/$tr.json" 2>/dev/null &&
        fail "$tr: Markdown in the JSON output"
done

# The side-by-side table in report.md.
"$CAPSIM" run "$T/sse.yaml" --live --speedup 720 --out "$T/out" --quiet \
    >/dev/null 2>"$T/out.err"
if grep -q '^| fly-agent | awake fraction | ' "$T/out/report.md" &&
   grep -q '^## Live run against the model$' "$T/out/report.md"; then
    ok "report.md shows the live run beside the model"
else
    fail "report.md has no live table"
fi

# Refusals: too big, fluid, options without --live, a bad agent config.
sed 's/tenants: 2$/tenants: 40/' "$T/sse.yaml" >"$T/big.yaml"
"$CAPSIM" run "$T/big.yaml" --live >/dev/null 2>"$T/err"
code=$?
if [ "$code" = 3 ] && grep -q "runs at most 50 agents" "$T/err"; then
    ok "a scenario too big to run live is refused (exit 3)"
else
    fail "too big: exit $code: $(cat "$T/err")"
fi
sed 's/horizon: 1h/horizon: 24h/' "$T/sse.yaml" >"$T/long.yaml"
"$CAPSIM" run "$T/long.yaml" --live >/dev/null 2>"$T/err"
code=$?
if [ "$code" = 3 ] && grep -q "sends at most 500 messages" "$T/err"; then
    ok "too many messages are refused (exit 3)"
else
    fail "too many messages: exit $code: $(cat "$T/err")"
fi
printf 'capsim: 1\nworkload: {tenants: 1, active_fraction: 0.1}\ndeployments: [{name: f, provider: fly, plan: shared-cpu-1x-512mb, architecture: per-agent}]\n' >"$T/fluid.yaml"
"$CAPSIM" run "$T/fluid.yaml" --live >/dev/null 2>"$T/err"
code=$?
if [ "$code" = 3 ] && grep -q "fluid form" "$T/err"; then
    ok "a fluid scenario is refused (exit 3)"
else
    fail "fluid: exit $code: $(cat "$T/err")"
fi
"$CAPSIM" run "$T/sse.yaml" --speedup 10 >/dev/null 2>"$T/err"
code=$?
[ "$code" = 2 ] && ok "--speedup without --live is a usage error" ||
    fail "--speedup alone: exit $code"
printf 'llm: {provider: scripted, tokens: -4}\n' >"$T/bad-agent.yaml"
"$CAPSIM" run "$T/sse.yaml" --live --agent "$T/bad-agent.yaml" >/dev/null \
    2>"$T/err"
code=$?
if [ "$code" = 3 ] && grep -q "bad-agent.yaml:1:" "$T/err"; then
    ok "a bad agent config is named at its line (exit 3)"
else
    fail "bad agent config: exit $code: $(cat "$T/err")"
fi

if [ "$FAILS" = 0 ]; then
    echo "live: all checks passed"
else
    echo "live: $FAILS check(s) failed"
fi
[ "$FAILS" = 0 ]
