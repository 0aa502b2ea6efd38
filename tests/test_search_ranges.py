"""Range filters of the search API on both engines: year from–to, and the budget and CO₂
bands; facet labels a reader understands (country names in the UI language)."""

from __future__ import annotations

import pytest

from werkzeug.datastructures import MultiDict

from cityexchange.extensions import db
from cityexchange.services.saved_searches import canonical_query
from tests.conftest import build_app, make_config
from tests.factories import make_case_study


@pytest.fixture(params=["embedded", pytest.param("elasticsearch",
                                                 marks=pytest.mark.elasticsearch)])
def client(request, tmp_path):
    app = build_app(make_config(tmp_path, engine=request.param))
    with app.app_context():
        make_case_study("Hydrogen depot", year=2019, budget_range="gt-10m",
                        co2_reduction_t_per_year=12_500)
        make_case_study("Heat pumps in schools", year=2021, budget_range="1m-10m",
                        co2_reduction_t_per_year=420)
        make_case_study("Youth orchestra", city="Buffalo", year=2023, budget_range="lt-100k")
        make_case_study("Community gardens", city="Lyon", year=2024)
        yield app.test_client()
        db.session.remove()
        app.extensions["search_engine"].close()


def search(client, query: str, status: int = 200) -> dict:
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == status, response.get_json()
    return response.get_json()


def titles(body: dict) -> set[str]:
    return {hit["title"] for hit in body["hits"]}


def counts(body: dict, facet: str) -> dict[str, int]:
    return {o["value"]: o["count"] for o in body["facets"][facet]}


def test_year_range_keeps_the_years_between_and_counts_every_year(client):
    body = search(client, "year_from=2020&year_to=2023")
    assert titles(body) == {"Heat pumps in schools", "Youth orchestra"}
    # The year facet ignores its own range: the histogram shows every year.
    assert counts(body, "year") == {"2019": 1, "2021": 1, "2023": 1, "2024": 1}
    assert titles(search(client, "year_from=2023")) == {"Youth orchestra", "Community gardens"}
    assert titles(search(client, "year_to=2019")) == {"Hydrogen depot"}


def test_budget_and_co2_bands_filter_and_count_smallest_first(client):
    body = search(client, "budget=1m-10m&budget=gt-10m")
    assert titles(body) == {"Hydrogen depot", "Heat pumps in schools"}
    assert [o["value"] for o in body["facets"]["budget"]] == ["lt-100k", "1m-10m", "gt-10m"]
    assert counts(body, "co2") == {"100-1k": 1, "gt-10k": 1}

    body = search(client, "co2=gt-10k")
    assert titles(body) == {"Hydrogen depot"}
    assert {o["label"] for o in body["facets"]["co2"]} == {"100–1,000 t", "> 10,000 t"}
    assert counts(body, "budget") == {"gt-10m": 1}


def test_country_facet_names_countries_in_the_ui_language(client):
    labels = {o["value"]: o["label"] for o in search(client, "ui_lang=de")["facets"]["country"]}
    assert labels == {"DE": "Deutschland", "US": "Vereinigte Staaten", "FR": "Frankreich"}


@pytest.mark.parametrize(("query", "parameter"), [
    ("year_from=twenty", "year_from"),
    ("year_to=1200", "year_to"),
    ("year_from=2024&year_to=2020", "year_to"),
    ("year=2019&year_from=2020", "year"),
    ("budget=a-lot", "budget"),
    ("co2=-5", "co2"),
])
def test_bad_range_parameters_answer_400_naming_them(client, query, parameter):
    assert search(client, query, status=400)["error"]["parameter"] == parameter


def test_a_saved_search_keeps_the_year_range_as_asked(app):
    query = canonical_query(MultiDict([("q", "bus"), ("year_from", "2020"), ("co2", "gt-10k")]))
    assert query == "q=bus&co2=gt-10k&year_from=2020"


def test_only_my_words_drops_the_concepts_other_languages(client):
    make_case_study("Bus à hydrogène", city="Lyon", language="fr", year=2022,
                    body="La flotte roule à l'hydrogène.", topics=["hydrogen"])
    expanded = search(client, "q=Wasserstoff")
    assert "Bus à hydrogène" in titles(expanded)
    assert [c["id"] for c in expanded["concepts"]] == ["hydrogen"]

    literal = search(client, "q=Wasserstoff&literal=1")
    assert "Bus à hydrogène" not in titles(literal)
    assert literal["concepts"] == []


def test_hit_reasons_are_shown_when_the_search_gives_them(app):
    from flask import render_template_string

    item = {"reasons": ["words", {"kind": "concept", "label": "hydrogen"}, "translation"]}
    with app.test_request_context("/search"):
        html = render_template_string(
            "{% set reason_labels = {'words': 'your words', 'concept': 'concept', "
            "'translation': 'translation'} %}{% include 'search/_reasons.html' %}", item=item)
        bare = render_template_string("{% include 'search/_reasons.html' %}", item={})
    assert "Why it matched:" in html
    assert "your words" in html and "concept: hydrogen" in html and "translation" in html
    assert "Why it matched" not in bare
