"""Every error under /api/v1 is JSON, also for an over-long URL (414), header (431) or body
(413), as a real gunicorn serves them: the app answers, not gunicorn."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlparse

import pytest

from cityexchange.extensions import db
from tests.gunicorn_server import gunicorn


def raw_request(url: str, head: str, body: bytes = b"") -> tuple[int, dict, bytes]:
    """Send bytes as typed (no client library trims or refuses them); status, headers, body."""
    parts = urlparse(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header_block, _, content = data.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, content


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.conftest import build_app, make_config

    tmp = tmp_path_factory.mktemp("limits")
    app = build_app(make_config(tmp))
    with app.app_context():
        db.session.remove()
    with gunicorn(app, workers=1, log_path=tmp / "access.log") as url:
        yield url
    app.extensions["search_engine"].close()


def assert_json_error(status, headers, content, expected):
    assert status == expected, content[:300]
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(content)["error"]["status"] == expected


def test_a_url_over_8000_characters_is_a_json_414(server):
    head = (f"GET /api/v1/search?q={'x' * 8100} HTTP/1.1\r\nHost: test\r\n"
            "Connection: close\r\n")
    assert_json_error(*raw_request(server, head), 414)


def test_a_header_over_4_kb_is_a_json_431(server):
    head = (f"GET /api/v1/search HTTP/1.1\r\nHost: test\r\nX-Big: {'y' * 6000}\r\n"
            "Connection: close\r\n")
    assert_json_error(*raw_request(server, head), 431)


def test_a_body_over_the_limit_is_a_json_413_before_authentication(server):
    # Announced as 3 MB (over the 2 MB default): refused without reading it.
    head = ("POST /api/v1/case-studies HTTP/1.1\r\nHost: test\r\nContent-Type: application/json"
            f"\r\nAuthorization: Bearer cx_nothing\r\nContent-Length: {3 * 1024 * 1024}\r\n"
            "Connection: close\r\n")
    assert_json_error(*raw_request(server, head, b'{"title": '), 413)


def test_pages_get_the_same_limits_as_a_page(server):
    head = f"GET /search?q={'x' * 8100} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
    status, headers, content = raw_request(server, head)
    assert status == 414 and headers["Content-Type"].startswith("text/html")
