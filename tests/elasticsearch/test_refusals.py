"""When the real node refuses: a document set aside, a misconfigured index, an old mapping.

A refused document must not stop the outbox; a 4xx on search answers 503 with a
message, never 500; an index built from another mapping says "run rebuild".
"""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select, update

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, OutboxEntry
from cityexchange.search_engine import get_engine
from indexer.elasticsearch import mapping
from indexer.elasticsearch.engine import OUT_OF_DATE
from tests.conftest import app_dropping_indexes, build_app, make_config
from tests.factories import make_case_study

pytestmark = pytest.mark.elasticsearch


def cli(app, *args) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output  # stdout and stderr


def found(client, q: str) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return sorted(hit["slug"] for hit in response.get_json()["hits"])


def set_language(case_study_id: int, language: str) -> None:
    # Data the strict mapping has no field for (title_sv, ...), as a legacy row could hold.
    db.session.execute(update(CaseStudy).where(CaseStudy.id == case_study_id)
                       .values(language=language))
    db.session.commit()
    db.session.expire_all()


def test_a_refused_document_is_set_aside_and_the_rest_drains(es_app):
    client = es_app.test_client()
    good = [make_case_study(f"Hydrogen buses {n}", body="Fuel-cell buses.") for n in (1, 2)]
    bad = make_case_study("Hydrogen ferries", body="Fuel-cell ferries.")
    set_language(bad.id, "sv")

    code, output = cli(es_app, "indexer", "run", "--once")
    assert code == 0, output
    assert "2 indexed" in output
    assert found(client, "hydrogen") == sorted(case.slug for case in good)
    row = db.session.scalars(select(OutboxEntry)).one()
    assert (row.case_study_id, row.attempts) == (bad.id, 1)
    assert "strict_dynamic_mapping_exception" in row.last_error and "title_sv" in row.last_error
    assert row.set_aside_at is not None

    # skipped from now on: another drain neither retries it nor fails
    code, output = cli(es_app, "indexer", "run", "--once")
    assert code == 0 and "0 indexed" in output
    db.session.refresh(row)
    assert row.attempts == 1

    health = client.get("/healthz")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded" and body["degraded"] == ["outbox"]
    assert body["outbox"]["set_aside"] == 1 and body["outbox"]["pending"] == 0
    assert "cityex indexer status" in body["outbox"]["warning"]

    code, output = cli(es_app, "indexer", "status")
    assert code == 0
    assert "0 pending, 1 set aside" in output
    assert f"#{row.id}  case study {bad.id}  index  attempts 1" in output
    assert "title_sv" in output

    # retried while still broken: set aside again, with its history
    assert cli(es_app, "indexer", "retry", str(row.id)) == (0, "1 outbox row(s) queued again\n")
    cli(es_app, "indexer", "run", "--once")
    db.session.refresh(row)
    assert row.attempts == 2 and row.set_aside_at is not None

    # fixed, then retried: it drains and health is up again
    set_language(bad.id, "en")
    assert cli(es_app, "indexer", "retry", "--all")[1] == "1 outbox row(s) queued again\n"
    code, output = cli(es_app, "indexer", "run", "--once")
    assert "1 indexed" in output
    assert db.session.scalars(select(OutboxEntry)).all() == []
    assert bad.slug in found(client, "ferries")
    assert client.get("/healthz").get_json()["status"] == "up"


def test_retry_names_a_missing_row_and_needs_an_id_or_all(es_app):
    code, output = cli(es_app, "indexer", "retry", "999")
    assert code == 1 and "no set-aside outbox row with id 999" in output
    code, output = cli(es_app, "indexer", "retry")
    assert code == 2 and "give one row ID or --all" in output


def test_the_admin_page_lists_set_aside_rows_and_retries_them(es_app):
    from tests.conftest import AuthActions

    client = es_app.test_client()
    bad = make_case_study("Hydrogen ferries", body="Fuel-cell ferries.")
    set_language(bad.id, "sv")
    cli(es_app, "indexer", "run", "--once")
    row = db.session.scalars(select(OutboxEntry)).one()

    AuthActions(es_app, client).login(role="coordinator", city=None)
    assert client.get("/admin/indexer").status_code == 403
    client.post("/logout")
    AuthActions(es_app, client).login(role="admin", city=None)
    page = client.get("/admin/indexer").get_data(as_text=True)
    assert f'data-outbox="{row.id}"' in page and "strict_dynamic_mapping_exception" in page
    assert "Set aside: 1." in page

    response = client.post(f"/admin/indexer/{row.id}/retry", follow_redirects=True)
    assert "1 row queued again" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.set_aside_at is None
    assert client.post("/admin/indexer/999/retry").status_code == 404


@pytest.fixture
def misconfigured_app(tmp_path, monkeypatch):
    """The portal where the mapping needs an analysis component the node lacks, as the
    official image without analysis-stempel lacked polish_stem."""
    broken = copy.deepcopy(mapping.load_mapping())
    broken["settings"]["analysis"]["filter"]["cityex_pl_stem"] = {"type": "no_such_stemmer"}
    monkeypatch.setattr(mapping, "load_mapping", lambda version=1: broken)
    app = build_app(make_config(tmp_path, "elasticsearch", INDEX_AFTER_COMMIT=False))
    with app_dropping_indexes(app):
        yield app


def test_an_index_with_a_missing_analyzer_answers_503_never_500(misconfigured_app):
    client = misconfigured_app.test_client()
    make_case_study("Hydrogen buses", body="Fuel-cell buses.")

    response = client.get("/api/v1/search", query_string={"q": "hydrogen"})
    assert response.status_code == 503
    assert "refused the request" in response.get_json()["error"]["message"]
    assert client.get("/search?q=hydrogen").status_code == 503

    health = client.get("/healthz")
    assert health.status_code == 503
    body = health.get_json()
    assert body["down"] == ["search_engine"]
    assert "no_such_stemmer" in body["search_engine"]["error"]
    assert "cityex index rebuild" in body["search_engine"]["error"]

    # the worker waits as for an unreachable engine (no crash); the row stays
    code, output = cli(misconfigured_app, "indexer", "run", "--once", "--poll", "0.01",
                       "--max-attempts", "2")
    assert code == 2 and "still unavailable after 2 attempts" in output
    assert "no_such_stemmer" in output
    assert len(db.session.scalars(select(OutboxEntry)).all()) == 1


def test_an_index_from_another_mapping_says_rebuild_and_a_rebuild_fixes_it(es_app):
    client = es_app.test_client()
    make_case_study("Hydrogen buses", body="Fuel-cell buses.")
    cli(es_app, "indexer", "run", "--once")
    engine = get_engine()
    meta = engine.client.indices.get_mapping(index=engine.alias)
    assert next(iter(meta.body.values()))["mappings"]["_meta"] == {
        "mapping_version": mapping.MAPPING_VERSION, "mapping_hash": mapping.mapping_hash()}
    assert client.get("/healthz").get_json()["search_engine"]["mapping"] == "current"

    # as after a change of stem overrides or the decompounding list: the index's hash differs
    engine.client.indices.put_mapping(
        index=engine.alias, meta={"mapping_version": mapping.MAPPING_VERSION,
                                  "mapping_hash": "older"})
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["degraded"] == ["search_engine"]
    assert body["search_engine"]["warning"] == OUT_OF_DATE
    assert body["search_engine"]["mapping"] == "out of date"
    code, output = cli(es_app, "indexer", "run", "--once")
    assert code == 0 and f"warning: {OUT_OF_DATE}" in output

    assert cli(es_app, "index", "rebuild")[0] == 0
    body = client.get("/healthz").get_json()
    assert body["status"] == "up" and body["search_engine"]["mapping"] == "current"
    assert found(client, "hydrogen")


def test_the_mapping_hash_follows_the_templated_parts(monkeypatch):
    before = mapping.mapping_hash()
    mapping.load_mapping.cache_clear()
    mapping.mapping_hash.cache_clear()
    from indexer import analysis
    monkeypatch.setattr(analysis, "stem_overrides",
                        lambda: {"en": {"buses": "bus", "ferries": "ferry"}})
    monkeypatch.setattr(mapping, "stem_overrides", analysis.stem_overrides)
    try:
        assert mapping.mapping_hash() != before
    finally:
        mapping.load_mapping.cache_clear()
        mapping.mapping_hash.cache_clear()
    monkeypatch.undo()
    assert mapping.mapping_hash() == before
