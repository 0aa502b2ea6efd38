"""The search document: plain data the portal builds from a case study."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime


@dataclass(frozen=True)
class LanguageText:
    """Title, summary and body of a case study in one language."""

    title: str
    summary: str = ""
    body: str = ""
    # False for the original text, True for a contributor's translation.
    is_translation: bool = False


@dataclass(frozen=True)
class SearchDocument:
    """Everything an engine indexes about one published case study.

    `id` is the case study's database id; `version` its revision number, used
    as an external version so an older write never overwrites a newer one.
    """

    id: int
    version: int
    slug: str
    language: str
    texts: dict[str, LanguageText]
    city: str
    country: str
    year: int | None = None
    topics: tuple[str, ...] = ()
    # The topics its title or summary names (in any of its languages): what it is about,
    # not what its body mentions on the way (indexer.thesaurus.named_in_headline). A
    # subset of `topics`: the engines count a central topic only as part of a topic.
    central_topics: tuple[str, ...] = ()
    partnerships: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    published_at: datetime | None = None
    # Open for later facets (status, funding programme, ...): name -> values.
    extra_facets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The meaning of the text (indexer/embedding.py), little-endian float32; None
    # until the indexer has computed it: the document is still found lexically.
    vector: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def original(self) -> LanguageText:
        return self.texts[self.language]

    def facet_values(self, facet: str) -> tuple[str, ...]:
        """The values this document holds for one facet, as strings."""
        if facet == "city":
            return (self.city,)
        if facet == "country":
            return (self.country,)
        if facet == "language":
            return (self.language,)
        if facet == "year":
            return (str(self.year),) if self.year is not None else ()
        if facet == "topic":
            return self.topics
        if facet == "partnership":
            return self.partnerships
        if facet == "collection":
            return self.collections
        return self.extra_facets.get(facet, ())

    def content_hash(self) -> str:
        """A stable hash of the content, to compare index and database."""
        # What asdict(self) gives, without its deep copies (this runs for every write).
        # The vector derives from the texts and is not part of the content.
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "vector"}
        data["texts"] = {language: {f.name: getattr(text, f.name) for f in fields(text)}
                         for language, text in self.texts.items()}
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        raw = json.dumps(data, sort_keys=True, ensure_ascii=False, default=list)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()
