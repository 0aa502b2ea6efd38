"""Which stems the index holds, per language, read from the FTS5 term index.

An `fts5vocab` table (type `instance`) per language, created in each
connection's temp schema when the store opens it (schema.connection_ddl), answers "does
any document hold this term?" from the term's first entry, without an FTS5
MATCH, and for many terms in one statement. The searches use it to skip the
language queries that cannot match, and the typo check to tell a word the
index holds from a misspelling. Answers are cached on the snapshot of the
generation they were read in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from indexer.embedded import matching
from indexer.embedded.schema import vocabulary_table
from indexer.embedded.snapshot import Snapshot
from indexer.engine import WordPresence
from indexer.query import SearchQuery

# A generation's cache is dropped past this many terms (bounded memory).
MAX_CACHED = 200_000
# Terms per statement (two bound parameters each; SQLite allows 32,766).
BATCH = 200


def _checkable(stem: str) -> bool:
    """Whether FTS5's unicode61 tokenizer reads `stem` as the one term it is stored as
    (letters and digits, lower case). Anything else is taken as held: never skipped."""
    return stem.isalnum() and stem == stem.lower()


def present(connection: sqlite3.Connection, snapshot: Snapshot, fresh: bool,
            terms: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (language, stem) pairs of `terms` that some document holds.

    Call inside the search's read transaction. `fresh`: the snapshot is of the
    generation this transaction reads, so its cache may be read and filled.
    """
    cache = snapshot.term_present if fresh else {}
    wanted = list(dict.fromkeys(terms))
    missing = [term for term in wanted if term not in cache and _checkable(term[1])]
    if missing:
        found = _look_up(connection, missing)
        if len(cache) + len(missing) > MAX_CACHED:
            cache.clear()
        for term in missing:
            cache[term] = term in found
    return {term for term in wanted if cache.get(term, not _checkable(term[1]))}


def _look_up(connection: sqlite3.Connection, terms: list[tuple[str, str]]) -> set:
    found = set()
    for start in range(0, len(terms), BATCH):
        batch = terms[start:start + BATCH]
        sql = " UNION ALL ".join(
            f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {vocabulary_table(language)} "
            "WHERE term = ?)" for index, (language, _stem) in enumerate(batch))
        rows = connection.execute(sql, [stem for _language, stem in batch]).fetchall()
        found.update(batch[row[0]] for row in rows)
    return found


def word_presence(connection: sqlite3.Connection, snapshot: Snapshot, fresh: bool,
                  word: str) -> WordPresence:
    """What a search for `word` alone would match, from the vocabulary: any document (by
    its stem or a compound part's, in any language), and any holding its own stem."""
    parts = matching.subqueries(SearchQuery(text=word, facets=()))
    held = present(connection, snapshot, fresh, ((part.language, stem) for part in parts
                                                 for clause in part.clauses for stem in clause))
    return WordPresence(
        matched=any(matching.can_match(part, held) for part in parts),
        # A clause's first stem is the word's own, the others its compound parts'.
        itself=any((part.language, clause[0]) in held
                   for part in parts for clause in part.clauses))
