"""Contract: odd query text, stemming, cross-language matches, undeclared facets."""

from __future__ import annotations

import random

import pytest

from indexer import QueryError, SearchQuery
from indexer.query import Expansion
from tests.engines.documents import doc, ids, index


def search(engine, text: str = "", **options):
    return engine.search(SearchQuery(text=text, **options))


@pytest.fixture
def corpus(engine):
    index(engine,
          doc(1, "Hydrogen bus depot", body="The depot refuels every hydrogen bus overnight."),
          doc(2, "O'Hare airport shuttle", body="Shuttles between O'Hare and downtown."),
          doc(3, "C++ toolkit for traffic lights", body="Written in C++ by the city."),
          doc(4, "Youth theatre exchange", body="Young actors from both cities."))
    return engine


def test_a_very_long_query_answers(corpus):
    rng = random.Random(1)
    words = ["hydrogen", "depot"]
    text = " ".join(rng.choice(words) for _ in range(400))[:1990]
    # The third word document 1 holds comes last, after hundreds of repeats: the
    # query's words are its distinct words, so it counts.
    text = f"{text} bus".ljust(2000, "!")
    assert len(text) == 2000
    result = search(corpus, text)
    assert ids(result) == [1]


@pytest.mark.parametrize("text, expected", [
    ('"hydrogen', 1),
    ('hydrogen"', 1),
    ('"hydrogen bus"', 1),
    ("hydrogen AND bus", 1),
    ("hydrogen OR bus", 1),
    ("NEAR(", None),
    ("NEAR(hydrogen bus", 1),
    ("hydrogen*", 1),
    ("-hydrogen", 1),
    ("hydrogen:", 1),
    ("title:hydrogen bus", 1),
    ("(theatre", 4),
    ("theatre)", 4),
    ("O'Hare", 2),
    ("C++", 3),
    ("hydrogen bus; DROP TABLE docs; --", None),
    ("{hydrogen}", 1),
    ("^hydrogen", 1),
])
def test_punctuation_and_query_syntax_are_plain_text(corpus, text, expected):
    result = search(corpus, text)
    if expected is not None:
        assert ids(result)[0] == expected
    assert result.total == len(result.hits)


@pytest.mark.parametrize("text", ["*", "-", '"', "()", "''", "+", "…", "—", "?!"])
def test_a_query_without_words_matches_nothing_and_answers(corpus, text):
    result = search(corpus, text)
    assert result.total == 0 and result.hits == []
    assert set(result.facets) == set(SearchQuery().facets)


def test_the_index_still_answers_after_odd_queries(corpus):
    for text in ("NEAR(", "*", "C++", '"'):
        search(corpus, text)
    assert search(corpus).total == 4


def test_english_plural_finds_singular(engine):
    index(engine, doc(1, "Hydrogen bus", body="One hydrogen bus."), doc(2, "Trams"))
    assert ids(search(engine, "hydrogen buses")) == [1]
    assert ids(search(engine, "buses")) == [1]


def test_german_plural_finds_singular(engine):
    index(engine, doc(1, "Ein Bus mit Wasserstoff", body="Der Bus fährt leise.", language="de"),
          doc(2, "Straßenbahn", language="de"))
    assert ids(search(engine, "Busse")) == [1]
    assert ids(search(engine, "Wasserstoffs")) == [1]


def test_umlauts_and_accents_match_either_way(engine):
    index(engine, doc(1, "Stadtentwicklung", body="Die Straße am Hafen wurde grüner.",
                      language="de"),
          doc(2, "Énergie", body="Une stratégie énergétique.", language="fr"))
    assert ids(search(engine, "strasse")) == [1]
    assert ids(search(engine, "grüner")) == [1]
    assert ids(search(engine, "strategie")) == [2]


def test_a_word_typed_without_its_accents_matches_as_its_language_spells_it(engine):
    # The Spanish and Italian stemmers read accents ("sequía" -> "sequ", "sequia" ->
    # "sequi"): each language's words clause spells the query as that language does.
    index(engine, doc(1, "Plan contra la sequía", body="Ahorro de agua.", language="es"),
          doc(2, "Siccità in città", body="Risparmio idrico.", language="it"),
          doc(3, "Agua potable", language="es"))
    found = search(engine, "sequia")
    assert ids(found) == [1]
    # The snippet marks the word as the case study writes it.
    assert "<mark>sequía</mark>" in " ".join(sum(found.hits[0].highlights.values(), []))
    assert ids(search(engine, "siccita")) == [2]
    assert ids(search(engine, "citta")) == [2]


def test_a_translation_is_searchable_and_reported(engine):
    index(engine, doc(1, "Autobusy wodorowe", body="Zajezdnia autobusowa.", language="pl",
                      translations={"en": {"title": "Hydrogen buses",
                                           "body": "The hydrogen bus depot."}}),
          doc(2, "Teatr młodzieżowy", language="pl"))
    hit = search(engine, "hydrogen").hits[0]
    assert hit.id == 1
    assert hit.matched_languages[0] == "en"
    assert "<mark>Hydrogen</mark>" in "".join(hit.highlights["title"])


def test_a_german_query_finds_an_english_translation_through_its_expansion(engine):
    # Expansions come from the thesaurus above the engines: Wasserstoff -> hydrogen.
    index(engine, doc(1, "Autobusy wodorowe", language="pl",
                      translations={"en": {"title": "Hydrogen buses", "body": "A depot."}}),
          doc(2, "Hydrogen trains", language="en", published_days=99),
          doc(3, "Teatr młodzieżowy", language="pl"))
    query = SearchQuery(text="Wasserstoff", expansions=(Expansion("en", "hydrogen"),))
    result = engine.search(query)
    assert sorted(ids(result)) == [1, 2]
    hit = next(hit for hit in result.hits if hit.id == 1)
    assert hit.matched_languages == ("en",)


def test_a_literal_match_outranks_an_expansion(engine):
    index(engine, doc(1, "Hydrogen strategy", published_days=1),
          doc(2, "Wasserstoff Strategie", language="de", published_days=9))
    query = SearchQuery(text="Wasserstoff", expansions=(Expansion("en", "hydrogen", 0.3),))
    assert ids(engine.search(query)) == [2, 1]


@pytest.mark.parametrize("field", ["filters", "facets"])
def test_an_undeclared_facet_is_an_error_naming_it(engine, field):
    value = {"mayor": ("Westphal",)} if field == "filters" else ("mayor",)
    with pytest.raises(QueryError) as raised:
        engine.search(SearchQuery(text="hydrogen", **{field: value}))
    assert raised.value.parameter == "mayor"
    assert "mayor" in str(raised.value)
