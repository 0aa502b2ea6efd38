"""The multilingual concept thesaurus (config/thesaurus/): labels, lookup, matching."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from indexer.analysis import LANGUAGES, analyze


@dataclass(frozen=True)
class Concept:
    id: str
    # language -> preferred label; language -> alternative labels
    pref: dict[str, str]
    alt: dict[str, tuple[str, ...]] = field(default_factory=dict)
    broader: tuple[str, ...] = ()
    narrower: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    def label(self, language: str, fallback: str = "en") -> str:
        return self.pref.get(language) or self.pref.get(fallback) or self.id

    def labels(self, language: str) -> list[str]:
        """Preferred then alternative labels in one language."""
        found = [self.pref[language]] if language in self.pref else []
        return found + list(self.alt.get(language, ()))


class Thesaurus:
    def __init__(self, concepts: list[Concept]):
        self.concepts = {concept.id: concept for concept in concepts}
        # (language, stemmed label tokens) -> concept id, for matching in text.
        self._phrases: dict[tuple[str, tuple[str, ...]], str] = {}
        for concept in concepts:
            for language in LANGUAGES:
                for label in concept.labels(language):
                    stems = tuple(analyze(label, language))
                    if stems:
                        self._phrases.setdefault((language, stems), concept.id)
        self._max_phrase = max((len(key[1]) for key in self._phrases), default=1)

    @classmethod
    def load(cls, path: str | Path) -> Thesaurus:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        concepts = [
            Concept(
                id=item["id"],
                pref={lang: labels["pref"] for lang, labels in item["labels"].items()},
                alt={lang: tuple(labels.get("alt", ())) for lang, labels in item["labels"].items()},
                broader=tuple(item.get("broader", ())),
                narrower=tuple(item.get("narrower", ())),
                related=tuple(item.get("related", ())),
            )
            for item in data["concepts"]
        ]
        return cls(concepts)

    def __contains__(self, concept_id: str) -> bool:
        return concept_id in self.concepts

    def get(self, concept_id: str) -> Concept | None:
        return self.concepts.get(concept_id)

    def label(self, concept_id: str, language: str) -> str:
        concept = self.concepts.get(concept_id)
        return concept.label(language) if concept else concept_id

    def find_concepts(self, text: str, language: str) -> list[str]:
        """Concept ids whose labels occur in `text` (analysed as `language`), in order."""
        stems = analyze(text, language)
        found: list[str] = []
        for start in range(len(stems)):
            for length in range(min(self._max_phrase, len(stems) - start), 0, -1):
                concept_id = self._phrases.get((language, tuple(stems[start:start + length])))
                if concept_id:
                    if concept_id not in found:
                        found.append(concept_id)
                    break
        return found
