#!/usr/bin/env python3
"""A local OpenAI-compatible chat-completions server for tests.

POST /v1/chat/completions streams chat.completion.chunk events the way
api.openai.com does: `data: {json}` lines each followed by a blank line,
a usage chunk when stream_options.include_usage is set, then
`data: [DONE]`.  When the request offers tools and the conversation has
no tool result since the last user message, the reply is a call to the
first tool (its arguments split over two chunks), so the agent's tool
loop runs against this back end too.

    fake_openai.py [--port 0] [--api-key KEY] [--tokens N] [--delay S]
                   [--log FILE]

Prints `port N` on stdout once listening.  Every request body is appended
to --log as one JSON line.  Python 3 standard library only.
"""
import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
         "theta"]


def chunk(delta, finish=None, usage=None, choices=True):
    c = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
         "created": int(time.time()), "model": "fake-model",
         "choices": ([{"index": 0, "delta": delta,
                       "finish_reason": finish}] if choices else [])}
    if usage is not None:
        c["usage"] = usage
    return c


def tool_answered(messages):
    for m in reversed(messages):
        if m.get("role") == "tool":
            return True
        if m.get("role") == "user":
            return False
    return False


def prompt_tokens(body):
    chars = len(json.dumps(body.get("messages", [])))
    chars += len(json.dumps(body.get("tools", [])))
    return (chars + 3) // 4


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        opts = self.server.opts
        if self.path.rstrip("/") not in ("/v1/chat/completions",
                                         "/chat/completions"):
            self.send_json(404, {"error": {"message": "no such route"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if opts.api_key and \
                self.headers.get("Authorization") != "Bearer " + opts.api_key:
            self.send_json(401, {"error": {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error"}})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self.send_json(400, {"error": {"message": "bad JSON"}})
            return
        if opts.log:
            with open(opts.log, "a") as f:
                f.write(json.dumps(body) + "\n")
        if not body.get("stream"):
            self.send_json(400, {"error": {"message": "this fake only "
                                                      "streams"}})
            return

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

        tools = body.get("tools") or []
        events = [chunk({"role": "assistant", "content": ""})]
        if tools and not tool_answered(body.get("messages", [])):
            name = tools[0]["function"]["name"]
            events.append(chunk({"tool_calls": [{
                "index": 0, "id": "call_fake", "type": "function",
                "function": {"name": name, "arguments": ""}}]}))
            events.append(chunk({"tool_calls": [{
                "index": 0, "function": {"arguments": "{}"}}]}))
            events.append(chunk({}, "tool_calls"))
            completion = 5
        else:
            for i in range(opts.tokens):
                text = ("" if i == 0 else " ") + WORDS[i % len(WORDS)]
                events.append(chunk({"content": text}))
            events.append(chunk({}, "stop"))
            completion = opts.tokens
        if (body.get("stream_options") or {}).get("include_usage"):
            p = prompt_tokens(body)
            events.append(chunk(None, usage={
                "prompt_tokens": p, "completion_tokens": completion,
                "total_tokens": p + completion}, choices=False))
        try:
            for ev in events:
                self.wfile.write(b"data: " + json.dumps(ev).encode() +
                                 b"\n\n")
                self.wfile.flush()
                if opts.delay:
                    time.sleep(opts.delay)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", default="")
    ap.add_argument("--tokens", type=int, default=6)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--log", default="")
    opts = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    srv.daemon_threads = True
    srv.opts = opts
    print("port %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
