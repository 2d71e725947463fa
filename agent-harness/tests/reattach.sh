#!/bin/sh
# reattach.sh -- SSE re-attach with Last-Event-ID under churn
# (reattach.py): readers that keep dropping and re-attaching see every
# event id once, and every id they miss is announced by `event: gap`.
#
#   sh reattach.sh SERVER
set -u
SERVER=${1:?usage: reattach.sh SERVER}
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$T/a"
cat >"$T/a/agent.yaml" <<'YAML'
llm: {provider: scripted, tokens: 600, tokens_per_second: 600}
storage: {database: sqlite, path: ./agent.db}
server: {streamBuffer: 64, keepAlive: 1s, tenantConcurrency: 0}
YAML
start_server "$T/a/agent.yaml" a
if python3 "$HERE/reattach.py" "$PORT" "$(scaled 6 2)"; then
    ok "re-attach under churn"
else
    fail "re-attach under churn"
fi
check "the server is healthy" test "$(req GET /healthz)" = 200
stop_server TERM
check "SIGTERM exits 0" test "$CODE" -eq 0
finish reattach
