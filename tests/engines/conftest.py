"""The `engine` fixture: every contract test runs on each engine.

Elasticsearch runs are marked `elasticsearch`; without a test cluster they
fail: a missing cluster is an error, not a reason to leave them out.
`pytest -m "not elasticsearch"` runs the embedded engine alone.
"""

from __future__ import annotations

import pytest

from indexer import create_engine
from tests.conftest import elasticsearch_url, unique_prefix


def _embedded(tmp_path):
    return create_engine("embedded", path=str(tmp_path / "search-index"))


def _elasticsearch(tmp_path):
    return create_engine("elasticsearch", url=elasticsearch_url(), prefix=unique_prefix())


@pytest.fixture(params=[
    pytest.param(_embedded, id="embedded"),
    pytest.param(_elasticsearch, id="elasticsearch", marks=pytest.mark.elasticsearch),
])
def engine(request, tmp_path):
    engine = request.param(tmp_path)
    engine.ensure_index()
    yield engine
    # The ES engine removes every index and alias under its prefix.
    if hasattr(engine, "drop_all"):
        engine.drop_all()
    engine.close()
