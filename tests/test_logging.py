"""Application logs are one JSON object per line on stderr, at CITYEX_LOG_LEVEL;
the development console (serve, demo) prints readable text lines."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from cityexchange import create_app
from cityexchange.extensions import db
from tests.conftest import build_app, make_config
from tests.factories import make_case_study

ROOT = Path(__file__).resolve().parents[1]


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_log_lines_are_json_at_the_configured_level(tmp_path, capsys):
    create_app(make_config(tmp_path, LOG_LEVEL="WARNING"))
    log = logging.getLogger("cityexchange.test")
    log.info("not shown at WARNING")
    log.warning("index update deferred for %s", "dortmund-h2", extra={"case_study": 7})
    lines = _json_lines(capsys.readouterr().err)
    assert [line["message"] for line in lines] == ["index update deferred for dortmund-h2"]
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "cityexchange.test"
    assert lines[0]["case_study"] == 7
    assert lines[0]["time"].endswith("+00:00")


def test_a_wrong_log_level_is_named(tmp_path):
    with pytest.raises(ValueError, match="CITYEX_LOG_LEVEL must be one of DEBUG, INFO"):
        create_app(make_config(tmp_path, LOG_LEVEL="verbose"))


def test_the_indexer_logs_each_drained_batch(tmp_path):
    app = build_app(make_config(tmp_path, INDEX_AFTER_COMMIT=False, LOG_LEVEL="INFO"))
    with app.app_context():
        make_case_study("Hydrogen buses for the city fleet")
        make_case_study("Youth exchange Dortmund Buffalo", city="Buffalo")
        result = app.test_cli_runner().invoke(args=["indexer", "run", "--once"])
        db.session.remove()
        app.extensions["search_engine"].close()
    assert result.exit_code == 0, result.output
    batches = [line for line in _json_lines(result.stderr)
               if line["message"].startswith("outbox batch drained")]
    assert len(batches) == 1
    assert batches[0]["indexed"] == 2
    assert batches[0]["deleted"] == 0
    assert batches[0]["logger"] == "cityexchange.services.indexing"


def test_per_request_library_chatter_stays_out_of_info_logs(tmp_path, capsys):
    create_app(make_config(tmp_path, LOG_LEVEL="INFO"))
    logging.getLogger("elastic_transport.transport").info("POST http://es:9200/_bulk [status:200]")
    logging.getLogger("elastic_transport.transport").warning("node unreachable")
    messages = [line["message"] for line in _json_lines(capsys.readouterr().err)]
    assert messages == ["node unreachable"]


def test_make_demo_takes_a_port_and_prints_readable_lines(tmp_path):
    """`make demo PORT=…` serves there; its console has text lines, no JSON, no colour codes."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYEX_")}
    env.update(CITYEX_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
               CITYEX_EMBEDDED_INDEX_PATH=str(tmp_path / "index"), CITYEX_SECRET_KEY="demo")
    console = tmp_path / "console.txt"
    with console.open("w") as out:
        # Its own process group: make and the cityex it starts are stopped together.
        demo = subprocess.Popen(["make", "--no-print-directory", "demo", f"PORT={port}",
                                 "HOST=127.0.0.1"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            assert _wait_for(f"http://127.0.0.1:{port}/search?q=hydrogen", demo, 90) == 200
        finally:
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(timeout=30)
    lines = [line for line in console.read_text().splitlines() if line.strip()]
    assert f"CityExchange portal on http://127.0.0.1:{port}/ (Ctrl+C to stop)" in lines
    assert any(line.startswith("demo data: ") for line in lines)
    assert any(re.search(r"INFO +cityexchange\.services\.indexing: outbox batch drained", line)
               for line in lines), lines
    assert any('"GET /search?q=hydrogen HTTP/1.1" 200' in line for line in lines), lines
    assert not [line for line in lines if line.lstrip().startswith("{")]
    assert not [line for line in lines if "\x1b" in line or "\\u001b" in line]


def test_a_terminal_colour_code_never_reaches_a_json_log_line(tmp_path, capsys):
    create_app(make_config(tmp_path, LOG_LEVEL="INFO"))
    logging.getLogger("werkzeug").info('"GET / HTTP/1.1" \x1b[33m304\x1b[0m -')
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["message"] == '"GET / HTTP/1.1" 304 -'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except OSError:
            assert process.poll() is None, f"make demo exited with {process.returncode}"
            assert time.monotonic() < deadline, f"make demo did not answer within {seconds} s"
            time.sleep(0.3)
