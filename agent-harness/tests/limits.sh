#!/bin/sh
# limits.sh -- oversized requests get clean JSON refusals, never a crash.
#
#   sh limits.sh SERVER
#
# Limits (serve.h): a request line and headers over 8 KiB get 431; a head
# over 32 KiB is refused by civetweb itself with 400 (as JSON); a body
# over 1 MiB gets 413 whether it is declared by Content-Length, sent
# chunked, or only declared on a route that reads no body; a WebSocket
# message over 1 MiB gets an error frame with status 413.
set -u
SERVER=${1:?usage: limits.sh SERVER}
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/a"
cat >"$T/a/agent.yaml" <<'EOF'
llm: {provider: scripted, tokens: 5, tokens_per_second: 1000}
storage: {database: memory}
EOF
start_server "$T/a/agent.yaml" a
S=$(new_session)

is_json_error() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(d.get("error"), str) and d["error"] else 1)' "$T/body"
}
pad() { head -c "$1" /dev/zero | tr '\0' a; }

check "a 10 KiB header is 431" \
    test "$(req GET /healthz -H "X-Pad: $(pad 10000)")" = 431
check "  with a JSON error" is_json_error
check "a 40 KiB header is 400 (civetweb's limit)" \
    test "$(req GET /healthz -H "X-Pad: $(pad 40000)")" = 400
check "  with a JSON error" is_json_error
check "a head just under 8 KiB is served" \
    test "$(req GET /healthz -H "X-Pad: $(pad 7000)")" = 200
python3 -c 'print(" ".join("-H X-H%d:v" % i for i in range(100)))' >"$T/hdrs"
check "100 headers do not crash it" \
    test "$(req GET /healthz $(cat "$T/hdrs"))" = 200

pad 2000000 >"$T/big"
check "a 2 MB body is 413" test "$(req POST "/v1/sessions/$S/messages" \
    --data-binary @"$T/big")" = 413
check "  with a JSON error" is_json_error
check "a 2 MB chunked body is 413" test "$(req POST "/v1/sessions/$S/messages" \
    -H 'Transfer-Encoding: chunked' --data-binary @"$T/big")" = 413
check "a declared 100 GB body is 413 on any route" \
    test "$(req POST /v1/sessions -H 'Content-Length: 99999999999' -d x)" = 413

# A WebSocket message over 1 MiB: an error frame, then the close.
cat >"$T/wsbig.py" <<'EOF'
import base64, json, os, socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
nonce = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n" % nonce).encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
data = json.dumps({"type": "message", "session": sys.argv[2],
                   "content": "a" * 1200000}).encode()
mask = os.urandom(4)
try:
    s.sendall(bytes([0x81, 0x80 | 127]) + struct.pack(">Q", len(data)) +
              mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
except OSError:
    pass
buf = b""
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        buf += c
except OSError:
    pass
sys.exit(0 if b'"status":413' in buf else "no 413 frame: %r" % buf[:200])
EOF
check "a WebSocket message over 1 MiB gets an error frame 413" \
    python3 "$T/wsbig.py" "$PORT" "$S"

check "a normal message still works" \
    test "$(req POST "/v1/sessions/$S/messages" -d '{"content":"hi"}')" = 200
check "the server survived it all" test "$(req GET /healthz)" = 200
stop_server TERM
check "SIGTERM exits 0" test "$CODE" -eq 0
finish limits
