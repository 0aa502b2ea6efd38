"""The outbox: every change that matters to the index leaves one row in its own transaction,
and the indexer drains the rows into the real embedded engine."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, OutboxEntry
from cityexchange.schemas import CaseStudyInputSchema
from cityexchange.search_engine import get_engine
from cityexchange.services import case_studies, indexing
from indexer.embedded.engine import EmbeddedEngine
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_city


@pytest.fixture
def app(tmp_path):
    """The outbox is left alone after commits: only the indexer drains it."""
    app = build_app(make_config(tmp_path, INDEX_AFTER_COMMIT=False))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


@pytest.fixture
def broken_index_path(tmp_path):
    """Where the embedded engine cannot create its index: it answers EngineUnavailable."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the index folder should be")
    return str(blocker / "index")


def outbox() -> list[tuple[str, int]]:
    rows = db.session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))
    return [(row.op, row.case_study_id) for row in rows]


def found(client, q: str = "") -> list[str]:
    """Case studies whose indexed text holds the words (not neighbours in meaning)."""
    response = client.get(f"/api/v1/search?q={q}")
    assert response.status_code == 200, response.get_json()
    return [hit["slug"] for hit in response.get_json()["hits"]
            if not q or "words" in hit["reasons"]]


def edit(case_study: CaseStudy, **changes) -> CaseStudy:
    data = {"title": case_study.title, "body": case_study.body, **changes}
    return case_studies.update_case_study(case_study, CaseStudyInputSchema().load(data))


def test_publishing_writes_exactly_one_row_that_stays_until_drained(app, client):
    published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")

    assert outbox() == [("index", published.id)]
    assert found(client, "buses") == []


def test_the_row_and_the_case_study_share_one_transaction(app):
    data = CaseStudyInputSchema().load({"title": "Never committed", "body": "Gone."})
    case_studies.create_case_study(data, city=make_city(), publish=True, commit=False)

    db.session.rollback()

    assert outbox() == []
    assert db.session.scalar(select(CaseStudy)) is None


def test_indexer_run_once_drains_and_the_case_study_becomes_searchable(app, client, runner):
    published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")

    result = runner.invoke(args=["indexer", "run", "--once"])

    assert result.exit_code == 0, result.output
    assert "1 indexed, 0 deleted" in result.output
    assert outbox() == []
    assert found(client, "buses") == [published.slug]


def test_unpublishing_writes_a_delete_row_and_the_document_disappears(app, client):
    published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")
    indexing.drain_outbox()

    case_studies.set_status(published, "draft")

    assert outbox() == [("delete", published.id)]
    assert published.id in get_engine().indexed_versions()  # until the indexer runs
    indexing.drain_outbox()
    assert published.id not in get_engine().indexed_versions()
    assert found(client, "buses") == []


def test_saving_a_draft_writes_no_row(app):
    draft = make_case_study("Draft about heat pumps", publish=False)
    edit(draft, body="Still a draft.")
    case_studies.set_status(draft, "submitted")

    assert outbox() == []


def test_publishing_a_draft_and_editing_a_published_one_write_index_rows(app):
    draft = make_case_study("Draft about heat pumps", publish=False)
    case_studies.set_status(draft, "published")
    edit(draft, body="Now with numbers.")

    assert outbox() == [("index", draft.id), ("index", draft.id)]


def test_deleting_a_published_case_study_removes_it_from_the_index(app, client):
    published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")
    indexing.drain_outbox()

    case_studies.delete_case_study(published)
    indexing.drain_outbox()

    assert found(client, "buses") == []


def test_draining_twice_is_harmless(app, client):
    published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")
    case_studies.enqueue(published.id)  # a repeated row
    db.session.commit()

    first = indexing.drain_outbox()
    second = indexing.drain_outbox()

    assert (first.indexed, second.indexed, second.deleted, second.batches) == (1, 0, 0, 0)
    assert found(client, "buses") == [published.slug]
    assert len(get_engine().indexed_versions()) == 1


class RecordingEngine(EmbeddedEngine):
    """The real embedded engine, noting each batch of documents it is given."""

    def __init__(self, path: str):
        super().__init__(path)
        self.batches: list[list] = []

    def index(self, documents):
        documents = list(documents)
        self.batches.append(documents)
        return super().index(documents)


def test_a_stale_row_indexes_the_current_text(app, client):
    published = make_case_study("Hydrogen buses", body="The depot refuels overnight.")
    edit(published, body="Buses now charge from the electrolyser.")
    assert len(outbox()) == 2

    engine = RecordingEngine(app.config["EMBEDDED_INDEX_PATH"])
    indexing.drain_outbox(engine, batch_size=1)
    engine.close()

    # The first row predates the edit, yet it carries the text as it is now.
    first = engine.batches[0][0]
    assert "electrolyser" in first.original.body
    assert first.version == published.revision
    assert found(client, "electrolyser") == [published.slug]
    assert found(client, "overnight") == []


def test_a_late_stale_document_never_overwrites_a_newer_one(app, client):
    published = make_case_study("Hydrogen buses", body="The depot refuels overnight.")
    old_document = indexing.build_document(published)
    edit(published, body="Buses now charge from the electrolyser.")
    indexing.drain_outbox()

    get_engine().index([old_document])

    assert found(client, "overnight") == []
    assert found(client, "electrolyser") == [published.slug]


def test_while_the_engine_is_down_writes_succeed_and_rows_stay(tmp_path, broken_index_path):
    app = build_app(make_config(tmp_path, EMBEDDED_INDEX_PATH=broken_index_path,
                                INDEX_AFTER_COMMIT=True))
    with app.app_context():
        published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")

        assert db.session.get(CaseStudy, published.id).is_published
        assert outbox() == [("index", published.id)]
        result = app.test_cli_runner().invoke(
            args=["indexer", "run", "--once", "--max-attempts", "1"])
        assert result.exit_code == 2
        assert "unavailable" in result.output
        assert outbox() == [("index", published.id)]

        # The engine comes back: the same rows drain, nothing was lost.
        app.config["EMBEDDED_INDEX_PATH"] = str(tmp_path / "index-back")
        app.extensions["search_engine"].close()
        assert indexing.drain_outbox().indexed == 1
        assert found(app.test_client(), "buses") == [published.slug]
        db.session.remove()


def test_index_rebuild_builds_from_the_database_and_search_keeps_answering(app, client, runner):
    first = make_case_study("Hydrogen buses", body="Fuel-cell buses.").slug
    indexing.drain_outbox()
    old_index = get_engine().health()["index"]
    second = make_case_study("Hydrogen ferries", body="Fuel-cell ferries.").slug  # not drained
    draft = make_case_study("Hydrogen trains", body="Fuel-cell trains.", publish=False).slug

    result = runner.invoke(args=["index", "rebuild"])

    assert result.exit_code == 0, result.output
    assert "search index rebuilt" in result.output
    assert get_engine().health()["index"] != old_index
    assert sorted(found(client, "hydrogen")) == sorted([first, second])
    assert draft not in found(client, "trains")
    assert outbox() == []
    # Rebuilding again is harmless and search still answers.
    assert runner.invoke(args=["index", "rebuild"]).exit_code == 0
    assert sorted(found(client, "hydrogen")) == sorted([first, second])


def test_a_request_indexes_only_the_rows_it_wrote_and_leaves_the_backlog_to_the_worker(
        tmp_path):
    app = build_app(make_config(tmp_path, INDEX_AFTER_COMMIT=True))
    with app.app_context():
        client = app.test_client()
        backlog = make_case_study("Backlog depot", publish=False)
        # A row another writer left (e.g. while the engine was down): the worker's job.
        case_studies.set_status(backlog, "published")
        db.session.add(OutboxEntry(op="index", case_study_id=backlog.id))
        db.session.commit()
        waiting = outbox()
        assert ("index", backlog.id) in waiting

        own = make_case_study("Own tramway plan", publish=True)

        assert outbox() == waiting  # its own row went to the index, the backlog stayed
        assert found(client, "tramway") == [own.slug]
        db.session.remove()
        app.extensions["search_engine"].close()
