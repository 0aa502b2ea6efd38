"""The /search page: the same search as the API, rendered."""

from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale

from cityexchange.errors import ApiError
from cityexchange.services import search as search_service
from indexer import EngineUnavailable

bp = Blueprint("search", __name__)


@bp.get("/search")
def search_page():
    try:
        search_request = search_service.parse_search_args(request.args, str(get_locale()))
    except ApiError as error:
        return render_template("search.html", page=None, error=error.message, q=request.args.get("q", "")), 400
    try:
        page = search_service.search(search_request)
    except EngineUnavailable:
        return render_template("search.html", page=None, engine_down=True, q=search_request.q), 503
    return render_template("search.html", page=page, q=search_request.q)


def _args_with(**changes) -> list[tuple[str, str]]:
    """The current query string with some parameters replaced; page resets to 1."""
    items = [(k, v) for k, v in request.args.items(multi=True) if k not in changes and k != "page"]
    for key, value in changes.items():
        if value is not None:
            items.append((key, str(value)))
    return items


@bp.app_context_processor
def _search_url_helpers():
    def facet_url(name: str, value: str) -> str:
        """Toggle one facet value, keeping every other parameter."""
        current = request.args.getlist(name)
        values = [v for v in current if v != value] if value in current else current + [value]
        items = [(k, v) for k, v in request.args.items(multi=True) if k not in (name, "page")]
        items += [(name, v) for v in values]
        return url_for("search.search_page") + "?" + urlencode(items)

    def page_url(number: int) -> str:
        return url_for("search.search_page") + "?" + urlencode(_args_with(page=number))

    return {"facet_url": facet_url, "page_url": page_url}
