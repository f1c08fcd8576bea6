"""A carrier's brandname SMS API for the SMS channel's integration tests.

It listens on 127.0.0.1 only and writes every request it receives as one
JSON line to DIR/requests.jsonl (method, path, query, headers, body, time).
Its responses come from a scenario file, a JSON array of responses
{"status": 200, "body": "...", "delay": 0.0, "content_type": "..."}.
The Nth request since the file's content last changed gets the Nth
response, and the last response repeats. The file is read at every
request, so a test switches scenarios by rewriting it.

Usage: sms_carrier.py --port PORT --dir DIR --scenario FILE
Prints "ready" once it listens.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Largest request body read, in bytes.
BODY_MAX = 1024 * 1024


class Carrier:
    def __init__(self, directory, scenario):
        self.records = os.path.join(directory, "requests.jsonl")
        self.scenario = scenario
        self.lock = threading.Lock()
        self.seen_text = None
        self.served = 0

    def next_response(self):
        """Return the scenario's response to the next request."""
        with self.lock:
            try:
                with open(self.scenario, encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                text = ""
            if text != self.seen_text:
                self.seen_text = text
                self.served = 0
            try:
                responses = json.loads(text)
            except ValueError:
                responses = []
            index = min(self.served, len(responses) - 1)
            self.served += 1
        if not responses:
            return {"status": 500, "body": "no scenario file"}
        return responses[index]

    def record(self, entry):
        line = json.dumps(entry, ensure_ascii=False)
        with self.lock:
            with open(self.records, "a", encoding="utf-8") as f:
                f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        carrier = self.server.carrier
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, BODY_MAX)) if length > 0 else b""
        path, _, query = self.path.partition("?")
        carrier.record({
            "method": self.command,
            "path": path,
            "query": urllib.parse.parse_qs(query, keep_blank_values=True),
            "raw_query": query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", errors="replace"),
            "time": time.monotonic(),
        })
        response = carrier.next_response()
        if response.get("delay"):
            time.sleep(float(response["delay"]))
        payload = response.get("body", "").encode("utf-8")
        self.send_response(int(response.get("status", 200)))
        self.send_header("Content-Type", response.get(
            "content_type", "application/json; charset=utf-8"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = handle_any
    do_POST = handle_any

    def log_message(self, format, *args):
        sys.stderr.write("carrier: " + format % args + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--scenario", required=True)
    arguments = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.daemon_threads = True
    server.carrier = Carrier(arguments.dir, arguments.scenario)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
