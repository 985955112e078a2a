"""A recording HTTP server on 127.0.0.1 standing in for a cloud API (Zadarma, ITooLabs, SMSC, Telegram) in tests."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _json_or_none(body, content_type):
    if not body or "json" not in (content_type or ""):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


class HttpTestPeer:
    def __init__(self, answer=None):
        self.requests = []
        self.answer = answer or (lambda request: (200, {"status": "success"}))
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                parsed = urllib.parse.urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                request = {
                    "method": self.command,
                    "path": parsed.path,
                    "query": dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)),
                    "raw_query": parsed.query,
                    "form": dict(urllib.parse.parse_qsl(body, keep_blank_values=True)),
                    "body": body,
                    "json": _json_or_none(body, self.headers.get("Content-Type")),
                    "headers": dict(self.headers),
                }
                peer.requests.append(request)
                status, payload = peer.answer(request)
                raw = isinstance(payload, bytes)
                data = payload if raw else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "audio/mpeg" if raw else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
