"""Tables of the embedded index (one SQLite file)."""

from __future__ import annotations

from indexer.analysis import LANGUAGES

SCHEMA_VERSION = 1


def fts_table(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language '{language}'")
    return f"fts_{language}"


def ddl() -> list[str]:
    statements = [
        "PRAGMA journal_mode=WAL",
        f"PRAGMA user_version={SCHEMA_VERSION}",
        """CREATE TABLE IF NOT EXISTS docs (
               id INTEGER PRIMARY KEY,
               version INTEGER NOT NULL,
               slug TEXT NOT NULL,
               language TEXT NOT NULL,
               published_at TEXT,
               content_hash TEXT NOT NULL,
               texts TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS docs_newest ON docs (published_at DESC, id DESC)",
        # One row per (document, facet value): facets with several values (topics)
        # need no special casing.
        """CREATE TABLE IF NOT EXISTS doc_facets (
               doc_id INTEGER NOT NULL,
               facet TEXT NOT NULL,
               value TEXT NOT NULL,
               PRIMARY KEY (facet, value, doc_id)) WITHOUT ROWID""",
        "CREATE INDEX IF NOT EXISTS doc_facets_doc ON doc_facets (doc_id, facet)",
        # Deleted ids with the version of the deletion, so a late, older write
        # cannot bring a document back.
        """CREATE TABLE IF NOT EXISTS tombstones (
               id INTEGER PRIMARY KEY,
               version INTEGER NOT NULL)""",
    ]
    # One FTS5 table per language; rowid = document id. Columns hold Snowball
    # stems of the text in that language (the original or a translation).
    for language in LANGUAGES:
        statements.append(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts_table(language)} USING fts5("
            "title, summary, body, tokenize='unicode61 remove_diacritics 0', detail=full)"
        )
    return statements
