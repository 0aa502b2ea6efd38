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
from itertools import chain

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
# The fields of a search document's text that hits highlight: the title whole, the others
# by fragments.
SNIPPET_FIELDS = ("title", "summary", "body")


def snippet_index(text: str, language: str) -> dict:
    """What highlighting needs of a text, made once when the text is indexed (an engine
    stores it as JSON beside the text): for each stem, the positions of the words that
    have it (function words left out); and each sentence's first word, first character
    and end offset, flat (first, begin, stop, first, …). A search then looks up its stems
    and tokenises only the sentences it shows.
    (Analysing every shown text again took ~75 % of an embedded search at 10k.)"""
    words = list(_WORD.finditer(text))
    # Casefolded word by word, so positions are the original text's words even where
    # casefolding a whole text would split one (İ becomes i and a combining dot).
    tokens = [word.group().casefold() for word in words]
    function_words = stopwords(language)
    distinct = [token for token in dict.fromkeys(tokens) if token not in function_words]
    stems_of = {token: dict.fromkeys(stems)
                for token, stems in zip(distinct, analyze_words(distinct, language))}
    positions: dict[str, list[int]] = {}
    for position, token in enumerate(tokens):
        for stem in stems_of.get(token, ()):
            positions.setdefault(stem, []).append(position)
    starts = [word.start() for word in words]
    sentences = list(chain.from_iterable((first, starts[first], stop)
                                         for first, _end, stop in _sentences(text, starts)))
    return {"stems": positions, "sentences": sentences, "words": len(words)}


def _marked(index: dict, stems: set[str]) -> list[int]:
    """Positions of the words that match `stems` (a compound by any part), ascending."""
    found = [index["stems"][stem] for stem in stems if stem in index["stems"]]
    if len(found) < 2:
        return found[0] if found else []
    return sorted(set().union(*found))


def _word_offsets(text: str, first: int, begin: int, stop: int) -> tuple[dict, dict]:
    """Start and end offsets of the words between offsets `begin` and `stop`, keyed by
    their positions in the text (the first is word `first`)."""
    starts, ends = {}, {}
    for position, word in enumerate(_WORD.finditer(text, begin, stop), first):
        starts[position], ends[position] = word.start(), word.end()
    return starts, ends


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


def highlight_whole(text: str, language: str, stems: set[str],
                    index: dict | None = None) -> str | None:
    """The whole (short) text with marks, or None when nothing matches. `index`: the
    text's snippet_index, when the engine stored one."""
    positions = _marked(index or snippet_index(text, language), stems)
    if not positions:
        return None
    starts, ends = _word_offsets(text, 0, 0, len(text))
    return escape(text[: starts[0]]) + _render(text, starts, ends, positions, 0,
                                               len(starts)) + escape(text[ends[len(ends) - 1]:])


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
                        max_fragments: int = MAX_FRAGMENTS,
                        index: dict | None = None) -> list[str]:
    """Up to `max_fragments` sentences with matches, the best-covered first chosen,
    shown in text order. A sentence longer than MAX_SENTENCE_WORDS is cut to
    FRAGMENT_WORDS around its first match, with "…" where it was cut. `index`: the
    text's snippet_index, when the engine stored one."""
    index = index or snippet_index(text, language)
    positions = _marked(index, stems)
    if not positions:
        return []
    sentences = index["sentences"]
    found = []
    for at in range(0, len(sentences), 3):
        first, begin, stop = sentences[at:at + 3]
        end = sentences[at + 3] if at + 3 < len(sentences) else index["words"]
        inside = bisect_left(positions, end) - bisect_left(positions, first)
        if inside:
            found.append((first, end, begin, stop, inside))
    # Only the chosen sentences are tokenised and rendered.
    ranked = sorted(found, key=lambda item: -item[4])[:max_fragments]
    fragments = []
    for first, end, begin, stop, _inside in sorted(ranked):
        starts, ends = _word_offsets(text, first, begin, stop)
        fragments.append(_fragment(text, starts, ends, positions, first, end, stop))
    return fragments


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
