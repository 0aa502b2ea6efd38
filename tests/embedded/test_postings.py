"""The words signal's postings (indexer/embedded/postings.py) score exactly as FTS5's
bm25() scores the same expression, over the same documents, through writes that
rewrite and delete documents and merges of the postings segments."""

from __future__ import annotations

import random

import numpy as np
import pytest

from indexer import SearchQuery, create_engine
from indexer.embedded import engine as embedded_engine
from indexer.embedded import matching, postings, searching, writing
from indexer.embedded.schema import fts_table
from tests.engines.documents import delete, doc, ids, index

WORDS = {
    "en": "hydrogen bus buses depot climate plan city council heat pump district heating coal "
          "mine youth exchange food policy market transition energy citizens jury".split(),
    "de": "Wasserstoff Busse Wasserstoffbusse Klimaplan Stadtrat Wärmepumpe Fernwärme Kohle "
          "Zeche Jugendaustausch Ernährungsrat Markt Strukturwandel Energie Bürgerrat".split(),
    "fr": "hydrogène bus dépôt climat plan ville conseil chaleur charbon jeunesse marché "
          "transition énergie citoyens".split(),
}
QUERIES = {
    "en": ["hydrogen buses", "climate plan city", "district heating heat pump coal",
           "youth exchange food market energy", "citizens", "bus depot transition plan"],
    "de": ["Wasserstoffbusse", "Klimaplan Stadtrat Energie", "Kohle Zeche Strukturwandel",
           "Wasserstoff Busse Markt Energie Bürgerrat"],
    "fr": ["hydrogène bus", "plan climat ville conseil", "charbon"],
}


def text(rng: random.Random, language: str, words: int) -> str:
    return " ".join(rng.choice(WORDS[language]) for _ in range(words))


def random_doc(rng: random.Random, doc_id: int, version: int = 1):
    language = rng.choice(list(WORDS))
    other = rng.choice([code for code in WORDS if code != language])
    translations = ({other: {"title": text(rng, other, 4), "summary": text(rng, other, 8),
                             "body": text(rng, other, rng.randrange(0, 60))}}
                    if rng.random() < 0.4 else None)
    return doc(doc_id, text(rng, language, rng.randrange(1, 6)), language=language,
               summary=text(rng, language, rng.randrange(0, 15)),
               body=text(rng, language, rng.randrange(0, 120)), version=version,
               translations=translations)


@pytest.fixture
def engine(tmp_path):
    engine = create_engine("embedded", path=str(tmp_path / "search-index"))
    yield engine
    engine.close()


def assert_postings_score_as_fts5(engine) -> int:
    """Every literal subquery of QUERIES, both ways; returns how many documents matched."""
    compared = 0
    with engine._transaction("test", begin="BEGIN") as connection:
        snapshot, fresh = engine._snapshots.get(connection, engine.store.connected_name())
        assert fresh
        for text_ in (query for queries in QUERIES.values() for query in queries):
            for part in matching.subqueries(SearchQuery(text=text_)):
                fts = searching._scored(connection, fts_table(part.language), part.expression,
                                        part.weight)
                found_ids, scores = postings.bm25(connection, snapshot.lexicon, part.language,
                                                  part.clauses, part.required, part.weight)
                assert found_ids.tolist() == sorted(fts), (text_, part.language)
                np.testing.assert_allclose(scores, [fts[i] for i in found_ids.tolist()],
                                           rtol=1e-9, err_msg=f"{text_} ({part.language})")
                compared += len(fts)
    return compared


def test_scores_equal_fts5_through_rewrites_deletions_and_merges(engine):
    rng = random.Random(7)
    index(engine, *(random_doc(rng, doc_id) for doc_id in range(1, 301)))
    assert assert_postings_score_as_fts5(engine) > 500
    # Single writes, rewrites of held documents and deletions, as the indexer drains them.
    for step in range(60):
        doc_id = rng.randrange(1, 340)
        if step % 5 == 4:
            delete(engine, doc_id, version=100 + step)
        else:
            index(engine, random_doc(rng, doc_id, version=100 + step))
    with engine._transaction("test", begin="BEGIN") as connection:
        segments = connection.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
    # Segments of similar size were merged as they came (about 4 * log_4 of 48 writes).
    assert 1 < segments <= 4 * 3
    assert assert_postings_score_as_fts5(engine) > 500
    with engine._transaction("test") as connection:
        writing.next_generation(connection)
        postings.merge_all(connection)
        assert connection.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 1
    assert assert_postings_score_as_fts5(engine) > 500


def test_a_rebuild_writes_one_segment_that_scores_as_fts5(engine, monkeypatch):
    # Segments of 100 texts while it writes, merged into one at its end.
    monkeypatch.setattr(embedded_engine, "REBUILD_SEGMENT", 100)
    rng = random.Random(3)
    engine.rebuild(random_doc(rng, doc_id) for doc_id in range(1, 1201))
    with engine._transaction("test", begin="BEGIN") as connection:
        assert connection.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 1
    assert assert_postings_score_as_fts5(engine) > 2000


def test_a_rewritten_document_is_found_by_its_new_words_only(engine):
    index(engine, doc(1, "Hydrogen buses in Dortmund"), doc(2, "Hydrogen depot"))
    index(engine, doc(1, "Food policy council", version=2))
    assert ids(engine.search(SearchQuery(text="hydrogen"))) == [2]
    assert ids(engine.search(SearchQuery(text="food policy"))) == [1]
    delete(engine, 2, version=3)
    assert ids(engine.search(SearchQuery(text="hydrogen"))) == []


def test_a_stem_fts5_reads_as_a_phrase_is_left_to_fts5(engine):
    index(engine, doc(1, "The open_data portal"), doc(2, "Open data and the portal"))
    with engine._transaction("test", begin="BEGIN") as connection:
        snapshot, _fresh = engine._snapshots.get(connection, engine.store.connected_name())
        assert postings.bm25(connection, snapshot.lexicon, "en", (("open_data",),), 1,
                             1.0) is None
    # Through FTS5, as before: the phrase "open data", in both.
    assert sorted(ids(engine.search(SearchQuery(text="open_data")))) == [1, 2]


def test_a_reader_behind_a_newer_snapshot_still_finds_what_its_transaction_holds(engine):
    # A worker's thread may search in a transaction begun before a write that another
    # thread's search already loaded into the shared snapshot. Its postings bookkeeping
    # would skip the rewritten document; the search answers from FTS5, as its
    # transaction sees the index.
    index(engine, doc(1, "Hydrogen buses in Dortmund"), doc(2, "Food policy council"))
    engine.search(SearchQuery(text="hydrogen"))
    behind = engine.store.connect(engine.store.connected_name())
    behind.execute("BEGIN")
    older = behind.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
    index(engine, doc(1, "Hydrogen buses in Dortmund, one year on", version=2))
    engine.search(SearchQuery(text="hydrogen"))  # the shared snapshot moves on
    newer, fresh = engine._snapshots.get(behind, engine.store.connected_name())
    assert newer.generation > older and not fresh
    result = searching.run_search(behind, newer, SearchQuery(text="hydrogen"), fresh)
    assert ids(result) == [1]
    behind.execute("ROLLBACK")
    behind.close()


def test_an_updated_snapshot_keeps_the_lexicon_a_fresh_load_reads(engine, tmp_path):
    rng = random.Random(11)
    index(engine, *(random_doc(rng, doc_id) for doc_id in range(1, 120)))
    engine.search(SearchQuery())  # the snapshot to update from
    for step in range(12):
        index(engine, *(random_doc(rng, rng.randrange(1, 150), version=10 + step)
                        for _ in range(3)))
        delete(engine, rng.randrange(1, 150), version=10 + step)
        engine.search(SearchQuery())
    with engine._transaction("test", begin="BEGIN") as connection:
        updated, _fresh = engine._snapshots.get(connection, engine.store.connected_name())
        loaded = postings.load_lexicon(connection, postings.generations_array(
            connection.execute("SELECT id, generation FROM docs").fetchall()))
    held = updated.lexicon
    size = len(loaded.generations)
    assert (held.generations[:size] == loaded.generations).all()
    assert (held.generations[size:] == -1).all()
    assert held.segments == loaded.segments
    for language, lengths in loaded.lengths.items():
        assert held.lengths[language].documents == lengths.documents
        assert held.lengths[language].average == pytest.approx(lengths.average)
        assert (held.lengths[language].tokens[:size] == lengths.tokens).all()
