"""User Markdown to safe HTML: markdown-it-py renders, nh3 sanitises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from html import unescape

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in Markdown is not rendered at all; nh3 is the second wall.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"style"},
                       "td": {"style"}}


def render_markdown(text: str | None) -> Markup:
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


# Within reuse_plain_text(): text -> plain text, so each text is rendered once.
_reuse: ContextVar[dict[str, str] | None] = ContextVar("plain_text_reuse", default=None)


@contextmanager
def reuse_plain_text() -> Iterator[None]:
    """Render each distinct text once inside the block (an import batch renders a
    body for concept tagging and again for its search document)."""
    token = _reuse.set({})
    try:
        yield
    finally:
        _reuse.reset(token)


def plain_text(text: str | None) -> str:
    """Markdown reduced to its words, for search documents and snippets."""
    memo = _reuse.get()
    if memo is None:
        return _plain_text(text)
    if text not in memo:
        memo[text] = _plain_text(text)
    return memo[text]


# One line without markup characters, not starting like a block (heading, list,
# quote...): Markdown keeps it as it is, so rendering is skipped (same output).
_MARKUP = re.compile(r"[\\`*_\[\]<>&\x00-\x1f\x7f]")
_BLOCK_START = re.compile(r"\s*[#>\-+=|~\d]")
# Where a block (paragraph, heading, list item, cell...) ends: a line break in the text.
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre|tr|th|td)>|<br\s*/?>|<hr\s*/?>")
# With {"html": False} every "<" of the text is escaped: the tags left are the renderer's.
_TAG = re.compile(r"<[^>]*>")


def _lines(text: str) -> str:
    """Runs of spaces as one space, one line per non-empty line, trimmed (str.split is
    several times faster than the same regular expressions on a long body)."""
    return "\n".join(filter(None, (" ".join(line.split()) for line in text.split("\n"))))


def _plain_text(text: str | None) -> str:
    """Markdown as plain text, one line per block: a heading stays a line of its own,
    so snippets can cut there instead of gluing it to the next sentence."""
    if not text:
        return ""
    if not _MARKUP.search(text) and not _BLOCK_START.match(text) and "\n" not in text:
        return " ".join(text.split())
    # Soft line breaks inside a paragraph are spaces; block ends become line breaks.
    html = _BLOCK_END.sub(lambda end: end.group(0) + "\n", _md.render(text).replace("\n", " "))
    # The document holds plain text (entities decoded), escaped again on output.
    return _lines(unescape(_TAG.sub("", html)))
