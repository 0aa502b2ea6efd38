"""Fixtures for the Elasticsearch-specific tests: a real node, a per-test index prefix.

The node comes from CITYEX_TEST_ELASTICSEARCH_URL (`make test` starts one); without
it these tests fail, never skip. Every index a test makes is dropped afterwards.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest

from cityexchange.extensions import db
from indexer import LanguageText, SearchDocument
from indexer.elasticsearch.engine import ElasticsearchEngine
from tests.conftest import (
    app_dropping_indexes,
    build_app,
    elasticsearch_url,
    make_config,
    unique_prefix,
)

BASE_TIME = datetime(2024, 1, 1, 12, 0, 0)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def document(id: int, title: str = "Hydrogen buses", *, body: str = "", version: int = 1,
             language: str = "en", city: str = "Dortmund") -> SearchDocument:
    return SearchDocument(
        id=id, version=version, slug=f"case-study-{id}", language=language,
        texts={language: LanguageText(title=title, body=body)}, city=city, country="DE",
        year=2024, published_at=BASE_TIME + timedelta(minutes=id),
    )


@pytest.fixture
def engine():
    engine = ElasticsearchEngine(elasticsearch_url(), prefix=unique_prefix())
    yield engine
    engine.drop_all()
    engine.close()


@pytest.fixture
def es_app(tmp_path):
    """The portal on the real node, as deployed: only the indexer drains the outbox."""
    app = build_app(make_config(tmp_path, "elasticsearch", INDEX_AFTER_COMMIT=False))
    with app_dropping_indexes(app):
        yield app


@pytest.fixture
def down_app(tmp_path):
    """The portal configured for Elasticsearch at a port where nothing answers."""
    app = build_app(make_config(
        tmp_path, SEARCH_ENGINE="elasticsearch", INDEX_AFTER_COMMIT=False,
        ELASTICSEARCH_URL=f"http://127.0.0.1:{closed_port()}", INDEX_PREFIX=unique_prefix(),
    ))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()
