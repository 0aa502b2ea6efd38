"""The multilingual concept thesaurus (config/thesaurus/): labels, lookup, matching."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from indexer.analysis import LANGUAGES, analyze, analyze_words, fold, tokenize
from indexer.documents import LanguageText
from indexer.spelling import Speller

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


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


@dataclass(frozen=True)
class LabelSpan:
    """A concept label found in a text: words [start, end) of the text."""

    concept: str
    start: int
    end: int


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
        # language -> stemmed label tokens -> concept id (the same as _phrases)
        self._labels: dict[str, dict[tuple[str, ...], str]] = {lang: {} for lang in LANGUAGES}
        lengths: dict[str, dict[str, set[int]]] = {language: {} for language in LANGUAGES}
        for (language, stems), concept_id in self._phrases.items():
            self._labels.setdefault(language, {})[stems] = concept_id
            lengths.setdefault(language, {}).setdefault(stems[0], set()).add(len(stems))
        # language -> first stem of a label -> lengths of such labels, longest first:
        # most positions of a text start no label, the others need few lengths tried.
        self._starts: dict[str, dict[str, tuple[int, ...]]] = {
            language: {stem: tuple(sorted(found, reverse=True)) for stem, found in by_stem.items()}
            for language, by_stem in lengths.items()}

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
        return list(dict.fromkeys(span.concept for span in self.find_spans(text, language)))

    def named_in_headline(self, texts: Mapping[str, LanguageText],
                          topics: Iterable[str]) -> tuple[str, ...]:
        """The `topics` that a title or summary (of any language) names: the case study's
        central topics, whose concept match counts in full (indexer/fusion.py)."""
        named: set[str] = set()
        for language, text in texts.items():
            named.update(self.find_concepts(f"{text.title} \n {text.summary}", language))
        return tuple(topic for topic in topics if topic in named)

    def find_spans(self, text: str, language: str) -> list[LabelSpan]:
        """Labels found in `text` analysed as `language`, with the words they cover.

        Longest label first, and the words it covers are used up: "huertos urbanos"
        is urban gardening, not also urban development; a compound that is a label
        ("Kreislaufwirtschaft") does not also name its parts' concepts.
        """
        stems, words = self._stems_by_word(text, language)
        starts = self._starts.get(language, {})
        labels = self._labels.get(language, {})
        found: list[LabelSpan] = []
        resume = 0
        for start in [i for i, stem in enumerate(stems) if stem in starts]:
            if start < resume:
                continue
            matched = self._longest_label(stems, start, labels, starts[stems[start]])
            if matched is None:
                continue
            concept_id, length = matched
            last = words[start + length - 1]
            found.append(LabelSpan(concept_id, words[start], last + 1))
            # Go on after the last word covered, skipping its compound parts.
            resume = bisect_right(words, last)
        return found

    @staticmethod
    def _longest_label(stems: list[str], start: int, labels: dict, lengths: tuple[int, ...]):
        for length in lengths:
            if start + length <= len(stems):
                concept_id = labels.get(tuple(stems[start:start + length]))
                if concept_id:
                    return concept_id, length
        return None

    @staticmethod
    def _stems_by_word(text: str, language: str) -> tuple[list[str], Sequence[int]]:
        """The analysed stems (a compound is followed by its parts), and for each
        stem the number of the word it comes from."""
        # One analysis of the whole text (cached per word) instead of one per token.
        analysed = analyze_words(tokenize(text), language)
        stems = [stem for word in analysed for stem in word]
        if len(stems) == len(analysed):  # no compound parts: stem i is word i
            return stems, range(len(stems))
        words = [number for number, word in enumerate(analysed) for _stem in word]
        return stems, words

    def concepts_with_word(self, word: str) -> list[str]:
        """Concept ids one of whose labels (any language) holds `word` (case-insensitive)."""
        return list(self._concepts_by_word.get(fold(word.casefold()), ()))

    @cached_property
    def _concepts_by_word(self) -> dict[str, tuple[str, ...]]:
        """Folded label word -> concept ids, in thesaurus order (built once)."""
        index: dict[str, list[str]] = {}
        for concept in self.concepts.values():
            words = {fold(w.casefold()) for language in LANGUAGES
                     for label in concept.labels(language) for w in _WORD.findall(label)}
            for word in words:
                index.setdefault(word, []).append(concept.id)
        return {word: tuple(ids) for word, ids in index.items()}

    def label_words(self) -> dict[str, set[str]]:
        """language -> every word of its labels, as written."""
        words: dict[str, set[str]] = {language: set() for language in LANGUAGES}
        for concept in self.concepts.values():
            for language in LANGUAGES:
                for label in concept.labels(language):
                    words[language].update(_WORD.findall(label))
        return words

    @cached_property
    def speller(self) -> Speller:
        """Did-you-mean towards the label words (built on first use)."""
        return Speller(self.label_words())
