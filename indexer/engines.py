"""The engine factory: an engine by its name (CITYEX_SEARCH_ENGINE)."""

from __future__ import annotations

from indexer.elasticsearch.engine import ElasticsearchEngine
from indexer.embedded.engine import EmbeddedEngine
from indexer.engine import SearchEngine


def create_engine(name: str, **options) -> SearchEngine:
    if name == "embedded":
        return EmbeddedEngine(**options)
    if name == "elasticsearch":
        return ElasticsearchEngine(**options)
    raise ValueError(f"unknown search engine '{name}': use 'embedded' or 'elasticsearch'")
