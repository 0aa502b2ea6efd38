"""Both engines, indexed once per test module with a collection of the relevance set."""

from __future__ import annotations

import pytest

from indexer import create_engine
from tests.conftest import elasticsearch_url, unique_prefix


def _embedded(directory):
    return create_engine("embedded", path=str(directory / "search-index"))


def _elasticsearch(directory):
    return create_engine("elasticsearch", url=elasticsearch_url(), prefix=unique_prefix())


# The `params` of a module's engine fixture: every test runs on each engine.
ENGINES = [
    pytest.param(_embedded, id="embedded"),
    pytest.param(_elasticsearch, id="elasticsearch", marks=pytest.mark.elasticsearch),
]


def indexed(make_engine, directory, corpus):
    """An engine of `make_engine` holding `corpus`, searchable."""
    engine = make_engine(directory)
    engine.rebuild(corpus)
    engine.refresh()
    return engine


def removed(engine) -> None:
    """The engine's index gone (Elasticsearch: every index under its prefix), closed."""
    if hasattr(engine, "drop_all"):
        engine.drop_all()
    engine.close()
