"""Highlighted snippets: original text with the matching words in <mark>.

Matching is by stem, so "buses" in a query marks "bus" in the text. Every
other character is HTML-escaped: the fragments are safe to render as-is.
"""

from __future__ import annotations

import re
from html import escape

from indexer.analysis import stem_tokens

_WORD = re.compile(r"\w+", re.UNICODE)
FRAGMENT_WORDS = 28
MAX_FRAGMENTS = 3


def _marked_words(text: str, language: str, stems: set[str]) -> tuple[list[re.Match], list[bool]]:
    words = list(_WORD.finditer(text))
    word_stems = stem_tokens([w.group(0).casefold() for w in words], language)
    return words, [stem in stems for stem in word_stems]


def _render(text: str, words: list[re.Match], marks: list[bool], start: int, end: int) -> str:
    """Escape text[words[start] .. words[end-1]] and wrap marked words."""
    out = []
    cursor = words[start].start()
    for word, marked in zip(words[start:end], marks[start:end]):
        out.append(escape(text[cursor:word.start()]))
        token = escape(word.group(0))
        out.append(f"<mark>{token}</mark>" if marked else token)
        cursor = word.end()
    return "".join(out)


def highlight_whole(text: str, language: str, stems: set[str]) -> str | None:
    """The whole (short) text with marks, or None when nothing matches."""
    words, marks = _marked_words(text, language, stems)
    if not any(marks):
        return None
    return escape(text[: words[0].start()]) + _render(text, words, marks, 0, len(words)) + escape(
        text[words[-1].end():]
    )


def highlight_fragments(text: str, language: str, stems: set[str],
                        max_fragments: int = MAX_FRAGMENTS) -> list[str]:
    """Up to `max_fragments` windows of text around matches, best-covered first."""
    words, marks = _marked_words(text, language, stems)
    positions = [i for i, marked in enumerate(marks) if marked]
    windows: list[tuple[int, int]] = []
    for position in positions:
        if windows and position < windows[-1][1]:
            continue
        start = max(0, position - FRAGMENT_WORDS // 3)
        windows.append((start, min(len(words), start + FRAGMENT_WORDS)))
    ranked = sorted(windows, key=lambda w: -sum(marks[w[0]:w[1]]))[:max_fragments]
    fragments = []
    for start, end in sorted(ranked):
        fragment = _render(text, words, marks, start, end)
        prefix = "… " if start > 0 else ""
        suffix = " …" if end < len(words) else ""
        fragments.append(prefix + fragment + suffix)
    return fragments
