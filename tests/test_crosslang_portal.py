"""Cross-language search as a user meets it: the search page and GET /api/v1/search
(with the real thesaurus from config/ and the embedded engine)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.factories import make_case_study
from tests.test_i18n import compiled_catalogue  # noqa: F401  (a fixture: the German .mo)


@pytest.fixture
def corpus(app):
    return {
        "depot": make_case_study(
            "Wasserstoffbusse im Betriebshof", language="de",
            summary="Zwanzig Busse fahren mit Wasserstoff.",
            body="Die Stadtwerke betanken ihre Busse mit grünem Wasserstoff."),
        "lyon": make_case_study(
            "Des bus à hydrogène à Lyon", city="Lyon", language="fr",
            summary="La ligne roule à l'hydrogène vert.",
            body="Une station de recharge en hydrogène alimente la flotte."),
        "pittsburgh": make_case_study(
            "Fuel-cell buses on hilly routes", city="Pittsburgh", language="en",
            summary="Hydrogen buses climb the hills.",
            body="The transit agency runs hydrogen fuel-cell buses."),
        "theatre": make_case_study(
            "Teatr młodzieżowy", city="Katowice", language="pl",
            summary="Spektakle dla młodzieży.", body="Młodzi aktorzy grają w teatrze."),
        # More German text, as a portal has: a term's weight depends on how rare it is
        # among the documents of its language.
        **{f"de-{number}": make_case_study(
            title, language="de", summary=summary, body=summary)
           for number, (title, summary) in enumerate([
               ("Jugendaustausch mit Buffalo", "Schülerinnen besuchen die Partnerstadt."),
               ("Radwege in der Nordstadt", "Neue Radwege verbinden die Stadtteile."),
               ("Hitzeaktionsplan", "Trinkbrunnen und kühle Räume für ältere Menschen."),
           ])},
    }


def api(client, query: str) -> dict:
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def page_text(response) -> str:
    """The page's text as read: tags out, whitespace collapsed."""
    text = unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", text)


def test_a_german_query_finds_the_french_and_english_case_studies(client, corpus):
    body = api(client, "q=Wasserstoff")
    slugs = [hit["slug"] for hit in body["hits"]]
    assert slugs[0] == corpus["depot"].slug
    assert set(slugs) == {corpus[name].slug for name in ("depot", "lyon", "pittsburgh")}
    assert body["concepts"] == [{"id": "hydrogen", "label": "hydrogen"}]
    assert body["did_you_mean"] is None


def test_the_api_names_recognised_concepts_in_the_ui_language(client, corpus):
    body = api(client, "q=hydrogen&ui_lang=de")
    assert body["concepts"] == [{"id": "hydrogen", "label": "Wasserstoff"}]


def test_the_api_suggests_a_spelling_and_still_finds(client, corpus):
    body = api(client, "q=hydorgen")
    assert body["did_you_mean"] == "hydrogen"
    assert {hit["slug"] for hit in body["hits"]} >= {corpus["lyon"].slug,
                                                      corpus["pittsburgh"].slug}


def test_browsing_has_no_suggestion_and_no_concepts(client, corpus):
    body = api(client, "")
    assert body["total"] == 7
    assert body["did_you_mean"] is None and body["concepts"] == []


def test_the_page_offers_did_you_mean_as_a_link(client, corpus):
    response = client.get("/search?q=hydorgen&city=Lyon")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Did you mean" in page_text(response)
    link = re.search(r'class="did-you-mean">[^<]*<a href="([^"]+)"', html).group(1)
    assert "q=hydrogen" in link and "city=Lyon" in link
    assert corpus["lyon"].title in page_text(response)


def test_an_empty_result_says_what_was_tried_and_offers_the_closest_topics(client, corpus):
    # Misspelt, and nothing in Lyon is about heat even once corrected.
    response = client.get("/search?q=hetawave&city=Lyon")
    text = page_text(response)
    assert response.status_code == 200
    assert "No case study matches" in text
    assert "What was tried" in text and "7 languages" in text
    assert 'href="/search?topic=heatwave"' in response.get_data(as_text=True)


def test_what_was_tried_speaks_the_ui_language(client, corpus, compiled_catalogue):  # noqa: F811
    text = page_text(client.get("/search?q=hetawave&city=Lyon&ui_lang=de"))
    assert "Meinten Sie heatwave?" in text
    assert "Was versucht wurde" in text and "in 7 Sprachen" in text
    assert "ähnliche Schreibweisen" in text


def test_a_found_page_shows_no_empty_state_notes(client, corpus):
    text = page_text(client.get("/search?q=Wasserstoff"))
    assert "Did you mean" not in text and "What was tried" not in text
