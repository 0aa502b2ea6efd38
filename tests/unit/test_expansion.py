"""Query expansion, concept recognition and did-you-mean: builders only, no engine.

The thesaurus here is the real one (config/thesaurus/): these tests are also
about its labels, which the relevance figures depend on.
"""

from __future__ import annotations

import itertools
import json

import pytest
import wordfreq

from cityexchange.services.crosslang import build_query
from cityexchange.services.search import SearchRequest
from indexer.analysis import LANGUAGES, THESAURUS_PATH, analyze
from indexer.expansion import expand, recognise
from indexer.spelling import common_word, corrected, edit_distance, suspects, with_accents
from indexer.thesaurus import Concept, Thesaurus


@pytest.fixture(scope="module")
def thesaurus() -> Thesaurus:
    return Thesaurus.load(THESAURUS_PATH)


def request(q: str, ui_lang: str = "en", **filters) -> SearchRequest:
    return SearchRequest(q=q, page=1, per_page=20, sort="relevance", ui_lang=ui_lang,
                         filters={name: tuple(values) for name, values in filters.items()})


# -- expansion ------------------------------------------------------------------------------

def test_a_german_query_recognises_hydrogen_and_expands_into_every_language(thesaurus):
    expanded = expand("Wasserstoff Busse", thesaurus)
    assert expanded.concepts[0] == "hydrogen"
    texts = {(e.language, e.text) for e in expanded.expansions}
    assert {("en", "hydrogen"), ("fr", "hydrogène"), ("pl", "wodór"), ("it", "idrogeno")} <= texts


def test_the_query_is_its_literal_text_and_its_concepts_as_one_clause(thesaurus):
    query, explanation = build_query(request("Wasserstoff Busse", "de"), thesaurus)
    # No fan-out of labels across languages: the concepts are matched on the documents'
    # concept tags (indexer/fusion.py), narrower ones weaker.
    assert query.text == "Wasserstoff Busse"
    assert query.expansions == ()
    assert query.concepts == ("hydrogen",) and "fuel-cell-bus" in query.narrower_concepts
    assert [c.id for c in explanation.concepts] == ["hydrogen"]
    assert explanation.concepts[0].label == "Wasserstoff"


def test_a_label_made_of_the_querys_own_words_is_not_repeated(thesaurus):
    expanded = expand("hydrogen", thesaurus)
    assert ("en", "hydrogen") not in {(e.language, e.text) for e in expanded.expansions}


def test_a_query_naming_no_concept_adds_no_expansions(thesaurus):
    expanded = expand("Dortmund Nord", thesaurus)
    assert expanded == expand("", thesaurus)
    assert expanded.concepts == () and expanded.expansions == ()
    query, explanation = build_query(request("Dortmund Nord"), thesaurus)
    assert query.expansions == ()
    assert "no thesaurus concept" in " ".join(explanation.tried())


def test_related_concepts_weigh_less_than_the_named_one(thesaurus):
    expanded = expand("coal phase-out", thesaurus)
    boosts = {(e.language, e.text): e.boost for e in expanded.expansions}
    named = boosts[("de", "Kohleausstieg")]          # the concept's own preferred label
    narrower = boosts[("de", "Zechenschließung")]   # mine closure, a narrower concept
    assert narrower < named
    # Strongest first: past the cap, the weakest would be dropped.
    assert [e.boost for e in expanded.expansions] == sorted(
        (e.boost for e in expanded.expansions), reverse=True)


def test_the_longest_label_wins_across_languages(thesaurus):
    # "urbani" alone reads as a Spanish word for urban (urban development).
    assert recognise("orti urbani", thesaurus) == ["urban-gardening"]
    assert recognise("huertos urbanos", thesaurus) == ["urban-gardening"]


def test_a_compound_label_does_not_also_name_its_parts(thesaurus):
    assert recognise("Kreislaufwirtschaft", thesaurus) == ["circular-economy"]
    # A compound that is no label still names the concepts of its parts.
    assert "hydrogen" in recognise("Wasserstofftankstelle", thesaurus)


def test_two_concepts_in_one_query_are_both_recognised(thesaurus):
    assert recognise("Kohleausstieg Strukturwandel", thesaurus) == [
        "coal-phase-out", "structural-change"]


def test_a_polish_query_finds_dortmunds_structural_change(thesaurus):
    expanded = expand("transformacja węglowa", thesaurus)
    assert expanded.concepts == ("coal-phase-out",)
    assert ("de", "Kohleausstieg") in {(e.language, e.text) for e in expanded.expansions}


def test_a_browse_request_builds_a_plain_query(thesaurus):
    query, explanation = build_query(request("", city=["Dortmund"]), thesaurus)
    assert query.is_browse and query.expansions == () and query.filters == {
        "city": ("Dortmund",)}
    assert explanation.tried() == []


# -- did you mean ---------------------------------------------------------------------------

def test_edit_distance_counts_a_swap_as_one_edit():
    assert edit_distance("hydorgen", "hydrogen", 2) == 1
    assert edit_distance("strukturwandl", "strukturwandel", 2) == 1
    assert edit_distance("abc", "abcdef", 2) == 3  # past the limit: limit + 1


@pytest.mark.parametrize("typed, expected", [
    ("hydorgen", "hydrogen"),
    ("Strukturwandl", "Strukturwandel"),
    ("Hydorgen", "Hydrogen"),  # the searcher's capitalisation
    ("Kohleaustieg", "Kohleausstieg"),
    ("energetiqe", "énergétique"),  # written as the label writes it, accents included
])
def test_did_you_mean_finds_the_closest_label_word(thesaurus, typed, expected):
    assert thesaurus.speller.suggest(typed) == expected


def test_known_words_and_short_words_are_not_corrected(thesaurus):
    # Label words, their inflections (stems), words too short to judge.
    assert suspects("Wasserstoff Busse transformacja węglowa", thesaurus.speller) == {}
    assert suspects("buses heat", thesaurus.speller) == {}
    assert suspects("Zeche", thesaurus.speller) == {}


def test_a_common_word_of_a_language_is_no_typo_though_no_label_has_it(thesaurus):
    # "shrinking" lies two edits from the label word "drinking"; it is an English word
    # (wordfreq), so "shrinking cities" is not "drinking cities". Misspellings still are.
    assert thesaurus.speller.suggest("shrinking") == "drinking"
    assert suspects("shrinking cities", thesaurus.speller) == {}
    assert suspects("Stadtteile schrumpfen", thesaurus.speller) == {}
    assert suspects("hydorgen Wasserstof", thesaurus.speller) == {
        "hydorgen": "hydrogen", "Wasserstof": "Wasserstoff"}


def test_a_word_typed_without_its_accents_is_no_typo(thesaurus):
    # "tiree" is "tirée" without its accent, one edit from the label word "tree".
    assert suspects("assemblee citoyenne tiree au sort", thesaurus.speller) == {}
    assert suspects("assemblee citoyenne tiree hydorgen", thesaurus.speller) == {
        "hydorgen": "hydrogen"}


# -- words typed without their accents ------------------------------------------------------

@pytest.mark.parametrize("language, typed, spelt", [
    ("es", "sequia ahorro de agua", "sequía ahorro de agua"),
    ("pl", "oczyszczalnia sciekow", "oczyszczalnia ścieków"),
    ("pl", "transformacja weglowa", "transformacja węglowa"),  # a label word
    ("fr", "Precarite energetique", "Précarité énergétique"),  # capitals kept
    ("fr", "HYDROGENE VERT", "HYDROGÈNE VERT"),
    ("it", '"citta 30"?', '"città 30"?'),  # marks and spacing kept
    ("de", "kommunale Warmeplanung", "kommunale Wärmeplanung"),
    # As the language most often writes it: no accent to add, or it is there already.
    ("fr", "gestion des eaux pluviales", "gestion des eaux pluviales"),
    ("it", "economia circolare", "economia circolare"),
    ("es", "economia circular", "economía circular"),
    ("es", "economía circular", "economía circular"),
    ("en", "cafe naive", "cafe naive"),
])
def test_a_word_typed_without_its_accents_is_spelt_as_its_language_spells_it(
        language, typed, spelt):
    assert with_accents(typed, language) == spelt


def test_a_concept_is_recognised_in_words_typed_without_their_accents(thesaurus):
    # The Italian stemmer reads the accent: "siccità" -> "siccit", "siccita" -> "sicc".
    assert analyze("siccita", "it") != analyze("siccità", "it")
    assert "drought" in recognise("siccità", thesaurus)
    assert "drought" in recognise("siccita", thesaurus)
    assert recognise("oczyszczalnia sciekow", thesaurus) == recognise(
        "oczyszczalnia ścieków", thesaurus)


def test_the_compact_common_words_agree_with_wordfreq():
    # common_word keeps hashes of wordfreq's lists, not the lists: it must answer as they do.
    sample = ["Straße", "STRASSE", "shrinking", "Schrumpfung", "écologie", "miasto",
              "zonnepanelen", "hydorgen", "Wasserstof", "klimaatadaptatie", "gaspilage"]
    for language in ("en", "de", "fr", "nl", "pl", "es", "it"):
        sample += list(itertools.islice(wordfreq.iter_wordlist(language, "small"), 0, 40_000, 4_000))
    for word in sample:
        listed = any(wordfreq.word_frequency(word, language, wordlist="small") > 0
                     for language in ("en", "de", "fr", "nl", "pl", "es", "it"))
        assert common_word(word) == listed, word


def test_corrected_text_keeps_the_other_words_and_spacing():
    assert corrected("hydorgen  buses, Dortmund", {"hydorgen": "hydrogen"}) == (
        "hydrogen  buses, Dortmund")


def test_a_thesaurus_of_other_labels_suggests_from_those():
    small = Thesaurus([Concept("drought", {"en": "Drought", "de": "Dürre"})])
    assert small.speller.suggest("drougth") == "drought"
    assert small.speller.suggest("hydorgen") is None


# -- the thesaurus file's own rules ---------------------------------------------------------

def test_no_two_concepts_share_a_stemmed_label_in_a_language():
    data = json.loads(THESAURUS_PATH.read_text(encoding="utf-8"))
    owner: dict[tuple[str, tuple[str, ...]], str] = {}
    clashes = []
    for concept in data["concepts"]:
        for language, labels in concept["labels"].items():
            assert language in LANGUAGES
            for label in [labels["pref"], *labels.get("alt", [])]:
                key = (language, tuple(analyze(label, language)))
                if owner.setdefault(key, concept["id"]) != concept["id"]:
                    clashes.append((label, owner[key], concept["id"]))
    assert clashes == []


def test_broader_and_narrower_are_symmetric():
    concepts = {c["id"]: c for c in json.loads(THESAURUS_PATH.read_text("utf-8"))["concepts"]}
    for concept_id, concept in concepts.items():
        for narrower in concept.get("narrower", []):
            assert concept_id in concepts[narrower].get("broader", []), (concept_id, narrower)
        for broader in concept.get("broader", []):
            assert concept_id in concepts[broader].get("narrower", []), (concept_id, broader)
