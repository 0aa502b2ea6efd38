"""An Elasticsearch response -> SearchResult."""

from __future__ import annotations

from indexer.highlight import clean_fragments
from indexer.query import FacetValue, Hit, SearchQuery, SearchResult


def _matched_languages(matched) -> tuple[str, ...]:
    """Languages whose named queries matched, best score first.

    `matched` is a dict name -> score (include_named_queries_score) or a list.
    """
    scores: dict[str, float] = {}
    items = matched.items() if isinstance(matched, dict) else ((name, 0.0) for name in matched or ())
    for name, score in items:
        language = name.split(":")[1]
        scores[language] = scores.get(language, 0.0) + float(score or 0.0)
    return tuple(sorted(scores, key=lambda lang: -scores[lang]))


def _highlights(raw: dict, languages: tuple[str, ...], original: str) -> dict[str, list[str]]:
    """Fragments of the best-matching language, keyed by title/summary/body, under the
    embedded engine's rules (indexer.highlight.clean_fragments: no marked function
    words, no heading glued to a sentence)."""
    for language in (*languages, original):
        found = {}
        for field in ("title", "summary", "body"):
            fragments = clean_fragments(raw.get(f"{field}_{language}") or [], language)
            if fragments:
                found[field] = fragments
        if found:
            return found
    return {}


def to_result(response: dict, query: SearchQuery) -> SearchResult:
    hits = []
    for raw in response["hits"]["hits"]:
        languages = _matched_languages(raw.get("matched_queries"))
        hits.append(Hit(
            id=int(raw["_source"]["doc_id"]),
            score=float(raw.get("_score") or 0.0),
            highlights=_highlights(raw.get("highlight", {}), languages, raw["_source"]["language"]),
            matched_languages=languages,
        ))
    facets = {
        facet: [
            FacetValue(str(bucket["key"]), bucket["doc_count"])
            for bucket in response["aggregations"][facet]["values"]["buckets"]
        ]
        for facet in query.facets
    }
    return SearchResult(total=response["hits"]["total"]["value"], hits=hits, facets=facets)
