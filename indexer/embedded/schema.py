"""Tables of the embedded index (one SQLite file) and the connection settings."""

from __future__ import annotations

import sqlite3
import zlib

from indexer.analysis import LANGUAGES

# 2: generations (docs, tombstones, meta) so readers refresh their in-memory facets.
# 3: docs.vector, the document's embedding (float32 bytes) or NULL.
# 4: contentless FTS5 tables (content=''): the texts are kept once, in docs.texts
#    (for highlighting), zlib-compressed; the FTS tables hold only their term index.
# 5: docs.vector as float16 (VECTOR_DTYPE): half the disk (~75 MB less at 100k); searches
#    use the float32 matrix the snapshot makes of it (cosines change by < 1e-4).
# 6: Dutch stemmed by Snowball's original Dutch algorithm, as Elasticsearch stems it
#    (Snowball 3's new "dutch" stemmed 4 in 10 words of the relevance corpus otherwise);
#    doc_facets rows CENTRAL_TOPIC (SearchDocument.central_topics).
# 7: docs.snippets, each text's indexer.highlight.snippet_index, so a search no longer
#    analyses the texts it shows (about the size of docs.texts again, compressed).
# 8: the words signal's own postings beside FTS5 (segments, postings, lengths:
#    postings.py), so a search no longer scores every matching row through FTS5.
SCHEMA_VERSION = 8
# doc_facets' name for a document's central topics: no facet of the API, a part of the
# concept signal (indexer/fusion.py BODY_ONLY_SHARE).
CENTRAL_TOPIC = "central_topic"
# How docs.vector stores an embedding.
VECTOR_DTYPE = "<f2"

# docs.texts is declared with this type: connections opened with
# detect_types=PARSE_DECLTYPES hand readers the JSON already decompressed.
COMPRESSED_JSON = "ZJSON"


def compress_texts(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


sqlite3.register_converter(COMPRESSED_JSON, zlib.decompress)

# Every connection: WAL lets searches run while a write commits; NORMAL is
# durable across application crashes in WAL mode (a power cut may lose the last
# commits, which the outbox replays). Reads go through the OS page cache (shared by
# every worker) and a 16 MB page cache per connection, not memory-mapping: a mapped
# page stays in the worker's RSS once touched (at 100k, 1,000 searches left 290 MB of
# RssFile; unmapped, 60 MB, and the searches took no longer).
PRAGMAS = (
    "PRAGMA synchronous=NORMAL",
    "PRAGMA cache_size=-16384",
    "PRAGMA mmap_size=0",
    "PRAGMA temp_store=MEMORY",
)


def fts_table(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language '{language}'")
    return f"fts_{language}"


def vocabulary_table(language: str) -> str:
    """The fts5vocab table (type `instance`) over a language's FTS table: which terms
    the index holds (indexer/embedded/vocabulary.py)."""
    return f"temp.vocab_{language}"


def connection_ddl() -> list[str]:
    """Per connection, in its temp schema (nothing is stored in the index file)."""
    return [f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocabulary_table(language)} "
            f"USING fts5vocab(main, {fts_table(language)}, instance)" for language in LANGUAGES]


def ddl() -> list[str]:
    statements = [
        # Before the first table and WAL: 8 KB pages hold several docs rows (texts and
        # vector) where a 4 KB page held one.
        "PRAGMA page_size=8192",
        "PRAGMA journal_mode=WAL",
        f"""CREATE TABLE IF NOT EXISTS docs (
               id INTEGER PRIMARY KEY,
               version INTEGER NOT NULL,
               slug TEXT NOT NULL,
               language TEXT NOT NULL,
               published_at TEXT,
               content_hash TEXT NOT NULL,
               texts {COMPRESSED_JSON} NOT NULL,
               snippets {COMPRESSED_JSON} NOT NULL,
               generation INTEGER NOT NULL,
               vector BLOB)""",
        "CREATE INDEX IF NOT EXISTS docs_newest ON docs (published_at DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS docs_generation ON docs (generation)",
        # One row per (document, facet value): facets with several values (topics)
        # need no special casing.
        """CREATE TABLE IF NOT EXISTS doc_facets (
               doc_id INTEGER NOT NULL,
               facet TEXT NOT NULL,
               value TEXT NOT NULL,
               PRIMARY KEY (doc_id, facet, value)) WITHOUT ROWID""",
        # Deleted ids with the version of the deletion, so a late, older write
        # cannot bring a document back.
        """CREATE TABLE IF NOT EXISTS tombstones (
               id INTEGER PRIMARY KEY,
               version INTEGER NOT NULL,
               generation INTEGER NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS tombstones_generation ON tombstones (generation)",
        # Bumped by every write transaction; rows written carry it, so a reader
        # reloads only what changed since the generation it holds.
        """CREATE TABLE IF NOT EXISTS meta (
               key TEXT PRIMARY KEY,
               value INTEGER NOT NULL)""",
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('generation', 0)",
        # The words signal's postings (postings.py): segments of writes, each covering
        # the generations first..last; per language and stem, the documents holding it
        # and their weighted term frequencies; per language, the texts' lengths.
        """CREATE TABLE IF NOT EXISTS segments (
               id INTEGER PRIMARY KEY,
               first_generation INTEGER NOT NULL,
               last_generation INTEGER NOT NULL,
               size INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS postings (
               language TEXT NOT NULL,
               stem TEXT NOT NULL,
               segment INTEGER NOT NULL,
               ids BLOB NOT NULL,
               frequencies BLOB NOT NULL)""",
        "CREATE UNIQUE INDEX IF NOT EXISTS postings_stem ON postings (language, stem, segment)",
        "CREATE INDEX IF NOT EXISTS postings_segment ON postings (segment)",
        """CREATE TABLE IF NOT EXISTS lengths (
               segment INTEGER NOT NULL,
               language TEXT NOT NULL,
               ids BLOB NOT NULL,
               tokens BLOB NOT NULL,
               PRIMARY KEY (segment, language))""",
    ]
    # One FTS5 table per language; rowid = document id. Columns hold Snowball
    # stems of the text in that language (the original or a translation).
    # Contentless: the stems are not stored a second time (search needs only the
    # term index and bm25); a row is removed with the 'delete' command and the
    # stems, analysed again from docs.texts (writing.remove).
    for language in LANGUAGES:
        statements.append(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts_table(language)} USING fts5("
            "title, summary, body, content='', "
            "tokenize='unicode61 remove_diacritics 0', detail=full)"
        )
    return statements
