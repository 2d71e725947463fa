# lib.sh -- shared by the agent server's tests (serve.sh, calibrate.sh,
# load.sh, crash.sh, reattach.sh, slow.sh, limits.sh, diskfull.sh);
# sourced, not run.
#
# The caller sets SERVER (capsim, or a driver whose main calls
# ag_serve_main) before sourcing.  Everything listens on 127.0.0.1 and
# every wait is bounded.
#
# AG_TEST_SCALE (default 1) shrinks the load: sanitizer builds run several
# times slower, so the Makefile's sanitizer targets set it below 1.

T=$(mktemp -d /tmp/ag-rel-XXXXXX)
FAILS=0
PID=
NAME=
SCALE=${AG_TEST_SCALE:-1}

lib_cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
    rm -rf "$T"
}
trap lib_cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok - $*"; }
check() {   # check DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@"; then ok "$d"; else fail "$d"; fi
}

# scaled N [MIN]: N x AG_TEST_SCALE, rounded, at least MIN (default 1).
scaled() {
    python3 -c 'import sys; n, s, m = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]); print(max(m, int(round(n * s))))' "$1" "$SCALE" "${2:-1}"
}

# scaled_down: true when AG_TEST_SCALE is below 1 (a sanitizer build,
# whose shadow memory and quarantine make RSS figures several times
# larger).
scaled_down() {
    python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 1 else 1)' "$SCALE"
}

serve() {
    case $(basename "$SERVER") in
    capsim*) exec "$SERVER" agent serve "$@" ;;
    *) exec "$SERVER" "$@" ;;
    esac
}

# start_server CONFIG NAME [PORT]: runs it (on PORT, default any free
# port), sets PID, PORT and URL.  The subshell execs the server, so PID
# is the server's own.
start_server() {
    (serve --config "$1" --port "${3:-0}") >"$T/$2.out" 2>"$T/$2.err" &
    PID=$!
    NAME=$2
    i=0
    while ! grep -q 'listening on' "$T/$2.out" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 400 ] || ! kill -0 "$PID" 2>/dev/null; then
            echo "server did not start:" >&2
            cat "$T/$2.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    PORT=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' \
           "$T/$2.out")
    URL=http://127.0.0.1:$PORT
}

sanitizer_clean() {
    if grep -q -E 'Sanitizer|runtime error' "$T/$NAME.err"; then
        fail "sanitizer report from server $NAME"
        cat "$T/$NAME.err" >&2
    fi
}

# stop_server SIGNAL: signals the server and waits; sets CODE.
stop_server() {
    kill "-$1" "$PID"
    wait "$PID"
    CODE=$?
    PID=
    sanitizer_clean
}

# req METHOD PATH [curl args...]: the status on stdout, the body in $T/body.
req() {
    m=$1
    p=$2
    shift 2
    curl -s --max-time 30 -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$URL$p"
}

# jget FILE EXPR: a Python expression over the JSON in FILE (as d).
jget() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

new_session() {
    req POST /v1/sessions >/dev/null
    jget "$T/body" 'd["id"]'
}

# rss_kib PID: the process's resident set, from /proc.
rss_kib() {
    sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"
}

# threads PID: the process's thread count.
threads() {
    sed -n 's/^Threads:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"
}

finish() {
    if [ "$FAILS" -ne 0 ]; then
        echo "$FAILS check(s) failed" >&2
        exit 1
    fi
    echo "all $1 checks passed"
    exit 0
}
