"""How both engines match and rank a text search: one definition, used by each.

Three signals, each a ranked list of documents within the active filters:

- words: BM25 over the per-language stemmed fields (title 3, summary 2, body 1)
  of the literal query's first MAX_WORDS words, summed over languages. Several
  words must mostly all match (`minimum_should_match`).
- concept: documents tagged with a thesaurus concept the query names (one
  clause on the topic field; a concept narrower than a named one counts
  NARROWER_WEIGHT), by the sum of their concepts' weights; ties are ordered by
  the meaning signal, then newest.
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
# At most this many documents are found by meaning alone (and so counted).
K_NEIGHBOURS = 20
# multilingual-e5 (4-bit) cosines: on the relevance set, 95 % of unrelated pairs lie
# below 0.80, half of the relevant ones above 0.807.
SIMILARITY_FLOOR = 0.80
# Meaning alone ranks worse than words or concepts (nDCG@10 0.66 cross-language
# on the relevance set), so it weighs half.
WEIGHTS = {"words": 1.0, "concept": 1.0, "meaning": 0.5}
# A longer query is matched on its first words only (bounded cost on both engines).
MAX_WORDS = 8
SIGNALS = tuple(WEIGHTS)
# A document tagged with a concept narrower than the one the query names
# ("participatory budgeting" for "citizen participation") matches, weaker.
NARROWER_WEIGHT = 0.5


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


def fuse(ranked: dict[str, Sequence[tuple[int, float]]]) -> list[Fused]:
    """Reciprocal rank fusion of the signals' ranked (id, score) lists, each best first
    (each engine sorts them by score, then newest).

    Equal RRF scores keep the order of the first signal that ranked the document.
    """
    ranked = {signal: _ties_by_meaning(found, ranked.get("meaning", ()))
              if signal == "concept" else [doc_id for doc_id, _score in found]
              for signal, found in ranked.items()}
    scores: dict[int, float] = {}
    reasons: dict[int, list[str]] = {}
    for signal in SIGNALS:
        for rank, doc_id in enumerate(ranked.get(signal, ())[:WINDOW], 1):
            scores[doc_id] = scores.get(doc_id, 0.0) + WEIGHTS[signal] / (RRF_K + rank)
            reasons.setdefault(doc_id, []).append(signal)
    order = sorted(scores, key=lambda doc_id: -scores[doc_id])
    return [Fused(doc_id, scores[doc_id], tuple(reasons[doc_id])) for doc_id in order]


def _ties_by_meaning(found: Sequence[tuple[int, float]],
                     meaning: Sequence[tuple[int, float]]) -> list[int]:
    """Concept matches by score; among equal scores, the closer in meaning first."""
    closeness = {doc_id: rank for rank, (doc_id, _similarity) in enumerate(meaning)}
    order = sorted(range(len(found)), key=lambda number: (
        -round(found[number][1], 6), closeness.get(found[number][0], len(closeness)), number))
    return [found[number][0] for number in order]


def with_translation(reasons: tuple[str, ...], matched_languages: tuple[str, ...],
                     original: str) -> tuple[str, ...]:
    """Adds "translation" when the words matched in a translation, not in the original."""
    if "words" in reasons and matched_languages and original not in matched_languages:
        return (*reasons, "translation")
    return reasons


def concept_weights(named: Sequence[str], narrower: Sequence[str]) -> list[tuple[str, float]]:
    """(concept id, weight) of the concept clause: named ones 1, narrower ones less."""
    weights = dict.fromkeys(named, 1.0)
    for concept in narrower:
        weights.setdefault(concept, NARROWER_WEIGHT)
    return list(weights.items())
