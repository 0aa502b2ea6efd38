"""A real gunicorn serving the portal on a free port, for tests that need several workers."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app, *, workers: int = 2, log_path: Path):
    """Yield the base URL; the access log (pid and status per request) goes to log_path."""
    port = free_port()
    env = {**os.environ, "CITYEX_DATABASE_URL": app.config["DATABASE_URL"],
           "CITYEX_EMBEDDED_INDEX_PATH": app.config["EMBEDDED_INDEX_PATH"],
           "CITYEX_SECRET_KEY": "test-secret"}
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "python:cityexchange.gunicorn_conf", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", str(log_path),
         "--access-logformat", "%(p)s %(s)s %(U)s", "cityexchange.wsgi:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stderr.close()
