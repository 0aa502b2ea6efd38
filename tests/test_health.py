"""/healthz tells an operator which part is down; pages that need no search keep working."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from cityexchange import create_app
from cityexchange.extensions import db
from cityexchange.models import OutboxEntry
from cityexchange.search_engine import get_engine
from tests.conftest import (
    assert_health_names_search_engine_down,
    build_app,
    make_config,
    unique_prefix,
)
from tests.factories import make_case_study


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_health(app):
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.session.remove()
        app.extensions["search_engine"].close()
    return response


def test_healthz_up_with_the_embedded_engine(client):
    make_case_study("Hydrogen buses for the city fleet")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "up"
    assert body["database"]["status"] == "up"
    assert body["search_engine"]["status"] == "up"
    assert body["search_engine"]["engine"] == "embedded"
    assert body["search_engine"]["documents"] == 1
    assert "down" not in body
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("database_url", [
    "sqlite:///{tmp}/not-a-dir/missing/db.sqlite3",
    "postgresql+psycopg://cityex:secret@127.0.0.1:{port}/cityex",
], ids=["sqlite-in-missing-dir", "postgres-closed-port"])
def test_healthz_503_when_the_database_is_down(tmp_path, database_url):
    (tmp_path / "not-a-dir").write_text("a regular file, so no directory can be made under it")
    url = database_url.format(tmp=tmp_path, port=_closed_port())
    app = create_app(make_config(tmp_path, DATABASE_URL=url))
    response = _get_health(app)
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["down"] == ["database"]
    assert body["database"]["status"] == "down"
    assert body["database"]["error"]
    assert "secret" not in response.get_data(as_text=True)
    assert body["search_engine"]["status"] == "up"


def test_pages_show_an_error_page_while_the_database_is_down(tmp_path):
    url = f"postgresql+psycopg://cityex:secret@127.0.0.1:{_closed_port()}/cityex"
    app = create_app(make_config(tmp_path, DATABASE_URL=url))
    with app.app_context():
        response = app.test_client().get("/")
        db.session.remove()
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Something went wrong on our side" in text
    assert "Traceback" not in text and "secret" not in text


@pytest.fixture
def engine_down_app(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file: the index directory cannot be created under it")
    app = build_app(make_config(tmp_path, EMBEDDED_INDEX_PATH=str(blocker / "search-index")))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


def test_healthz_503_when_the_search_engine_is_down(engine_down_app):
    response = engine_down_app.test_client().get("/healthz")
    assert_health_names_search_engine_down(response)


def test_pages_render_while_the_search_engine_is_down(engine_down_app):
    # Publishing still succeeds: the outbox keeps the row for later.
    case_study = make_case_study("Hydrogen buses for the city fleet")
    client = engine_down_app.test_client()

    home = client.get("/")
    assert home.status_code == 200
    assert "Hydrogen buses for the city fleet" in home.get_data(as_text=True)

    page = client.get(f"/case-studies/{case_study.slug}")
    assert page.status_code == 200
    assert "Hydrogen buses for the city fleet" in page.get_data(as_text=True)

    search = client.get("/search?q=hydrogen")
    assert search.status_code == 503
    text = search.get_data(as_text=True)
    assert "Search is unavailable at the moment" in text
    assert "Traceback" not in text

    api = client.get("/api/v1/search?q=hydrogen")
    assert api.status_code == 503
    assert "Search is unavailable" in api.get_json()["error"]["message"]


def _unreachable_elasticsearch_app(tmp_path):
    """The portal as docker-compose runs it, while Elasticsearch is down."""
    return build_app(make_config(tmp_path, SEARCH_ENGINE="elasticsearch",
                                 ELASTICSEARCH_URL=f"http://127.0.0.1:{_closed_port()}",
                                 INDEX_PREFIX=unique_prefix()))


def _publish_while_elasticsearch_is_down(app):
    with app.app_context():
        case_study = make_case_study("Hydrogen buses for the city fleet")
        slug = case_study.slug
        outbox = db.session.scalars(select(OutboxEntry.case_study_id)).all()
        client = app.test_client()
        health = client.get("/healthz")
        pages = client.get("/").status_code, client.get(f"/case-studies/{slug}").status_code
        search = client.get("/search?q=hydrogen").status_code
        db.session.remove()
        app.extensions["search_engine"].close()
    assert outbox == [case_study.id]  # the write succeeded; the outbox keeps it
    assert health.status_code == 503
    assert health.get_json()["down"] == ["search_engine"]
    assert health.get_json()["search_engine"]["engine"] == "elasticsearch"
    assert (pages, search) == ((200, 200), 503)
    return slug


def test_elasticsearch_down_writes_succeed_and_wait_in_the_outbox(tmp_path):
    _publish_while_elasticsearch_is_down(_unreachable_elasticsearch_app(tmp_path))


@pytest.mark.elasticsearch
def test_the_indexer_drains_the_outbox_once_elasticsearch_is_back(tmp_path):
    down = _unreachable_elasticsearch_app(tmp_path)
    slug = _publish_while_elasticsearch_is_down(down)
    back = create_app({**make_config(tmp_path, engine="elasticsearch"),
                       "INDEX_PREFIX": down.config["INDEX_PREFIX"]})
    with back.app_context():
        result = back.test_cli_runner().invoke(args=["indexer", "run", "--once"])
        hits = back.test_client().get("/api/v1/search?q=hydrogen").get_json()["hits"]
        assert db.session.scalars(select(OutboxEntry)).all() == []
        get_engine().drop_all()
        db.session.remove()
        back.extensions["search_engine"].close()
    assert "outbox drained: 1 indexed" in result.output
    assert [hit["slug"] for hit in hits] == [slug]
