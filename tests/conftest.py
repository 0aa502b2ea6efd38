"""Shared fixtures: app, client, runner, auth, and data factories (through the services)."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest

from cityexchange import create_app
from cityexchange.extensions import db
from cityexchange.search_engine import get_engine

ES_URL_VARIABLE = "CITYEX_TEST_ELASTICSEARCH_URL"


def elasticsearch_url() -> str:
    """The test cluster's URL; without one an Elasticsearch test fails, never skips."""
    url = os.environ.get(ES_URL_VARIABLE)
    if not url:
        pytest.fail(
            f"{ES_URL_VARIABLE} is not set: run `make test` (it starts a node), or "
            f"`make es-up` and export {ES_URL_VARIABLE}=http://127.0.0.1:9200",
            pytrace=False,
        )
    return url


def assert_health_names_search_engine_down(response) -> None:
    """/healthz answered 503 with the database up and the search engine down, with a reason."""
    assert response.status_code == 503
    body = response.get_json()
    assert body["down"] == ["search_engine"]
    assert body["database"]["status"] == "up"
    assert body["search_engine"]["status"] == "down"
    assert body["search_engine"]["error"]


def unique_prefix() -> str:
    """A per-run index prefix, so parallel runs and leftovers never collide."""
    return f"cityex-test-{uuid.uuid4().hex[:10]}-"


def make_config(tmp_path, engine: str = "embedded", **overrides) -> dict:
    config = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "EMBEDDED_INDEX_PATH": str(tmp_path / "search-index"),
        "SECRET_KEY": "test-secret",
        "SEARCH_ENGINE": engine,
        # Tests drain the outbox right after each commit, on both engines, so a
        # published case study is searchable at once.
        "INDEX_AFTER_COMMIT": True,
        "WTF_CSRF_ENABLED": False,
    }
    if engine == "elasticsearch":
        config["ELASTICSEARCH_URL"] = elasticsearch_url()
        config["INDEX_PREFIX"] = unique_prefix()
    config.update(overrides)
    return config


def build_app(config: dict):
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


@contextlib.contextmanager
def app_dropping_indexes(app):
    """Inside `app`'s context; on leaving it, every Elasticsearch index under the app's
    test prefix is dropped (the embedded index lives in tmp_path), the session removed
    and the engine closed."""
    with app.app_context():
        try:
            yield app
        finally:
            try:
                engine = get_engine()
                if hasattr(engine, "drop_all"):
                    engine.drop_all()
            finally:
                db.session.remove()
                app.extensions["search_engine"].close()


@pytest.fixture(params=[
    pytest.param("embedded", id="embedded"),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.elasticsearch),
])
def engine_client(request, tmp_path):
    """A client of the portal on each engine in turn."""
    app = build_app(make_config(tmp_path, engine=request.param))
    with app_dropping_indexes(app):
        yield app.test_client()


@pytest.fixture
def app(tmp_path):
    app = build_app(make_config(tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, app, client):
        self._app = app
        self._client = client

    def login(self, role: str = "contributor", city: str = "Dortmund",
              email: str | None = None, password: str = "correct horse battery"):
        from tests.factories import make_user

        user = make_user(role=role, city=city, email=email, password=password)
        response = self._client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.data
        return user

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)
