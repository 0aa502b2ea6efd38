"""The embedded index follows its database: one index per database, another one is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityexchange import settings
from cityexchange.extensions import db
from tests.conftest import build_app, make_config
from tests.factories import make_case_study


def _derived(url: str) -> Path:
    loaded = settings.load_settings({"DATABASE_URL": url, "SECRET_KEY": "x"}, environ={})
    return Path(loaded["EMBEDDED_INDEX_PATH"])


def test_each_database_gets_its_own_default_index(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "INSTANCE_DIR", tmp_path / "instance")
    sqlite_a = _derived(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert sqlite_a == tmp_path / "a.sqlite3.search-index"
    assert _derived(f"sqlite:///{tmp_path / 'b.sqlite3'}") != sqlite_a
    # A relative SQLite path lies in the instance folder (Flask-SQLAlchemy's reading).
    assert _derived("sqlite:///portal.db") == tmp_path / "instance" / "portal.db.search-index"
    pg = _derived("postgresql+psycopg://cityex:secret@db.example:5432/cityex")
    assert pg.parent == tmp_path / "instance" / "search-indexes"
    assert "secret" not in str(pg)
    # The same database through another account or driver is the same database.
    assert _derived("postgresql+psycopg2://other:pw@db.example:5432/cityex") == pg
    assert _derived("postgresql+psycopg://cityex:secret@db.example:5432/staging") != pg
    assert _derived("postgresql+psycopg://cityex:secret@db2.example:5432/cityex") != pg


def _portal(tmp_path, name: str, **overrides):
    (tmp_path / "instance").mkdir(exist_ok=True)
    config = make_config(tmp_path, **{"EMBEDDED_INDEX_PATH": None, **overrides})
    if name:
        config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'instance' / name}"
    else:
        config.pop("DATABASE_URL")  # the default: instance/cityexchange.sqlite3
    return build_app(config)


def _search(app, query: str = "") -> tuple[int, dict]:
    with app.app_context():
        response = app.test_client().get("/api/v1/search", query_string={"q": query})
        health = app.test_client().get("/healthz").get_json()
        db.session.remove()
        app.extensions["search_engine"].close()
    body = response.get_json()
    hits = [hit["slug"] for hit in body.get("hits", [])]
    return response.status_code, {"hits": hits, "total": body.get("total"), "health": health}


def _publish(app, title: str, city: str) -> str:
    with app.app_context():
        slug = make_case_study(title, city=city).slug
        db.session.remove()
        app.extensions["search_engine"].close()
    return slug


def test_the_default_portal_and_a_second_database_no_longer_share_results(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "INSTANCE_DIR", tmp_path / "instance")
    portal = _portal(tmp_path, "")
    other = _portal(tmp_path, "staging.sqlite3")
    assert portal.config["EMBEDDED_INDEX_PATH"] != other.config["EMBEDDED_INDEX_PATH"]
    ours = _publish(portal, "Hydrogen buses for the city fleet", "Dortmund")
    theirs = _publish(other, "Hydrogen ferries in the harbour", "Rotterdam")

    status, seen = _search(portal, "hydrogen")
    assert (status, seen["total"], seen["hits"]) == (200, 1, [ours])
    status, seen = _search(other, "hydrogen")
    assert (status, seen["total"], seen["hits"]) == (200, 1, [theirs])


def test_an_index_built_from_another_database_is_refused_until_rebuilt(tmp_path):
    shared_path = str(tmp_path / "one-index")
    first = _portal(tmp_path, "first.sqlite3", EMBEDDED_INDEX_PATH=shared_path)
    second = _portal(tmp_path, "second.sqlite3", EMBEDDED_INDEX_PATH=shared_path)
    _publish(first, "Hydrogen buses for the city fleet", "Dortmund")

    status, seen = _search(second, "hydrogen")
    assert status == 503
    error = seen["health"]["search_engine"]["error"]
    assert seen["health"]["search_engine"]["status"] == "down"
    assert f"sqlite:{tmp_path / 'instance' / 'first.sqlite3'}" in error
    assert f"not from sqlite:{tmp_path / 'instance' / 'second.sqlite3'}" in error
    assert "CITYEX_EMBEDDED_INDEX_PATH" in error and "cityex index rebuild" in error

    # The fix the message names: rebuild the index from the second database.
    with second.app_context():
        ferries = make_case_study("Hydrogen ferries in the harbour", city="Rotterdam").slug
        result = second.test_cli_runner().invoke(args=["index", "rebuild"])
        db.session.remove()
        second.extensions["search_engine"].close()
    assert result.exit_code == 0, result.output
    status, seen = _search(second, "hydrogen")
    assert (status, seen["hits"]) == (200, [ferries])
    # Now the first database is the stranger.
    status, seen = _search(first, "hydrogen")
    assert status == 503
    assert "cityex index rebuild" in seen["health"]["search_engine"]["error"]


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_still_gets_a_path(tmp_path, monkeypatch, url):
    monkeypatch.setattr(settings, "INSTANCE_DIR", tmp_path)
    assert _derived(url).parent == tmp_path / "search-indexes"
