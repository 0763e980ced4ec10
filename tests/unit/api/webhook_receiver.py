"""A real HTTP server on 127.0.0.1 that records webhook deliveries (test support)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.answer_status = 204
        # Statuses to answer first, one per request, before ``answer_status``.
        self.first_answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                # Header names are case-insensitive: keep them lower-case, as sent.
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append((headers, body))
                status = (
                    receiver.first_answers.pop(0)
                    if receiver.first_answers
                    else receiver.answer_status
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
