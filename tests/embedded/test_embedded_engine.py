"""What only the embedded engine has: files, formats, in-memory snapshots shared by processes."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace

import numpy as np
import pytest

from indexer import EngineUnavailable, SearchQuery, create_engine
from indexer.embedded import bitsets, snapshot
from indexer.embedding import DIMENSIONS, to_bytes
from indexer.engine import Deletion
from tests.engines.documents import counts, doc, ids, index


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "search-index")


@pytest.fixture
def engine(path):
    engine = create_engine("embedded", path=path)
    yield engine
    engine.close()


def test_a_second_engine_on_the_same_files_sees_the_writes(engine, path):
    # The portal and the indexer worker are two processes on one index.
    reader = create_engine("embedded", path=path)
    index(engine, doc(1, "Tram network", city="Dortmund"))
    assert counts(reader.search(SearchQuery()), "city") == {"Dortmund": 1}
    index(engine, doc(2, "Cycle lanes", city="Buffalo", country="US"),
          doc(1, "Tram network", city="Essen", version=2))
    result = reader.search(SearchQuery(filters={"city": ("Essen",)}))
    assert ids(result) == [1]
    assert counts(result, "city") == {"Essen": 1, "Buffalo": 1}
    engine.delete([Deletion(2, 1)])
    assert counts(reader.search(SearchQuery()), "city") == {"Essen": 1}
    assert ids(reader.search(SearchQuery(text="cycle"))) == []
    reader.close()


def test_incremental_snapshots_equal_a_fresh_load(engine, path):
    rng = random.Random(3)
    cities = ["Dortmund", "Essen", "Buffalo", "Lyon"]
    index(engine, *[doc(i, f"Study {i}", city=rng.choice(cities)) for i in range(1, 200)])
    engine.search(SearchQuery())  # the snapshot to update from
    for round_ in range(2, 12):
        changed = rng.sample(range(1, 260), 15)
        index(engine, *[doc(i, f"Study {i}", city=rng.choice(cities), version=round_,
                            topics=(rng.choice(("a", "b", "c")),)) for i in changed[:10]])
        engine.delete([Deletion(i, round_) for i in changed[10:]])
        held = engine.search(SearchQuery())
        fresh = create_engine("embedded", path=path)
        assert held == fresh.search(SearchQuery()), f"round {round_}"
        fresh.close()


def test_an_index_in_an_older_format_asks_for_a_rebuild(engine, path):
    index(engine, doc(1, "Tram network"))
    name = engine.store.current_name()
    with sqlite3.connect(f"{path}/{name}") as connection:
        connection.execute("PRAGMA user_version=1")
    stale = create_engine("embedded", path=path)
    with pytest.raises(EngineUnavailable, match="cityex index rebuild"):
        stale.search(SearchQuery())
    assert stale.health()["status"] == "down"
    stale.rebuild(iter([doc(1, "Tram network")]))
    assert stale.search(SearchQuery(text="tram")).total == 1
    stale.close()


def test_a_failed_rebuild_keeps_the_current_index(engine, path, tmp_path):
    index(engine, doc(1, "Tram network"))
    files_before = sorted(p.name for p in (tmp_path / "search-index").iterdir())

    def documents():
        yield doc(2, "Cycle lanes")
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        engine.rebuild(documents())
    assert ids(engine.search(SearchQuery(text="tram"))) == [1]
    assert sorted(p.name for p in (tmp_path / "search-index").iterdir()) == files_before


def test_an_unusable_index_directory_is_unavailable(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    engine = create_engine("embedded", path=str(tmp_path / "file" / "index"))
    with pytest.raises(EngineUnavailable):
        engine.search(SearchQuery())
    assert engine.health()["status"] == "down"


def test_bitsets_round_trip():
    members = [0, 1, 7, 8, 9, 63, 64, 1000, 99_999]
    bits = bitsets.from_ids(members)
    assert bits.bit_count() == len(members)
    assert bitsets.ids_of(bits) == members
    data = bitsets.as_bytes(bits)
    assert [i for i in range(100_001) if bitsets.contains(data, i)] == members
    assert bitsets.from_ids([]) == 0 and bitsets.ids_of(0) == []
    assert bitsets.from_array(np.array(members)) == bits
    assert bitsets.id_array(bits).tolist() == members and bitsets.from_array(np.array([])) == 0


def test_a_rebuild_by_another_process_reaches_a_reader_on_its_next_search(engine, path):
    # The reader keeps the index pointer it read until the file changes.
    index(engine, doc(1, "Tram network"))
    reader = create_engine("embedded", path=path)
    assert ids(reader.search(SearchQuery(text="tram"))) == [1]
    create_engine("embedded", path=path).rebuild([doc(2, "Tram depot"), doc(3, "Tram stop")])
    assert sorted(ids(reader.search(SearchQuery(text="tram")))) == [2, 3]
    reader.close()


def test_documents_a_concept_tags_equally_come_newest_first(engine):
    # Every tagged document ties on the concept signal: newest first, on every page.
    order = [5, 1, 4, 2, 3]  # publication order, oldest first
    index(engine, *[doc(i, f"Study {i}", topics=("hydrogen",), published_days=day)
                    for day, i in enumerate(order)])
    query = SearchQuery(text="zzzunknown", concepts=("hydrogen",), per_page=2)
    pages = [ids(engine.search(replace(query, page=page))) for page in (1, 2, 3)]
    assert pages == [[3, 2], [4, 1], [5]]


def test_snapshot_update_falls_back_to_a_full_load_after_many_changes(engine):
    index(engine, doc(1, "A"))
    engine.search(SearchQuery())
    index(engine, *[doc(i, "B", city="Essen") for i in range(2, 1500)])
    connection = engine.store.connection()
    held = next(iter(engine._snapshots._snapshots.values()))
    generation = snapshot.current_generation(connection)
    updated = snapshot.update(connection, held, generation)
    assert updated == snapshot.load(connection, held.name, generation)


def test_common_terms_are_matched_and_two_words_must_both_match(engine):
    # "city" is in every document (FTS5 scores it ~0); "hydrogen" in three.
    index(engine, *[doc(i, f"City report {i}", body="The city and its people. " * (i % 4 + 1)
                        + ("Hydrogen buses. " if i in (3, 6, 9) else ""))
                    for i in range(1, 13)])
    both = engine.search(SearchQuery(text="hydrogen city", per_page=3))
    assert set(ids(both)) == {3, 6, 9} and both.total == 3
    pages = [ids(engine.search(SearchQuery(text="city", per_page=5, page=page)))
             for page in (1, 2, 3)]
    seen = [i for page in pages for i in page]
    assert sorted(seen) == list(range(1, 13))  # every match once, across pages
    newest = engine.search(SearchQuery(text="city", sort="newest", per_page=12))
    assert ids(newest) == list(range(12, 0, -1)) and newest.total == 12


def test_a_narrow_filter_ranks_as_the_unfiltered_search_does(engine):
    # A filter keeps the unfiltered order of the documents it keeps (ranks are fused
    # within the filter, so scores may differ).
    index(engine, *[doc(i, f"Report {i}", body="hydrogen " * (i % 7 + 1) + "bus " * (i % 3),
                        city="Essen" if i % 10 == 0 else "Dortmund") for i in range(1, 81)])
    everything = engine.search(SearchQuery(text="hydrogen bus", per_page=100))
    essen = engine.search(SearchQuery(text="hydrogen bus", per_page=100,
                                      filters={"city": ("Essen",)}))
    expected = [hit.id for hit in everything.hits if hit.id % 10 == 0]
    assert ids(essen) == expected
    # Both words must match: documents without "bus" (i % 3 == 0) are not found.
    both = [i for i in range(1, 81) if i % 3]
    assert essen.total == len([i for i in both if i % 10 == 0]) == 6
    assert counts(essen, "city") == {"Dortmund": len(both) - 6, "Essen": 6}


def test_an_update_that_drops_a_translation_removes_its_words(engine, path):
    # The full-text tables keep no copy of the texts: a row is removed with the
    # stems analysed again from the one stored copy, translations included.
    index(engine, doc(1, "Tram network", body="Electric trams",
                      translations={"de": {"title": "Straßenbahnnetz", "summary": "",
                                           "body": "Elektrische Straßenbahnen"}}))
    assert ids(engine.search(SearchQuery(text="straßenbahnen"))) == [1]
    index(engine, doc(1, "Cycle lanes", body="Protected bicycle lanes", version=2))
    assert ids(engine.search(SearchQuery(text="straßenbahnen"))) == []
    assert ids(engine.search(SearchQuery(text="tram"))) == []
    index(engine, doc(1, "Tram network", body="Electric trams", version=3))
    assert ids(engine.search(SearchQuery(text="tram"))) == [1]
    engine.delete([Deletion(1, 4)])
    assert ids(engine.search(SearchQuery(text="tram"))) == []
    name = engine.store.current_name()
    with sqlite3.connect(f"{path}/{name}") as raw:
        for language in ("en", "de"):
            raw.execute(f"INSERT INTO fts_{language} (fts_{language}) VALUES ('integrity-check')")
            assert raw.execute(f"SELECT count(*) FROM fts_{language}_docsize").fetchone()[0] == 0


def test_vectors_read_in_blocks_stay_with_their_documents(engine, monkeypatch):
    """The snapshot reads the vector matrix a block at a time (memory at 100k): each
    document must keep its own vector across block boundaries."""
    monkeypatch.setattr(snapshot, "VECTOR_BLOCK", 3)
    documents = []
    for i in range(1, 11):
        axis = np.zeros(DIMENSIONS, dtype=np.float32)
        axis[i] = 1.0
        documents.append(replace(doc(i, f"Study {i}"), vector=to_bytes(axis)))
    index(engine, *documents)
    for i in (1, 4, 7, 10):  # first, block starts and the last, short block
        axis = np.zeros(DIMENSIONS, dtype=np.float32)
        axis[i] = 1.0
        result = engine.search(SearchQuery(text="unrelated words", vector=to_bytes(axis)))
        assert ids(result) == [i]


def test_a_snapshot_load_gives_the_connection_its_page_cache_back(engine, path):
    """The load scans with a small page cache; searches afterwards have the full one."""
    index(engine, doc(1, "Tram network"))
    connection = engine.store.connection()
    before = connection.execute("PRAGMA cache_size").fetchone()[0]
    assert ids(engine.search(SearchQuery(text="tram"))) == [1]
    assert connection.execute("PRAGMA cache_size").fetchone()[0] == before == -16384
