"""URL slugs from titles and names."""

from __future__ import annotations

import re

from sqlalchemy import select

from cityexchange.extensions import db
from indexer.analysis import fold


def slugify(text: str, max_length: int = 80) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text.casefold())).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def unique_slug(model, text: str) -> str:
    """slugify(text), with -2, -3, ... appended while the slug is taken."""
    base = slugify(text)
    slug, counter = base, 2
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        slug = f"{base}-{counter}"
        counter += 1
    return slug
