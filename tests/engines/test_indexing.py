"""Contract: writes reach search, replace, remove, and respect versions."""

from __future__ import annotations

from indexer import SearchQuery
from tests.engines.documents import delete, doc, ids, index


def search(engine, text: str = "", **options):
    return engine.search(SearchQuery(text=text, **options))


def test_a_word_in_title_summary_or_body_finds_the_document(engine):
    index(engine,
          doc(1, "Hydrogen depot", summary="Trains", body="A plan."),
          doc(2, "Depot", summary="Hydrogen trains", body="A plan."),
          doc(3, "Depot", summary="Trains", body="The hydrogen plan."),
          doc(4, "Youth exchange", summary="Culture", body="Theatre and music."))
    assert sorted(ids(search(engine, "hydrogen"))) == [1, 2, 3]
    assert ids(search(engine, "theatre")) == [4]
    assert search(engine, "hydrogen").total == 3


def test_an_update_replaces_the_old_text(engine):
    index(engine, doc(1, "Tram network", body="Electric trams", version=1))
    index(engine, doc(1, "Cycle lanes", body="Protected bicycle lanes", version=2))
    assert ids(search(engine, "tram")) == []
    assert ids(search(engine, "bicycle")) == [1]
    assert search(engine).total == 1


def test_an_update_replaces_facet_values(engine):
    index(engine, doc(1, "Tram network", city="Dortmund", topics=("mobility",), version=1))
    index(engine, doc(1, "Tram network", city="Buffalo", topics=("climate",), version=2))
    result = search(engine, "tram")
    assert {v.value for v in result.facets["city"]} == {"Buffalo"}
    assert {v.value for v in result.facets["topic"]} == {"climate"}


def test_a_deleted_document_leaves_the_results(engine):
    index(engine, doc(1, "Hydrogen buses"), doc(2, "Hydrogen trains"))
    assert delete(engine, 1, version=2) == 1
    assert ids(search(engine, "hydrogen")) == [2]
    assert search(engine).total == 1
    assert 1 not in engine.indexed_versions()


def test_deleting_a_missing_document_is_not_an_error(engine):
    assert delete(engine, 99, version=1) == 0


def test_an_older_version_never_overwrites_a_newer_one(engine):
    index(engine, doc(1, "Cycle lanes", version=3))
    assert index(engine, doc(1, "Tram network", version=2)) == 0
    assert ids(search(engine, "cycle")) == [1]
    assert ids(search(engine, "tram")) == []
    assert engine.indexed_versions()[1][0] == 3


def test_an_equal_version_rewrites(engine):
    # Same revision, fresh read (e.g. the case study joined a collection).
    index(engine, doc(1, "Cycle lanes", version=3))
    assert index(engine, doc(1, "Cycle lanes", collections=("mobility-set",), version=3)) == 1
    result = search(engine, "cycle", filters={"collection": ("mobility-set",)})
    assert ids(result) == [1]


def test_an_older_delete_does_not_remove_a_newer_document(engine):
    index(engine, doc(1, "Cycle lanes", version=5))
    assert delete(engine, 1, version=4) == 0
    assert ids(search(engine, "cycle")) == [1]


def test_a_delete_blocks_a_late_older_index(engine):
    index(engine, doc(1, "Cycle lanes", version=1))
    delete(engine, 1, version=3)
    assert index(engine, doc(1, "Cycle lanes", version=2)) == 0
    assert ids(search(engine, "cycle")) == []


def test_a_delete_of_an_unknown_document_blocks_a_late_older_index(engine):
    delete(engine, 7, version=3)
    index(engine, doc(7, "Cycle lanes", version=2))
    assert ids(search(engine, "cycle")) == []


def test_an_index_at_the_delete_version_or_newer_brings_the_document_back(engine):
    index(engine, doc(1, "Cycle lanes", version=1))
    delete(engine, 1, version=3)
    assert index(engine, doc(1, "Cycle lanes", version=3)) == 1
    assert ids(search(engine, "cycle")) == [1]
    delete(engine, 1, version=4)
    assert index(engine, doc(1, "Cycle lanes", version=5)) == 1
    assert ids(search(engine, "cycle")) == [1]


def test_index_reports_how_many_were_applied(engine):
    index(engine, doc(1, "A", version=2))
    assert index(engine, doc(1, "A", version=1), doc(2, "B"), doc(3, "C")) == 2


def test_indexed_versions_gives_ids_versions_and_content_hashes(engine):
    first, second = doc(1, "Cycle lanes", version=4), doc(2, "Tram network", version=1)
    index(engine, first, second)
    assert dict(engine.indexed_versions()) == {
        1: (4, first.content_hash()),
        2: (1, second.content_hash()),
    }
    assert first.content_hash() != doc(1, "Cycle lanes!", version=4).content_hash()


def test_health_reports_up(engine):
    assert engine.health()["status"] == "up"
