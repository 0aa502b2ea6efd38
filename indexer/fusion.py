"""How both engines match and rank a text search: one definition, used by each.

Three signals, then feedback from their fusion, each a ranked list of documents
within the active filters:

- words: BM25 over the per-language stemmed fields (title 3, summary 2, body 1)
  of the literal query's first MAX_WORDS words, summed over languages. Several
  words must mostly all match (`minimum_should_match`).
- concept: documents tagged with a thesaurus concept the query names (one
  clause on the topic field; a concept narrower than a named one counts
  NARROWER_WEIGHT, and one that the document's title or summary does not name,
  only its body or its tags, counts BODY_ONLY_SHARE of that), by the sum of their
  concepts' weights; ties are ordered by
  the meaning signal, then newest.
- meaning: the K_NEIGHBOURS nearest document vectors to the query's vector
  (cosine), those at SIMILARITY_FLOOR or above.
- feedback (pseudo-relevance feedback, Rocchio's idea in the embedding space):
  the FEEDBACK_NEIGHBOURS nearest document vectors to the mean vector of the first
  fusion's FEEDBACK_DOCUMENTS best documents (weighted by their fused scores),
  those at FEEDBACK_FLOOR or above. A rare or specific query ("minibossen",
  "community land trust") is often matched well by its words or concept in one
  or two case studies while its own vector is weak (a query is a few words, a
  case study a paragraph); the case studies that say what those best matches
  say, in any language, come up with them. Runs only with the query's vector
  (so never for "only my words") and only for the relevance sort.

They are fused by a convex combination of normalised scores (Bruch et al. 2023,
"An analysis of fusion functions for hybrid retrieval"), each signal's list cut
at WINDOW:

    score(d) = WEIGHTS["words"]   * bm25(d) / best bm25 of the query
             + WEIGHTS["concept"] * concepts(d) / best concepts of the query
             + WEIGHTS["meaning"] * (cosine(d) - MEANING_ZERO) / (MEANING_ONE - MEANING_ZERO)
             + WEIGHTS["feedback"] * min(1, (cosine(d, best) - FEEDBACK_ZERO)
                                            / (FEEDBACK_ONE - FEEDBACK_ZERO))

A signal that did not find d adds nothing. Unlike rank fusion, how much better
one document is than the next counts: a case study the query's concept tags
and whose meaning is close ranks above one that shares a word of the query,
whatever the lists' lengths. Equal scores keep the order of the first signal
that listed the document (each list is by score, then newest).

The final fusion (with the feedback's list) also gives meaning a say on every document
the words or concept signal put in its window but that is not among the meaning
neighbours (`meaning_candidates`): its cosine to the query joins the meaning list
(`with_cosines`), so a case study the words found and whose meaning is close, though
not among the twenty closest, ranks above one that only shares the words. The first
fusion, whose best documents make the feedback vector, has the neighbours only
(measured both ways, docs/relevance.md). A candidate is said to be close in meaning
(Hit.reasons) only at SIMILARITY_FLOOR or above, as a neighbour is.

What counts (total and facet counts): every document matched by words or a
concept, plus the meaning neighbours and, sorted by relevance, the feedback
neighbours (both found within the active filters).
docs/search.md says the same for people.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from indexer.analysis import tokenize

# Candidates per signal taken into the fusion; past them, documents follow newest first.
WINDOW = 100
# At most this many documents are found by meaning alone (and so counted).
K_NEIGHBOURS = 20
# Cosines of language-centred multilingual-e5 vectors (indexer/embedding.py), measured
# on the development half of the relevance set (`python -m bench.relevance --calibrate`,
# docs/relevance.md): 95 % of the query-document pairs judged unrelated lie below 0.30
# (the floor of what counts), three quarters below 0.22 (meaning adds nothing there); a
# quarter of the pairs judged exactly about the query reach 0.48 (its full weight).
SIMILARITY_FLOOR = 0.30
MEANING_ZERO = 0.22
MEANING_ONE = 0.48
# Words weigh least: they reach only the query's language (and share words with
# unrelated case studies there); a concept is the thesaurus's judgement, meaning
# reaches every language. Chosen on the development half (docs/relevance.md).
# Feedback weighs less than the query's own meaning: it follows what the best matches
# say, which may be more than the query asked.
WEIGHTS = {"words": 0.5, "concept": 1.5, "meaning": 1.5, "feedback": 1.0}
# Feedback: the first fusion's best documents whose mean vector is searched again.
# Calibrated as the meaning signal, on cosines between two case-study vectors of the
# development half: 95 % of the pairs of a document judged 3 with one judged unrelated
# lie below 0.38 (the floor of what counts), three quarters below 0.30 (feedback adds
# nothing there); a quarter of the pairs of two documents judged 2 or 3 for the same
# query reach 0.52 (its full weight; capped, so the best documents themselves, at ~1,
# gain no more than a close neighbour).
FEEDBACK_DOCUMENTS = 2
FEEDBACK_ZERO = 0.30
FEEDBACK_FLOOR = 0.38
FEEDBACK_ONE = 0.52
# At most this many documents are found by feedback alone: one page. With 20 the
# engines' totals drifted apart (the fringe near the floor depends on which documents
# the first fusion put second), and dev nDCG@10 was no better overall.
FEEDBACK_NEIGHBOURS = 10
# A longer query is matched on its first words only (bounded cost on both engines).
MAX_WORDS = 8
SIGNALS = tuple(WEIGHTS)
# What a hit found by a signal says about itself (Hit.reasons): the feedback
# neighbours are close in meaning too (to the best matches).
REASONS = {"feedback": "meaning"}
# A document tagged with a concept narrower than the one the query names
# ("participatory budgeting" for "citizen participation") matches, weaker.
NARROWER_WEIGHT = 0.5
# A concept that a case study's title or summary names is what it is about; one its body
# names on the way (a climate plan that lists district heating among twenty measures)
# counts this share. The rest comes from the central_topic clause. Chosen on the dev half
# (docs/relevance.md): 1 (no difference) / 0.75 / 0.5 / 0.25.
BODY_ONLY_SHARE = 0.75


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


class Fused(NamedTuple):
    # A named tuple: a search fuses ~300 documents two or three times, and a frozen
    # dataclass took half of that time to construct.
    id: int
    score: float
    reasons: tuple[str, ...]


def fuse(ranked: dict[str, Sequence[tuple[int, float]]]) -> list[Fused]:
    """The convex combination of the signals' normalised scores (see the module's
    docstring) over their ranked (id, score) lists, each best first (each engine sorts
    them by score, then newest; meaning's scores are cosines).

    Equal scores keep the order of the first signal that listed the document.
    """
    scores: dict[int, float] = {}
    reasons: dict[int, list[str]] = {}
    for signal in SIGNALS:
        found = list(ranked.get(signal, ()))[:WINDOW]
        reason, weight = REASONS.get(signal, signal), WEIGHTS[signal]
        for (doc_id, raw), score in zip(found, normalised(signal, found)):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight * score
            listed = reasons.setdefault(doc_id, [])
            # A candidate's cosine (with_cosines) below the floor is no reason.
            if reason not in listed and (signal != "meaning" or raw >= SIMILARITY_FLOOR):
                listed.append(reason)
    # reverse=True keeps equal scores in their first listing's order, as the docstring says.
    order = sorted(scores, key=scores.__getitem__, reverse=True)
    return [Fused(doc_id, scores[doc_id], tuple(reasons[doc_id])) for doc_id in order]


def meaning_candidates(ranked: Mapping[str, Sequence[tuple[int, float]]]) -> list[int]:
    """The documents in the words' and concept's windows that are not among the meaning
    neighbours: the final fusion adds their cosines to the query (with_cosines)."""
    near = {doc_id for doc_id, _score in ranked.get("meaning", ())}
    found = (doc_id for signal in ("words", "concept")
             for doc_id, _score in list(ranked.get(signal, ()))[:WINDOW])
    return [doc_id for doc_id in dict.fromkeys(found) if doc_id not in near]


def with_cosines(neighbours: Sequence[tuple[int, float]],
                 cosines: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """The final fusion's meaning list: the neighbours and the candidates' (id, cosine),
    best first (a stable sort: equal cosines keep the neighbours first)."""
    return sorted([*neighbours, *cosines], key=lambda item: -item[1])


def feedback_ids(fused: Sequence[Fused]) -> list[int]:
    """The documents whose vectors make the feedback vector: the first fusion's best."""
    return [item.id for item in fused[:FEEDBACK_DOCUMENTS]]


def feedback_vector(fused: Sequence[Fused],
                    vectors: Mapping[int, np.ndarray]) -> np.ndarray | None:
    """The unit-length mean of the best documents' vectors, weighted by their fused
    scores (those without a vector left out); None when none has one."""
    chosen = [(item.score, vectors[item.id]) for item in fused[:FEEDBACK_DOCUMENTS]
              if item.id in vectors and item.score > 0]
    if not chosen:
        return None
    mean = np.average(np.stack([np.asarray(vector, dtype=np.float32) for _s, vector in chosen]),
                      axis=0, weights=[score for score, _v in chosen])
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm else None


def normalised(signal: str, found: Sequence[tuple[int, float]]) -> list[float]:
    """A signal's scores on a common scale: words and concepts as a share of the query's
    best (1 for the best match), meaning by the calibrated cosine (MEANING_ZERO: 0,
    MEANING_ONE: 1; the neighbours lie above SIMILARITY_FLOOR, so above 0)."""
    if signal == "meaning":
        return [max(0.0, (score - MEANING_ZERO) / (MEANING_ONE - MEANING_ZERO))
                for _doc_id, score in found]
    if signal == "feedback":
        return [min(1.0, max(0.0, (score - FEEDBACK_ZERO) / (FEEDBACK_ONE - FEEDBACK_ZERO)))
                for _doc_id, score in found]
    best = max((score for _doc_id, score in found), default=0.0)
    return [score / best if best > 0 else 1.0 for _doc_id, score in found]


def with_translation(reasons: tuple[str, ...], matched_languages: tuple[str, ...],
                     original: str) -> tuple[str, ...]:
    """Adds "translation" when the words matched in a translation, not in the original."""
    if "words" in reasons and matched_languages and original not in matched_languages:
        return (*reasons, "translation")
    return reasons


def concept_parts(named: Sequence[str], narrower: Sequence[str]
                  ) -> list[tuple[str, float, float]]:
    """(concept id, weight for a document tagged with it, added when its title or summary
    names it): what both engines' concept clauses add up."""
    return [(concept, weight * BODY_ONLY_SHARE, weight * (1 - BODY_ONLY_SHARE))
            for concept, weight in concept_weights(named, narrower)]


def concept_weights(named: Sequence[str], narrower: Sequence[str]) -> list[tuple[str, float]]:
    """(concept id, weight) of the concept clause: named ones 1, narrower ones less."""
    weights = dict.fromkeys(named, 1.0)
    for concept in narrower:
        weights.setdefault(concept, NARROWER_WEIGHT)
    return list(weights.items())
