#!/usr/bin/env python3
"""Send one message over the agent server's WebSocket and print the reply.

usage: python3 agent-harness/ws_chat.py [--host H] [--port N] [--key KEY]
                                        SESSION "message"

Prints each event frame as a line of JSON until the reply's `done` (or
`error`).  Standard library only (RFC 6455: masked frames out, plain
frames in), so it runs wherever python3 does.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import struct
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--key", default=None, help="API key, when configured")
    ap.add_argument("session")
    ap.add_argument("message")
    a = ap.parse_args()

    s = socket.create_connection((a.host, a.port), timeout=60)
    nonce = base64.b64encode(os.urandom(16)).decode()
    req = ("GET /v1/ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n" % (a.host, a.port, nonce))
    if a.key:
        req += "X-API-Key: %s\r\n" % a.key
    s.sendall((req + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        c = s.recv(1)
        if not c:
            sys.exit("ws_chat: the server closed the connection")
        head += c
    accept = base64.b64encode(hashlib.sha1(
        (nonce + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    if b" 101 " not in head.split(b"\r\n")[0] or accept not in head:
        sys.exit("ws_chat: no WebSocket upgrade: %s"
                 % head.split(b"\r\n")[0].decode(errors="replace"))

    def exact(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise EOFError
            b += c
        return b

    def send(op, data):
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x80 | op])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        s.sendall(hdr + mask + bytes(b ^ mask[i % 4]
                                     for i, b in enumerate(data)))

    send(1, json.dumps({"type": "message", "session": a.session,
                        "content": a.message}).encode())
    while True:
        b0, b1 = exact(2)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack(">H", exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", exact(8))[0]
        data = exact(n)
        op = b0 & 0x0f
        if op == 9:             # ping: answer with a pong
            send(10, data)
            continue
        if op == 8:             # close
            break
        if op != 1:
            continue
        print(data.decode())
        ev = json.loads(data)
        if ev.get("type") in ("done", "error"):
            break
    send(8, b"")
    s.close()


if __name__ == "__main__":
    main()
