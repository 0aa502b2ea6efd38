"""Language analysis shared by the engines: tokens, stems, detection."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from pathlib import Path

import Stemmer

STEM_OVERRIDES_PATH = Path(__file__).resolve().parents[1] / "config" / "analysis" / "stem-overrides.json"

# Content languages the platform supports, with their Snowball stemmer names.
LANGUAGES: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "nl": "dutch",
    "pl": "polish",
    "es": "spanish",
    "it": "italian",
}
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "nl": "Nederlands",
    "pl": "Polski",
    "es": "Español",
    "it": "Italiano",
}

_WORD = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; punctuation and quotes are separators."""
    return [match.group(0) for match in _WORD.finditer(text.casefold())]


def fold(token: str) -> str:
    """Strip accents so 'Straße'/'strasse' and 'é'/'e' meet; keeps ß->ss."""
    token = token.replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=None)
def _stemmer(language: str):
    algorithm = LANGUAGES.get(language)
    if algorithm is None:
        return None
    try:
        return Stemmer.Stemmer(algorithm)
    except KeyError:
        # Older Snowball builds lack some algorithms (polish): fall back to folding only.
        return None


@functools.lru_cache(maxsize=1)
def stem_overrides() -> dict[str, dict[str, str]]:
    """language -> {word: stem} for words the stemmers get wrong (shared with Elasticsearch)."""
    data = json.loads(STEM_OVERRIDES_PATH.read_text(encoding="utf-8"))
    data.pop("_comment", None)
    return data


def stem_tokens(tokens: list[str], language: str) -> list[str]:
    """Snowball stems of already tokenized words, accent-folded."""
    stemmer = _stemmer(language)
    if stemmer is None:
        return [fold(t) for t in tokens]
    overrides = stem_overrides().get(language, {})
    stems = stemmer.stemWords(tokens)
    return [fold(overrides.get(token, stem)) for token, stem in zip(tokens, stems)]


def analyze(text: str, language: str) -> list[str]:
    """Tokenize and stem `text` as `language`."""
    return stem_tokens(tokenize(text), language)


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str, default: str = "en") -> str:
    """The most likely supported language of `text` (offline, py3langid)."""
    if len(tokenize(text)) < 2:
        return default
    language, _probability = _identifier().classify(text)
    return language if language in LANGUAGES else default
