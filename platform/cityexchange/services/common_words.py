"""The collection's common words (indexer/common_words.py) as the web workers read them.

The indexer counts them (services/indexing.py: count_common_words) and keeps them in
the database, so both engines' queries read alike in every worker.
"""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CommonWordCount
from indexer.common_words import NONE, CommonWords

# A web worker reads the counts again after this long (the indexer is another process).
CACHE_SECONDS = 60.0
_CACHE = "cityex_common_words"


def current() -> CommonWords:
    """The counts as the database holds them, read at most every CACHE_SECONDS."""
    cached = current_app.extensions.get(_CACHE)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = db.session.scalars(select(CommonWordCount)).all()
    common = CommonWords(stems={row.language: frozenset(row.stems) for row in rows},
                         documents={row.language: row.documents for row in rows}) if rows else NONE
    current_app.extensions[_CACHE] = (time.monotonic(), common)
    return common


def forget() -> None:
    """This process counted them again: the next search reads them at once."""
    current_app.extensions.pop(_CACHE, None)
