"""The embedded engine: SQLite FTS5, BM25, disjunctive facets, no server."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice

from indexer.documents import SearchDocument
from indexer.embedded import postings, vocabulary, writing
from indexer.embedded.schema import fts_table
from indexer.embedded.searching import run_search
from indexer.embedded.snapshot import SnapshotCache
from indexer.embedded.store import IndexStore
from indexer.engine import Deletion, EngineUnavailable, SearchEngine, WordPresence
from indexer.analysis import LANGUAGES
from indexer.query import SearchQuery, SearchResult

# Documents per write statement batch during a rebuild.
REBUILD_BATCH = 500
# Texts per postings segment during a rebuild: up to this many (~150,000 at 100,000
# case studies) it writes one segment, from memory; past it, segments merged at the end.
REBUILD_SEGMENT = 200_000
# Free pages past this share of a rebuilt file (left by merged segments) are vacuumed away.
SPARSE_SHARE = 0.1


def _vacuum_if_sparse(connection: sqlite3.Connection) -> None:
    """A new file need not carry the free pages of merged segments: VACUUM (with its
    copy on disk, not in memory as temp_store=MEMORY would put it)."""
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    free = connection.execute("PRAGMA freelist_count").fetchone()[0]
    if free > SPARSE_SHARE * pages:
        connection.execute("PRAGMA temp_store=FILE")
        connection.execute("VACUUM")
        connection.execute("PRAGMA temp_store=MEMORY")


class EmbeddedEngine(SearchEngine):
    name = "embedded"

    def __init__(self, path: str, owner: str | None = None):
        """owner: the database the index belongs to; an index built from another is refused."""
        self.store = IndexStore(path, owner)
        self._write_lock = threading.Lock()
        self._snapshots = SnapshotCache()

    def _connection(self) -> sqlite3.Connection:
        try:
            return self.store.connection()
        except (sqlite3.Error, OSError) as error:  # OSError: the index directory is unusable
            raise EngineUnavailable(f"embedded index at {self.store.directory}: {error}") from error

    @contextmanager
    def _transaction(self, what: str, begin: str = "BEGIN IMMEDIATE") -> Iterator:
        connection = self._connection()
        try:
            connection.execute(begin)
            yield connection
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise EngineUnavailable(f"embedded index {what} failed: {error}") from error
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    # -- writes ----------------------------------------------------------------------
    def ensure_index(self) -> None:
        self._connection()

    def index(self, documents: Iterable[SearchDocument]) -> int:
        with self._write_lock, self._transaction("write") as connection:
            return writing.index(connection, documents, writing.next_generation(connection))

    def delete(self, deletions: Iterable[Deletion]) -> int:
        with self._write_lock, self._transaction("delete") as connection:
            return writing.delete(connection, deletions, writing.next_generation(connection))

    def rebuild(self, documents: Iterable[SearchDocument], on_refused=None) -> str:
        """Writes a new file (searches keep using the current one), then switches the pointer.

        Nothing is refused here (no strict mapping), so `on_refused` is never called.
        """
        name = self.store.new_name()
        try:
            connection = self.store.connect(name)
        except (sqlite3.Error, OSError) as error:
            raise EngineUnavailable(f"embedded index rebuild failed: {error}") from error
        try:
            # Nobody reads this file before the switch: no need to sync every page.
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("BEGIN")
            generation = writing.next_generation(connection)
            documents = iter(documents)
            segment = postings.SegmentWriter()
            while batch := list(islice(documents, REBUILD_BATCH)):
                writing.insert(connection, batch, generation, segment)
                if segment.documents >= REBUILD_SEGMENT:
                    segment.write(connection, generation)
                    segment = postings.SegmentWriter()
            segment.write(connection, generation)
            postings.merge_all(connection)  # one segment: one read per stem
            connection.execute("COMMIT")
            for language in LANGUAGES:  # one b-tree per term list: faster queries
                table = fts_table(language)
                connection.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
            _vacuum_if_sparse(connection)
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException as error:
            connection.close()
            self.store.discard(name)
            if isinstance(error, sqlite3.Error):
                raise EngineUnavailable(f"embedded index rebuild failed: {error}") from error
            raise
        connection.close()
        self.store.switch_to(name)
        return name

    # -- reads -----------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        # One read transaction: the snapshot's generation and FTS see the same data.
        with self._transaction("search", begin="BEGIN") as connection:
            snapshot, fresh = self._snapshots.get(connection, self.store.connected_name() or "")
            return run_search(connection, snapshot, query, fresh)

    def word_presence(self, word: str) -> WordPresence:
        with self._transaction("vocabulary look-up", begin="BEGIN") as connection:
            snapshot, fresh = self._snapshots.get(connection, self.store.connected_name() or "")
            return vocabulary.word_presence(connection, snapshot, fresh, word)

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
        self._snapshots.clear()
