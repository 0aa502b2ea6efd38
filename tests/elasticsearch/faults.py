"""A fault-injecting HTTP proxy in front of the real node (loopback only).

It forwards every request to Elasticsearch unchanged, except the next N whose
path contains a given part: those get the status and error body a busy or
failing node sends (503 unavailable_shards_exception, 429 es_rejected_...).
The engine still talks HTTP to a real node; only the faults are made up.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ERROR_TYPES = {429: "es_rejected_execution_exception", 503: "unavailable_shards_exception"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class FaultProxy:
    def __init__(self, upstream: str):
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self._lock = threading.Lock()
        self._pending: list[tuple[str, int]] = []
        self.injected: list[tuple[float, str, int]] = []  # (time, path, status)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(self, count: int, status: int, path_part: str = "/_bulk") -> None:
        with self._lock:
            self._pending.extend([(path_part, status)] * count)

    def clear(self) -> None:
        """No more faults: everything goes through again."""
        with self._lock:
            self._pending.clear()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._server.shutdown()
        self._server.server_close()

    def _fault_for(self, path: str) -> int | None:
        with self._lock:
            for index, (part, status) in enumerate(self._pending):
                if part in path:
                    del self._pending[index]
                    self.injected.append((time.monotonic(), path, status))
                    return status
        return None

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):  # quiet
                pass

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = proxy._fault_for(self.path)
                if status is not None:
                    return self._send_error(status)
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                connection.close()

            def _send_error(self, status: int):
                kind = ERROR_TYPES.get(status, "exception")
                error = {"type": kind, "reason": f"injected by the test's fault proxy ({status})"}
                data = json.dumps({"error": {"root_cause": [error], **error},
                                   "status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        return Handler
