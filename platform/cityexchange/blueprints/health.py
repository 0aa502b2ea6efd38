"""GET /healthz: database and search engine status for operators and load balancers.

200 when both are up; 503 when either is down, with `down` naming the parts.
`degraded` (still 200: pages and search work) when the index is out of date
or outbox rows are set aside; `degraded` names the parts, each says why.
The error detail is one line (no stack, no URL with credentials); the full
error goes to the log.
"""

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from cityexchange.extensions import db
from cityexchange.search_engine import get_engine
from cityexchange.services.indexing import outbox_status

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    parts = {"database": _database(), "search_engine": _search_engine()}
    if parts["database"]["status"] == "up":
        parts["outbox"] = _outbox()
    down = [name for name, part in parts.items() if part.get("status") == "down"]
    degraded = [name for name, part in parts.items() if part.get("status") == "degraded"]
    body = {"status": "down" if down else "degraded" if degraded else "up", **parts}
    if down:
        body["down"] = down
    if degraded:
        body["degraded"] = degraded
    response = jsonify(body)
    response.status_code = 503 if down else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "down"
        db.session.rollback()
        log.warning("health check: database down: %s", error)
        return {"status": "down", "error": _one_line(error)}
    return {"status": "up", "dialect": db.engine.dialect.name}


def _search_engine() -> dict:
    try:
        health = dict(get_engine().health())
    except Exception as error:  # health() should not raise; an engine that cannot even start does
        health = {"status": "down", "error": _one_line(error)}
    if health.get("status") != "up":
        log.warning("health check: search engine down: %s", health.get("error", health))
        health["status"] = "down"
    elif health.get("warning"):  # e.g. "index out of date — run `cityex index rebuild`"
        health["status"] = "degraded"
    return health


def _outbox() -> dict:
    status = outbox_status()
    part = {"status": "up", "pending": status.pending, "set_aside": len(status.set_aside)}
    if status.set_aside:
        part["status"] = "degraded"
        part["warning"] = (f"{len(status.set_aside)} outbox row(s) set aside: see "
                           "`cityex indexer status`, then `cityex indexer retry`")
    return part


def _one_line(error: Exception) -> str:
    """The error's class and first line; SQLAlchemy's own wording carries no password."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".strip()
