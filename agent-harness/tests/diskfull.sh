#!/bin/sh
# diskfull.sh -- a full disk: the server answers 507 and keeps running,
# and recovers when there is room again; capsim's own result files are
# written whole or not at all.
#
#   sh diskfull.sh CAPSIM SOURCE_DIR
#
# The disk is "full" through the file size limit (RLIMIT_FSIZE), which
# needs no mount and no root: prlimit(1) lowers it on the running server
# to just above its database files' sizes, and raises it again later.
# Past the limit write(2) fails with EFBIG (the server ignores SIGXFSZ),
# which the store reports as a full disk.  CAPSIM must be the capsim
# binary (the second part runs `capsim run`).
set -u
SERVER=${1:?usage: diskfull.sh CAPSIM SOURCE_DIR}
SRC=${2:?usage: diskfull.sh CAPSIM SOURCE_DIR}
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/a"
cat >"$T/a/agent.yaml" <<'EOF'
llm: {provider: scripted, tokens: 20, tokens_per_second: 2000}
storage: {database: sqlite, path: ./agent.db}
EOF
start_server "$T/a/agent.yaml" a
S=$(new_session)
check "a message is stored while there is room" \
    test "$(req POST "/v1/sessions/$S/messages" -d '{"content":"before"}')" = 200

# Limit every file the server writes to its size now plus a page or so.
biggest=$(ls -l "$T/a"/agent.db* | awk '{ if ($5 > m) m = $5 } END { print m }')
prlimit --pid "$PID" --fsize=$((biggest + 2048)):unlimited
python3 -c 'print("{\"content\":\"%s\"}" % ("x" * 60000))' >"$T/msg"

# Each message grows the WAL by its pages; within a few the limit bites.
got=
for i in 1 2 3 4 5 6 7 8 9 10; do
    st=$(req POST "/v1/sessions/$S/messages" --data-binary @"$T/msg")
    if [ "$st" = 507 ]; then
        got=507
        break
    fi
    [ "$st" = 200 ] || { got=$st; break; }
done
check "with the disk full a message gets 507 (got ${got:-only 200s})" \
    test "$got" = 507
check "  with a JSON error saying so" \
    test "$(jget "$T/body" 'd["error"].endswith("the disk is full")')" = True
check "the server is still up: /healthz 200" test "$(req GET /healthz)" = 200
check "reads still work: history 200" \
    test "$(req GET "/v1/sessions/$S/messages")" = 200
check "history holds whole exchanges only" \
    test "$(jget "$T/body" 'all(m["role"] == ("user" if i % 2 == 0 else "assistant") for i, m in enumerate(d["messages"]))')" = True
N0=$(jget "$T/body" 'len(d["messages"])')
curl -s --max-time 30 -N -H 'Accept: text/event-stream' \
    --data-binary @"$T/msg" "$URL/v1/sessions/$S/messages" >"$T/sse"
check "an SSE reply ends with an error event, code storage" \
    grep -q '"code":"storage"' "$T/sse"
st=$(req POST /v1/sessions)
check "creating sessions: 201 or 507, nothing else (got $st)" \
    test "$st" = 201 -o "$st" = 507
kill -0 "$PID" 2>/dev/null
check "the server was not killed by SIGXFSZ" test $? -eq 0

# Room again: writes work without a restart.
prlimit --pid "$PID" --fsize=unlimited:unlimited
check "with room again a message is stored (200)" \
    test "$(req POST "/v1/sessions/$S/messages" -d '{"content":"after"}')" = 200
req GET "/v1/sessions/$S/messages" >/dev/null
check "history: what came before, plus the new exchange" \
    test "$(jget "$T/body" 'len(d["messages"])')" -eq $((N0 + 2))
check "  and the last answer follows the last user message" \
    test "$(jget "$T/body" '[m["role"] for m in d["messages"][-2:]] == ["user", "assistant"] and d["messages"][-2]["content"] == "after"')" = True
stop_server TERM
check "SIGTERM exits 0" test "$CODE" -eq 0
check "PRAGMA integrity_check is ok" test "$(python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$T/a/agent.db")" = ok

# ---- capsim run --out with the disk full ---------------------------------
# The same run three times: with room (the reference), into a new
# directory with an 8 KiB file size limit, and over the reference with
# that limit.  Every file is whole or absent, no temporary file is left,
# and the exit code is 4.
SCN=$SRC/scenarios/default.yaml
"$SERVER" run "$SCN" --out "$T/ref" --quiet >/dev/null 2>"$T/ref.err"
check "capsim run --out with room exits 0" test $? -eq 0
cp -r "$T/ref" "$T/over"
# SIGXFSZ is left as the shell has it (default: the process dies at the
# limit): capsim must ignore it itself to clean up and exit 4.
limited_run() {     # limited_run DIR: exit code of capsim run under 8 KiB
    (exec prlimit --fsize=8192 "$SERVER" run "$SCN" \
        --out "$1" --quiet) >/dev/null 2>"$T/limited.err"
}
limited_run "$T/new"
CODE=$?
check "capsim run with the disk full exits 4 (got $CODE)" test "$CODE" -eq 4
whole_or_absent() {     # whole_or_absent DIR: every file matches ref
    for f in results.json costs.csv report.md report.html; do
        [ -e "$1/$f" ] || continue
        cmp -s "$1/$f" "$T/ref/$f" || { echo "partial $1/$f" >&2; return 1; }
    done
    ! find "$1" -name '*.tmp*' | grep -q .
}
check "  its files are whole or absent, no temporary left" \
    whole_or_absent "$T/new"
check "  results.json is absent" test ! -e "$T/new/results.json"
limited_run "$T/over"
CODE=$?
check "a failed run over earlier output exits 4 (got $CODE)" test "$CODE" -eq 4
check "  and leaves the earlier files whole" whole_or_absent "$T/over"
check "  results.json among them" test -s "$T/over/results.json"
finish diskfull
