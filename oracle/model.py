#!/usr/bin/env python3
"""A stand-in OpenAI-compatible model on loopback for the oracle suite.

    model.py --port-file F --log F [--hold-file F] [--port N]

Answers POST /v1/chat/completions (streaming SSE or not, as the request asks)
with a short reply, and GET /v1/models with one model. Every request is
appended to --log as one JSON line ({"path", "body"}). While --hold-file
exists, chat requests are held open (a run in flight) until it is removed or
the client goes away.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOG_LOCK = threading.Lock()


def log_request(path, body):
    with LOG_LOCK, open(ARGS.log, "a") as f:
        f.write(json.dumps({"path": path, "body": body, "t": time.time()}) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, obj, code=200):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        log_request(self.path, None)
        self.send_json({"object": "list", "data": [{"id": "mock-1", "object": "model", "owned_by": "mock"}]})

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        log_request(self.path, body)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_json({"error": {"message": "not found"}}, 404)
            return
        if ARGS.hold_file:
            while os.path.exists(ARGS.hold_file):
                time.sleep(0.1)
        created = int(time.time())
        text = "Done: the stand-in model answered."
        usage = {"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17}
        if body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")
            self.end_headers()
            base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": created, "model": "mock-1"}
            chunks = [
                {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}]},
                {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage},
            ]
            for c in chunks:
                self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True
        else:
            self.send_json({
                "id": "chatcmpl-mock", "object": "chat.completion", "created": created, "model": "mock-1",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": usage,
            })


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that went away (a gateway killed mid-stream) is expected.
        pass


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--hold-file")
    p.add_argument("--port", type=int, default=0, help="listen here (default: any free port)")
    ARGS = p.parse_args()
    server = Server(("127.0.0.1", ARGS.port), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
