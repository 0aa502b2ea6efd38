"""Cross-language query expansion through the thesaurus.

A query names concepts ("Wasserstoff" -> hydrogen); each recognised concept
adds its labels in every language as expansions, each analysed later in its
own language by the engine. Expansions weigh less than the literal query, so
a document using the searcher's own words ranks first.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.analysis import LANGUAGES, analyze
from indexer.query import Expansion
from indexer.spelling import with_accents
from indexer.thesaurus import LabelSpan, Thesaurus

PREF_BOOST = 0.6
ALT_BOOST = 0.4
MAX_EXPANSIONS = 120
# Concepts next to a named one, and how much their labels weigh relative to its own.
RELATION_WEIGHTS = {"narrower": 0.5, "related": 0.3, "broader": 0.0}


@dataclass(frozen=True)
class Expanded:
    concepts: tuple[str, ...]
    expansions: tuple[Expansion, ...]


def recognise(text: str, thesaurus: Thesaurus, languages=LANGUAGES) -> list[str]:
    """Concept ids named in `text`, whichever supported language it is written in."""
    return concepts_of(recognised_spans(text, thesaurus, languages))


def concepts_of(spans: list[LabelSpan]) -> list[str]:
    """The concept ids of recognised_spans, each once, in text order."""
    return list(dict.fromkeys(span.concept for span in spans))


def recognised_spans(text: str, thesaurus: Thesaurus, languages=LANGUAGES) -> list[LabelSpan]:
    """The labels named in `text` (words of `tokenize(text)`), in the order they start.

    A label read in one language that lies inside a longer label read in another
    is dropped: "orti urbani" is urban gardening (it), not urban development
    because "urbani" looks like a Spanish word for urban.
    """
    spans = [span for language in languages
             for span in thesaurus.find_spans(with_accents(text, language), language)]
    kept = [span for span in spans if not any(
        other.start <= span.start and span.end <= other.end
        and other.end - other.start > span.end - span.start for other in spans)]
    kept.sort(key=lambda span: (span.start, -span.end))
    return kept


def expand(text: str, thesaurus: Thesaurus) -> Expanded:
    """Expansions for every concept the query names, in every language; then,
    weaker, for the concepts those are related to (RELATION_WEIGHTS)."""
    concepts = recognise(text, thesaurus)
    literal = {language: set(analyze(text, language)) for language in LANGUAGES}
    weighted = _with_relations(concepts, thesaurus)
    expansions: list[Expansion] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for concept_id, weight in weighted.items():
        concept = thesaurus.get(concept_id)
        for language in LANGUAGES:
            for rank, label in enumerate(concept.labels(language)):
                stems = tuple(analyze(label, language))
                # The literal query already covers a label made of its own words.
                if not stems or (language, stems) in seen or set(stems) <= literal[language]:
                    continue
                seen.add((language, stems))
                boost = (PREF_BOOST if rank == 0 else ALT_BOOST) * weight
                expansions.append(Expansion(language=language, text=label, boost=boost))
    # Past the cap, the weakest go: alternative labels of related concepts first.
    expansions.sort(key=lambda expansion: -expansion.boost)
    return Expanded(tuple(concepts), tuple(expansions[:MAX_EXPANSIONS]))


def _with_relations(concepts: list[str], thesaurus: Thesaurus) -> dict[str, float]:
    """concept id -> weight: 1 for the named concepts, less for their relations."""
    weighted = {concept_id: 1.0 for concept_id in concepts if concept_id in thesaurus}
    for relation, weight in RELATION_WEIGHTS.items():
        if not weight:
            continue
        for concept_id in list(weighted):
            if weighted[concept_id] < 1.0:
                continue
            for other in getattr(thesaurus.get(concept_id), relation):
                if other in thesaurus and other not in weighted:
                    weighted[other] = weight
    return weighted
