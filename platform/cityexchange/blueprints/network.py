"""The city network: partnership pages, "cities like mine", and what city pages add."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user

from cityexchange.services import network, network_map
from cityexchange.services.partnership_graph import partnership_graph
from cityexchange.services.outcomes import (
    budget_label,
    funding_programmes,
    project_status_label,
    repeats_text,
    time_span,
    tonnes,
)

bp = Blueprint("network", __name__)

# How many similar cities the city page shows, and the "like" search filters by.
SIMILAR_ON_CITY_PAGE = 4
SIMILAR_IN_SEARCH = 5


@bp.get("/partnerships")
def partnerships():
    found = network_map.all_partnerships()
    return render_template("network/partnerships.html", partnerships=found,
                           city_map=network_map.network_map(partnerships=found),
                           graph=partnership_graph(found))


@bp.get("/partnerships/<slug>")
def partnership(slug):
    found = network.find_partnership(slug)
    if found is None:
        abort(404, description=gettext("There is no partnership '%(slug)s'.", slug=slug))
    return render_template("network/partnership.html", partnership=found,
                           case_studies=network.joint_case_studies(found))


@bp.before_app_request
def _search_like_city():
    """/search?like=<city-slug>: the search filtered to the cities most like that one.

    A redirect to /search with city=... repeated, so the search contract stays as it is.
    """
    if request.endpoint != "search.search_page" or "like" not in request.args:
        return None
    slug = request.args.get("like", "").strip()
    city = network.find_city_by_slug(slug)
    if city is None:
        abort(404, description=gettext(
            "There is no city '%(slug)s' to compare with. Use a city's address name, e.g. "
            "like=dortmund.", slug=slug))
    similar = network.similar_cities(city, SIMILAR_IN_SEARCH, _ui_lang())
    if not similar:
        abort(404, description=gettext(
            "No city of the network resembles %(city)s yet (size, industrial legacy, focus "
            "themes).", city=city.name))
    kept = [(k, v) for k, v in request.args.items(multi=True)
            if k not in ("like", "city", "page")]
    cities = [("city", found.city.name) for found in similar]
    return redirect(url_for("search.search_page") + "?" + urlencode(kept + cities))


def _ui_lang() -> str:
    return str(get_locale() or "en")


@bp.app_context_processor
def _network_helpers():
    def city_network(city) -> dict:
        """What the city page shows beyond the profile: contacts and similar cities."""
        return {
            "contacts": network.visible_contacts(city, current_user),
            "contacts_hidden": not current_user.is_authenticated and bool(city.contacts),
            "similar": network.similar_cities(city, SIMILAR_ON_CITY_PAGE, _ui_lang(),
                                              with_case_studies=2),
        }

    return {
        "city_network": city_network,
        "project_status_label": lambda value: project_status_label(value, _ui_lang()),
        "budget_label": budget_label,
        "time_span": time_span,
        "funding_programmes": funding_programmes,
        "tonnes": tonnes,
        "repeats_text": repeats_text,
    }
