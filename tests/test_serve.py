"""`cityex serve` really serves (Flask ignores app.run() inside its own CLI)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CITYEX = Path(sys.executable).with_name("cityex")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cityex_serve_answers_http(app):
    # The app fixture has created the database; the server process opens the same one.
    port = _free_port()
    env = {**os.environ, "CITYEX_DATABASE_URL": app.config["DATABASE_URL"],
           "CITYEX_EMBEDDED_INDEX_PATH": app.config["EMBEDDED_INDEX_PATH"],
           "CITYEX_SECRET_KEY": "test-secret"}
    server = subprocess.Popen([str(CITYEX), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                    assert reply.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "cityex serve did not answer within 30 s"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def test_gunicorns_arbiter_holds_no_onnx_runtime_when_it_forks():
    # The arbiter imports the app's package for its config, then forks the workers.
    # ONNX Runtime loaded before the fork makes the workers abort on exit ("terminate
    # called ... Invalid argument"), so gunicorn cannot stop them; it loads in the workers.
    probe = ("import sys, cityexchange.gunicorn_conf, cityexchange.search_engine; "
             "print(sorted(m for m in ('onnxruntime', 'onnx') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    assert loaded.stdout.strip() == "[]"
