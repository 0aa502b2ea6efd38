"""An in-memory view of the index for facets and sorting, refreshed by generation.

Facet values are held as bitsets (see bitsets.py) and publication dates in a
dict. Every write transaction bumps the index's generation and stamps the rows
it writes with it, so a reader reloads only what changed since its snapshot —
also when the write came from another process (the indexer worker).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from indexer.embedded import bitsets, quantized
from indexer.embedded.postings import Lexicon, generations_array, load_lexicon
from indexer.embedded.reduced import REDUCED_FROM, Reduced, basis_of, projected
from indexer.embedded.schema import VECTOR_DTYPE
from indexer.embedding import DIMENSIONS

# Past this share of changed documents a full reload is cheaper.
FULL_RELOAD_SHARE = 0.2
# Vector rows read per fetch when loading the matrix (~6 MB of float32 at a time).
VECTOR_BLOCK = 4096


@dataclass(frozen=True)
class Snapshot:
    name: str
    generation: int
    all_docs: int
    # facet -> value -> bitset of the documents holding it
    values: dict[str, dict[str, int]]
    # id -> published_at ("" when unknown), the "newest" sort key
    published: dict[int, str]
    # Document vectors: row i of `vectors` belongs to document vector_ids[i].
    vector_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64),
                                   compare=False)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, DIMENSIONS), np.float32),
                                compare=False)
    # From REDUCED_FROM vectors on, the same rows projected for a first pass (reduced.py).
    reduced: Reduced | None = field(default=None, compare=False)
    # Between QUANTIZED_FROM and REDUCED_FROM vectors, the same rows as int8 for an exact
    # first pass (quantized.py), built in the background.
    int8_rows: quantized.Int8Rows | None = field(default=None, compare=False)
    # Which postings entries are current, and the texts' lengths (postings.py).
    lexicon: Lexicon | None = field(default=None, compare=False)
    # Filled while searching (vocabulary.py), valid for this generation:
    # (language, stem) -> whether some document holds it.
    term_present: dict[tuple[str, str], bool] = field(default_factory=dict, compare=False)
    # Computed on first use: see newest_ranks.
    _ranks: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @property
    def quantized(self) -> quantized.Quantized | None:
        """The int8 first pass, once built."""
        return self.int8_rows.ready if self.int8_rows is not None else None

    def sort_key(self, doc_id: int) -> tuple[str, int]:
        return self.published.get(doc_id, ""), doc_id

    def newest_ranks(self) -> np.ndarray:
        """rank[id]: the document's place in sort_key order (0 the oldest; -1 for an id
        not in the snapshot), so that ties and "newest first" sort in numpy, not with a
        Python key per document. Computed once per snapshot (~5 ms at 10,000 documents)."""
        ranks = self._ranks.get("newest")
        if ranks is None:
            ids = np.fromiter(self.published.keys(), dtype=np.int64, count=len(self.published))
            dates = np.array(list(self.published.values()), dtype=str)
            order = np.lexsort((ids, dates))  # by date, then id
            ranks = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
            ranks[ids[order]] = np.arange(len(ids), dtype=np.int64)
            self._ranks["newest"] = ranks
        return ranks


def current_generation(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]


def _rows(connection: sqlite3.Connection, sql: str, params=()) -> list[tuple]:
    cursor = connection.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params).fetchall()


def _group(rows) -> dict[str, dict[str, int]]:
    ids: dict[tuple[str, str], list[int]] = defaultdict(list)
    for doc_id, facet, value in rows:
        ids[facet, value].append(doc_id)
    values: dict[str, dict[str, int]] = defaultdict(dict)
    for (facet, value), members in ids.items():
        values[facet][value] = bitsets.from_ids(members)
    return values


def _vectors(connection: sqlite3.Connection, sql: str, params=()) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 matrix) from (id, stored vector) rows, VECTOR_BLOCK rows at a time:
    the rows' bytes objects never all exist at once. At 100k they would be 150 MB of
    small allocations beside the matrix, which the allocator keeps after they are freed."""
    cursor = connection.cursor()
    cursor.row_factory = None
    cursor.execute(sql, params)
    id_blocks, vector_blocks = [], []
    while rows := cursor.fetchmany(VECTOR_BLOCK):
        id_blocks.append(np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)))
        block = np.frombuffer(b"".join(row[1] for row in rows), dtype=VECTOR_DTYPE)
        vector_blocks.append(block.reshape(len(rows), -1).astype(np.float32))
    if not id_blocks:
        return np.zeros(0, dtype=np.int64), np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.concatenate(id_blocks), np.concatenate(vector_blocks)


def _reduced(vectors: np.ndarray) -> Reduced | None:
    """The first-pass matrix (reduced.py) from REDUCED_FROM vectors on."""
    if len(vectors) < REDUCED_FROM:
        return None
    basis = basis_of(vectors)
    return Reduced(basis, projected(vectors, basis))


def _int8_rows(vectors: np.ndarray) -> quantized.Int8Rows | None:
    """The int8 first-pass matrix (quantized.py), where neither the cache nor the reduced
    pass serves."""
    if not quantized.QUANTIZED_FROM <= len(vectors) < REDUCED_FROM:
        return None
    return quantized.Int8Rows(vectors)


def load(connection: sqlite3.Connection, name: str, generation: int) -> Snapshot:
    rows = _rows(connection, "SELECT id, coalesce(published_at, ''), generation FROM docs")
    published = {doc_id: date for doc_id, date, _generation in rows}
    generations = generations_array([(doc_id, held) for doc_id, _date, held in rows])
    values = _group(_rows(connection, "SELECT doc_id, facet, value FROM doc_facets"))
    ids, vectors = _vectors(connection, "SELECT id, vector FROM docs WHERE vector IS NOT NULL")
    return Snapshot(name, generation, bitsets.from_ids(published), dict(values), published,
                    vector_ids=ids, vectors=vectors, reduced=_reduced(vectors),
                    int8_rows=_int8_rows(vectors),
                    lexicon=load_lexicon(connection, generations))


def update(connection: sqlite3.Connection, old: Snapshot, generation: int) -> Snapshot:
    """`old` plus the documents written or deleted after its generation."""
    since = (old.generation,)
    rows = _rows(connection, "SELECT id, coalesce(published_at, ''), generation FROM docs "
                 "WHERE generation > ?", since)
    written = {doc_id: date for doc_id, date, _generation in rows}
    gone = [row[0] for row in _rows(connection, "SELECT id FROM tombstones WHERE generation > ?",
                                    since)]
    if len(written) + len(gone) > FULL_RELOAD_SHARE * max(len(old.published), 1000):
        return load(connection, old.name, generation)
    mask = bitsets.from_ids([*written, *gone])
    values = {facet: {value: bits & ~mask for value, bits in by_value.items()}
              for facet, by_value in old.values.items()}
    added = _group(_rows(connection, "SELECT f.doc_id, f.facet, f.value FROM doc_facets f "
                         "JOIN docs d ON d.id = f.doc_id WHERE d.generation > ?", since))
    for facet, by_value in added.items():
        target = values.setdefault(facet, {})
        for value, bits in by_value.items():
            target[value] = target.get(value, 0) | bits
    values = {facet: {value: bits for value, bits in by_value.items() if bits}
              for facet, by_value in values.items()}
    published = dict(old.published)
    for doc_id in gone:
        published.pop(doc_id, None)
    published.update(written)
    all_docs = (old.all_docs & ~mask) | bitsets.from_ids(written)
    kept = ~bitsets.as_array(mask, old.vector_ids)
    new_ids, new_vectors = _vectors(
        connection, "SELECT id, vector FROM docs WHERE generation > ? AND vector IS NOT NULL",
        since)
    vectors = np.concatenate([old.vectors[kept], new_vectors])
    if old.reduced is None:
        reduced = _reduced(vectors)
    else:  # the directions stay; only the new rows are projected
        basis = old.reduced.basis
        reduced = Reduced(basis, np.concatenate([old.reduced.matrix[kept],
                                                 projected(new_vectors, basis)]))
    return Snapshot(old.name, generation, all_docs, values, published,
                    vector_ids=np.concatenate([old.vector_ids[kept], new_ids]),
                    vectors=vectors, reduced=reduced,
                    int8_rows=(old.int8_rows if not len(new_vectors) and kept.all()
                               else _int8_rows(vectors)),
                    lexicon=load_lexicon(connection, _generations(old, gone, rows)))


def _generations(old: Snapshot, gone: list[int], written: list[tuple]) -> np.ndarray:
    """old's documents' generations (postings.generations_array), minus `gone`, plus the
    (id, date, generation) rows `written`."""
    held = old.lexicon.generations if old.lexicon is not None else np.zeros(0, np.int64)
    size = max([len(held), *(doc_id + 1 for doc_id in gone),
                *(doc_id + 1 for doc_id, _date, _generation in written)])
    generations = np.full(size, -1, dtype=np.int64)
    generations[:len(held)] = held
    generations[np.asarray(gone, dtype=np.int64)] = -1
    for doc_id, _date, generation in written:
        generations[doc_id] = generation
    return generations


@contextmanager
def _scanning(connection: sqlite3.Connection) -> Iterator[None]:
    """A whole-table read with a small page cache: a snapshot reads every docs row
    once, and would otherwise fill the connection's cache with pages no search needs."""
    cache_size = connection.execute("PRAGMA cache_size").fetchone()[0]
    connection.execute("PRAGMA cache_size=-2048")
    try:
        yield
    finally:
        connection.execute(f"PRAGMA cache_size={int(cache_size)}")


class SnapshotCache:
    """The latest snapshot per index file, shared by the threads of one engine."""

    def __init__(self):
        self._snapshots: dict[str, Snapshot] = {}
        self._lock = threading.Lock()

    def get(self, connection: sqlite3.Connection, name: str) -> tuple[Snapshot, bool]:
        """The snapshot for the generation `connection` sees (call inside its read
        transaction), and whether it is of exactly that generation."""
        generation = current_generation(connection)
        held = self._snapshots.get(name)
        # A newer snapshot serves an older reader too: the difference is a write
        # that committed a moment ago.
        if held is not None and held.generation >= generation:
            return held, held.generation == generation
        with self._lock:
            held = self._snapshots.get(name)
            if held is not None and held.generation >= generation:
                return held, held.generation == generation
            with _scanning(connection):
                fresh = update(connection, held, generation) if held else load(
                    connection, name, generation)
            # Keep the current file's snapshot only (and a previous one while
            # readers switch after a rebuild).
            self._snapshots = {key: snap for key, snap in self._snapshots.items()
                               if key != name}
            self._snapshots = {**dict(list(self._snapshots.items())[-1:]), name: fresh}
            return fresh, True

    def clear(self) -> None:
        with self._lock:
            self._snapshots = {}
