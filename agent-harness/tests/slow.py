"""Slow clients for slow.sh: each mode holds its connections for a while
and reports what it saw as one JSON line.  Python 3 standard library.

    slow.py slowloris PORT N SECONDS   N connections sending one header
                                       byte a second; reports when each
                                       was answered or closed
    slow.py stall-sse PORT SESSION     POSTs a message with SSE and never
                                       reads (4 KiB receive buffer)
    slow.py stall-follow PORT SESSION  GET /events?follow=1, never reads
    slow.py stall-ws PORT SESSION      a WebSocket that sends a message
                                       and never reads
The stall modes hold the socket until stdin closes.
"""
import base64
import json
import os
import socket
import sys
import threading
import time


def connect(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def slowloris(port, n, seconds):
    results = [None] * n
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + \
        b"a" * 1000

    def one(i):
        s = connect(port)
        t0 = time.time()
        s.settimeout(1.0)
        for k in range(len(head)):
            if time.time() - t0 > seconds:
                results[i] = {"closed": False, "after": time.time() - t0}
                return
            try:
                s.sendall(head[k:k + 1])
            except OSError:
                results[i] = {"closed": True, "after": time.time() - t0,
                              "status": 0}
                return
            try:
                d = s.recv(200)
            except socket.timeout:
                continue
            except OSError:
                d = b""
            status = int(d.split(b" ")[1]) if d.startswith(b"HTTP/") else 0
            results[i] = {"closed": True, "after": time.time() - t0,
                          "status": status}
            return
    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    print(json.dumps(results))


def hold(s):
    print(json.dumps({"holding": True}), flush=True)
    sys.stdin.read()
    s.close()


def stall_sse(port, session):
    s = connect(port, rcvbuf=4096)
    body = json.dumps({"content": "stall"}).encode()
    s.sendall(b"POST /v1/sessions/%s/messages HTTP/1.1\r\nHost: x\r\n"
              b"Accept: text/event-stream\r\nContent-Type: application/json"
              b"\r\nContent-Length: %d\r\n\r\n" % (session.encode(),
                                                     len(body)) + body)
    hold(s)


def stall_follow(port, session):
    s = connect(port, rcvbuf=4096)
    s.sendall(b"GET /v1/sessions/%s/events?follow=1 HTTP/1.1\r\nHost: x\r\n"
              b"Accept: text/event-stream\r\n\r\n" % session.encode())
    hold(s)


def stall_ws(port, session):
    s = connect(port, rcvbuf=4096)
    nonce = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % nonce).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    data = json.dumps({"type": "message", "session": session,
                       "content": "stall"}).encode()
    mask = os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(data)]) + mask +
              bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
    hold(s)


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "slowloris":
        slowloris(port, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "stall-sse":
        stall_sse(port, sys.argv[3])
    elif mode == "stall-follow":
        stall_follow(port, sys.argv[3])
    elif mode == "stall-ws":
        stall_ws(port, sys.argv[3])
    else:
        sys.exit("unknown mode " + mode)
