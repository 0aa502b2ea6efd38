"""The portal's handle on the search engine, kept in app.extensions."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from cityexchange.settings import database_identity
from indexer import SearchEngine, create_engine

_EXTENSION = "search_engine"


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = _LazyEngine(app.config)


def get_engine() -> SearchEngine:
    return current_app.extensions[_EXTENSION].get()


def engine_options(config) -> dict:
    """Constructor options for the configured engine, from settings."""
    if config["SEARCH_ENGINE"] == "embedded":
        # The index belongs to one database and refuses another (docs/operations.md).
        return {"path": config["EMBEDDED_INDEX_PATH"],
                "owner": database_identity(config["DATABASE_URL"])}
    return {
        # one URL, or several separated by commas (the nodes of a cluster)
        "url": config["ELASTICSEARCH_URL"],
        "prefix": config["INDEX_PREFIX"],
        "request_timeout": float(config["ELASTICSEARCH_TIMEOUT"]),
        "api_key": config["ELASTICSEARCH_API_KEY"] or None,
        "username": config["ELASTICSEARCH_USERNAME"] or None,
        "password": config["ELASTICSEARCH_PASSWORD"] or None,
        "ca_certs": config["ELASTICSEARCH_CA_CERTS"] or None,
    }


class _LazyEngine:
    """Creates the engine on first use, so an app starts even if the engine is down."""

    def __init__(self, config):
        self._config = config
        self._engine: SearchEngine | None = None
        self._lock = threading.Lock()

    def get(self) -> SearchEngine:
        with self._lock:
            if self._engine is None:
                self._engine = create_engine(
                    self._config["SEARCH_ENGINE"], **engine_options(self._config)
                )
            return self._engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
