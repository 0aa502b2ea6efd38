"""The words signal's own postings: FTS5's BM25 without scoring every match row by row.

FTS5's bm25() reads each matching row's position lists to count its terms: at
100,000 case studies a common word matches tens of thousands of rows, and that
scoring was most of a search. Beside the FTS5 tables the index keeps, per
language and stem, the documents holding it and their weighted term frequency
(title 3, summary 2, body 1: COLUMN_WEIGHTS) as two arrays, and every document's
length in tokens; a search scores a stem's documents in one numpy expression.

The score is FTS5's own bm25() of the literal subquery's expression (matching.py),
to rounding: per phrase of the expression, idf * f * (k1 + 1) / (f + k1 * (1 - b
+ b * D / avgdl)), with idf = ln((N - n + 0.5) / (n + 0.5)) (at least 1e-6) over
the language's N documents, n of which hold the stem. An expression asking for r of
its word clauses repeats each clause in the groups of r it belongs to, and FTS5
counts a phrase in the groups that match the row: a document matching m clauses
counts each of its stems comb(m - 1, r - 1) times (tests/embedded/test_postings.py
checks all of this against FTS5 itself).

Writes append segments (each a write transaction's documents, like Lucene's); a
document's entries are valid in the segment covering the generation its docs row
holds, so a rewritten or deleted document's old entries are skipped without
rewriting anything. Segments of similar size are merged (merge_small); a rebuild
writes one segment.
"""

from __future__ import annotations

import math
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain
from dataclasses import dataclass

import numpy as np

# BM25 weights of the fields title, summary, body (FTS5's bm25() column weights).
COLUMN_WEIGHTS = (3, 2, 1)
# FTS5's bm25() constants (fts5_aux.c).
K1 = 1.2
B = 0.75
MIN_IDF = 1e-6
# How a segment stores ids and weighted term frequencies.
ID_DTYPE = "<i4"
FREQUENCY_DTYPE = "<u4"
# The same as array typecodes, in native byte order (4 bytes where CPython runs).
ID_TYPECODE = "i"
FREQUENCY_TYPECODE = "I"
assert array(ID_TYPECODE).itemsize == array(FREQUENCY_TYPECODE).itemsize == 4
# Segments of similar size are merged this many at a time (merge_small): each posting
# is rewritten about log_4 of the writes times.
MERGE_FACTOR = 4


def fts_tokens(stem: str) -> list[str]:
    """The terms FTS5's unicode61 tokenizer reads in a stem: analysis.tokenize keeps
    \\w runs (letters, digits and underscores), unicode61 splits at underscores."""
    return [token for token in stem.split("_") if token]


def single_term(stem: str) -> bool:
    """Whether FTS5 reads `stem` as one term (not a phrase of several)."""
    return bool(stem) and "_" not in stem


class SegmentWriter:
    """Collects documents for one segment: language -> stem -> (ids, frequencies), and
    each text's length in tokens (compact arrays: a rebuild collects thousands)."""

    def __init__(self):
        self.postings: dict[str, dict[str, tuple[array, array]]] = defaultdict(dict)
        self.lengths: dict[str, tuple[array, array]] = defaultdict(
            lambda: (array(ID_TYPECODE), array(FREQUENCY_TYPECODE)))
        self.documents = 0

    def add(self, doc_id: int, language: str, fields: Iterable[list[str]]) -> None:
        """One text: its fields' stems (title, summary, body), as the FTS row holds them."""
        frequencies: dict[str, int] = {}
        tokens = 0
        for weight, stems in zip(COLUMN_WEIGHTS, fields):
            for stem in stems:
                for term in (fts_tokens(stem) if "_" in stem else (stem,)):
                    tokens += 1
                    frequencies[term] = frequencies.get(term, 0) + weight
        by_stem = self.postings[language]
        for term, frequency in frequencies.items():
            found = by_stem.get(term)
            if found is None:
                found = by_stem[term] = (array(ID_TYPECODE), array(FREQUENCY_TYPECODE))
            found[0].append(doc_id)
            found[1].append(frequency)
        ids, counts = self.lengths[language]
        ids.append(doc_id)
        counts.append(tokens)
        self.documents += 1

    def write(self, connection: sqlite3.Connection, generation: int) -> int | None:
        """Stores the collected documents as a new segment of `generation`; its id."""
        if not self.lengths:
            return None
        segment = connection.execute(
            "INSERT INTO segments (first_generation, last_generation, size) VALUES (?, ?, ?) "
            "RETURNING id", (generation, generation,
                             sum(len(ids) for by_stem in self.postings.values()
                                 for ids, _values in by_stem.values()))).fetchone()[0]
        connection.executemany(
            "INSERT INTO postings (language, stem, segment, ids, frequencies) "
            "VALUES (?, ?, ?, ?, ?)",
            ((language, stem, segment, *_encoded(ids, values))
             for language, by_stem in self.postings.items()
             for stem, (ids, values) in by_stem.items()))
        connection.executemany(
            "INSERT INTO lengths (segment, language, ids, tokens) VALUES (?, ?, ?, ?)",
            ((segment, language, *_encoded(ids, counts))
             for language, (ids, counts) in self.lengths.items()))
        return segment


def _encoded(ids: array, values: array) -> tuple[bytes, bytes]:
    """Both as stored, in id order (documents usually come in it already)."""
    ids = np.frombuffer(ids, dtype=np.int32).astype(ID_DTYPE, copy=False)
    values = np.frombuffer(values, dtype=np.uint32).astype(FREQUENCY_DTYPE, copy=False)
    if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():
        order = np.argsort(ids, kind="stable")
        ids, values = ids[order], values[order]
    return ids.tobytes(), values.tobytes()


def _decoded(ids: bytes, values: bytes) -> tuple[np.ndarray, np.ndarray]:
    return np.frombuffer(ids, dtype=ID_DTYPE), np.frombuffer(values, dtype=FREQUENCY_DTYPE)


# -- merging -------------------------------------------------------------------------------

def merge_small(connection: sqlite3.Connection) -> None:
    """After a write: merges the newest MERGE_FACTOR segments into one while none of them
    is more than MERGE_FACTOR times the size of another (a tiered merge: segments of
    similar size merge, a write merges only every MERGE_FACTOR-th time or so, and there
    are about MERGE_FACTOR * log_MERGE_FACTOR(writes) segments)."""
    while True:
        newest = connection.execute(
            "SELECT id, size FROM segments ORDER BY last_generation DESC, id DESC LIMIT ?",
            (MERGE_FACTOR,)).fetchall()
        sizes = [max(size, 1) for _id, size in newest]
        if len(newest) < MERGE_FACTOR or max(sizes) > MERGE_FACTOR * min(sizes):
            return
        merge(connection, [segment for segment, _size in reversed(newest)])


def merge_all(connection: sqlite3.Connection) -> None:
    """Merges every segment into one (a rebuild's last step). Readers' snapshots know
    the segments of a generation: call within a write that bumps it."""
    ids = [row[0] for row in connection.execute("SELECT id FROM segments")]
    if len(ids) > 1:
        merge(connection, ids)


def merge(connection: sqlite3.Connection, segments: list[int]) -> None:
    """Replaces consecutive `segments` by one covering their generations, without the
    entries of documents rewritten or deleted since (see module docstring)."""
    marks = ", ".join("?" * len(segments))
    covered = connection.execute(
        f"SELECT id, first_generation, last_generation, size FROM segments "
        f"WHERE id IN ({marks})", segments).fetchall()
    ranges = {row[0]: (row[1], row[2]) for row in covered}
    first = min(low for low, _high in ranges.values())
    last = max(high for _low, high in ranges.values())
    # Only documents whose docs row is of these generations can have current entries here.
    generations = generations_array(connection.execute(
        "SELECT id, generation FROM docs WHERE generation BETWEEN ? AND ?",
        (first, last)).fetchall())
    merged = connection.execute(
        "INSERT INTO segments (first_generation, last_generation, size) VALUES (?, ?, 0) "
        "RETURNING id", (first, last)).fetchone()[0]
    # A large merge walks the stem index in order (no sort of every blob); a small one
    # reads its segments' rows and sorts those (the walk would read every index entry).
    everything = connection.execute("SELECT sum(size) FROM segments").fetchone()[0] or 0
    index = ("postings_stem" if sum(row[3] for row in covered) * 4 > everything
             else "postings_segment")
    size = 0
    cursor = connection.cursor()
    cursor.row_factory = None
    rows = cursor.execute(
        f"SELECT language, stem, segment, ids, frequencies FROM postings INDEXED BY {index} "
        f"WHERE segment IN ({marks}) ORDER BY language, stem, segment", segments)
    written = []
    key, parts = None, []
    # Streamed (the rows written meanwhile are of `merged`, outside the IN list).
    for language, stem, segment, ids, values in chain(rows, [(None, None, None, b"", b"")]):
        if (language, stem) != key:
            if parts:
                ids_out, values_out = _joined(parts)
                if len(ids_out):
                    size += len(ids_out)
                    written.append((*key, merged, ids_out.astype(ID_DTYPE).tobytes(),
                                    values_out.astype(FREQUENCY_DTYPE).tobytes()))
            key, parts = (language, stem), []
            if language is None:
                break
        ids, values = _decoded(ids, values)
        keep = _valid(generations, ids, *ranges[segment])
        parts.append((ids[keep], values[keep]))
        if len(written) >= 5000:
            _write_postings(connection, written)
            written = []
    _write_postings(connection, written)
    lengths = defaultdict(list)
    for segment, language, ids, tokens in connection.execute(
            f"SELECT segment, language, ids, tokens FROM lengths WHERE segment IN ({marks})",
            segments).fetchall():
        ids, tokens = _decoded(ids, tokens)
        keep = _valid(generations, ids, *ranges[segment])
        lengths[language].append((ids[keep], tokens[keep]))
    connection.executemany(
        "INSERT INTO lengths (segment, language, ids, tokens) VALUES (?, ?, ?, ?)",
        [(merged, language, ids.astype(ID_DTYPE).tobytes(),
          tokens.astype(FREQUENCY_DTYPE).tobytes())
         for language, parts in lengths.items() for ids, tokens in [_joined(parts)]])
    for table, column in (("postings", "segment"), ("lengths", "segment"), ("segments", "id")):
        connection.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", segments)
    connection.execute("UPDATE segments SET size = ? WHERE id = ?", (size, merged))


def _write_postings(connection: sqlite3.Connection, rows: list[tuple]) -> None:
    connection.executemany(
        "INSERT INTO postings (language, stem, segment, ids, frequencies) VALUES (?, ?, ?, ?, ?)",
        rows)


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.concatenate([ids for ids, _values in parts])
    values = np.concatenate([values for _ids, values in parts])
    order = np.argsort(ids, kind="stable")
    return ids[order], values[order]


def generations_array(rows: list[tuple[int, int]]) -> np.ndarray:
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
    generations = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
    generations[ids] = values
    return generations


def _valid(generations: np.ndarray, ids: np.ndarray, first: int, last: int) -> np.ndarray:
    """Which entries of a segment covering generations first..last are current: their
    document's docs row is of one of those generations."""
    inside = ids < len(generations)
    held = np.full(len(ids), -1, dtype=np.int64)
    held[inside] = generations[ids[inside]]
    return (held >= first) & (held <= last)


# -- reading -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LanguageLengths:
    """One language's texts: length in tokens by document id (0 for none), how many."""

    tokens: np.ndarray
    documents: int
    average: float


@dataclass(frozen=True)
class Lexicon:
    """What scoring needs besides the postings, for one generation (Snapshot.lexicon)."""

    generations: np.ndarray
    segments: dict[int, tuple[int, int]]
    lengths: dict[str, LanguageLengths]


def load_lexicon(connection: sqlite3.Connection, generations: np.ndarray) -> Lexicon:
    segments = {row[0]: (row[1], row[2]) for row in connection.execute(
        "SELECT id, first_generation, last_generation FROM segments")}
    by_language: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    cursor = connection.cursor()
    cursor.row_factory = None
    for segment, language, ids, tokens in cursor.execute(
            "SELECT segment, language, ids, tokens FROM lengths"):
        ids, tokens = _decoded(ids, tokens)
        keep = _valid(generations, ids, *segments[segment])
        by_language[language].append((ids[keep], tokens[keep]))
    lengths = {}
    for language, parts in by_language.items():
        dense = np.zeros(len(generations), dtype=np.float64)
        for ids, tokens in parts:  # a document is current in one segment only
            dense[ids] = tokens
        count = sum(len(ids) for ids, _tokens in parts)
        lengths[language] = LanguageLengths(dense, count,
                                            float(dense.sum()) / count if count else 0.0)
    return Lexicon(generations, segments, lengths)


def bm25(connection: sqlite3.Connection, lexicon: Lexicon, language: str,
         clauses: tuple[tuple[str, ...], ...], required: int,
         weight: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(ids, scores * weight) of the documents holding at least `required` of the word
    `clauses` (each matches by any of its stems) in `language`, scored as FTS5's bm25()
    scores matching.literal_expression; None when a stem is a phrase to FTS5
    (single_term), which only FTS5 can score."""
    stems = [stem for clause in clauses for stem in clause]
    if not all(single_term(stem) for stem in stems):
        return None
    lengths = lexicon.lengths.get(language)
    if lengths is None or not lengths.documents:
        return _nothing()
    found = _postings(connection, lexicon, language, set(stems))
    size = len(lexicon.generations)
    scores = np.zeros(size, dtype=np.float64)
    matched = np.zeros(size, dtype=np.int16)
    for clause in clauses:
        in_clause = np.zeros(size, dtype=bool)
        for stem in clause:
            ids, frequencies = found.get(stem, (None, None))
            if ids is None or not len(ids):
                continue
            count = len(ids)
            idf = max(math.log((lengths.documents - count + 0.5) / (count + 0.5)), MIN_IDF)
            frequencies = frequencies.astype(np.float64)
            # Length normalisation of these documents only (not of every text, per stem).
            norm = K1 * (1 - B + B * lengths.tokens[ids] / lengths.average)
            scores[ids] += idf * frequencies * (K1 + 1) / (frequencies + norm)
            in_clause[ids] = True
        matched += in_clause
    ids = np.flatnonzero(matched >= required)
    if not len(ids):
        return _nothing()
    # Each matched clause counts once per matching group of `required` clauses.
    repeats = np.array([math.comb(m - 1, required - 1) if m >= 1 else 0
                        for m in range(len(clauses) + 1)], dtype=np.float64)
    return ids, scores[ids] * repeats[matched[ids]] * weight


def _nothing() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)


def _postings(connection: sqlite3.Connection, lexicon: Lexicon, language: str,
              stems: set[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """stem -> (ids, frequencies) of the current entries of every segment."""
    marks = ", ".join("?" * len(stems))
    cursor = connection.cursor()
    cursor.row_factory = None
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for stem, segment, ids, values in cursor.execute(
            f"SELECT stem, segment, ids, frequencies FROM postings "
            f"WHERE language = ? AND stem IN ({marks})", (language, *stems)):
        ids, values = _decoded(ids, values)
        first, last = lexicon.segments[segment]
        keep = _valid(lexicon.generations, ids, first, last)
        parts[stem].append((ids[keep], values[keep]))
    return {stem: (found[0] if len(found) == 1 else _joined(found)) for stem, found
            in parts.items()}
