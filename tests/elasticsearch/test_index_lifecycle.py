"""Index naming, alias-switched rebuilds and external versions on the real node."""

from __future__ import annotations

import re
import threading

import pytest

from indexer import SearchQuery
from indexer.elasticsearch import mapping
from indexer.elasticsearch.engine import ElasticsearchEngine
from indexer.engine import Deletion
from tests.conftest import elasticsearch_url
from tests.elasticsearch.conftest import document

pytestmark = pytest.mark.elasticsearch


def physical_indexes(engine) -> list[str]:
    return sorted(engine.client.indices.get(index=f"{engine.prefix}*", expand_wildcards="all"))


def alias_targets(engine) -> list[str]:
    return sorted(engine.client.indices.get_alias(name=engine.alias))


def total(engine, text: str = "") -> int:
    return engine.search(SearchQuery(text=text, facets=())).total


def test_the_alias_points_at_one_physical_index_named_by_version_and_time(engine):
    engine.ensure_index()
    engine.ensure_index()  # twice: still one

    assert engine.alias == f"{engine.prefix}case-studies"
    [name] = physical_indexes(engine)
    assert re.fullmatch(
        rf"{re.escape(engine.prefix)}case-studies-v{mapping.MAPPING_VERSION}-\d{{17}}", name)
    assert alias_targets(engine) == [name]
    # Writes go through the alias into that index; the alias is no index of its own.
    engine.index([document(1)])
    engine.refresh()
    assert engine.client.count(index=name)["count"] == 1
    assert physical_indexes(engine) == [name]


def test_rebuild_switches_the_alias_and_keeps_at_most_two_indexes(engine):
    engine.index([document(1), document(2)])
    [first] = physical_indexes(engine)

    names = [engine.rebuild([document(1), document(2), document(3)]) for _ in range(3)]

    assert len(set(names)) == 3 and first not in names
    # The newest serves; the one before it stays for a rollback; older ones are gone.
    assert physical_indexes(engine) == sorted(names[-2:])
    assert alias_targets(engine) == [names[-1]]
    assert total(engine) == 3


def test_two_processes_that_name_their_index_in_the_same_millisecond_share_it(
        engine, monkeypatch):
    # Index names have a millisecond stamp: two processes starting together can pick
    # the same one. The second to create it must use it, not refuse to start.
    name = mapping.physical_name(engine.prefix)
    monkeypatch.setattr(mapping, "physical_name", lambda prefix, version=0: name)
    other = ElasticsearchEngine(elasticsearch_url(), prefix=engine.prefix)
    engine.ensure_index()
    # The other process looked for the alias before the first one set it.
    monkeypatch.setattr(other.client.indices, "exists_alias", lambda **_: False)
    other.ensure_index()
    other.close()

    assert physical_indexes(engine) == [name]
    assert alias_targets(engine) == [name]


def test_a_rebuild_fills_the_new_index_before_searches_see_it(engine):
    engine.index([document(i, f"Hydrogen depot {i}") for i in range(1, 2001)])
    engine.refresh()
    seen, errors, stop = [], [], threading.Event()

    def search_in_a_loop():
        while not stop.is_set():
            try:
                seen.append(total(engine, "hydrogen"))
            except Exception as error:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(error)

    searcher = threading.Thread(target=search_in_a_loop)
    searcher.start()
    try:
        engine.rebuild(document(i, f"Hydrogen depot {i}") for i in range(1, 3001))
        after = total(engine, "hydrogen")
    finally:
        stop.set()
        searcher.join(timeout=30)

    assert errors == []
    assert len(seen) > 10  # the loop really ran during the rebuild
    # Every answer came from a complete index: the old one or the new one, never half of it.
    assert set(seen) <= {2000, 3000}
    assert after == 3000


def test_an_older_version_never_overwrites_a_newer_one(engine):
    newer = document(1, "Hydrogen buses, second edition", version=2)
    older = document(1, "Hydrogen buses, first draft", version=1)
    engine.index([newer])

    applied = engine.index([older])
    engine.refresh()

    assert applied == 0
    assert engine.indexed_versions() == {1: (2, newer.content_hash())}
    assert total(engine, "draft") == 0
    assert total(engine, "edition") == 1


def test_an_equal_version_rewrites_so_a_replay_is_harmless(engine):
    engine.index([document(1, "Hydrogen buses", version=3)])
    engine.index([document(1, "Hydrogen buses", version=3)])
    engine.refresh()

    assert engine.indexed_versions()[1][0] == 3
    assert total(engine, "buses") == 1


def test_a_late_stale_write_after_a_delete_stays_deleted(engine):
    engine.index([document(1, version=1), document(2, "Youth theatre", version=1)])
    engine.delete([Deletion(id=1, version=2)])

    # The indexer of an older outbox row arrives late with revision 1.
    engine.index([document(1, version=1)])
    engine.refresh()

    assert set(engine.indexed_versions()) == {2}
    assert total(engine, "hydrogen") == 0
    # Published again (revision 3): it comes back.
    engine.index([document(1, version=3)])
    engine.refresh()
    assert total(engine, "hydrogen") == 1


def test_deleting_a_missing_document_is_not_an_error(engine):
    assert engine.delete([Deletion(id=404, version=1)]) == 0


def test_polish_text_is_stemmed(engine):
    engine.index([document(1, "Autobusy wodorowe w miastach partnerskich", language="pl"),
                  document(2, "Teatr młodzieżowy", language="pl")])
    engine.refresh()

    for query in ("autobus", "autobusów", "wodorowy", "miasto", "mlodziezowy"):
        result = engine.search(SearchQuery(text=query, facets=()))
        assert result.total == 1, query
        assert result.hits[0].matched_languages[0] == "pl"


def test_searches_recreate_an_alias_dropped_by_hand(engine):
    engine.index([document(1)])
    engine.refresh()
    assert total(engine) == 1

    engine.client.indices.delete(index=f"{engine.prefix}case-studies-v*")

    assert total(engine) == 0
    assert len(physical_indexes(engine)) == 1


def test_a_failed_rebuild_leaves_the_live_index_alone_and_no_half_index(engine):
    engine.index([document(1), document(2)])
    engine.refresh()
    [live] = physical_indexes(engine)

    def documents_then_a_failure():
        yield from (document(i) for i in range(1, 2500))
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="went away"):
        engine.rebuild(documents_then_a_failure())

    assert physical_indexes(engine) == [live]
    assert alias_targets(engine) == [live]
    assert total(engine) == 2


def test_two_processes_creating_the_index_at_once_agree_on_one(engine):
    other = ElasticsearchEngine(elasticsearch_url(), prefix=engine.prefix)
    start = threading.Barrier(2)

    def ensure(e):
        start.wait()
        e.ensure_index()

    threads = [threading.Thread(target=ensure, args=(e,)) for e in (engine, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    other.close()

    [name] = physical_indexes(engine)
    assert alias_targets(engine) == [name]
    engine.index([document(1)])  # one write index behind the alias
    engine.refresh()
    assert total(engine) == 1
