"""A small builder of SearchDocuments for the engine contract suite (no Flask, no DB)."""

from __future__ import annotations

from datetime import datetime, timedelta

from indexer import LanguageText, SearchDocument
from indexer.engine import Deletion

BASE_TIME = datetime(2024, 1, 1, 12, 0, 0)


def doc(id: int, title: str = "Untitled case study", *, summary: str = "", body: str = "",
        language: str = "en", version: int = 1, city: str = "Dortmund", country: str = "DE",
        year: int | None = 2024, topics: tuple[str, ...] = (),
        central_topics: tuple[str, ...] = (), partnerships: tuple[str, ...] = (),
        collections: tuple[str, ...] = (), translations: dict[str, dict] | None = None,
        published_days: int | None = None) -> SearchDocument:
    """One document; `published_days` after BASE_TIME (default: `id` days, so newer ids are newer)."""
    texts = {language: LanguageText(title=title, summary=summary, body=body)}
    for lang, fields in (translations or {}).items():
        texts[lang] = LanguageText(is_translation=True, **fields)
    days = id if published_days is None else published_days
    return SearchDocument(
        id=id, version=version, slug=f"case-study-{id}", language=language, texts=texts,
        city=city, country=country, year=year, topics=tuple(topics),
        central_topics=tuple(central_topics), partnerships=tuple(partnerships), collections=tuple(collections),
        published_at=BASE_TIME + timedelta(days=days),
    )


def index(engine, *documents: SearchDocument) -> int:
    """Index and make the writes visible, as the outbox drain does."""
    applied = engine.index(documents)
    engine.refresh()
    return applied


def delete(engine, id: int, version: int) -> int:
    removed = engine.delete([Deletion(id=id, version=version)])
    engine.refresh()
    return removed


def ids(result) -> list[int]:
    return [hit.id for hit in result.hits]


def counts(result, facet: str) -> dict[str, int]:
    return {value.value: value.count for value in result.facets[facet]}
