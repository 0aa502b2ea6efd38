"""The JSON API, /api/v1/ (contract in ARCHITECTURE.md)."""

from flask import Blueprint, current_app, jsonify, request

from cityexchange.services import search as search_service

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search():
    search_request = search_service.parse_search_args(
        request.args, current_app.config["DEFAULT_UI_LANGUAGE"]
    )
    page = search_service.search(search_request)
    return jsonify(search_service.page_to_json(page))
