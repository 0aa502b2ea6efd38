"""Searching the embedded index: matches, disjunctive facets, highlights."""

from __future__ import annotations

import json
import sqlite3

from indexer.embedded import matching
from indexer.embedded.schema import fts_table
from indexer.highlight import highlight_fragments, highlight_whole
from indexer.query import FacetValue, Hit, SearchQuery, SearchResult

# BM25 weights of the FTS columns: title, summary, body.
COLUMN_WEIGHTS = (3.0, 2.0, 1.0)
MATCHED = "temp.matched"


def _load_matches(connection: sqlite3.Connection, parts: list[matching.Subquery]) -> None:
    """Fill temp.matched(id, score, langs) with every document any subquery matches.

    Scores add up over languages and expansions; langs records "lang:score"
    pairs so a hit can tell which language matched best.
    """
    connection.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS matched (id INTEGER PRIMARY KEY, score REAL, langs TEXT)"
    )
    connection.execute(f"DELETE FROM {MATCHED}")
    weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
    selects, params = [], []
    for part in parts:
        table = fts_table(part.language)
        selects.append(
            f"SELECT rowid AS id, -bm25({table}, {weights}) * ? AS score, ? AS lang "
            f"FROM {table} WHERE {table} MATCH ?"
        )
        params += [part.weight, part.language, part.expression]
    connection.execute(
        f"INSERT INTO {MATCHED} (id, score, langs) "
        f"SELECT id, SUM(score), GROUP_CONCAT(lang || ':' || score) "
        f"FROM ({' UNION ALL '.join(selects)}) GROUP BY id",
        params,
    )


def _filter_sql(filters: dict[str, tuple[str, ...]], skip: str | None = None):
    """AND across facets, OR within one facet; `skip` leaves one facet out."""
    clauses, params = [], []
    for facet, values in filters.items():
        if facet == skip or not values:
            continue
        marks = ", ".join("?" for _ in values)
        clauses.append(
            f"s.id IN (SELECT doc_id FROM doc_facets WHERE facet = ? AND value IN ({marks}))"
        )
        params += [facet, *values]
    return (" AND ".join(clauses) or "1"), params


def run_search(connection: sqlite3.Connection, query: SearchQuery) -> SearchResult:
    if query.is_browse:
        source = "(SELECT id, 0.0 AS score, '' AS langs FROM docs)"
    else:
        parts = matching.subqueries(query)
        if not parts:
            # Only punctuation or symbols: nothing can match.
            return SearchResult(total=0, hits=[], facets={f: [] for f in query.facets})
        _load_matches(connection, parts)
        source = MATCHED
    where, params = _filter_sql(query.filters)
    total = connection.execute(
        f"SELECT COUNT(*) FROM {source} s WHERE {where}", params
    ).fetchone()[0]
    order = (
        "d.published_at DESC, d.id DESC"
        if query.sort == "newest"
        else "s.score DESC, d.published_at DESC, d.id DESC"
    )
    rows = connection.execute(
        f"SELECT s.id, s.score, s.langs, d.language, d.texts FROM {source} s "
        f"JOIN docs d ON d.id = s.id WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, query.per_page, query.offset],
    ).fetchall()
    stems = matching.highlight_stems(matching.subqueries(query)) if not query.is_browse else {}
    hits = [_hit(row, stems) for row in rows]
    facets = {facet: _facet_counts(connection, source, query, facet) for facet in query.facets}
    return SearchResult(total=total, hits=hits, facets=facets)


def _facet_counts(connection, source: str, query: SearchQuery, facet: str) -> list[FacetValue]:
    """Counts of one facet over the matches filtered by every OTHER facet."""
    where, params = _filter_sql(query.filters, skip=facet)
    rows = connection.execute(
        f"SELECT f.value, COUNT(*) AS n FROM doc_facets f JOIN {source} s ON s.id = f.doc_id "
        f"WHERE f.facet = ? AND {where} GROUP BY f.value ORDER BY n DESC, f.value LIMIT ?",
        [facet, *params, query.facet_size],
    ).fetchall()
    return [FacetValue(row["value"], row["n"]) for row in rows]


def _matched_languages(langs: str) -> tuple[str, ...]:
    scores: dict[str, float] = {}
    for pair in filter(None, (langs or "").split(",")):
        language, _, score = pair.partition(":")
        scores[language] = scores.get(language, 0.0) + float(score)
    return tuple(sorted(scores, key=lambda lang: -scores[lang]))


def _hit(row, stems: dict[str, set[str]]) -> Hit:
    languages = _matched_languages(row["langs"])
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
    return Hit(id=row["id"], score=float(row["score"]), highlights=highlights,
               matched_languages=languages)
