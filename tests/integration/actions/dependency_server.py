"""A real HTTP dependency on 127.0.0.1 for action tests: records what it receives.

Paths: ``/echo`` answers with the request (method, path, headers, body) as JSON;
``/status/<code>`` answers that status (``?retry_after=`` sets Retry-After); ``/slow``
sleeps ``?seconds=`` first; ``/redirect?to=<url>`` answers 302; ``/big`` answers
``?bytes=`` of text; ``/charge`` is an idempotent effect: one payment per
Idempotency-Key, however often it is called.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class DependencyServer:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.payments: dict[str, str] = {}
        self.effects: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                self._handle()

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                record = {
                    "method": self.command,
                    "path": parts.path,
                    "query": query,
                    "headers": dict(self.headers.items()),
                    "body": body,
                }
                with server._lock:
                    server.requests.append(record)
                server.route(self, parts.path, query, record)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DependencyServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, handler, path: str, query: dict, record: dict) -> None:
        if path == "/echo":
            return self.reply(handler, 200, record)
        if path.startswith("/status/"):
            headers = {}
            if "retry_after" in query:
                headers["Retry-After"] = query["retry_after"]
            return self.reply(handler, int(path.rsplit("/", 1)[1]), {"error": "as asked"}, headers)
        if path == "/slow":
            time.sleep(float(query.get("seconds", "2")))
            return self.reply(handler, 200, {"slept": True})
        if path == "/redirect":
            return self.reply(handler, 302, {}, {"Location": query["to"]})
        if path == "/charge":
            key = record["headers"].get("Idempotency-Key", "")
            with self._lock:
                self.effects[key] = self.effects.get(key, 0) + 1
                payment = self.payments.setdefault(key, f"pay-{len(self.payments) + 1}")
            return self.reply(handler, 201, {"payment_id": payment})
        if path == "/big":
            return self.reply(handler, 200, "x" * int(query.get("bytes", "3000000")))
        if path == "/text":
            return self.reply(handler, 200, "plain words", {"Content-Type": "text/plain"})
        return self.reply(handler, 404, {"error": "no such path"})

    @staticmethod
    def reply(handler, status: int, body, headers: dict | None = None) -> None:
        headers = dict(headers or {})
        if isinstance(body, str):
            payload = body.encode()
        else:
            payload = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        try:
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    def requests_to(self, path: str) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if r["path"] == path]
