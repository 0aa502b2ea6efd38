"""Highlighted snippets: original text with the matching words in <mark>.

Matching is by stem, so "buses" in a query marks "bus" in the text, and
"Wasserstoff" marks the compound "Wasserstoffbusse". Every
other character is HTML-escaped: the fragments are safe to render as-is.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from html import escape

from indexer.analysis import analyze_words

_WORD = re.compile(r"\w+", re.UNICODE)
FRAGMENT_WORDS = 28
MAX_FRAGMENTS = 3


def _marked_words(text: str, language: str, stems: set[str]) -> tuple[list[re.Match], list[int]]:
    """Words of `text` and the positions of those that match (a compound by any part).

    Each distinct word is analysed once; the page's hits are long texts with
    few matches, so everything per word stays a C-level loop.
    """
    tokens = _WORD.findall(text.casefold())
    distinct = list(set(tokens))
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
    return words, [i for i, token_stems in enumerate(analysed)
                   if not stems.isdisjoint(token_stems)]


def _render(text: str, words: list[re.Match], positions: list[int], start: int, end: int) -> str:
    """Escape text from words[start] to words[end-1], wrapping the marked words."""
    out = []
    cursor = words[start].start()
    for i in positions[bisect_left(positions, start):bisect_left(positions, end)]:
        word = words[i]
        out.append(escape(text[cursor:word.start()]))
        out.append(f"<mark>{escape(word.group(0))}</mark>")
        cursor = word.end()
    out.append(escape(text[cursor:words[end - 1].end()]))
    return "".join(out)


def highlight_whole(text: str, language: str, stems: set[str]) -> str | None:
    """The whole (short) text with marks, or None when nothing matches."""
    words, positions = _marked_words(text, language, stems)
    if not positions:
        return None
    return escape(text[: words[0].start()]) + _render(text, words, positions, 0, len(words)) + (
        escape(text[words[-1].end():]))


def highlight_fragments(text: str, language: str, stems: set[str],
                        max_fragments: int = MAX_FRAGMENTS) -> list[str]:
    """Up to `max_fragments` windows of text around matches, best-covered first."""
    words, positions = _marked_words(text, language, stems)
    windows: list[tuple[int, int]] = []
    for position in positions:
        if windows and position < windows[-1][1]:
            continue
        start = max(0, position - FRAGMENT_WORDS // 3)
        windows.append((start, min(len(words), start + FRAGMENT_WORDS)))

    def covered(window: tuple[int, int]) -> int:
        return bisect_left(positions, window[1]) - bisect_left(positions, window[0])

    ranked = sorted(windows, key=lambda w: -covered(w))[:max_fragments]
    fragments = []
    for start, end in sorted(ranked):
        fragment = _render(text, words, positions, start, end)
        prefix = "… " if start > 0 else ""
        suffix = " …" if end < len(words) else ""
        fragments.append(prefix + fragment + suffix)
    return fragments
