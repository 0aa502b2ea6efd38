"""SearchQuery -> an Elasticsearch request body, built as objects, never as strings.

- The literal query runs against each language's fields with that language's
  analyzer (one named multi_match per language), expansions as phrases with
  a lower boost.
- Filters go into post_filter so aggregations can ignore a facet's own
  selection: each facet's aggregation is filtered by all the OTHER facets
  (disjunctive counts).
"""

from __future__ import annotations

from indexer.analysis import LANGUAGES
from indexer.elasticsearch.mapping import all_text_fields, language_fields
from indexer.query import SearchQuery

FRAGMENT_SIZE = 160
# A few more than the three shown: results.py drops fragments whose only marks are
# function words, and lines without a mark.
REQUESTED_FRAGMENTS = 5


def _text_query(query: SearchQuery) -> dict:
    if query.is_browse:
        return {"match_all": {}}
    should = []
    for language in LANGUAGES:
        clause = {
            "query": query.text,
            "fields": language_fields(language),
            "type": "most_fields",
            "operator": "or",
            "_name": f"lit:{language}",
        }
        if query.fuzzy:
            clause["fuzziness"] = "AUTO"
            clause["prefix_length"] = 1
        should.append({"multi_match": clause})
    for number, expansion in enumerate(query.expansions):
        if expansion.language not in LANGUAGES:
            continue
        should.append({
            "multi_match": {
                "query": expansion.text,
                "fields": language_fields(expansion.language),
                "type": "phrase",
                "boost": expansion.boost,
                "_name": f"exp:{expansion.language}:{number}",
            }
        })
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _facet_filter(filters: dict[str, tuple[str, ...]], skip: str | None = None) -> list[dict]:
    """AND across facets, OR within one (terms); `skip` leaves one facet out."""
    return [
        {"terms": {facet: list(values)}}
        for facet, values in filters.items()
        if facet != skip and values
    ]


def _aggregations(query: SearchQuery) -> dict:
    aggs = {}
    for facet in query.facets:
        others = _facet_filter(query.filters, skip=facet)
        aggs[facet] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": {"values": {"terms": {
                "field": facet,
                "size": query.facet_size,
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }}},
        }
    return aggs


def _sort(query: SearchQuery) -> list:
    newest = [{"published_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "desc"}]
    if query.sort == "newest" or query.is_browse:
        return newest
    return ["_score", *newest]


def _highlight() -> dict:
    fields = {}
    for name in all_text_fields():
        if name.startswith("title_"):
            fields[name] = {"number_of_fragments": 0}
        else:
            fields[name] = {"fragment_size": FRAGMENT_SIZE,
                            "number_of_fragments": REQUESTED_FRAGMENTS}
    return {
        "type": "unified",
        "boundary_scanner": "sentence",
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fields": fields,
    }


def build_search_body(query: SearchQuery) -> dict:
    body = {
        "query": _text_query(query),
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": True,
        "sort": _sort(query),
        "_source": ["doc_id", "language"],
        "aggs": _aggregations(query),
    }
    post_filter = _facet_filter(query.filters)
    if post_filter:
        body["post_filter"] = {"bool": {"filter": post_filter}}
    if not query.is_browse and query.highlight:
        body["highlight"] = _highlight()
    return body
