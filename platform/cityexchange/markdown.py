"""User Markdown to safe HTML: markdown-it-py renders, nh3 sanitises."""

from __future__ import annotations

import re
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


def plain_text(text: str | None) -> str:
    """Markdown reduced to its words, for search documents and snippets."""
    html = _md.render(text or "")
    # nh3 leaves entities escaped; the document holds plain text, escaped again on output.
    return re.sub(r"\s+", " ", unescape(nh3.clean(html, tags=set()))).strip()
