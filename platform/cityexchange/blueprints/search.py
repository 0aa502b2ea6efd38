"""The /search page: the same search as the API, rendered."""

from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from cityexchange.errors import ApiError
from cityexchange.services import search as search_service
from cityexchange.services import charts, search_facets
from cityexchange.thesaurus import get_thesaurus
from indexer import FACETS, EngineUnavailable

bp = Blueprint("search", __name__)

@bp.get("/search")
def search_page():
    # The page speaks the UI language (i18n already read ?ui_lang=), never an invalid one.
    args = request.args.copy()
    args.poplist("ui_lang")
    q = request.args.get("q", "")
    try:
        search_request = search_service.parse_search_args(args, str(get_locale()))
    except ApiError as error:
        return render_template("search.html", page=None, error=error.message, q=q), 400
    try:
        page = search_service.search(search_request)
    except EngineUnavailable:
        return render_template("search.html", page=None, engine_down=True, q=q), 503
    return render_template("search.html", page=page, q=search_request.q,
                           **_facet_presentation(page))


def _facet_presentation(page) -> dict:
    """Topics grouped under their broader concept and the year histogram."""
    bars = search_facets.year_histogram(page.facets.get("year", []))
    return {
        "topic_groups": search_facets.topic_groups(
            page.facets.get("topic", []), get_thesaurus(), page.request.ui_lang,
            _("Other topics")),
        "year_bars": bars,
        "year_bar_width": search_facets.bar_width(bars),
        "visible_values": search_facets.VISIBLE_VALUES,
        "visible_groups": search_facets.VISIBLE_GROUPS,
        "charts": _result_charts(page),
        "also_searching": search_facets.also_searching(page.concepts, get_thesaurus(),
                                                       page.request.ui_lang, page.request.q),
    }


def _result_charts(page) -> list:
    """Case studies per year and per topic for the current result set."""
    years = sorted((o for o in page.facets.get("year", []) if o.value.isdigit()
                    and (o.selected or "year" not in page.request.filters)),
                   key=lambda o: o.value)
    keep = _args_without("page", "year", "year_from", "year_to")
    per_year = charts.bar_chart("chart-years", _("Case studies per year"), [
        (o.value, o.count, _search_url(keep + [("year_from", o.value), ("year_to", o.value)]))
        for o in years])
    topics = sorted(page.facets.get("topic", []), key=lambda o: -o.count)
    with_topic = _args_without("page", "topic")
    per_topic = charts.bar_chart("chart-topics", _("Case studies per topic"), [
        (o.label, o.count, _search_url(with_topic + [("topic", o.value)])) for o in topics])
    return [chart for chart in (per_year, per_topic) if chart]


def _search_url(items: list[tuple[str, str]]) -> str:
    return url_for("search.search_page") + ("?" + urlencode(items) if items else "")


def _args_without(*names: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.args.items(multi=True) if k not in names]


@bp.app_context_processor
def _search_url_helpers():
    def facet_url(name: str, value: str) -> str:
        """Toggle one facet value, keeping every other parameter; page resets to 1."""
        current = request.args.getlist(name)
        values = [v for v in current if v != value] if value in current else current + [value]
        return _search_url(_args_without(name, "page") + [(name, v) for v in values])

    def page_url(number: int) -> str:
        return _search_url(_args_without("page") + [("page", str(number))])

    def clear_filters_url() -> str:
        return _search_url([(k, v) for k, v in request.args.items(multi=True)
                            if k in ("q", "sort")])

    def without_url(*names: str) -> str:
        """The search without some parameters (e.g. the year range); page resets to 1."""
        return _search_url(_args_without("page", *names))

    def with_url(name: str, value: str) -> str:
        """The search with one parameter set (e.g. literal=1); page resets to 1."""
        return _search_url(_args_without("page", name) + [(name, value)])

    def year_url(year: int) -> str:
        """Just this year: a one-year range that replaces any other year choice."""
        return _search_url(_args_without("page", "year", "year_from", "year_to")
                           + [("year_from", str(year)), ("year_to", str(year))])

    return {"facet_url": facet_url, "page_url": page_url, "clear_filters_url": clear_filters_url,
            "without_url": without_url, "year_url": year_url, "with_url": with_url,
            "facet_names": FACETS, "range_names": ("year_from", "year_to")}
