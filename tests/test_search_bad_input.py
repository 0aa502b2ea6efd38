"""Odd query text through the search API: a sensible 200, or a 400 that names q; never a 500."""

from __future__ import annotations

import pytest

from tests.factories import make_case_study


@pytest.fixture
def corpus(app):
    make_case_study("Hydrogen buses for the city fleet", body="Twenty fuel-cell buses.")


@pytest.mark.parametrize("q", ["", "   ", "?!.,;:()[]{}\"'", "🚌🚌🔥", "💧 🌍", "—…–"])
def test_empty_punctuation_and_emoji_queries_answer(client, corpus, q):
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    if q.strip():
        assert body["total"] == 0 and body["hits"] == []
    else:  # empty: browse everything
        assert body["total"] == 1


def test_a_10000_character_query_is_refused_naming_q(client, corpus):
    response = client.get("/api/v1/search", query_string={"q": "hydrogen " * 1111 + "x"})
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "q"


def test_a_long_query_within_the_limit_answers(client, corpus):
    response = client.get("/api/v1/search", query_string={"q": ("hydrogen buses " * 70)[:1000]})
    assert response.status_code == 200
    assert [hit["title"] for hit in response.get_json()["hits"]] == [
        "Hydrogen buses for the city fleet"]
