"""An Elasticsearch response -> SearchResult."""

from __future__ import annotations

import numpy as np

from indexer.fusion import with_translation
from indexer.highlight import clean_fragments
from indexer.query import FacetValue, Hit, SearchQuery


def _matched_languages(matched) -> tuple[str, ...]:
    """Languages whose named queries matched, best score first.

    `matched` is a dict name -> score (include_named_queries_score) or a list.
    """
    scores: dict[str, float] = {}
    items = matched.items() if isinstance(matched, dict) else ((name, 0.0) for name in matched or ())
    for name, score in items:
        if ":" not in name:  # the concept clause names no language
            continue
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


def doc_ids(response: dict) -> list[int]:
    return [int(raw["_source"]["doc_id"]) for raw in response["hits"]["hits"]]


def ranked(response: dict, vector: bool = False) -> list[tuple[int, float]]:
    """(id, score) of the hits; a kNN score for cosine is (1 + cosine) / 2."""
    return [(int(raw["_source"]["doc_id"]),
             2 * float(raw["_score"] or 0.0) - 1 if vector else float(raw["_score"] or 0.0))
            for raw in response["hits"]["hits"]]


def cosines_of(response: dict) -> list[tuple[int, float]]:
    """(id, cosine) of a kNN's hits searched without their source (build_cosines_body)."""
    return [(int(raw["_id"]), 2 * float(raw["_score"] or 0.0) - 1)
            for raw in response["hits"]["hits"]]


def vectors_of(response: dict) -> dict[int, np.ndarray]:
    """id -> stored vector of the hits whose _source carries one."""
    return {int(raw["_source"]["doc_id"]): np.asarray(raw["_source"]["vector"], dtype=np.float32)
            for raw in response["hits"]["hits"] if raw["_source"].get("vector")}


def total_of(response: dict) -> int:
    return response["hits"]["total"]["value"]


def page_hits(response: dict, order: list[int], scores: dict[int, float],
              reasons: dict[int, tuple[str, ...]]) -> list[Hit]:
    """Hits in the fused `order` (documents deleted meanwhile are left out)."""
    by_id = {int(raw["_source"]["doc_id"]): raw for raw in response["hits"]["hits"]}
    hits = []
    for doc_id in order:
        raw = by_id.get(doc_id)
        if raw is None:
            continue
        languages = _matched_languages(raw.get("matched_queries"))
        original = raw["_source"]["language"]
        hits.append(Hit(
            id=doc_id,
            score=scores.get(doc_id, 0.0),
            highlights=_highlights(raw.get("highlight", {}), languages, original),
            matched_languages=languages,
            reasons=with_translation(reasons.get(doc_id, ()), languages, original),
        ))
    return hits


def facets_of(response: dict, query: SearchQuery) -> dict[str, list[FacetValue]]:
    return {
        facet: [
            FacetValue(str(bucket["key"]), bucket["doc_count"])
            for bucket in response["aggregations"][facet]["values"]["buckets"]
        ]
        for facet in query.facets
    }
