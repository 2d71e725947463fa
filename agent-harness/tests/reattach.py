"""SSE re-attach with Last-Event-ID under churn.

    reattach.py PORT ROUNDS

Each round, on 3 sessions at once: a churning reader attaches to
/events, then the reply is POSTed (its own SSE answer is the reference);
the churning reader reads a few events, drops the connection, sometimes
waits long enough for the ring (streamBuffer 64) to move on, and
re-attaches with Last-Event-ID, until `done`.  Over all its connections
it must see every id of the reference once, in order: no duplicate, and
nothing missing except what an `event: gap` right before the jump
announced, exactly (its `missed` equals the ids skipped).
Python 3 standard library only; loopback only; every wait bounded.
"""
import json
import random
import socket
import sys
import threading
import time


class SSE:
    def __init__(self, port, method, path, headers=(), body=None):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        data = json.dumps(body).encode() if body is not None else b""
        head = "%s %s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n" \
               "Content-Length: %d\r\n" % (method, path, len(data))
        for h in headers:
            head += h + "\r\n"
        self.s.sendall(head.encode() + b"\r\n" + data)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            c = self.s.recv(4096)
            if not c:
                raise EOFError("closed before the head")
            self.buf += c
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1])

    def next(self):
        """The next event as a dict (comments skipped), None at EOF."""
        while True:
            while b"\n\n" not in self.buf:
                c = self.s.recv(65536)
                if not c:
                    return None
                self.buf += c
            block, _, self.buf = self.buf.partition(b"\n\n")
            ev = {}
            for line in block.decode().split("\n"):
                if line.startswith(":") or not line:
                    continue
                k, _, v = line.partition(":")
                ev[k] = v[1:] if v.startswith(" ") else v
            if "event" in ev:
                return ev

    def close(self):
        self.s.close()


def one(port, session, seed, out):
    rnd = random.Random(seed)
    ref = []
    churn = []          # ("id", n), ("gap", missed) or ("conn", 0)
    reconnects = 0
    first = SSE(port, "GET", "/v1/sessions/%s/events" % session)
    ready = threading.Event()

    def reference():
        r = SSE(port, "POST", "/v1/sessions/%s/messages" % session,
                body={"content": "churn"})
        while True:
            ev = r.next()
            if ev is None:
                break
            ref.append(int(ev["id"]))
            if ev["event"] in ("done", "error"):
                break
        r.close()
        ready.set()
    t = threading.Thread(target=reference)
    t.start()
    conn, last, done = first, None, False
    deadline = time.time() + 30
    while not done and time.time() < deadline:
        for _ in range(rnd.randint(1, 25)):
            ev = conn.next()
            if ev is None:
                break
            if ev["event"] == "gap":
                churn.append(("gap", json.loads(ev["data"])["missed"]))
                continue
            last = int(ev["id"])
            churn.append(("id", last))
            if ev["event"] in ("done", "error"):
                done = True
                break
        conn.close()
        if done:
            break
        reconnects += 1
        churn.append(("conn", 0))
        if rnd.random() < 0.2:
            time.sleep(0.15)    # long enough for the ring to move on
        hdr = ["Last-Event-ID: %d" % last] if last is not None else []
        conn = SSE(port, "GET", "/v1/sessions/%s/events" % session, hdr)
    t.join(30)
    out.append((session, ref, churn, reconnects, done))


def verify(ref, churn):
    """None when churn is ref with announced gaps, else why not."""
    expect = iter(ref)
    pending_gap = 0
    seen = 0
    prev = None
    for kind, v in churn:
        if kind == "conn":
            # A gap read just before a drop is told again, whole, on the
            # next connection: a gap has no id, so Last-Event-ID stays.
            pending_gap = 0
            continue
        if kind == "gap":
            pending_gap += v
            continue
        if prev is not None and v <= prev:
            return "id %d after %d (duplicate or out of order)" % (v, prev)
        skipped = 0
        for want in expect:
            if want == v:
                break
            skipped += 1
        else:
            return "id %d not in the reference" % v
        if skipped != pending_gap:
            return "%d ids skipped before %d, gap announced %d" % (
                skipped, v, pending_gap)
        pending_gap = 0
        prev = v
        seen += 1
    if prev != ref[-1]:
        return "ended at %s, not at the reference's last id %d" % (
            prev, ref[-1])
    return None


def main():
    port, rounds = int(sys.argv[1]), int(sys.argv[2])
    fails = total_reconnects = gaps = 0
    for r in range(rounds):
        sessions = []
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 0\r\n\r\n")
            buf = b""
            while True:
                c = s.recv(4096)
                if not c:
                    break
                buf += c
            s.close()
            sessions.append(json.loads(buf.partition(b"\r\n\r\n")[2])["id"])
        out = []
        th = [threading.Thread(target=one, args=(port, s, r * 10 + i, out))
              for i, s in enumerate(sessions)]
        for t in th:
            t.start()
        for t in th:
            t.join(60)
        for session, ref, churn, reconnects, done in out:
            total_reconnects += reconnects
            gaps += sum(1 for k, _ in churn if k == "gap")
            why = "no done" if not done or not ref else verify(ref, churn)
            if why:
                print("FAIL: round %d session %s: %s" % (r, session, why))
                fails += 1
        if len(out) != 3:
            print("FAIL: round %d: a reader did not finish" % r)
            fails += 1
    print("%d rounds x 3 sessions, %d re-attaches, %d gaps" % (
        rounds, total_reconnects, gaps))
    if total_reconnects < rounds * 3:
        print("FAIL: too little churn")
        fails += 1
    if fails == 0:
        print("ok - no duplicate and no missing id, every jump announced "
              "by a gap of exactly its size")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
