#!/usr/bin/env python3
"""A stub of the Anthropic Messages API for end-to-end tests and the demo.

    stub_anthropic.py --port-file FILE [--log FILE] [--command CMD]

Listens on 127.0.0.1 (an ephemeral port, written to --port-file once it
listens).  POST /v1/messages: when the conversation's last user turn holds
no tool_result, and the request offers a tool named "Bash", the answer is a
tool_use of Bash running CMD; otherwise a short text.  Streaming (SSE) and
plain JSON answers, as the request asks.  Every request is logged as one
JSON line (method, path, model, whether it streamed, the kind of answer).
Anything else gets 404 JSON.
"""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_COMMAND = (
    "echo agent-was-here > agent.txt && git add agent.txt && "
    "git -c user.email=agent@paude.test -c user.name=agent commit -qm 'commit by claude'"
)

LOCK = threading.Lock()
COUNTER = [0]


def next_id(prefix):
    with LOCK:
        COUNTER[0] += 1
        return "%s_%04d" % (prefix, COUNTER[0])


def wants_tool(body):
    """The first turn of a conversation that offers Bash: no tool was used yet."""
    tools = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
    if "Bash" not in tools:
        return False
    for m in body.get("messages") or []:
        c = m.get("content")
        if isinstance(c, list):
            for b in c:
                if isinstance(b, dict) and b.get("type") in ("tool_use", "tool_result"):
                    return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stub-anthropic/1"

    def log_message(self, fmt, *args):  # quiet; the JSON log says what matters
        pass

    def log_json(self, **kw):
        if self.server.log_path:
            with LOCK, open(self.server.log_path, "a") as f:
                f.write(json.dumps(kw) + "\n")

    def send_json(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.log_json(method="GET", path=self.path)
        self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": "stub"}})

    do_HEAD = do_GET

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        if path.endswith("/v1/messages/count_tokens"):
            self.log_json(method="POST", path=path, kind="count_tokens")
            self.send_json(200, {"input_tokens": 10})
            return
        if not path.endswith("/v1/messages"):
            self.log_json(method="POST", path=path, kind="404")
            self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": "stub"}})
            return
        tool = wants_tool(body)
        model = body.get("model", "claude-stub")
        stream = bool(body.get("stream"))
        tools = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
        self.log_json(method="POST", path=path, model=model, stream=stream,
                      kind="tool_use" if tool else "text", tools=tools[:40],
                      last_role=(body.get("messages") or [{}])[-1].get("role"))
        if tool:
            block = {"type": "tool_use", "id": next_id("toolu"), "name": "Bash",
                     "input": {"command": self.server.command, "description": "Commit a file"}}
            stop = "tool_use"
        else:
            block = {"type": "text", "text": "Done: the change is committed."}
            stop = "end_turn"
        msg = {"id": next_id("msg"), "type": "message", "role": "assistant", "model": model,
               "content": [block], "stop_reason": stop, "stop_sequence": None,
               "usage": {"input_tokens": 10, "output_tokens": 10}}
        if not stream:
            self.send_json(200, msg)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        start = dict(msg, content=[], stop_reason=None)
        events = [("message_start", {"type": "message_start", "message": start})]
        if tool:
            events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                           "content_block": dict(block, input={})}))
            events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                           "delta": {"type": "input_json_delta",
                                     "partial_json": json.dumps(block["input"])}}))
        else:
            events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                           "content_block": {"type": "text", "text": ""}}))
            events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": block["text"]}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
        events.append(("message_delta", {"type": "message_delta",
                       "delta": {"stop_reason": stop, "stop_sequence": None},
                       "usage": {"output_tokens": 10}}))
        events.append(("message_stop", {"type": "message_stop"}))
        for name, data in events:
            self.wfile.write(("event: %s\ndata: %s\n\n" % (name, json.dumps(data))).encode())
            self.wfile.flush()
        self.close_connection = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--command", default=DEFAULT_COMMAND)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.log_path = a.log
    srv.command = a.command
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
