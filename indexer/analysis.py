"""Language analysis shared by the engines: tokens, stems, detection."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib.resources import files
from pathlib import Path

import Stemmer
from py3langid.langid import MODEL_FILE, LanguageIdentifier

# config/ installed as the data package cityexchange_config (see pyproject.toml).
CONFIG_DIR = Path(str(files("cityexchange_config")))
STEM_OVERRIDES_PATH = CONFIG_DIR / "analysis" / "stem-overrides.json"
# Function words per language, copied unchanged from Lucene 9.10 (the lists Elasticsearch's
# `_german_` etc. use): Snowball's lists, and for Polish the one of Lucene's stempel module.
STOPWORDS_DIR = CONFIG_DIR / "analysis" / "stopwords"
THESAURUS_PATH = CONFIG_DIR / "thesaurus" / "concepts.json"
# Languages whose compounds are split into dictionary words (as Elasticsearch's
# dictionary_decompounder does, with the same settings).
DECOMPOUND_LANGUAGES = ("de", "nl")
MIN_COMPOUND_LENGTH = 8
MIN_SUBWORD, MAX_SUBWORD = 4, 15

# Content languages the platform supports, with their Snowball stemmer names. Dutch:
# Snowball 3 renamed the original algorithm "dutch_porter" and gave "dutch" a new one;
# Lucene (Elasticsearch's "Dutch") has the original, and the engines must stem alike.
LANGUAGES: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "nl": "dutch_porter",
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
# A word as the model reads it, with the hyphens, apostrophes, slashes and dots inside
# it ("CO2-neutral", "l'industria", "30 km/h").
QUERY_WORD = re.compile(r"\w+(?:[-'’/.]\w+)*")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; punctuation and quotes are separators."""
    return _WORD.findall(text.casefold())


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


@functools.lru_cache(maxsize=None)
def stopwords(language: str) -> frozenset[str]:
    """Lower-cased function words of `language` (empty for a language without a list).

    Snowball format: a word at the start of a line, comments after `|`; the Polish
    list comments with `#`."""
    path = STOPWORDS_DIR / f"{language}.txt"
    if language not in LANGUAGES or not path.exists():
        return frozenset()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("|", 1)[0].strip()
        if line and not line.startswith("#"):
            words.update(word.casefold() for word in line.split())
    return frozenset(words)


def stem_tokens(tokens: list[str], language: str) -> list[str]:
    """Snowball stems of already tokenized words, accent-folded."""
    stemmer = _stemmer(language)
    if stemmer is None:
        return [fold(t) for t in tokens]
    overrides = stem_overrides().get(language, {})
    stems = stemmer.stemWords(tokens)
    return [fold(overrides.get(token, stem)) for token, stem in zip(tokens, stems)]


def analyze(text: str, language: str) -> list[str]:
    """Tokenize and stem `text` as `language`; compounds also yield their parts."""
    return [stem for stems in analyze_words(tokenize(text), language) for stem in stems]


# Analysed words per language. Text repeats its words, so each is stemmed (and
# split into compound parts) once; indexing and highlighting are dominated by
# this. Bounded: past the limit, new words are analysed without being kept.
CACHE_WORDS = 200_000
_analysed: dict[str, dict[str, tuple[str, ...]]] = {language: {} for language in LANGUAGES}


def analyze_words(tokens: list[str], language: str) -> list[tuple[str, ...]]:
    """Per token (already lower-cased), its stem followed by its compound parts' stems."""
    cache = _analysed.get(language, {})
    missing = [token for token in dict.fromkeys(tokens) if token not in cache]
    fresh = _analyze_each(missing, language) if missing else {}
    if fresh and len(cache) + len(fresh) <= CACHE_WORDS and language in _analysed:
        cache.update(fresh)
    return [fresh[token] if token in fresh else cache[token] for token in tokens]


def _analyze_each(tokens: list[str], language: str) -> dict[str, tuple[str, ...]]:
    expanded = [with_subwords([token], language) if language in DECOMPOUND_LANGUAGES
                else [token] for token in tokens]
    stems = iter(stem_tokens([word for words in expanded for word in words], language))
    return {token: tuple(next(stems) for _ in words) for token, words in zip(tokens, expanded)}


@functools.lru_cache(maxsize=None)
def compound_dictionary(language: str) -> frozenset[str]:
    """Words compounds are split into: config/analysis/decompound-<lang>.txt plus
    the single words of the thesaurus labels in that language."""
    words: set[str] = set()
    path = CONFIG_DIR / "analysis" / f"decompound-{language}.txt"
    if path.exists():
        lines = path.read_text(encoding="utf-8").splitlines()
        words.update(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    words.update(label_words(language))
    return frozenset(w.casefold() for w in words if MIN_SUBWORD <= len(w) <= MAX_SUBWORD)


def label_words(language: str) -> set[str]:
    """The lower-cased words of the thesaurus's labels in `language` (the file itself:
    analysis comes before a Thesaurus is loaded)."""
    if not THESAURUS_PATH.exists():
        return set()
    data = json.loads(THESAURUS_PATH.read_text(encoding="utf-8"))
    words = set()
    for concept in data["concepts"]:
        labels = concept["labels"].get(language, {})
        for label in [labels.get("pref", ""), *labels.get("alt", [])]:
            words.update(w for w in _WORD.findall(label.casefold()) if w.isalpha())
    return words


def subwords(token: str, dictionary: frozenset[str]) -> list[str]:
    """Dictionary words inside a long token, longest match at each position
    (Lucene's DictionaryCompoundWordTokenFilter with only_longest_match)."""
    if len(token) < MIN_COMPOUND_LENGTH:
        return []
    found = []
    for start in range(len(token) - MIN_SUBWORD + 1):
        for end in range(min(len(token), start + MAX_SUBWORD), start + MIN_SUBWORD - 1, -1):
            part = token[start:end]
            if part in dictionary:
                # The whole token counts as the longest match, as in Lucene.
                if part != token:
                    found.append(part)
                break
    return found


def with_subwords(tokens: list[str], language: str) -> list[str]:
    dictionary = compound_dictionary(language)
    out: list[str] = []
    for token in tokens:
        out.append(token)
        out.extend(subwords(token, dictionary))
    return out


@functools.lru_cache(maxsize=1)
def _identifier():
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str, default: str = "en") -> str:
    """The most likely supported language of `text` (offline, py3langid)."""
    if len(tokenize(text)) < 2:
        return default
    language = guess_language(text)
    return language if language in LANGUAGES else default


def guess_language(text: str) -> str:
    """The most likely supported language of `text`, however short: a guess for a word
    or two (py3langid)."""
    language, _probability = _identifier().classify(text)
    return language
