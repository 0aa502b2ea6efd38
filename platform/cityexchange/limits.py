"""Request size limits the app answers itself (JSON under /api/v1, a page elsewhere).

gunicorn's own limits (cityexchange/gunicorn_conf.py) are set higher, so a long
URL or header reaches the app and gets an answer in the API's format. The body
limit is Flask's MAX_CONTENT_LENGTH (413).
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import (
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    RequestURITooLarge,
)

# Below gunicorn's request-line maximum (8190 with the method and protocol).
MAX_URL_LENGTH = 8000
MAX_HEADER_FIELD = 4096
MAX_HEADERS_TOTAL = 16384


def init_app(app: Flask) -> None:
    @app.before_request
    def _check_sizes():
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or \
            request.full_path
        if len(raw) > MAX_URL_LENGTH:
            raise RequestURITooLarge(f"The address is longer than {MAX_URL_LENGTH} characters; "
                                     "send fewer or shorter parameters.")
        sizes = [len(name) + len(value) for name, value in request.headers.items()]
        if max(sizes, default=0) > MAX_HEADER_FIELD or sum(sizes) > MAX_HEADERS_TOTAL:
            raise RequestHeaderFieldsTooLarge(
                f"A request header is longer than {MAX_HEADER_FIELD} bytes (or all together "
                f"longer than {MAX_HEADERS_TOTAL}); send smaller headers or cookies.")
        # Before any authentication: a too-large body is refused without reading it.
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge(f"The request body is larger than {limit} bytes.")
