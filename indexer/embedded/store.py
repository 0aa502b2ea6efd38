"""Where the embedded index lives: physical SQLite files behind a `current` pointer.

Mirrors Elasticsearch's alias: a rebuild writes a new file and then replaces
the pointer atomically; readers switch on their next query.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from indexer.embedded.schema import PRAGMAS, SCHEMA_VERSION, connection_ddl, ddl

POINTER = "current"
KEEP_FILES = 2


class OutdatedIndex(sqlite3.DatabaseError):
    """The current index file was written in an older format."""


class ForeignIndex(sqlite3.DatabaseError):
    """The index file was built from another database than the one asking."""


# The database an index file was built from; one row. Created on first use, so
# files written before it existed are claimed by the first database that opens them.
OWNER_DDL = """CREATE TABLE IF NOT EXISTS index_owner (
                   one INTEGER PRIMARY KEY CHECK (one = 1),
                   database TEXT NOT NULL)"""


class IndexStore:
    def __init__(self, directory: str | os.PathLike, owner: str | None = None):
        """owner: which database this index belongs to (None: no check, e.g. tests)."""
        self.directory = Path(directory)
        self.owner = owner
        self._local = threading.local()
        # (the pointer file's stat identity, the name it holds): see current_name.
        self._pointer_seen: tuple[tuple, str | None] | None = None

    # -- the pointer ---------------------------------------------------------------
    def _pointer(self) -> Path:
        return self.directory / POINTER

    def current_name(self) -> str | None:
        """The pointer's content, read again only when the file changed: every search
        asks, and a stat is one system call where reading is four and a text wrapper.
        switch_to replaces the file (os.replace), so its inode and mtime change."""
        try:
            status = os.stat(self._pointer())
        except FileNotFoundError:
            return None
        identity = (status.st_ino, status.st_mtime_ns, status.st_size)
        seen = self._pointer_seen
        if seen is not None and seen[0] == identity:
            return seen[1]
        try:
            name = self._pointer().read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None
        self._pointer_seen = (identity, name)
        return name

    def new_name(self) -> str:
        return f"case-studies-v{SCHEMA_VERSION}-{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 10**9:09d}.sqlite3"

    def switch_to(self, name: str) -> None:
        tmp = self.directory / f".{POINTER}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(name, encoding="utf-8")
        os.replace(tmp, self._pointer())
        self._remove_old_files(keep=name)

    def _remove_old_files(self, keep: str) -> None:
        files = sorted(self.directory.glob("case-studies-v*.sqlite3"), key=lambda p: p.name)
        old = [p for p in files if p.name != keep][: max(0, len(files) - KEEP_FILES)]
        for path in old:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    # -- connections ---------------------------------------------------------------
    def connect(self, name: str) -> sqlite3.Connection:
        self.directory.mkdir(parents=True, exist_ok=True)
        # PARSE_DECLTYPES: docs.texts (ZJSON) is read back decompressed.
        connection = sqlite3.connect(self.directory / name, timeout=30, isolation_level=None,
                                     detect_types=sqlite3.PARSE_DECLTYPES)
        connection.row_factory = sqlite3.Row
        for statement in PRAGMAS:
            connection.execute(statement)
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            if version != 0:
                connection.close()
                raise OutdatedIndex(
                    f"the index {name} has format {version}, this version reads "
                    f"{SCHEMA_VERSION}: run `cityex index rebuild`"
                )
            for statement in ddl():
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        for statement in connection_ddl():
            connection.execute(statement)
        if self.owner is not None:
            self._check_owner(connection, name)
        return connection

    def _check_owner(self, connection: sqlite3.Connection, name: str) -> None:
        """Claim an unclaimed index file for our database; refuse one built from another."""
        connection.execute(OWNER_DDL)
        connection.execute("INSERT OR IGNORE INTO index_owner (one, database) VALUES (1, ?)",
                           (self.owner,))
        recorded = connection.execute("SELECT database FROM index_owner").fetchone()[0]
        if recorded != self.owner:
            connection.close()
            raise ForeignIndex(
                f"its file {name} was built from the database "
                f"{recorded}, not from {self.owner}: set CITYEX_EMBEDDED_INDEX_PATH to this "
                f"database's own index (or leave it unset: each database gets its own), or "
                f"run `cityex index rebuild` to rebuild this one from {self.owner}"
            )

    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the current index, created on first use."""
        name = self.current_name()
        if name is None:
            name = self.new_name()
            self.connect(name).close()
            self.switch_to(name)
        local = self._local
        if getattr(local, "name", None) != name:
            if getattr(local, "connection", None) is not None:
                local.connection.close()
            local.connection = self.connect(name)
            local.name = name
        return local.connection

    def connected_name(self) -> str | None:
        """The index file this thread's connection is open on."""
        return getattr(self._local, "name", None)

    def discard(self, name: str) -> None:
        """Remove an index file that never became current (a failed rebuild)."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.directory / name}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        if getattr(self._local, "connection", None) is not None:
            self._local.connection.close()
            self._local.connection = None
            self._local.name = None
