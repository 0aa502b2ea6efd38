"""Contract: a rebuild switches atomically and searches keep being answered."""

from __future__ import annotations

import threading

from indexer import SearchQuery
from tests.engines.documents import doc, ids, index

OLD, NEW = 10, 2000


def documents(count: int, start: int = 1):
    for i in range(start, start + count):
        yield doc(i, f"Harbour study {i}", summary="Port logistics and hydrogen",
                  body=f"Case study {i} about the harbour, cranes and shipping.",
                  city=("Dortmund", "Buffalo", "Pittsburgh")[i % 3], topics=("harbour",))


def test_rebuild_replaces_the_index(engine):
    index(engine, doc(1, "Tram network"), doc(2, "Cycle lanes"))
    engine.rebuild(iter([doc(2, "Cycle lanes"), doc(3, "Hydrogen depot")]))
    engine.refresh()
    assert ids(engine.search(SearchQuery(text="tram"))) == []
    assert ids(engine.search(SearchQuery(text="hydrogen"))) == [3]
    assert sorted(engine.indexed_versions()) == [2, 3]


def test_writes_after_a_rebuild_reach_the_new_index(engine):
    engine.rebuild(iter([doc(1, "Tram network")]))
    index(engine, doc(2, "Cycle lanes"))
    assert engine.search(SearchQuery()).total == 2


def test_rebuild_switches_atomically_while_searches_run(engine):
    index(engine, *documents(OLD))
    failures, totals = [], []
    done = threading.Event()

    def keep_searching():
        query = SearchQuery(text="harbour", filters={"topic": ("harbour",)}, per_page=5)
        while not done.is_set():
            try:
                totals.append(engine.search(query).total)
            except Exception as error:  # every failure is a contract violation
                failures.append(repr(error))

    reader = threading.Thread(target=keep_searching)
    reader.start()
    try:
        engine.rebuild(documents(NEW))
        engine.refresh()
    finally:
        done.set()
        reader.join(timeout=60)
    assert failures == []
    assert totals, "the reader never got an answer"
    # Only the old or the complete new index is ever seen, never a half-built one.
    assert set(totals) <= {OLD, NEW}
    result = engine.search(SearchQuery(text="harbour"))
    assert result.total == NEW
    assert sum(v.count for v in result.facets["city"]) == NEW
