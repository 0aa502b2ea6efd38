"""Turning a SearchQuery into FTS5 match expressions, one per language.

User text never reaches SQL as text: it is tokenized and stemmed, and only
the resulting word tokens (\\w+) are quoted into an FTS5 expression, which is
then bound as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.analysis import LANGUAGES, analyze, analyze_words
from indexer.fusion import combinations, minimum_should_match, query_words
from indexer.query import SearchQuery
from indexer.spelling import with_accents

MAX_QUERY_TERMS = 32


@dataclass(frozen=True)
class Subquery:
    language: str
    expression: str
    weight: float
    stems: frozenset[str]
    # The terms OR-ed in a literal subquery (empty for an expansion's phrase).
    terms: tuple[str, ...] = ()
    # A literal subquery's word clauses (each matches by any of its stems) and how
    # many of them a document must match.
    clauses: tuple[tuple[str, ...], ...] = ()
    required: int = 0


def _quote(stem: str) -> str:
    # Stems are \w+ runs, so they hold no quotes; quoting makes FTS5 read
    # words like AND, OR, NEAR as plain terms.
    return f'"{stem}"'


def any_term(stems: list[str]) -> str:
    return " OR ".join(_quote(s) for s in dict.fromkeys(stems))


def phrase(stems: list[str]) -> str:
    return _quote(" ".join(stems))


def word_clause(stems: tuple[str, ...]) -> str:
    """A word matches by its stem or, for a compound, by one of its parts' stems."""
    distinct = list(dict.fromkeys(stems))
    return _quote(distinct[0]) if len(distinct) == 1 else f"({any_term(distinct)})"


def literal_expression(clauses: list[str]) -> str:
    """Documents holding at least minimum_should_match of the word clauses."""
    required = minimum_should_match(len(clauses))
    if required == len(clauses):
        return " AND ".join(clauses)
    if required == 1:
        return " OR ".join(clauses)
    return " OR ".join(f"({' AND '.join(group)})" for group in combinations(clauses, required))


def subqueries(query: SearchQuery) -> list[Subquery]:
    """Literal words in every language (each with its own stemming), then expansions."""
    found = []
    for language in LANGUAGES:
        # Words typed without their accents are read as the language spells them.
        words = query_words(with_accents(query.text, language))
        analysed = [stems for stems in analyze_words(words, language) if stems]
        by_clause = {word_clause(stems): tuple(dict.fromkeys(stems)) for stems in analysed}
        clauses = list(by_clause)
        if clauses:
            stems = [stem for word in analysed for stem in word]
            found.append(Subquery(language, literal_expression(clauses), 1.0, frozenset(stems),
                                  tuple(dict.fromkeys(stems)), tuple(by_clause.values()),
                                  minimum_should_match(len(clauses))))
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


def can_match(part: Subquery, present: set[tuple[str, str]]) -> bool:
    """Whether any document can match `part`, given the (language, stem) pairs the index
    holds: enough of its word clauses have a stem some document holds. Expansions
    (phrases) are always run."""
    if not part.clauses:
        return True
    held = sum(any((part.language, stem) in present for stem in clause)
               for clause in part.clauses)
    return held >= part.required


def highlight_stems(parts: list[Subquery]) -> dict[str, set[str]]:
    """language -> stems to mark in that language's text."""
    stems: dict[str, set[str]] = {}
    for part in parts:
        stems.setdefault(part.language, set()).update(part.stems)
    return stems
