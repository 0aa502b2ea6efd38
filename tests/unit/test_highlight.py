"""Snippet rules shared by both engines (indexer/highlight.py); the engines' own
snippets are checked in tests/engines/test_search.py."""

import json

from indexer.analysis import LANGUAGES, analyze, stopwords
from indexer.highlight import (clean_fragments, highlight_fragments, highlight_whole,
                               snippet_index)


def test_every_language_has_a_function_word_list():
    for language in LANGUAGES:
        assert len(stopwords(language)) > 50, language
    assert {"der", "des", "im"} <= stopwords("de")
    assert {"à", "des", "de"} <= stopwords("fr")
    assert "hydrogen" not in stopwords("en") and "wodór" not in stopwords("pl")


def test_a_long_sentence_is_cut_around_its_match_and_says_so():
    text = ("Intro. " + " ".join(f"w{i}" for i in range(40)) + " hydrogen "
            + " ".join(f"v{i}" for i in range(40)) + ". Next.")
    [fragment] = highlight_fragments(text, "en", set(analyze("hydrogen", "en")))
    assert fragment.startswith("… ") and fragment.endswith(" …")
    assert "<mark>hydrogen</mark>" in fragment and "Intro" not in fragment


def test_fragments_come_in_text_order_and_end_with_their_sentence():
    text = "Buses run on hydrogen. Nothing here. Hydrogen buses and hydrogen trucks."
    fragments = highlight_fragments(text, "en", set(analyze("hydrogen", "en")))
    assert fragments == ["Buses run on <mark>hydrogen</mark>.",
                         "<mark>Hydrogen</mark> buses and <mark>hydrogen</mark> trucks."]


def test_another_engines_fragments_lose_function_word_marks_and_unmarked_lines():
    fragments = ["Results\nThe <mark>bus</mark> <mark>à</mark> hydrogène", "<mark>des</mark> bus"]
    assert clean_fragments(fragments, "fr") == ["The <mark>bus</mark> à hydrogène"]


def test_one_stored_snippet_index_serves_every_query():
    # An engine stores the index as JSON when it indexes the text; any later query's
    # marks come from it, and none of an earlier query's stay.
    text = "Hydrogen buses in İstanbul. The tram depot opened. Buses run at night."
    index = json.loads(json.dumps(snippet_index(text, "en")))
    assert highlight_fragments(text, "en", set(analyze("tram", "en")), index=index) == [
        "The <mark>tram</mark> depot opened."]
    assert highlight_fragments(text, "en", set(analyze("buses", "en")), index=index) == [
        "Hydrogen <mark>buses</mark> in İstanbul.", "<mark>Buses</mark> run at night."]
    assert highlight_fragments(text, "en", set(analyze("night depot", "en")), index=index) == [
        "The tram <mark>depot</mark> opened.", "Buses run at <mark>night</mark>."]
    title = "Tram depot"
    title_index = snippet_index(title, "en")
    assert highlight_whole(title, "en", set(analyze("bus", "en")), title_index) is None
    assert highlight_whole(title, "en", set(analyze("depots", "en")), title_index) == (
        "Tram <mark>depot</mark>")


def test_words_after_one_that_casefolding_splits_are_marked_in_place():
    # "İ" casefolds to "i" and a combining dot, which \w does not match: counted in the
    # casefolded text, every later word would be one position off.
    text = "Partners: İzmir and Dortmund. İzmir hosts the hydrogen fair."
    assert highlight_fragments(text, "en", set(analyze("hydrogen fair", "en"))) == [
        "İzmir hosts the <mark>hydrogen</mark> <mark>fair</mark>."]
