"""Searching the embedded index: matches from FTS5, facets and sorting from the snapshot.

FTS5 finds and scores the matching documents (BM25 per language, added up);
filters, totals and disjunctive facet counts are bitset operations on the
in-memory snapshot; only the page's hits are read back and highlighted.
"""

from __future__ import annotations

import heapq
import json
import sqlite3

from indexer.embedded import bitsets, matching
from indexer.embedded.schema import fts_table
from indexer.embedded.snapshot import Snapshot
from indexer.highlight import highlight_fragments, highlight_whole
from indexer.query import FacetValue, Hit, SearchQuery, SearchResult

# BM25 weights of the FTS columns: title, summary, body.
COLUMN_WEIGHTS = (3.0, 2.0, 1.0)
# Below this many results, sort them in memory; above, walk the newest-first index.
SMALL_RESULT = 2000


def run_search(connection: sqlite3.Connection, snapshot: Snapshot,
               query: SearchQuery) -> SearchResult:
    """Call inside a read transaction, with the snapshot for its generation."""
    selected = _selected(snapshot, query.filters)
    parts: list[matching.Subquery] = []
    scores: dict[int, float] | None = None
    by_part: list[dict[int, float]] = []
    if query.is_browse:
        matched = snapshot.all_docs
    else:
        parts = matching.subqueries(query)
        if not parts:
            # Only punctuation or symbols: nothing can match.
            return SearchResult(total=0, hits=[], facets={f: [] for f in query.facets})
        relevance = query.sort == "relevance"
        # A narrow filter: find the matches unscored, then score only the filtered ones.
        narrow = relevance and _narrow(snapshot, selected)
        matches = [_match(connection, snapshot, part, scored=relevance and not narrow)
                   for part in parts]
        by_part = [found for found, _complete in matches]
        scores = _add_up(by_part)
        matched = bitsets.from_ids(scores) & snapshot.all_docs
    found = matched
    for bits in selected.values():
        found &= bits
    total = found.bit_count()
    if scores is not None and narrow:
        by_part = _scored_within(connection, parts, bitsets.ids_of(found))
        scores = _add_up(by_part)
    elif scores is not None and relevance and not all(complete for _, complete in matches):
        if _ranked_short(scores, found, min(total, query.offset + query.per_page)):
            by_part = _fully_scored(connection, parts)
            scores = _add_up(by_part)
    page = _page(connection, snapshot, query, scores, found, total)
    hits = _hits(connection, page, scores, list(zip(parts, by_part)), query.highlight)
    facets = {facet: _facet_counts(snapshot, matched, selected, facet, query.facet_size)
              for facet in query.facets}
    return SearchResult(total=total, hits=hits, facets=facets)


def _selected(snapshot: Snapshot, filters: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """facet -> documents having any selected value (OR within a facet)."""
    selected = {}
    for facet, values in filters.items():
        if values:
            by_value = snapshot.values.get(facet, {})
            bits = 0
            for value in values:
                bits |= by_value.get(value, 0)
            selected[facet] = bits
    return selected


def _match(connection: sqlite3.Connection, snapshot: Snapshot, part: matching.Subquery,
           scored: bool = True) -> tuple[dict[int, float], bool]:
    """id -> BM25 score of the documents `part` matches, and whether every term was scored.

    FTS5 gives a term held by half the documents or more an IDF of ~0 (1e-6):
    its share of a score only breaks ties, but scoring it is the costly part of
    a query ("city" in 50,000 documents). So its documents come without scores
    (0.0) and only the other terms are scored; run_search scores everything
    when the page reaches past the documents that the other terms rank.
    """
    table = fts_table(part.language)
    if not scored:
        return dict.fromkeys(_ids(connection, table, part.expression), 0.0), False
    if not part.terms:
        return _scored(connection, table, part.expression, part.weight), True
    common: dict[str, list[int]] = {}
    for term in part.terms:
        known = snapshot.document_frequency.get((part.language, term))
        if known is None or _is_common(connection, snapshot, part.language, known):
            ids = _ids(connection, table, matching.any_term([term]))
            snapshot.document_frequency[part.language, term] = len(ids)
            if _is_common(connection, snapshot, part.language, len(ids)):
                common[term] = ids
    if not common:
        return _scored(connection, table, part.expression, part.weight), True
    scores: dict[int, float] = {}
    for ids in common.values():
        scores.update(dict.fromkeys(ids, 0.0))
    rare = [term for term in part.terms if term not in common]
    if rare:
        scores.update(_scored(connection, table, matching.any_term(rare), part.weight))
    return scores, False


def _narrow(snapshot: Snapshot, selected: dict[str, int]) -> bool:
    """Filters that keep under a quarter of the documents."""
    if not selected:
        return False
    kept = snapshot.all_docs
    for bits in selected.values():
        kept &= bits
    return kept.bit_count() * 4 < len(snapshot.published)


def _scored_within(connection: sqlite3.Connection, parts: list[matching.Subquery],
                   ids: list[int]) -> list[dict[int, float]]:
    """BM25 of the parts for the documents `ids` only: FTS5 finds its matches
    unscored, the join keeps those in temp.wanted, and only they are scored."""
    connection.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id INTEGER PRIMARY KEY)")
    connection.execute("DELETE FROM temp.wanted")
    connection.executemany("INSERT INTO temp.wanted (id) VALUES (?)", [(i,) for i in ids])
    weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
    by_part = []
    for part in parts:
        table = fts_table(part.language)
        by_part.append(dict(_cursor(connection).execute(
            f"SELECT {table}.rowid, -bm25({table}, {weights}) * ? FROM temp.wanted "
            f"JOIN {table} ON {table}.rowid = temp.wanted.id WHERE {table} MATCH ?",
            (part.weight, part.expression))))
    return by_part


def _ranked_short(scores: dict[int, float], found: int, wanted: int) -> bool:
    """Fewer found documents have a score than the page needs (the rest are common-only)."""
    ranked = bitsets.from_ids([i for i, score in scores.items() if score > 0.0]) & found
    return ranked.bit_count() < wanted


def _fully_scored(connection, parts: list[matching.Subquery]) -> list[dict[int, float]]:
    return [_scored(connection, fts_table(part.language), part.expression, part.weight)
            for part in parts]


def _is_common(connection, snapshot: Snapshot, language: str, frequency: int) -> bool:
    rows = snapshot.fts_rows.get(language)
    if rows is None:
        table = f"{fts_table(language)}_docsize"
        rows = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        snapshot.fts_rows[language] = rows
    # FTS5: idf = log((N - n + 0.5) / (n + 0.5)), clamped to 1e-6 when <= 0.
    return 2 * frequency >= rows


def _cursor(connection: sqlite3.Connection) -> sqlite3.Cursor:
    cursor = connection.cursor()
    cursor.row_factory = None
    return cursor


def _ids(connection: sqlite3.Connection, table: str, expression: str) -> list[int]:
    rows = _cursor(connection).execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ?", (expression,))
    return [row[0] for row in rows]


def _scored(connection: sqlite3.Connection, table: str, expression: str,
            weight: float) -> dict[int, float]:
    weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
    return dict(_cursor(connection).execute(
        f"SELECT rowid, -bm25({table}, {weights}) * ? FROM {table} WHERE {table} MATCH ?",
        (weight, expression),
    ))


def _add_up(by_part: list[dict[int, float]]) -> dict[int, float]:
    """Scores add up over languages and expansions."""
    ordered = sorted(by_part, key=len, reverse=True)
    scores = dict(ordered[0])
    for found in ordered[1:]:
        for doc_id, score in found.items():
            scores[doc_id] = scores.get(doc_id, 0.0) + score
    return scores


def _page(connection, snapshot: Snapshot, query: SearchQuery, scores: dict[int, float] | None,
          found: int, total: int) -> list[int]:
    """The ids of the requested page, best first."""
    wanted = query.offset + query.per_page
    if query.offset >= total:
        return []
    if scores is not None and query.sort == "relevance":
        return _by_relevance(snapshot, scores, found, total, wanted)[query.offset:]
    if total <= SMALL_RESULT:
        # Every scored document is found when the counts agree (no filter cut any).
        exact = scores is not None and len(scores) == total
        candidates = list(scores) if exact else bitsets.ids_of(found)
        return heapq.nlargest(wanted, candidates, key=snapshot.sort_key)[query.offset:]
    return _walk_newest(connection, found, wanted)[query.offset:]


def _by_relevance(snapshot: Snapshot, scores: dict[int, float], found: int, total: int,
                  wanted: int) -> list[int]:
    if total == len(scores):
        candidates = scores
    elif total * 8 < len(scores):  # a narrow filter: walk its few ids
        candidates = {i: scores[i] for i in bitsets.ids_of(found) if i in scores}
    else:
        members = bitsets.as_bytes(found)
        candidates = {i: s for i, s in scores.items() if bitsets.contains(members, i)}
    if len(candidates) > wanted:
        # Cut on the score alone (fast), then order the few left with ties broken by date.
        threshold = heapq.nlargest(wanted, candidates.values())[-1]
        candidates = {i: s for i, s in candidates.items() if s >= threshold}
    ranked = sorted(candidates, key=lambda i: (candidates[i], *snapshot.sort_key(i)),
                    reverse=True)
    return ranked[:wanted]


def _walk_newest(connection: sqlite3.Connection, found: int, wanted: int) -> list[int]:
    """Walk the newest-first index, keeping the found documents, until the page is full."""
    members = bitsets.as_bytes(found)
    cursor = connection.cursor()
    cursor.row_factory = None
    page: list[int] = []
    for (doc_id,) in cursor.execute("SELECT id FROM docs ORDER BY published_at DESC, id DESC"):
        if bitsets.contains(members, doc_id):
            page.append(doc_id)
            if len(page) == wanted:
                break
    return page


def _facet_counts(snapshot: Snapshot, matched: int, selected: dict[str, int], facet: str,
                  size: int) -> list[FacetValue]:
    """Counts of one facet over the matches filtered by every OTHER facet."""
    base = matched
    for other, bits in selected.items():
        if other != facet:
            base &= bits
    if not base:
        return []
    counted = []
    for value, bits in snapshot.values.get(facet, {}).items():
        count = (base & bits).bit_count()
        if count:
            counted.append((-count, value))
    return [FacetValue(value, -negative) for negative, value in heapq.nsmallest(size, counted)]


def _hits(connection: sqlite3.Connection, page: list[int], scores: dict[int, float] | None,
          parts: list[tuple[matching.Subquery, dict[int, float]]],
          highlight: bool = True) -> list[Hit]:
    if not page:
        return []
    marks = ", ".join("?" * len(page))
    rows = {row["id"]: row for row in connection.execute(
        f"SELECT id, language, texts FROM docs WHERE id IN ({marks})", page)}
    stems = matching.highlight_stems([part for part, _found in parts])
    hits = []
    for doc_id in page:
        row = rows.get(doc_id)
        if row is None:  # deleted after the snapshot was taken
            continue
        languages = _matched_languages(doc_id, parts)
        hits.append(Hit(id=doc_id, score=scores.get(doc_id, 0.0) if scores else 0.0,
                        highlights=_highlights(row, languages, stems) if highlight else {},
                        matched_languages=languages))
    return hits


def _matched_languages(doc_id: int, parts) -> tuple[str, ...]:
    by_language: dict[str, float] = {}
    for part, found in parts:
        score = found.get(doc_id)
        if score is not None:
            by_language[part.language] = by_language.get(part.language, 0.0) + score
    return tuple(sorted(by_language, key=lambda language: -by_language[language]))


def _highlights(row, languages: tuple[str, ...], stems: dict[str, set[str]]) -> dict:
    texts = json.loads(row["texts"])
    language = languages[0] if languages else row["language"]
    text = texts.get(language) or texts[row["language"]]
    marks = stems.get(language, set())
    highlights = {}
    if marks:
        title = highlight_whole(text["title"], language, marks)
        if title:
            highlights["title"] = [title]
        for field in ("summary", "body"):
            fragments = highlight_fragments(text[field], language, marks)
            if fragments:
                highlights[field] = fragments
    return highlights
