"""The embedded engine: SQLite FTS5, BM25, disjunctive facets, no server."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping

from indexer.documents import SearchDocument
from indexer.embedded.schema import fts_table
from indexer.embedded.searching import run_search
from indexer.embedded.store import IndexStore
from indexer.engine import Deletion, EngineUnavailable, SearchEngine
from indexer.query import FACETS, SearchQuery, SearchResult
from indexer.analysis import LANGUAGES, analyze

def _texts_json(document: SearchDocument) -> str:
    return json.dumps(
        {
            lang: {"title": t.title, "summary": t.summary, "body": t.body,
                   "is_translation": t.is_translation}
            for lang, t in document.texts.items()
        },
        ensure_ascii=False,
    )


class EmbeddedEngine(SearchEngine):
    name = "embedded"

    def __init__(self, path: str):
        self.store = IndexStore(path)
        self._write_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        try:
            return self.store.connection()
        except (sqlite3.Error, OSError) as error:  # OSError: the index directory is unusable
            raise EngineUnavailable(f"embedded index at {self.store.directory}: {error}") from error

    # -- writes ----------------------------------------------------------------------
    def ensure_index(self) -> None:
        self._connection()

    def index(self, documents: Iterable[SearchDocument]) -> int:
        applied = 0
        with self._write_lock:
            connection = self._connection()
            try:
                connection.execute("BEGIN IMMEDIATE")
                for document in documents:
                    if self._is_stale(connection, document.id, document.version):
                        continue
                    self._remove(connection, document.id)
                    self._insert(connection, document)
                    applied += 1
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                connection.execute("ROLLBACK")
                raise EngineUnavailable(f"embedded index write failed: {error}") from error
        return applied

    def delete(self, deletions: Iterable[Deletion]) -> int:
        removed = 0
        with self._write_lock:
            connection = self._connection()
            try:
                connection.execute("BEGIN IMMEDIATE")
                for deletion in deletions:
                    row = connection.execute(
                        "SELECT version FROM docs WHERE id = ?", (deletion.id,)
                    ).fetchone()
                    if row is not None and row["version"] > deletion.version:
                        continue
                    removed += self._remove(connection, deletion.id)
                    connection.execute(
                        "INSERT INTO tombstones (id, version) VALUES (?, ?) ON CONFLICT(id) "
                        "DO UPDATE SET version = max(version, excluded.version)",
                        (deletion.id, deletion.version),
                    )
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                connection.execute("ROLLBACK")
                raise EngineUnavailable(f"embedded index delete failed: {error}") from error
        return removed

    @staticmethod
    def _is_stale(connection, doc_id: int, version: int) -> bool:
        """Older than what the index holds or a deletion it recorded.

        Equal versions rewrite (same revision, fresh read), as external_gte does in ES.
        """
        row = connection.execute(
            "SELECT (SELECT version FROM docs WHERE id = :id) AS indexed, "
            "(SELECT version FROM tombstones WHERE id = :id) AS deleted",
            {"id": doc_id},
        ).fetchone()
        if row["indexed"] is not None and version < row["indexed"]:
            return True
        return row["deleted"] is not None and version < row["deleted"]

    @staticmethod
    def _remove(connection, doc_id: int) -> int:
        row = connection.execute("SELECT texts FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return 0
        for language in json.loads(row["texts"]):
            connection.execute(f"DELETE FROM {fts_table(language)} WHERE rowid = ?", (doc_id,))
        connection.execute("DELETE FROM doc_facets WHERE doc_id = ?", (doc_id,))
        connection.execute("DELETE FROM docs WHERE id = ?", (doc_id,))
        return 1

    @staticmethod
    def _insert(connection, document: SearchDocument) -> None:
        connection.execute("DELETE FROM tombstones WHERE id = ?", (document.id,))
        connection.execute(
            "INSERT INTO docs (id, version, slug, language, published_at, content_hash, texts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                document.id, document.version, document.slug, document.language,
                document.published_at.isoformat() if document.published_at else None,
                document.content_hash(), _texts_json(document),
            ),
        )
        connection.executemany(
            "INSERT OR IGNORE INTO doc_facets (doc_id, facet, value) VALUES (?, ?, ?)",
            [(document.id, facet, value) for facet in FACETS
             for value in document.facet_values(facet)],
        )
        for language, text in document.texts.items():
            if language not in LANGUAGES:
                continue
            connection.execute(
                f"INSERT INTO {fts_table(language)} (rowid, title, summary, body) "
                "VALUES (?, ?, ?, ?)",
                (document.id, " ".join(analyze(text.title, language)),
                 " ".join(analyze(text.summary, language)), " ".join(analyze(text.body, language))),
            )

    def rebuild(self, documents: Iterable[SearchDocument]) -> str:
        name = self.store.new_name()
        connection = self.store.connect(name)
        try:
            connection.execute("BEGIN")
            for document in documents:
                self._insert(connection, document)
            connection.execute("COMMIT")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
        self.store.switch_to(name)
        return name

    # -- reads -----------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return run_search(self._connection(), query)
        except sqlite3.Error as error:
            raise EngineUnavailable(f"embedded search failed: {error}") from error

    def indexed_versions(self) -> Mapping[int, tuple[int, str]]:
        rows = self._connection().execute("SELECT id, version, content_hash FROM docs")
        return {row["id"]: (row["version"], row["content_hash"]) for row in rows}

    def health(self) -> dict:
        try:
            count = self._connection().execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        except (sqlite3.Error, EngineUnavailable) as error:
            return {"status": "down", "engine": self.name, "error": str(error)}
        return {"status": "up", "engine": self.name, "index": self.store.current_name(),
                "documents": count}

    def close(self) -> None:
        self.store.close()
