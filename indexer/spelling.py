"""Did-you-mean: the closest thesaurus word to a misspelt query word.

The vocabulary is every word of every concept label in every language, so
"hydorgen" finds "hydrogen" and "Strukturwandl" finds "Strukturwandel"
whatever language the searcher types in. Candidates come from a character
bigram index (cheap), then a bounded edit distance decides.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gzip
import hashlib
import importlib.util
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import msgpack
import numpy as np

from indexer.analysis import LANGUAGES, fold, label_words, stem_tokens, tokenize

# Words shorter than this are never corrected: too many real words lie one edit apart.
MIN_WORD = 5


def max_edits(word: str) -> int:
    """Edits allowed for a word of this length (as Elasticsearch's fuzziness AUTO, one step stricter)."""
    if len(word) < MIN_WORD:
        return 0
    return 1 if len(word) < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two neighbours is one edit);
    returns limit + 1 as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _bigrams(word: str) -> set[str]:
    padded = f"^{word}$"
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


class Speller:
    """Corrections towards a fixed vocabulary: language -> words as written in labels."""

    def __init__(self, words: dict[str, set[str]]):
        # folded lower-case word -> the languages it is a label word in, and how labels write it
        self.languages: dict[str, set[str]] = defaultdict(set)
        self.written: dict[str, str] = {}
        self.stems: dict[str, set[str]] = {}
        for language, found in words.items():
            lowered = sorted({word.casefold() for word in found})
            for word in sorted(found):
                key = fold(word.casefold())
                self.languages[key].add(language)
                self.written.setdefault(key, word)
            self.stems[language] = set(stem_tokens(lowered, language))
        self._by_bigram: dict[str, list[str]] = defaultdict(list)
        for word in self.languages:
            for gram in _bigrams(word):
                self._by_bigram[gram].append(word)

    def knows(self, word: str) -> bool:
        """A label word, or a form of one (its stem is a label word's stem) in some language."""
        word = word.casefold()
        if fold(word) in self.languages:
            return True
        return any(stem_tokens([word], language)[0] in self.stems.get(language, ())
                   for language in LANGUAGES)

    def suggest(self, word: str, prefer: str | None = None) -> str | None:
        """The closest label word, written as the labels write it, in the case style of `word`."""
        found = self.closest(word, prefer)
        if found is None:
            return None
        written = self.written[found]
        if word.islower():
            return written.casefold()
        if word[:1].isupper() and word[1:].islower():
            return written[:1].upper() + written[1:]
        return written

    def closest(self, word: str, prefer: str | None = None) -> str | None:
        """The vocabulary word nearest to `word` within max_edits, or None.

        Ties go to a word of the `prefer` language, then to the shorter, then alphabetical.
        """
        word = fold(word.casefold())
        limit = max_edits(word)
        if not limit:
            return None
        grams = _bigrams(word)
        shared: dict[str, int] = defaultdict(int)
        for gram in grams:
            for candidate in self._by_bigram.get(gram, ()):
                shared[candidate] += 1
        # Each edit breaks at most three bigrams (a swap), so fewer shared means too far.
        needed = len(grams) - 3 * limit
        best: tuple | None = None
        for candidate, count in shared.items():
            if count < needed or candidate == word:
                continue
            distance = edit_distance(word, candidate, limit)
            if distance > limit:
                continue
            key = (distance, prefer not in self.languages[candidate], len(candidate), candidate)
            if best is None or key < best:
                best = key
        return best[-1] if best else None


_WORDS_AND_GAPS = re.compile(r"(\W+)", re.UNICODE)


def common_word(word: str) -> bool:
    """Whether `word` is a word of one of the languages: in wordfreq's "small" list of
    it, which holds the words used at least once per million words (Zipf 3). Such a
    word is spelt right even when no label and no case study has it: "shrinking" lies
    two edits from the label word "drinking", and "shrinking cities" is no typo for
    "drinking cities"."""
    hashes = _common_word_hashes()
    key = _word_hash(_as_listed(word))
    at = int(np.searchsorted(hashes, key))
    return at < len(hashes) and int(hashes[at]) == key


def _as_listed(word: str) -> str:
    """A word as wordfreq lists it (its own preprocessing: NFC, case-folded, ß -> ss)."""
    return unicodedata.normalize("NFC", word).casefold()


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(),
                          "little")


@functools.lru_cache(maxsize=1)
def _common_word_hashes() -> np.ndarray:
    """The seven lists' ~200,000 words as sorted 64-bit hashes (1.5 MB; a typo taken for
    a common word by a collision has odds of ~1e-14), built on the first suspect word in
    ~0.5 s. wordfreq's own readers keep the decoded lists (+28 MB per worker) and its
    package pulls in ftfy and langcodes (+4 MB): its data files are read here, one word
    at a time."""
    hashes = np.unique(np.fromiter((_word_hash(word) for language in LANGUAGES
                                    for word in _listed_words(language)), dtype=np.uint64))
    _trim_heap()
    return hashes


def _trim_heap() -> None:
    """Freed memory back to the system: glibc keeps what the growing array left behind
    (+9.6 MB per worker without this, +2.0 MB with it)."""
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:
        trim(0)


def _listed_words(language: str):
    """The words of wordfreq's "small" list of `language` (its cBpack file: gzipped
    msgpack of [header, [words of one frequency], ...]), streamed."""
    path = _WORDFREQ_DATA / f"small_{language}.msgpack.gz"
    with gzip.open(path, "rb") as stream:
        unpacker = msgpack.Unpacker(stream, raw=False)
        buckets = unpacker.read_array_header() - 1
        header = unpacker.unpack()
        if header.get("format") != "cB":
            raise ValueError(f"{path} is no wordfreq cBpack file")
        for _bucket in range(buckets):
            for _word in range(unpacker.read_array_header()):
                yield unpacker.unpack()


# wordfreq's data folder, found without importing the package.
_WORDFREQ_DATA = Path(importlib.util.find_spec("wordfreq").submodule_search_locations[0]) / "data"


# -- words typed without their accents ----------------------------------------------------

# One search asks for each language two or three times (words, concepts); few entries,
# as a query may be 1,000 characters long.
@functools.lru_cache(maxsize=256)
def with_accents(text: str, language: str) -> str:
    """`text` with each word typed without its accents spelt as `language` spells it most
    often: "sequia" -> "sequía" (es), "sciekow" -> "ścieków" (pl). The stemmers and the
    model read accents ("sequía" stems to "sequ", "sequia" to "sequi"), so a query typed
    on a keyboard without them missed what the case studies, written with them, say. A
    word that the language most often writes as typed ("des", "economia" in Italian) and
    a word with an accent of its own are kept; so are the spacing and the marks."""
    spelt = _accented_spellings(language).of(tokenize(text))
    if not spelt:
        return text
    return corrected(text, {word: _respelt(word, spelt[word.casefold()])
                            for word in _WORDS_AND_GAPS.split(text) if word.casefold() in spelt})


def typed_without_accents(word: str) -> bool:
    """Whether some language spells `word` with accents it lacks (so it is no typo)."""
    key = word.casefold()
    return any(key in _accented_spellings(language) for language in LANGUAGES)


def _respelt(word: str, spelt: str) -> str:
    """`spelt` in the case style of `word` as typed."""
    if word.isupper() and len(word) > 1:
        return spelt.upper()
    return spelt[:1].upper() + spelt[1:] if word[:1].isupper() else spelt


class Spellings:
    """Folded word -> spelling, kept compact: the folded words' sorted hashes and the
    spellings in one string (~0.9 MB for the seven languages, where a dict took ~5 MB
    per process). Python's own str hash: the table lives in one process, and two of
    its 31,000 words share a hash with odds of ~1e-10."""

    def __init__(self, spellings: dict[str, str]):
        keyed = sorted((hash(folded), spelt) for folded, spelt in spellings.items())
        self._hashes = np.fromiter((key for key, _ in keyed), dtype=np.int64, count=len(keyed))
        self._text = "".join(spelt for _, spelt in keyed)
        self._ends = np.cumsum([len(spelt) for _, spelt in keyed], dtype=np.int64)

    def of(self, words: list[str]) -> dict[str, str]:
        """The spellings of those of `words` (lower-cased) that have one: one look-up in
        the sorted hashes for all of them."""
        if not words or not len(self._hashes):
            return {}
        keys = np.fromiter((hash(word) for word in words), dtype=np.int64, count=len(words))
        at = np.minimum(np.searchsorted(self._hashes, keys), len(self._hashes) - 1)
        found = {}
        for word, index, hit in zip(words, at.tolist(), (self._hashes[at] == keys).tolist()):
            if hit:
                start = int(self._ends[index - 1]) if index else 0
                found[word] = self._text[start:int(self._ends[index])]
        return found

    def __contains__(self, word: str) -> bool:
        return bool(self.of([word]))


@functools.lru_cache(maxsize=None)
def _accented_spellings(language: str) -> Spellings:
    """Folded word -> the accented spelling `language` uses most, for the words whose most
    frequent spelling has accents: from wordfreq's "small" list (frequency order, so the
    first spelling of a folding is the most used one), then the thesaurus's label words
    for the foldings the list lacks ("węglowa"). Built on first use, ~0.1 s a language,
    ~31,000 words in all. The "large" lists would also know rarer words ("śmieciarki")
    but take 11 s and 50 MB to read."""
    if language not in LANGUAGES:
        return Spellings({})
    most_used: dict[str, str | None] = {}
    for word in _listed_words(language):
        if word.isascii():
            most_used.setdefault(word, None)
        elif word.isalpha():
            most_used.setdefault(fold(word), word)
    for word in label_words(language):
        most_used.setdefault(fold(word), word if not word.isascii() else None)
    spellings = Spellings({folded: word for folded, word in most_used.items()
                           if word and folded.isascii()})
    del most_used
    _trim_heap()
    return spellings


def suspects(text: str, speller: Speller, prefer: str | None = None) -> dict[str, str]:
    """Words of `text` that are no label word and no common word of a language but lie
    close to a label word: word -> suggestion."""
    found = {}
    for word in _WORDS_AND_GAPS.split(text):
        if (word.isalpha() and max_edits(word) and not speller.knows(word)
                and not common_word(word) and not typed_without_accents(word)):
            suggestion = speller.suggest(word, prefer)
            if suggestion is not None:
                found[word] = suggestion
    return found


def corrected(text: str, corrections: dict[str, str]) -> str:
    """`text` with some words replaced; the other words, and the spacing, kept."""
    return "".join(corrections.get(part, part) for part in _WORDS_AND_GAPS.split(text))
