"""Highlighted snippets: original text with the matching words in <mark>.

Matching is by stem, so "buses" in a query marks "bus" in the text, and
"Wasserstoff" marks the compound "Wasserstoffbusse". Function words of the
text's language (`der`, `des`, `à`, `im`: indexer.analysis.stopwords) are never
marked. A fragment is a sentence: it ends at a sentence end or a line break (a
heading is a line of its own in a search document's text), so a heading is never
glued to the sentence after it. Every other character is HTML-escaped: the
fragments are safe to render as-is. Elasticsearch's fragments are brought under
the same rules by `clean_fragments`.
"""

from __future__ import annotations

import functools
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from html import escape
from itertools import chain, repeat

from indexer.analysis import analyze_words, stopwords

_WORD = re.compile(r"\w+", re.UNICODE)
# A sentence ends after . ! ? … (and closing quotes) followed by space and a capital
# or a digit, or at a line break.
_SENTENCE_END = re.compile(
    r"([.!?…][\"'”»)]*)\s+(?=[\"'„“«(]?[^\W_a-zß-ÿ])|[ \t]*\n\s*")
# Where _SENTENCE_END can match: its first alternative starts at one of these, its
# second at the spaces or tabs before a line break. A plain character class scans
# a text ~10x faster than the pattern tried at every position.
_SENTENCE_CANDIDATE = re.compile(r"[.!?…\n]")
_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
FRAGMENT_WORDS = 28
# A sentence longer than this is cut to FRAGMENT_WORDS around its first match.
MAX_SENTENCE_WORDS = 40
MAX_FRAGMENTS = 3
# Texts kept analysed (see _prepared): a page's hits are often on the next page too, or
# found again by the next query (or the same, after a facet click). ~1.9 kB each on
# average (bench corpus: titles, summaries and ~1,500-character bodies, the text
# included), so ~2 MB at most: the last ~17 pages of 20 hits. 4,096 texts held ~8 MB
# and took a worker at 100k past its 400 MB (docs/operations.md).
PREPARED_TEXTS = 1024
_NOT_MARKABLE = -1


class _Prepared:
    """One text analysed in one language, for any query's marks: its distinct words
    (function words left out) with their stems, which of them each word is, and, once a
    query matched the text, the words' offsets and sentences."""

    __slots__ = ("text", "language", "stems", "all_stems", "token_ids", "count", "starts",
                 "ends", "aligned", "sentences")

    def __init__(self, text: str, language: str):
        tokens = _WORD.findall(text.casefold())
        function_words = stopwords(language)
        distinct = [token for token in dict.fromkeys(tokens) if token not in function_words]
        number = {token: i for i, token in enumerate(distinct)}
        self.text, self.language, self.count = text, language, len(tokens)
        self.stems = analyze_words(distinct, language)
        # A tuple, not a set: isdisjoint walks it in C, and it takes a quarter of the memory.
        self.all_stems = tuple(chain.from_iterable(self.stems))
        self.token_ids = array("i", map(number.get, tokens, repeat(_NOT_MARKABLE)))
        # Filled on first use; threads share these objects, so what a reader checks
        # (starts, sentences) is set last.
        self.starts = self.ends = self.sentences = None
        self.aligned = True

    def marked(self, marks: set[str]) -> list[int]:
        """Positions of the words that match `marks` (a compound by any part), ascending."""
        if marks.isdisjoint(self.all_stems):  # most titles and summaries
            return []
        matching = {i for i, stems in enumerate(self.stems) if not marks.isdisjoint(stems)}
        if self.starts is None:
            words = list(_WORD.finditer(self.text))
            offsets = "H" if len(self.text) < 65536 else "i"
            self.ends = array(offsets, map(re.Match.end, words))
            self.aligned = len(words) == self.count
            self.starts = array(offsets, map(re.Match.start, words))
        if not self.aligned:  # casefolding split a word differently: per word, as read
            return _marked_words_of(self.text, self.starts, self.ends, self.language, marks)
        return [i for i, token in enumerate(self.token_ids) if token in matching]

    def sentence_spans(self) -> Iterator[tuple[int, int, int]]:
        """_sentences of the text, kept flat: (first, end, stop, first, end, stop, ...)."""
        if self.sentences is None:
            self.sentences = array("i", chain.from_iterable(_sentences(self.text, self.starts)))
        spans = self.sentences
        return zip(spans[0::3], spans[1::3], spans[2::3])


@functools.lru_cache(maxsize=PREPARED_TEXTS)
def _prepared(text: str, language: str) -> _Prepared:
    return _Prepared(text, language)


def clear_cache() -> None:
    """Forget the analysed texts (benchmarks measure the uncached cost this way)."""
    _prepared.cache_clear()


def _marked_words_of(text: str, starts, ends, language: str, stems: set[str]) -> list[int]:
    tokens = [text[start:end].casefold() for start, end in zip(starts, ends)]
    analysed = analyze_words(tokens, language)
    function_words = stopwords(language)
    return [i for i, (token, token_stems) in enumerate(zip(tokens, analysed))
            if token not in function_words and not stems.isdisjoint(token_stems)]


def _render(text: str, starts, ends, positions: list[int], start: int, end: int,
            stop: int | None = None) -> str:
    """Escape text from word `start` to word `end-1` (or to offset `stop`), wrapping
    the marked words."""
    out = []
    cursor = starts[start]
    for i in positions[bisect_left(positions, start):bisect_left(positions, end)]:
        out.append(escape(text[cursor:starts[i]]))
        out.append(f"<mark>{escape(text[starts[i]:ends[i]])}</mark>")
        cursor = ends[i]
    out.append(escape(text[cursor:ends[end - 1] if stop is None else stop]))
    return "".join(out)


def highlight_whole(text: str, language: str, stems: set[str]) -> str | None:
    """The whole (short) text with marks, or None when nothing matches."""
    prepared = _prepared(text, language)
    positions = prepared.marked(stems)
    if not positions:
        return None
    starts, ends = prepared.starts, prepared.ends
    return escape(text[: starts[0]]) + _render(text, starts, ends, positions, 0,
                                               len(starts)) + escape(text[ends[-1]:])


def _boundaries(text: str):
    """The matches of _SENTENCE_END, as its finditer would find them, tried only where one
    can start: at a sentence mark, or at the spaces or tabs before a line break."""
    cursor = 0
    for candidate in _SENTENCE_CANDIDATE.finditer(text):
        at = candidate.start()
        if at < cursor:  # inside the previous boundary
            continue
        if text[at] == "\n":
            while at > cursor and text[at - 1] in " \t":
                at -= 1
        boundary = _SENTENCE_END.match(text, at)
        if boundary is not None:
            cursor = boundary.end()
            yield boundary


def _sentences(text: str, starts) -> list[tuple[int, int, int]]:
    """(first word, end word, end offset) of each sentence or line, in text order; the end
    offset keeps the sentence's closing punctuation."""
    found, first = [], 0
    for boundary in _boundaries(text):
        # Words starting before the boundary's end (a bisection, not a list of every start).
        end = bisect_left(starts, boundary.end(), lo=first)
        if end > first:
            found.append((first, end, boundary.end(1) if boundary.group(1) else boundary.start()))
            first = end
    if first < len(starts):
        found.append((first, len(starts), len(text.rstrip())))
    return found


def highlight_fragments(text: str, language: str, stems: set[str],
                        max_fragments: int = MAX_FRAGMENTS) -> list[str]:
    """Up to `max_fragments` sentences with matches, the best-covered first chosen,
    shown in text order. A sentence longer than MAX_SENTENCE_WORDS is cut to
    FRAGMENT_WORDS around its first match, with "…" where it was cut."""
    prepared = _prepared(text, language)
    positions = prepared.marked(stems)
    if not positions:
        return []
    found = []
    for first, end, stop in prepared.sentence_spans():
        inside = bisect_left(positions, end) - bisect_left(positions, first)
        if inside:
            found.append((first, end, stop, inside))
    # Only the chosen sentences are rendered (escaping is most of the cost).
    ranked = sorted(found, key=lambda item: -item[3])[:max_fragments]
    return [_fragment(text, prepared.starts, prepared.ends, positions, first, end, stop)
            for first, end, stop, _inside in sorted(ranked)]


def _fragment(text: str, starts, ends, positions: list[int], first: int, end: int,
              stop: int) -> str:
    if end - first <= MAX_SENTENCE_WORDS:
        return _render(text, starts, ends, positions, first, end, stop)
    start = max(first, positions[bisect_left(positions, first)] - FRAGMENT_WORDS // 3)
    cut = min(end, start + FRAGMENT_WORDS)
    fragment = _render(text, starts, ends, positions, start, cut, None if cut < end else stop)
    return ("… " if start > first else "") + fragment + (" …" if cut < end else "")


def clean_fragments(fragments: list[str], language: str,
                    max_fragments: int = MAX_FRAGMENTS) -> list[str]:
    """Another engine's highlighted fragments under the same rules: the function words
    of `language` unmarked, each fragment cut to its lines that still hold a mark (a
    heading never glued to a sentence), at most `max_fragments`."""
    function_words = stopwords(language)

    def unmark(match: re.Match) -> str:
        return match.group(1) if match.group(1).casefold() in function_words else match.group(0)

    cleaned = []
    for fragment in fragments:
        lines = _MARK.sub(unmark, fragment).split("\n")
        cleaned.extend(line.strip() for line in lines if "<mark>" in line)
    return cleaned[:max_fragments]
