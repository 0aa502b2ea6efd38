"""Turning a SearchQuery into FTS5 match expressions, one per language.

User text never reaches SQL as text: it is tokenized and stemmed, and only
the resulting word tokens (\\w+) are quoted into an FTS5 expression, which is
then bound as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.analysis import LANGUAGES, analyze
from indexer.query import SearchQuery

MAX_QUERY_TERMS = 32


@dataclass(frozen=True)
class Subquery:
    language: str
    expression: str
    weight: float
    stems: frozenset[str]
    # The terms OR-ed in a literal subquery (empty for an expansion's phrase).
    terms: tuple[str, ...] = ()


def _quote(stem: str) -> str:
    # Stems are \w+ runs, so they hold no quotes; quoting makes FTS5 read
    # words like AND, OR, NEAR as plain terms.
    return f'"{stem}"'


def any_term(stems: list[str]) -> str:
    return " OR ".join(_quote(s) for s in dict.fromkeys(stems))


def phrase(stems: list[str]) -> str:
    return _quote(" ".join(stems))


def _stems(text: str, language: str) -> list[str]:
    # Distinct stems first, then the cap: a long query repeating words keeps all of them.
    return list(dict.fromkeys(analyze(text, language)))[:MAX_QUERY_TERMS]


def subqueries(query: SearchQuery) -> list[Subquery]:
    """Literal text in every language (each with its own stemming), then expansions."""
    found = []
    for language in LANGUAGES:
        stems = _stems(query.text, language)
        if stems:
            found.append(Subquery(language, any_term(stems), 1.0, frozenset(stems), tuple(stems)))
    # Expansions of one language and boost share one query: BM25 of "a" OR "b"
    # is the sum of the phrases' scores, as separate queries would add up.
    grouped: dict[tuple[str, float], tuple[list[str], set[str]]] = {}
    for expansion in query.expansions:
        if expansion.language not in LANGUAGES:
            continue
        stems = analyze(expansion.text, expansion.language)[:MAX_QUERY_TERMS]
        if stems:
            phrases, all_stems = grouped.setdefault((expansion.language, expansion.boost),
                                                    ([], set()))
            phrases.append(phrase(stems))
            all_stems.update(stems)
    for (language, boost), (phrases, stems) in grouped.items():
        found.append(Subquery(language, " OR ".join(phrases), boost, frozenset(stems)))
    return found


def highlight_stems(parts: list[Subquery]) -> dict[str, set[str]]:
    """language -> stems to mark in that language's text."""
    stems: dict[str, set[str]] = {}
    for part in parts:
        stems.setdefault(part.language, set()).update(part.stems)
    return stems
