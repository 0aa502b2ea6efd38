"""The portal on the real node as deployed: writes leave outbox rows, the indexer drains them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import OutboxEntry
from cityexchange.schemas import CaseStudyInputSchema
from cityexchange.search_engine import get_engine
from cityexchange.services import case_studies
from cityexchange.services.indexing import build_document
from tests.factories import make_case_study

pytestmark = pytest.mark.elasticsearch


def outbox() -> list[tuple[str, int]]:
    rows = db.session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))
    return [(row.op, row.case_study_id) for row in rows]


def found(client, q: str) -> list[str]:
    """Case studies whose indexed text holds the words (not neighbours in meaning)."""
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return [hit["slug"] for hit in response.get_json()["hits"] if "words" in hit["reasons"]]


def run_indexer(app) -> str:
    result = app.test_cli_runner().invoke(args=["indexer", "run", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_published_case_studies_become_searchable_once_the_indexer_ran(es_app):
    client = es_app.test_client()
    published = make_case_study("Hydrogen buses for the city fleet", body="Fuel-cell buses.")
    make_case_study("Hydrogen trains", body="A draft.", publish=False)

    assert outbox() == [("index", published.id)]
    assert found(client, "hydrogen") == []  # nothing drained yet

    assert "1 indexed, 0 deleted" in run_indexer(es_app)

    assert outbox() == []
    assert found(client, "hydrogen") == [published.slug]
    page = client.get("/search?q=hydrogen")
    assert page.status_code == 200
    assert f'href="/case-studies/{published.slug}"' in page.get_data(as_text=True)
    assert get_engine().indexed_versions() == {
        published.id: (published.revision, build_document(published).content_hash())}


def test_unpublishing_removes_the_case_study_from_search(es_app):
    client = es_app.test_client()
    published = make_case_study("Hydrogen buses for the city fleet", body="Fuel-cell buses.")
    run_indexer(es_app)

    case_studies.set_status(published, "draft")

    assert outbox() == [("delete", published.id)]
    assert "0 indexed, 1 deleted" in run_indexer(es_app)
    assert found(client, "hydrogen") == []
    assert get_engine().indexed_versions() == {}


def test_an_edit_reaches_the_index_with_its_new_revision(es_app):
    client = es_app.test_client()
    published = make_case_study("Hydrogen buses", body="The depot refuels overnight.")
    run_indexer(es_app)

    data = {"title": published.title, "body": "Buses now charge from the electrolyser."}
    case_studies.update_case_study(published, CaseStudyInputSchema().load(data))
    run_indexer(es_app)

    assert found(client, "electrolyser") == [published.slug]
    assert found(client, "overnight") == []
    assert get_engine().indexed_versions()[published.id][0] == published.revision == 2


def test_index_rebuild_from_the_command_line_switches_the_alias(es_app):
    client = es_app.test_client()
    published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")
    run_indexer(es_app)
    engine = get_engine()
    [before] = engine.client.indices.get_alias(name=engine.alias)

    result = es_app.test_cli_runner().invoke(args=["index", "rebuild"])

    assert result.exit_code == 0, result.output
    [after] = engine.client.indices.get_alias(name=engine.alias)
    assert after != before and after in result.output
    assert found(client, "buses") == [published.slug]


def test_healthz_is_200_with_the_node_up(es_app):
    response = es_app.test_client().get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "up"
    assert body["search_engine"]["status"] == "up"
    assert body["search_engine"]["engine"] == "elasticsearch"
    assert body["search_engine"]["alias"] == get_engine().alias
