"""GET /healthz: database and search engine status for operators and load balancers."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from cityexchange.extensions import db
from cityexchange.search_engine import get_engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = {"status": "up"}
    except Exception as error:  # any failure means "down"; the detail helps the operator
        db.session.rollback()
        database = {"status": "down", "error": str(error).splitlines()[0]}
    try:
        engine = get_engine().health()
    except Exception as error:
        engine = {"status": "down", "error": str(error).splitlines()[0]}
    up = database["status"] == "up" and engine.get("status") == "up"
    body = {"status": "up" if up else "down", "database": database, "search_engine": engine}
    return jsonify(body), 200 if up else 503
