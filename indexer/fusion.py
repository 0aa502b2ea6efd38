"""How both engines match and rank a text search: one definition, used by each.

Three signals, each a ranked list of documents within the active filters:

- words: BM25 over the per-language stemmed fields (title 3, summary 2, body 1)
  of the literal query's first MAX_WORDS words, summed over languages. Several
  words must mostly all match (`minimum_should_match`).
- concept: documents tagged with a thesaurus concept the query names (one
  clause on the topic field), more named concepts first, then newest.
- meaning: the K_NEIGHBOURS nearest document vectors to the query's vector
  (cosine), those at SIMILARITY_FLOOR or above.

They are fused by reciprocal rank fusion (Cormack et al. 2009):
score(d) = sum over signals of WEIGHT[signal] / (RRF_K + rank(d)), ranks from 1,
each signal's list cut at WINDOW. Ties go to the newer document.

What counts (total and facet counts): every document matched by words or a
concept, plus the meaning neighbours (found within the active filters).
docs/search.md says the same for people.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer.analysis import tokenize

RRF_K = 60
# Candidates per signal taken into the fusion; past them, documents follow newest first.
WINDOW = 100
K_NEIGHBOURS = 50
# multilingual-e5 cosine similarities sit between ~0.7 (unrelated) and 1.
SIMILARITY_FLOOR = 0.82
WEIGHTS = {"words": 1.0, "concept": 1.0, "meaning": 1.0}
# A longer query is matched on its first words only (bounded cost on both engines).
MAX_WORDS = 8
SIGNALS = tuple(WEIGHTS)


def query_words(text: str) -> list[str]:
    """The distinct words of the query that lexical matching uses, in order."""
    return list(dict.fromkeys(tokenize(text)))[:MAX_WORDS]


def minimum_should_match(words: int) -> int:
    """How many of `words` query words a document must hold: all of one or two,
    then all but one in four (3 of 4, 5 of 6, 6 of 8)."""
    if words <= 2:
        return words
    return words - max(1, words // 4)


def combinations(clauses: Sequence[str], required: int) -> Iterable[tuple[str, ...]]:
    """The ways to pick `required` of `clauses` (small: MAX_WORDS bounds them to 28)."""
    return itertools.combinations(clauses, required)


@dataclass(frozen=True)
class Fused:
    id: int
    score: float
    reasons: tuple[str, ...]


def fuse(ranked: dict[str, Sequence[int]]) -> list[Fused]:
    """Reciprocal rank fusion of the signals' ranked ids (each best first).

    Ties keep the order of the first signal that ranked the document (each
    engine sorts its lists by score, then newest), so equal scores are stable.
    """
    scores: dict[int, float] = {}
    reasons: dict[int, list[str]] = {}
    for signal in SIGNALS:
        for rank, doc_id in enumerate(ranked.get(signal, ())[:WINDOW], 1):
            scores[doc_id] = scores.get(doc_id, 0.0) + WEIGHTS[signal] / (RRF_K + rank)
            reasons.setdefault(doc_id, []).append(signal)
    order = sorted(scores, key=lambda doc_id: -scores[doc_id])
    return [Fused(doc_id, scores[doc_id], tuple(reasons[doc_id])) for doc_id in order]


def with_translation(reasons: tuple[str, ...], matched_languages: tuple[str, ...],
                     original: str) -> tuple[str, ...]:
    """Adds "translation" when the words matched in a translation, not in the original."""
    if "words" in reasons and matched_languages and original not in matched_languages:
        return (*reasons, "translation")
    return reasons
