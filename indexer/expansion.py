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
from indexer.thesaurus import Thesaurus

PREF_BOOST = 0.6
ALT_BOOST = 0.4
MAX_EXPANSIONS = 120


@dataclass(frozen=True)
class Expanded:
    concepts: tuple[str, ...]
    expansions: tuple[Expansion, ...]


def recognise(text: str, thesaurus: Thesaurus, languages=LANGUAGES) -> list[str]:
    """Concept ids named in `text`, whichever supported language it is written in."""
    found: list[str] = []
    for language in languages:
        for concept_id in thesaurus.find_concepts(text, language):
            if concept_id not in found:
                found.append(concept_id)
    return found


def expand(text: str, thesaurus: Thesaurus) -> Expanded:
    """Expansions for every concept the query names, in every language."""
    concepts = recognise(text, thesaurus)
    literal = {language: analyze(text, language) for language in LANGUAGES}
    expansions: list[Expansion] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for concept_id in concepts:
        concept = thesaurus.get(concept_id)
        for language in LANGUAGES:
            for rank, label in enumerate(concept.labels(language)):
                stems = tuple(analyze(label, language))
                # The literal query already covers a label made of its own words.
                if not stems or (language, stems) in seen or set(stems) <= set(literal[language]):
                    continue
                seen.add((language, stems))
                boost = PREF_BOOST if rank == 0 else ALT_BOOST
                expansions.append(Expansion(language=language, text=label, boost=boost))
    return Expanded(tuple(concepts), tuple(expansions[:MAX_EXPANSIONS]))
