"""GET /api/v1/search and the read-only resources of the JSON API, on the real embedded engine."""

from __future__ import annotations

import pytest

from cityexchange.extensions import db
from cityexchange.services import case_studies
from indexer.thesaurus import Concept, Thesaurus
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_partnership


def use_thesaurus(app) -> None:
    """A small thesaurus in place of config/thesaurus/ (data, not a stand-in for code)."""
    app.extensions["thesaurus"] = Thesaurus([
        Concept("hydrogen", {"en": "Hydrogen", "de": "Wasserstoff"}, alt={"en": ("H2",)}),
        Concept("structural-change", {"en": "Structural change", "de": "Strukturwandel"}),
        Concept("youth-exchange", {"en": "Youth exchange", "de": "Jugendaustausch"}),
        Concept("drought", {"en": "Drought", "de": "Dürre"}, alt={"de": ("Wassermangel",)}),
    ])


@pytest.fixture
def corpus(app):
    """Three published case studies in two cities and two languages, and one draft."""
    use_thesaurus(app)
    return {
        "bus": make_case_study(
            "Hydrogen buses for the city fleet", year=2023, topics=["hydrogen"],
            summary="Twenty fuel-cell buses run on the Dortmund network.",
            body="The depot refuels hydrogen buses overnight from a local electrolyser."),
        "mine": make_case_study(
            "Vom Bergwerk zum Technologiepark", year=2021, topics=["structural-change"],
            summary="Wie eine Zeche zum Standort für Start-ups wurde.",
            body="Der Strukturwandel in Dortmund begann mit der Schließung der Zechen."),
        "youth": make_case_study(
            "Youth orchestra exchange with Dortmund", city="Buffalo", year=2024,
            topics=["youth-exchange"], body="Young musicians from Buffalo visit Dortmund."),
        "draft": make_case_study(
            "Hydrogen ferry feasibility study", city="Buffalo", publish=False,
            body="A draft about hydrogen ferries on Lake Erie."),
    }


def search(client, query: str = "", status: int = 200) -> dict:
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == status, response.get_json()
    return response.get_json()


def slugs(body: dict) -> list[str]:
    return [hit["slug"] for hit in body["hits"]]


def facet(body: dict, name: str) -> dict[str, int]:
    return {option["value"]: option["count"] for option in body["facets"][name]}


# -- search ---------------------------------------------------------------------------

def test_text_search_returns_contract_fields_and_marked_highlights(client, corpus):
    body = search(client, "q=hydrogen")

    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 20
    hit = body["hits"][0]
    assert hit["slug"] == corpus["bus"].slug
    assert {"slug", "title", "city", "country", "language", "year", "topics", "score",
            "highlights"} <= set(hit)
    assert (hit["city"], hit["country"], hit["language"], hit["year"]) == (
        "Dortmund", "DE", "en", 2023)
    assert hit["topics"] == ["hydrogen"]
    assert "<mark>hydrogen</mark>" in " ".join(hit["highlights"]["body"]).casefold()
    assert facet(body, "city") == {"Dortmund": 1}


def test_drafts_are_never_found(client, corpus):
    assert corpus["draft"].slug not in slugs(search(client, "q=ferry"))
    assert search(client, "q=ferry")["total"] == 0


def test_browse_without_q_lists_every_published_case_study_newest_first(client, corpus):
    body = search(client)

    assert body["total"] == 3
    assert slugs(body) == [corpus["youth"].slug, corpus["mine"].slug, corpus["bus"].slug]
    assert body["sort"] == "newest"
    assert facet(body, "city") == {"Dortmund": 2, "Buffalo": 1}


def test_sort_defaults_to_relevance_with_q_and_newest_can_be_asked_for(client, corpus):
    assert search(client, "q=Dortmund")["sort"] == "relevance"
    body = search(client, "q=Dortmund&sort=newest")
    assert body["sort"] == "newest"
    published = [case_studies_by_slug(s).published_at for s in slugs(body)]
    assert published == sorted(published, reverse=True)


def case_studies_by_slug(slug):
    from sqlalchemy import select

    from cityexchange.models import CaseStudy

    return db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))


def test_pages_through_results(client, corpus):
    first = search(client, "per_page=2")
    second = search(client, "per_page=2&page=2")

    assert (first["total"], second["total"]) == (3, 3)
    assert len(first["hits"]) == 2 and len(second["hits"]) == 1
    assert set(slugs(first)).isdisjoint(slugs(second))
    assert search(client, "per_page=2&page=3")["hits"] == []


def test_one_facet_value_filters_and_repeated_values_widen(client, corpus):
    assert set(slugs(search(client, "city=Buffalo"))) == {corpus["youth"].slug}
    both = search(client, "city=Buffalo&city=Dortmund")
    assert both["total"] == 3


def test_facet_counts_are_disjunctive(client, corpus):
    body = search(client, "city=Buffalo")

    # The city facet ignores its own selection; the other facets respect it.
    assert facet(body, "city") == {"Dortmund": 2, "Buffalo": 1}
    assert facet(body, "country") == {"US": 1}
    selected = [o for o in body["facets"]["city"] if o["selected"]]
    assert [o["value"] for o in selected] == ["Buffalo"]


def test_a_selected_value_without_matches_stays_visible(client, corpus):
    body = search(client, "q=orchestra&city=Dortmund")

    assert body["total"] == 0
    assert {"value": "Dortmund", "label": "Dortmund", "count": 0, "selected": True} in (
        body["facets"]["city"])


def test_year_filter_and_facet(client, corpus):
    body = search(client, "year=2021&year=2024")
    assert set(slugs(body)) == {corpus["mine"].slug, corpus["youth"].slug}
    assert facet(body, "year") == {"2021": 1, "2023": 1, "2024": 1}


def test_facet_labels_follow_ui_lang(client, corpus):
    english = {o["value"]: o["label"] for o in search(client)["facets"]["topic"]}
    german = {o["value"]: o["label"] for o in search(client, "ui_lang=de")["facets"]["topic"]}

    assert english["hydrogen"] == "Hydrogen"
    assert german["hydrogen"] == "Wasserstoff"
    assert german["structural-change"] == "Strukturwandel"
    # Language and country names follow the UI language too.
    languages = {o["value"]: o["label"] for o in search(client)["facets"]["language"]}
    assert languages == {"en": "English", "de": "German"}
    in_polish = search(client, "ui_lang=pl")["facets"]
    assert {o["value"]: o["label"] for o in in_polish["language"]} == {
        "en": "Angielski", "de": "Niemiecki"}
    assert "Niemcy" in {o["label"] for o in in_polish["country"]}


def test_partnership_facet_is_labelled_with_the_partnership_name(client, app):
    make_partnership("dortmund-buffalo", "Dortmund–Buffalo partnership", ["Dortmund", "Buffalo"])
    make_case_study("Shared data on vacant lots", partners=["Buffalo"],
                    body="Both cities map vacant lots.")

    options = search(client)["facets"]["partnership"]
    assert options == [{"value": "dortmund-buffalo", "label": "Dortmund–Buffalo partnership",
                        "count": 1, "selected": False}]


def test_unpublished_case_study_leaves_the_results(client, corpus):
    case_studies.set_status(corpus["bus"], "draft")

    assert corpus["bus"].slug not in slugs(search(client, "q=hydrogen"))


@pytest.mark.parametrize(("query", "parameter"), [
    ("page=abc", "page"),
    ("page=0", "page"),
    ("page=-3", "page"),
    ("per_page=100000", "per_page"),
    ("per_page=0", "per_page"),
    ("sort=foo", "sort"),
    ("year=abc", "year"),
    ("year=2024&year=20x4", "year"),
    ("ui_lang=klingon", "ui_lang"),
    ("page=101&per_page=100", "page"),
    ("page=10001", "page"),
    ("city=" + "&city=".join(f"C{i}" for i in range(51)), "city"),
    ("q=" + "x" * 5_000, "q"),
])
def test_bad_parameters_answer_400_naming_the_parameter(client, corpus, query, parameter):
    body = search(client, query, status=400)

    assert body["error"]["parameter"] == parameter
    assert parameter in body["error"]["message"]


def test_the_result_window_ends_at_ten_thousand(client, corpus):
    assert search(client, "page=100&per_page=100")["hits"] == []


def test_fifty_values_of_a_facet_are_fine(client, corpus):
    query = "city=Dortmund&" + "&".join(f"city=C{i}" for i in range(49))
    assert search(client, query)["total"] == 2


@pytest.mark.parametrize("query", ["foo=bar", "facet=city", "cities=Dortmund", "state=draft",
                                   "q=hydrogen&debug=1"])
def test_unknown_parameters_are_ignored(client, corpus, query):
    assert search(client, query)["total"] >= 1


ODD_QUERIES = [
    "q=%00", "q=hydrogen%00", "city=Dortmund%00", "q=%FF%FE", "q=%",
    "q=%E2%80%AE%E2%80%AD", "q=%F0%9F%9A%8C%F0%9F%9A%8C",
    "q=%D8%A7%D9%84%D9%87%D9%8A%D8%AF%D8%B1%D9%88%D8%AC%D9%8A%D9%86",
    "q=Stra%C3%9Fe+%C3%BCber+na%C3%AFve", "q=e%CC%81%CC%81%CC%81", "q=%22", "q=%22%22%22",
    "q=*", "q=hydro*", "q=NEAR(a+b)", "q=a+AND+OR+NOT", "q=-hydrogen", "q=title:hydrogen",
    "q=^", "q=(((", "q=')%3B+DROP+TABLE+case_studies%3B--", "q=" + "a+" * 2_000,
    "q=" + "%C3%A4" * 400, "q=" + "x" * 1_000, "q=+", "q=&q=", "q=a&q=b",
    "page=1&page=2", "page=&per_page=", "page=1.5", "page=1e3",
    "page=99999999999999999999999",
    "per_page=-1", "sort=", "sort=relevance", "sort=newest&sort=foo", "ui_lang=", "city=", "city=&city=",
    "year=", "year=0000", "year=%00", "topic=%00", "country=DE&country=de&country=DE",
    "language=xx", "collection=nope", "partnership=", "city[]=Dortmund", "q[]=x",
    "=", "&&&", "q", "city", "%00=%00",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_input_is_never_a_500(client, corpus, query):
    response = client.get(f"/api/v1/search?{query}")

    assert response.status_code in (200, 400), response.get_data(as_text=True)
    body = response.get_json()
    if response.status_code == 400:
        assert body["error"]["parameter"]
    else:
        assert set(body) >= {"total", "page", "per_page", "hits", "facets"}


def test_search_engine_down_answers_503_json(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the index folder should be")
    app = build_app(make_config(tmp_path, EMBEDDED_INDEX_PATH=str(blocker / "index")))

    response = app.test_client().get("/api/v1/search?q=hydrogen")

    assert response.status_code == 503
    assert "unavailable" in response.get_json()["error"]["message"]


# -- resources ------------------------------------------------------------------------

def test_case_studies_list_is_paginated_published_and_newest_first(client, corpus):
    body = client.get("/api/v1/case-studies?per_page=2").get_json()

    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 2)
    assert [item["slug"] for item in body["items"]] == [corpus["youth"].slug, corpus["mine"].slug]
    assert body["items"][0]["city"] == "Buffalo"
    rest = client.get("/api/v1/case-studies?per_page=2&page=2").get_json()
    assert [item["slug"] for item in rest["items"]] == [corpus["bus"].slug]


def test_case_studies_list_rejects_bad_paging(client):
    response = client.get("/api/v1/case-studies?per_page=500")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "per_page"


def test_one_case_study_in_full(client, corpus):
    body = client.get(f"/api/v1/case-studies/{corpus['mine'].slug}").get_json()

    assert body["title"] == "Vom Bergwerk zum Technologiepark"
    assert body["language"] == "de"
    assert "Strukturwandel" in body["body"]
    assert body["topics"] == ["structural-change"]


@pytest.mark.parametrize("slug", ["hydrogen-ferry-feasibility-study", "no-such-case-study"])
def test_drafts_and_unknown_case_studies_are_404_json(client, corpus, slug):
    response = client.get(f"/api/v1/case-studies/{slug}")

    assert response.status_code == 404
    assert slug in response.get_json()["error"]["message"]


def test_cities_list_and_detail(client, corpus):
    listing = client.get("/api/v1/cities").get_json()
    assert [c["name"] for c in listing["items"]] == ["Buffalo", "Dortmund"]
    assert {c["name"]: c["case_study_count"] for c in listing["items"]} == {
        "Buffalo": 1, "Dortmund": 2}

    buffalo = client.get("/api/v1/cities/buffalo").get_json()
    assert buffalo["country"] == "US"
    # The draft is not listed.
    assert [cs["slug"] for cs in buffalo["case_studies"]] == [corpus["youth"].slug]
    missing = client.get("/api/v1/cities/atlantis")
    assert missing.status_code == 404 and "atlantis" in missing.get_json()["error"]["message"]


def test_partnerships_list_their_cities(client, app):
    make_partnership("dortmund-pittsburgh", "Dortmund–Pittsburgh", ["Dortmund", "Pittsburgh"],
                     kind="innovation", since_year=2022)

    body = client.get("/api/v1/partnerships").get_json()

    assert body["total"] == 1
    item = body["items"][0]
    assert (item["slug"], item["kind"], item["since_year"]) == (
        "dortmund-pittsburgh", "innovation", 2022)
    assert {c["name"] for c in item["cities"]} == {"Dortmund", "Pittsburgh"}


def test_topics_are_the_thesaurus_in_the_ui_language(client, app):
    use_thesaurus(app)

    german = client.get("/api/v1/topics?ui_lang=de").get_json()
    assert german["total"] == 4
    assert [t["label"] for t in german["items"]] == [
        "Dürre", "Jugendaustausch", "Strukturwandel", "Wasserstoff"]
    hydrogen = next(t for t in german["items"] if t["id"] == "hydrogen")
    assert hydrogen["labels"]["en"] == {"pref": "Hydrogen", "alt": ["H2"]}
    english = client.get("/api/v1/topics?per_page=1&page=2").get_json()
    assert [t["label"] for t in english["items"]] == ["Hydrogen"]


def test_topics_without_a_thesaurus_is_an_empty_list(client, app):
    app.extensions["thesaurus"] = Thesaurus([])

    assert client.get("/api/v1/topics").get_json() == {
        "total": 0, "page": 1, "per_page": 20, "items": []}


# -- suggest --------------------------------------------------------------------------

def suggest(client, query: str) -> list[dict]:
    response = client.get(f"/api/v1/suggest?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["suggestions"]


def test_suggests_concepts_cities_and_titles_by_prefix(client, corpus):
    found = suggest(client, "q=hy")

    assert {"text": "Hydrogen", "kind": "topic", "value": "hydrogen",
            "url": "/search?topic=hydrogen", "matched": "Hydrogen"} in found
    assert ("case_study", corpus["bus"].slug) in {(s["kind"], s["value"]) for s in found}
    # Drafts are not suggested.
    assert corpus["draft"].slug not in {s["value"] for s in found}
    assert [s["text"] for s in suggest(client, "q=buf")] == ["Buffalo"]


def test_suggest_matches_later_words_after_leading_ones(client, corpus):
    found = suggest(client, "q=orch")

    assert [s["text"] for s in found] == ["Youth orchestra exchange with Dortmund"]


def test_suggest_speaks_the_ui_language(client, corpus):
    assert [s["text"] for s in suggest(client, "q=jugend&ui_lang=de")] == ["Jugendaustausch"]
    assert suggest(client, "q=jugend&ui_lang=en") == []


def test_suggest_puts_preferred_labels_before_alternative_ones(client, corpus):
    found = suggest(client, "q=wasser&ui_lang=de")

    assert [(s["text"], s["matched"]) for s in found] == [
        ("Wasserstoff", "Wasserstoff"), ("Dürre", "Wassermangel")]
    assert [(s["text"], s["matched"]) for s in suggest(client, "q=h2")] == [("Hydrogen", "H2")]


def test_suggest_gives_at_most_ten(client, app):
    for number in range(12):
        make_case_study(f"Climate plan part {number}", body="Climate.")

    assert len(suggest(client, "q=clim")) == 10
    assert len(suggest(client, "q=clim&limit=3")) == 3


@pytest.mark.parametrize("query", ["q=", "", "q=%25", "q=_", "q=%00", "q=%20%20"])
def test_suggest_with_nothing_to_complete_is_empty(client, corpus, query):
    assert suggest(client, query) == []


def test_suggest_rejects_an_overlong_prefix(client):
    response = client.get("/api/v1/suggest?q=" + "x" * 101)
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "q"


def test_suggest_shows_a_title_in_the_reader_language(client, app):
    make_case_study("Vom Bergwerk zum Technologiepark", language="de", body="Zeche.",
                    translations={"en": {"title": "From coal mine to technology park"}})

    english = [s for s in suggest(client, "q=berg&ui_lang=en") if s["kind"] == "case_study"]
    german = [s for s in suggest(client, "q=berg&ui_lang=de") if s["kind"] == "case_study"]

    assert [(s["text"], s["matched"]) for s in english] == [
        ("From coal mine to technology park", "Vom Bergwerk zum Technologiepark")]
    assert [s["text"] for s in german] == ["Vom Bergwerk zum Technologiepark"]
