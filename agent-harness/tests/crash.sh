#!/bin/sh
# crash.sh -- kill -9 of the server in a loop during writes (crash.py):
# no reply a client read complete is lost, no partial reply is stored,
# and the database passes PRAGMA integrity_check after every kill.
#
#   sh crash.sh SERVER
set -u
SERVER=${1:?usage: crash.sh SERVER}
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
cat >"$T/agent.yaml" <<'YAML'
llm: {provider: scripted, tokens: 40, tokens_per_second: 400}
storage: {database: sqlite, path: ./agent.db}
server: {tenantConcurrency: 0}
YAML
case $(basename "$SERVER") in
capsim*) set -- "$SERVER" agent serve ;;
*) set -- "$SERVER" ;;
esac
python3 "$HERE/crash.py" "$(scaled 8 4)" "$T" "$@"
RC=$?
NAME=server
sanitizer_clean
[ "$RC" -eq 0 ] || fail "crash.py"
finish crash
