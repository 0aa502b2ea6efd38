"""/search/export.csv and /search/export.json: a search's whole result list (up to 1,000).

The same parameters as /search; bad ones answer 400 naming the parameter, as the API does.
"""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, current_app, request
from flask_babel import get_locale

from cityexchange.services import export as service

bp = Blueprint("export", __name__, url_prefix="/search")


@bp.get("/export.csv")
def export_csv():
    export = service.collect(request.args, _ui_lang())
    # The byte order mark makes spreadsheet programs read UTF-8 (umlauts, Polish letters).
    body = "\ufeff" + service.to_csv(export)
    return _download(body, "text/csv; charset=utf-8", "csv")


@bp.get("/export.json")
def export_json():
    export = service.collect(request.args, _ui_lang())
    body = json.dumps(service.to_json(export), ensure_ascii=False, indent=1)
    return _download(body, "application/json; charset=utf-8", "json")


def _ui_lang() -> str:
    return str(get_locale() or current_app.config["DEFAULT_UI_LANGUAGE"])


def _download(body: str, content_type: str, extension: str):
    response = current_app.response_class(body.encode("utf-8"))
    response.headers["Content-Type"] = content_type
    filename = f"cityexchange-search-{date.today().isoformat()}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
