"""Atom feeds: /feeds/case-studies.atom, per topic, city and collection, and of any search.

Pages name their feed in <head> (rel="alternate", see feeds/_alternate.html), so
a feed reader finds it from the page's address.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import City, Collection
from cityexchange.services import collections as collections_service
from cityexchange.services import feeds as service
from cityexchange.services.saved_searches import SEARCH_PARAMETERS
from cityexchange.thesaurus import get_thesaurus

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

ATOM = "application/atom+xml"
# Feed readers poll; a few minutes' delay is fine and spares the engine.
MAX_AGE = 300


@bp.get("/case-studies.atom")
def case_studies_feed():
    return _atom(service.newest_feed())


@bp.get("/cities/<slug>.atom")
def city_feed(slug):
    city = db.session.scalar(select(City).where(City.slug == slug))
    if city is None:
        abort(404, description=gettext("There is no city '%(slug)s'.", slug=slug))
    return _atom(service.city_feed(city))


@bp.get("/collections/<slug>.atom")
def collection_feed(slug):
    collection = collections_service.get_collection(slug)
    # Feed readers have no session: only a published collection has a feed.
    if collection is None or collection.status != "published":
        abort(404, description=gettext("There is no published collection '%(slug)s'.",
                                       slug=slug))
    return _atom(service.collection_feed(collection))


@bp.get("/topics/<topic>.atom")
def topic_feed(topic):
    if topic not in get_thesaurus():
        abort(404, description=gettext(
            "There is no topic '%(topic)s'. Topic ids are listed at /api/v1/topics.",
            topic=topic))
    page = service.newest_matches({"topic": topic}, _ui_lang())
    return _atom(service.topic_feed(page, topic, _ui_lang()))


@bp.get("/search.atom")
def search_feed():
    """Any /search address as a feed: the same parameters, newest matches first.

    Bad parameters answer 400 naming the parameter, as the search API does.
    """
    page = service.newest_matches(request.args, _ui_lang())
    return _atom(service.search_feed(page, search_query()))


def _ui_lang() -> str:
    return str(get_locale() or current_app.config["DEFAULT_UI_LANGUAGE"])


def _atom(feed: service.Feed):
    response = current_app.response_class(service.render_atom(feed, _ui_lang()),
                                          mimetype=ATOM)
    response.headers["Content-Type"] = f"{ATOM}; charset=utf-8"
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


# -- links to feeds, for pages -----------------------------------------------------------------

def search_query() -> str:
    """The current request's search parameters (not page, per_page, ui_lang) as a query string."""
    return urlencode([(key, value) for key, value in request.args.items(multi=True)
                      if key in SEARCH_PARAMETERS])


def _with_query(endpoint: str) -> str:
    query = search_query()
    return url_for(endpoint) + (f"?{query}" if query else "")


def alternate_feeds() -> list[tuple[str, str]]:
    """(title, url) of the feeds that follow the current page, for <link rel="alternate">."""
    endpoint, args = request.endpoint, request.view_args or {}
    if endpoint == "public.home":
        return [(gettext("Newest case studies"), url_for("feeds.case_studies_feed"))]
    if endpoint == "search.search_page":
        return [(gettext("This search"), _with_query("feeds.search_feed"))]
    if endpoint == "public.city":
        return [(gettext("Case studies of this city"), url_for("feeds.city_feed", slug=args["slug"]))]
    if endpoint == "collections.detail" and db.session.scalar(
            select(Collection.status).where(Collection.slug == args["slug"])) == "published":
        return [(gettext("This collection"), url_for("feeds.collection_feed", slug=args["slug"]))]
    return []


@bp.app_context_processor
def _feed_helpers():
    return {"alternate_feeds": alternate_feeds, "search_query": search_query,
            "search_feed_url": lambda: _with_query("feeds.search_feed"),
            "export_url": lambda kind: _with_query(f"export.export_{kind}")}
