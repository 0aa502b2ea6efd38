"""Elasticsearch down or busy: writes go on, the outbox keeps them, the indexer backs off."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import OutboxEntry
from cityexchange.search_engine import get_engine
from cityexchange.services.indexing import run_indexer
from tests.conftest import (
    app_dropping_indexes,
    assert_health_names_search_engine_down,
    build_app,
    elasticsearch_url,
    make_config,
    unique_prefix,
)
from tests.elasticsearch.faults import FaultProxy
from tests.factories import make_case_study

pytestmark = pytest.mark.elasticsearch
UNAVAILABLE = "Search is unavailable at the moment"


def outbox_ids() -> list[int]:
    return list(db.session.scalars(select(OutboxEntry.case_study_id).order_by(OutboxEntry.id)))


def found(client, q: str) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return [hit["slug"] for hit in response.get_json()["hits"]]


# -- nothing listens at the configured URL --------------------------------------------

def test_healthz_is_503_and_names_the_search_engine(down_app):
    response = down_app.test_client().get("/healthz")

    assert_health_names_search_engine_down(response)


def test_writes_succeed_and_reading_works_while_search_answers_503(down_app):
    client = down_app.test_client()
    first = make_case_study("Hydrogen buses for the city fleet", body="Fuel-cell buses.")
    second = make_case_study("Youth theatre exchange", body="Actors from both cities.")

    assert first.is_published and second.is_published
    assert outbox_ids() == [first.id, second.id]

    search = client.get("/search?q=hydrogen")
    assert search.status_code == 503
    assert UNAVAILABLE in search.get_data(as_text=True)
    assert "Traceback" not in search.get_data(as_text=True)
    api = client.get("/api/v1/search?q=hydrogen")
    assert api.status_code == 503
    assert UNAVAILABLE in api.get_json()["error"]["message"]

    home = client.get("/")
    assert home.status_code == 200
    assert "Hydrogen buses for the city fleet" in home.get_data(as_text=True)
    page = client.get(f"/case-studies/{first.slug}")
    assert page.status_code == 200
    assert "Fuel-cell buses." in page.get_data(as_text=True)
    city = client.get(f"/cities/{first.city.slug}")
    assert city.status_code == 200
    assert "Youth theatre exchange" in city.get_data(as_text=True)


def test_the_indexer_gives_up_with_exit_code_2_keeps_the_rows_and_drains_once_back(down_app):
    published = make_case_study("Hydrogen buses for the city fleet", body="Fuel-cell buses.")
    runner = down_app.test_cli_runner()

    result = runner.invoke(args=["indexer", "run", "--once", "--max-attempts", "3",
                                 "--poll", "0.01", "--max-backoff", "0.02"])

    assert result.exit_code == 2, result.output
    assert "search engine still unavailable after 3 attempts" in result.output
    assert outbox_ids() == [published.id]

    # The node is back (the same URL would do; here the real node's).
    down_app.config["ELASTICSEARCH_URL"] = elasticsearch_url()
    down_app.extensions["search_engine"].close()
    try:
        result = runner.invoke(args=["indexer", "run", "--once", "--max-attempts", "5",
                                     "--poll", "0.1"])
        assert result.exit_code == 0, result.output
        assert outbox_ids() == []
        assert found(down_app.test_client(), "hydrogen") == [published.slug]
    finally:
        get_engine().drop_all()


# -- the node answers, but busy (429) or failing (503) ----------------------------------

class RetryLog(logging.Handler):
    """The indexer's back-off warnings, as they are logged."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.delays: list[float] = []
        self.messages: list[str] = []
        self.changed = threading.Condition()

    def emit(self, record):
        if hasattr(record, "retry_in"):
            with self.changed:
                self.delays.append(record.retry_in)
                self.messages.append(record.getMessage())
                self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.delays) >= count, timeout)


@pytest.fixture
def retry_log():
    handler = RetryLog()
    logger = logging.getLogger("cityexchange.services.indexing")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def drain_with_backoff(lift_fault, retry_log, failures_before_lift: int = 3) -> tuple[bool, list]:
    """Run the indexer (small poll/back-off, bounded attempts); lift the fault after N failures."""
    def lift_later():
        retry_log.wait_for(failures_before_lift)
        lift_fault()

    lifter = threading.Thread(target=lift_later)
    lifter.start()
    echoed: list[str] = []
    try:
        ok = run_indexer(once=True, poll=0.05, max_backoff=0.2, max_attempts=30, echo=echoed.append)
    finally:
        lifter.join(timeout=60)
    return ok, echoed


def assert_backed_off(retry_log, at_least: int):
    delays = retry_log.delays
    assert len(delays) >= at_least
    # 0.05, 0.1, 0.2, then capped at max_backoff.
    assert delays == [min(0.05 * 2 ** n, 0.2) for n in range(len(delays))]


def test_the_indexer_backs_off_while_the_index_answers_429(es_app, retry_log):
    # A real 429: the flood-stage block a full disk puts on an index.
    published = [make_case_study(f"Hydrogen depot {n}", body="Fuel-cell buses.") for n in range(3)]
    engine = get_engine()
    engine.ensure_index()
    client = engine.client
    block = "index.blocks.read_only_allow_delete"
    client.indices.put_settings(index=engine.alias, settings={block: True})

    ok, echoed = drain_with_backoff(
        lambda: client.indices.put_settings(index=engine.alias, settings={block: None}), retry_log)

    assert ok, echoed
    assert_backed_off(retry_log, at_least=3)
    assert "429" in retry_log.messages[0]
    assert outbox_ids() == []
    assert sorted(found(es_app.test_client(), "depot")) == sorted(cs.slug for cs in published)


@contextmanager
def app_behind_proxy(tmp_path, **settings):
    """(app, proxy): a portal whose Elasticsearch URL is a FaultProxy in front of the real
    node; inside its app context, its indexes dropped afterwards."""
    with FaultProxy(elasticsearch_url()) as proxy:
        app = build_app(make_config(tmp_path, SEARCH_ENGINE="elasticsearch",
                                    ELASTICSEARCH_URL=proxy.url, INDEX_PREFIX=unique_prefix(),
                                    **settings))
        with app_dropping_indexes(app):
            yield app, proxy


def test_the_indexer_backs_off_while_the_node_answers_503(tmp_path, retry_log):
    with app_behind_proxy(tmp_path, INDEX_AFTER_COMMIT=False) as (app, proxy):
        published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")
        proxy.fail(1000, 503)

        ok, echoed = drain_with_backoff(proxy.clear, retry_log)

        assert ok, echoed
        assert_backed_off(retry_log, at_least=3)
        assert "503" in retry_log.messages[0]
        # The proxy saw the retries spaced out by the growing delays.
        times = [at for at, _path, _status in proxy.injected]
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        assert all(gap >= delay * 0.9 for gap, delay in zip(gaps, retry_log.delays))
        assert outbox_ids() == []
        assert found(app.test_client(), "buses") == [published.slug]


# -- a search that meets a fail-over -------------------------------------------------

def test_a_search_answered_503_once_is_asked_again_and_found(tmp_path):
    # What a node leaving the cluster can answer for a moment (tests/elasticsearch/
    # test_cluster.py meets it for real, rarely); a second failure in a row is a 503.
    with app_behind_proxy(tmp_path, INDEX_AFTER_COMMIT=True) as (app, proxy):
        published = make_case_study("Hydrogen buses", body="Fuel-cell buses.")
        get_engine().refresh()
        client = app.test_client()

        proxy.fail(1, 503, "/_msearch")
        assert found(client, "buses") == [published.slug]
        assert [path for _at, path, _status in proxy.injected] == ["/_msearch"]

        proxy.fail(2, 503, "/_msearch")
        response = client.get("/api/v1/search", query_string={"q": "buses"})
        assert response.status_code == 503
        assert UNAVAILABLE in response.get_json()["error"]["message"]
        assert len(proxy.injected) == 3
