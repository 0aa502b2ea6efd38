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

import re
from bisect import bisect_left
from html import escape

from indexer.analysis import analyze_words, stopwords

_WORD = re.compile(r"\w+", re.UNICODE)
# A sentence ends after . ! ? … (and closing quotes) followed by space and a capital
# or a digit, or at a line break.
_SENTENCE_END = re.compile(
    r"([.!?…][\"'”»)]*)\s+(?=[\"'„“«(]?[^\W_a-zß-ÿ])|[ \t]*\n\s*")
_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
FRAGMENT_WORDS = 28
# A sentence longer than this is cut to FRAGMENT_WORDS around its first match.
MAX_SENTENCE_WORDS = 40
MAX_FRAGMENTS = 3


def _marked_words(text: str, language: str, stems: set[str]) -> tuple[list[re.Match], list[int]]:
    """Words of `text` and the positions of those that match (a compound by any part).

    Each distinct word is analysed once; the page's hits are long texts with
    few matches, so everything per word stays a C-level loop.
    """
    tokens = _WORD.findall(text.casefold())
    function_words = stopwords(language)
    distinct = [token for token in set(tokens) if token not in function_words]
    forms = {token for token, token_stems in zip(distinct, analyze_words(distinct, language))
             if not stems.isdisjoint(token_stems)}
    if not forms:  # most titles and summaries: no need for the words' positions
        return [], []
    words = list(_WORD.finditer(text))
    if len(tokens) != len(words):  # casefolding split a word differently
        tokens = [word.group(0).casefold() for word in words]
        return _marked_words_of(words, tokens, language, stems)
    return words, [i for i, token in enumerate(tokens) if token in forms]


def _marked_words_of(words, tokens, language, stems) -> tuple[list[re.Match], list[int]]:
    analysed = analyze_words(tokens, language)
    function_words = stopwords(language)
    return words, [i for i, (token, token_stems) in enumerate(zip(tokens, analysed))
                   if token not in function_words and not stems.isdisjoint(token_stems)]


def _render(text: str, words: list[re.Match], positions: list[int], start: int, end: int,
            stop: int | None = None) -> str:
    """Escape text from words[start] to words[end-1] (or to offset `stop`), wrapping
    the marked words."""
    out = []
    cursor = words[start].start()
    for i in positions[bisect_left(positions, start):bisect_left(positions, end)]:
        word = words[i]
        out.append(escape(text[cursor:word.start()]))
        out.append(f"<mark>{escape(word.group(0))}</mark>")
        cursor = word.end()
    out.append(escape(text[cursor:words[end - 1].end() if stop is None else stop]))
    return "".join(out)


def highlight_whole(text: str, language: str, stems: set[str]) -> str | None:
    """The whole (short) text with marks, or None when nothing matches."""
    words, positions = _marked_words(text, language, stems)
    if not positions:
        return None
    return escape(text[: words[0].start()]) + _render(text, words, positions, 0, len(words)) + (
        escape(text[words[-1].end():]))


def _sentences(text: str, words: list[re.Match]) -> list[tuple[int, int, int]]:
    """(first word, end word, end offset) of each sentence or line, in text order; the end
    offset keeps the sentence's closing punctuation."""
    found, first = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        # Words starting before the boundary's end (a bisection, not a list of every start).
        end = bisect_left(words, boundary.end(), lo=first, key=re.Match.start)
        if end > first:
            found.append((first, end, boundary.end(1) if boundary.group(1) else boundary.start()))
            first = end
    if first < len(words):
        found.append((first, len(words), len(text.rstrip())))
    return found


def highlight_fragments(text: str, language: str, stems: set[str],
                        max_fragments: int = MAX_FRAGMENTS) -> list[str]:
    """Up to `max_fragments` sentences with matches, the best-covered first chosen,
    shown in text order. A sentence longer than MAX_SENTENCE_WORDS is cut to
    FRAGMENT_WORDS around its first match, with "…" where it was cut."""
    words, positions = _marked_words(text, language, stems)
    if not positions:
        return []
    found = []
    for first, end, stop in _sentences(text, words):
        inside = bisect_left(positions, end) - bisect_left(positions, first)
        if inside:
            found.append((first, end, stop, inside))
    # Only the chosen sentences are rendered (escaping is most of the cost).
    ranked = sorted(found, key=lambda item: -item[3])[:max_fragments]
    return [_fragment(text, words, positions, first, end, stop)
            for first, end, stop, _inside in sorted(ranked)]


def _fragment(text: str, words: list[re.Match], positions: list[int], first: int, end: int,
              stop: int) -> str:
    if end - first <= MAX_SENTENCE_WORDS:
        return _render(text, words, positions, first, end, stop)
    start = max(first, positions[bisect_left(positions, first)] - FRAGMENT_WORDS // 3)
    cut = min(end, start + FRAGMENT_WORDS)
    fragment = _render(text, words, positions, start, cut, None if cut < end else stop)
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
