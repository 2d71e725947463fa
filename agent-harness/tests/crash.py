"""kill -9 of the agent server in a loop while replies are being written.

    crash.py ROUNDS DIR SERVER_CMD...

Each round starts the server (SERVER_CMD --config DIR/agent.yaml --port
0) on the same database, keeps 4 sessions busy with SSE replies, and
kills it with SIGKILL at a varying moment.  After each kill the database
must open clean (PRAGMA integrity_check) before the next round.  At the
end, on a last start: every reply a client read complete (its `done`
event) is in history, after its own user message; every assistant
message is whole (as many words as the scripted model streams); and
nothing is stored twice.  Prints `ok - ...` lines; exit 1 on a failure.
Python 3 standard library only; loopback only; every wait bounded.
"""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

TOKENS = 40


def start(cmd, d):
    out = open(os.path.join(d, "server.out"), "w")
    err = open(os.path.join(d, "server.err"), "a")
    p = subprocess.Popen(cmd + ["--config", os.path.join(d, "agent.yaml"),
                                "--port", "0"], stdout=out, stderr=err)
    deadline = time.time() + 20
    while time.time() < deadline:
        text = open(os.path.join(d, "server.out")).read()
        if "listening on" in text:
            return p, int(text.strip().rsplit(":", 1)[1])
        if p.poll() is not None:
            break
        time.sleep(0.05)
    sys.exit("server did not start: " +
             open(os.path.join(d, "server.err")).read()[-2000:])


def request(port, method, path, body=None, accept=None, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = json.dumps(body).encode() if body is not None else b""
    head = "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % (
        method, path, len(data))
    if accept:
        head += "Accept: %s\r\n" % accept
    s.sendall(head.encode() + b"\r\n" + data)
    return s


def read_all(s, deadline):
    buf = b""
    while time.time() < deadline:
        try:
            c = s.recv(65536)
        except OSError:
            break
        if not c:
            break
        buf += c
    s.close()
    return buf


def json_call(port, method, path, body=None):
    buf = read_all(request(port, method, path, body), time.time() + 10)
    head, _, rest = buf.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(rest) if rest else None


def client(port, session, tag, stop, seen):
    k = 0
    while not stop.is_set():
        content = "%s-%d" % (tag, k)
        k += 1
        try:
            s = request(port, "POST", "/v1/sessions/%s/messages" % session,
                        {"content": content}, accept="text/event-stream")
            buf = read_all(s, time.time() + 10)
        except OSError:
            return
        if b"\nevent: done\n" in buf:
            seen.append((session, content))
        elif not buf:
            return          # the server is gone


def integrity(db):
    c = sqlite3.connect(db, timeout=5)
    try:
        return c.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        c.close()


def main():
    rounds, d, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    fails = 0
    seen = []
    p, port = start(cmd, d)
    sessions = [json_call(port, "POST", "/v1/sessions")[1]["id"]
                for _ in range(4)]
    for r in range(rounds):
        stop = threading.Event()
        th = [threading.Thread(target=client,
                               args=(port, s, "r%d.s%d" % (r, i), stop, seen))
              for i, s in enumerate(sessions)]
        for t in th:
            t.start()
        time.sleep(0.6 + 0.37 * (r % 4))
        p.send_signal(signal.SIGKILL)
        p.wait()
        stop.set()
        for t in th:
            t.join(20)
        check = integrity(os.path.join(d, "agent.db"))
        if check != "ok":
            print("FAIL: round %d: integrity_check: %s" % (r, check))
            fails += 1
        p, port = start(cmd, d)
    print("ok - %d kills; %d replies were read complete before them"
          % (rounds, len(seen)))
    history = {}
    for s in sessions:
        status, body = json_call(port, "GET", "/v1/sessions/%s/messages" % s)
        if status != 200:
            print("FAIL: session %s lost after the kills (%d)" % (s, status))
            fails += 1
            continue
        history[s] = body["messages"]
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    answered = set()
    for s, msgs in history.items():
        users = [m["content"] for m in msgs if m["role"] == "user"]
        if len(users) != len(set(users)):
            print("FAIL: %s: a user message stored twice" % s)
            fails += 1
        for i, m in enumerate(msgs):
            if m["role"] != "assistant":
                continue
            if len(m["content"].split()) != TOKENS:
                print("FAIL: %s: a partial answer: %r" % (s, m["content"]))
                fails += 1
            if i == 0 or msgs[i - 1]["role"] != "user":
                print("FAIL: %s: an answer without its message" % s)
                fails += 1
            else:
                answered.add((s, msgs[i - 1]["content"]))
    missing = [x for x in seen if x not in answered]
    if missing:
        print("FAIL: %d replies read complete are not in history: %s"
              % (len(missing), missing[:5]))
        fails += 1
    else:
        print("ok - every reply read complete is in history")
    print("ok - no partial answer, none stored twice" if fails == 0 else
          "FAIL: see above")
    check = integrity(os.path.join(d, "agent.db"))
    if check != "ok":
        print("FAIL: final integrity_check: %s" % check)
        fails += 1
    else:
        print("ok - integrity_check ok after every kill and at the end")
    if not seen:
        print("FAIL: no reply completed at all")
        fails += 1
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
