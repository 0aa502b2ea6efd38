"""Writes to the embedded index: batched, versioned, stamped with the generation."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator

import numpy as np

from indexer.analysis import LANGUAGES, analyze
from indexer.documents import SearchDocument
from indexer.embedded import postings
from indexer.embedded.schema import CENTRAL_TOPIC, VECTOR_DTYPE, compress_texts, fts_table
from indexer.embedding import from_bytes
from indexer.highlight import SNIPPET_FIELDS, snippet_index
from indexer.embedded.snapshot import current_generation
from indexer.engine import Deletion
from indexer.query import FACETS

# Ids per `IN (...)` lookup, well below SQLite's variable limit.
LOOKUP_CHUNK = 500


def next_generation(connection: sqlite3.Connection) -> int:
    connection.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    return current_generation(connection)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _versions(connection: sqlite3.Connection, table: str, ids: list[int]) -> dict[int, int]:
    """id -> version held in `docs` or `tombstones`."""
    found: dict[int, int] = {}
    for chunk in _chunks(ids, LOOKUP_CHUNK):
        marks = ", ".join("?" * len(chunk))
        found.update(connection.execute(
            f"SELECT id, version FROM {table} WHERE id IN ({marks})", chunk).fetchall())
    return found


def index(connection: sqlite3.Connection, documents: Iterable[SearchDocument],
          generation: int) -> int:
    """Apply every document not older than what the index holds; returns how many applied.

    Equal versions rewrite (same revision, fresh read), as external_gte does in
    Elasticsearch; a deletion blocks writes older than its version.
    """
    documents = list(documents)
    ids = list(dict.fromkeys(document.id for document in documents))
    held = _versions(connection, "docs", ids)
    deleted = _versions(connection, "tombstones", ids)
    latest: dict[int, SearchDocument] = {}
    applied = 0
    for document in documents:
        if document.version < max(held.get(document.id, 0), deleted.get(document.id, 0)):
            continue
        held[document.id] = document.version
        deleted.pop(document.id, None)
        latest[document.id] = document
        applied += 1
    if latest:
        remove(connection, list(latest))
        connection.executemany("DELETE FROM tombstones WHERE id = ?", [(i,) for i in latest])
        insert(connection, latest.values(), generation)
        postings.merge_small(connection)
    return applied


def delete(connection: sqlite3.Connection, deletions: Iterable[Deletion],
           generation: int) -> int:
    """Remove documents unless the index holds a newer version; returns how many were removed."""
    deletions = list(deletions)
    held = _versions(connection, "docs", list(dict.fromkeys(d.id for d in deletions)))
    gone: dict[int, int] = {}
    removed: set[int] = set()
    for deletion in deletions:
        version = held.get(deletion.id)
        if version is not None and version > deletion.version:
            continue
        if held.pop(deletion.id, None) is not None:
            removed.add(deletion.id)
        gone[deletion.id] = max(gone.get(deletion.id, 0), deletion.version)
    remove(connection, list(removed))
    connection.executemany(
        "INSERT INTO tombstones (id, version, generation) VALUES (?, ?, ?) ON CONFLICT(id) "
        "DO UPDATE SET version = max(version, excluded.version), generation = excluded.generation",
        [(doc_id, version, generation) for doc_id, version in gone.items()],
    )
    return len(removed)


def remove(connection: sqlite3.Connection, ids: list[int]) -> None:
    rows = [(doc_id,) for doc_id in ids]
    # Contentless FTS5: a row goes by the 'delete' command with the very stems it
    # was inserted with, analysed again from the texts the docs row keeps.
    stems: dict[str, list[tuple]] = {language: [] for language in LANGUAGES}
    for chunk in _chunks(ids, LOOKUP_CHUNK):
        marks = ", ".join("?" * len(chunk))
        for doc_id, texts in connection.execute(
                f"SELECT id, texts FROM docs WHERE id IN ({marks})", chunk):
            for language, text in json.loads(texts).items():
                if language in stems:
                    stems[language].append(_fts_row(doc_id, _field_stems(
                        language, text["title"], text["summary"], text["body"])))
    for language, found in stems.items():
        if found:
            table = fts_table(language)
            connection.executemany(
                f"INSERT INTO {table} ({table}, rowid, title, summary, body) "
                "VALUES ('delete', ?, ?, ?, ?)", found)
    connection.executemany("DELETE FROM doc_facets WHERE doc_id = ?", rows)
    connection.executemany("DELETE FROM docs WHERE id = ?", rows)


def _fts_row(doc_id: int, fields: list[list[str]]) -> tuple:
    """The FTS row of one text: its id and the stems of title, summary and body."""
    return (doc_id, *(" ".join(stems) for stems in fields))


def _field_stems(language: str, *fields: str) -> list[list[str]]:
    """The stems of each of a text's fields (title, summary, body)."""
    return [analyze(field, language) for field in fields]


def _stored_vector(vector: bytes | None) -> bytes | None:
    """A float32 embedding as docs.vector keeps it (VECTOR_DTYPE)."""
    if vector is None:
        return None
    return np.asarray(from_bytes(vector), dtype=VECTOR_DTYPE).tobytes()


def _texts_json(document: SearchDocument) -> str:
    return json.dumps(
        {lang: {"title": t.title, "summary": t.summary, "body": t.body,
                "is_translation": t.is_translation}
         for lang, t in document.texts.items()},
        ensure_ascii=False,
    )


def _snippets_json(document: SearchDocument) -> str:
    """Each text's snippet index (indexer.highlight), by language and field."""
    return json.dumps(
        {lang: {field: snippet_index(getattr(text, field), lang) for field in SNIPPET_FIELDS}
         for lang, text in document.texts.items()},
        ensure_ascii=False, separators=(",", ":"),
    )


def insert(connection: sqlite3.Connection, documents: Iterable[SearchDocument],
           generation: int, segment: postings.SegmentWriter | None = None) -> None:
    """Insert documents that are not in the index (callers remove them first), their
    words as a new postings segment, or into `segment` for the caller to write."""
    docs, facets = [], []
    own_segment = segment is None
    segment = segment or postings.SegmentWriter()
    texts: dict[str, list[tuple]] = {language: [] for language in LANGUAGES}
    for document in documents:
        docs.append((document.id, document.version, document.slug, document.language,
                     document.published_at.isoformat() if document.published_at else None,
                     document.content_hash(), compress_texts(_texts_json(document)),
                     compress_texts(_snippets_json(document)), generation,
                     _stored_vector(document.vector)))
        facets += [(document.id, facet, value) for facet in FACETS
                   for value in dict.fromkeys(document.facet_values(facet))]
        facets += [(document.id, CENTRAL_TOPIC, value)
                   for value in dict.fromkeys(document.central_topics)]
        for language, text in document.texts.items():
            if language in texts:
                fields = _field_stems(language, text.title, text.summary, text.body)
                texts[language].append(_fts_row(document.id, fields))
                segment.add(document.id, language, fields)
    connection.executemany(
        "INSERT INTO docs (id, version, slug, language, published_at, content_hash, texts, "
        "snippets, generation, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", docs)
    connection.executemany("INSERT INTO doc_facets (doc_id, facet, value) VALUES (?, ?, ?)",
                           facets)
    for language, rows in texts.items():
        if rows:
            connection.executemany(
                f"INSERT INTO {fts_table(language)} (rowid, title, summary, body) "
                "VALUES (?, ?, ?, ?)", rows)
    if own_segment:
        segment.write(connection, generation)
