"""SearchQuery -> Elasticsearch request bodies, built as objects, never as strings.

A text search (indexer/fusion.py defines the method):
- one `_msearch` of "words", "concept", "meaning": each signal's ranked window
  within the filters; they are fused. While the model is still embedding the
  query, "words" and "concept" go first and "meaning" follows once the vector
  is there (the engine's search and the model overlap);
- with the query's vector, "feedback": the kNN window of the fused best
  documents' mean vector (their vectors come with the "meaning" window, or by
  `build_vectors_body` when words or a concept alone found one), fused with the
  others;
- "count": words OR concept, plus the kNN neighbours (of the query's vector and of
  the feedback vector) within the filters; its total and aggregations are what
  counts. Filters go into post_filter so each facet's aggregation ignores its own
  selection (disjunctive counts). Without a vector it goes with the first
  `_msearch`; with one, beside the page's request once the fused page is full.
The fused page is then fetched once more with highlights (`build_page_body`).
Browsing and "newest" need only the "count" request, sorted.
"""

from __future__ import annotations

import numpy as np

from indexer import fusion
from indexer.analysis import LANGUAGES, analyze_words, tokenize
from indexer.elasticsearch.mapping import all_text_fields, language_fields
from indexer.embedding import from_bytes
from indexer.query import Expansion, SearchQuery
from indexer.spelling import with_accents

FRAGMENT_SIZE = 160
# kNN candidates per shard: k is small, so this keeps the HNSW search close to exact.
NUM_CANDIDATES = 500
# fusion.minimum_should_match in Elasticsearch's syntax, applied to the clauses its own
# analysis makes ("O'Hare" is one word there, two in the embedded engine): all of up
# to two, all but one of up to seven, then all but a quarter.
MINIMUM_SHOULD_MATCH = "2<-1 7<-25%"
# A few more than the three shown: results.py drops fragments whose only marks are
# function words, and lines without a mark.
REQUESTED_FRAGMENTS = 5


def _word_clauses(query: SearchQuery) -> list[dict]:
    """Per language with words: BM25 over its fields as one field (combined_fields, as
    FTS5 scores a row), with minimum_should_match counted as the embedded engine does."""
    clauses = []
    for language in LANGUAGES:
        # Words typed without their accents spelt as the language spells them, as the
        # embedded engine reads them (indexer.spelling.with_accents).
        spelt = with_accents(query.text, language)
        words = fusion.query_words(spelt)
        if not any(analyze_words(words, language)):
            continue
        # The text as typed unless it is longer than the words lexical matching uses.
        text = spelt if len(tokenize(spelt)) <= fusion.MAX_WORDS else " ".join(words)
        # No edit-distance fuzziness: typos are corrected before the search
        # (crosslang), for both engines alike, so both count the same hits.
        clauses.append({"combined_fields": {"query": text, "fields": language_fields(language),
                                            "minimum_should_match": MINIMUM_SHOULD_MATCH,
                                            "_name": f"lit:{language}"}})
    clauses += [_expansion_clause(number, expansion)
                for number, expansion in enumerate(query.expansions)
                if expansion.language in LANGUAGES]
    return clauses


def _expansion_clause(number: int, expansion: Expansion) -> dict:
    return {"multi_match": {"query": expansion.text, "fields": language_fields(expansion.language),
                            "type": "phrase", "boost": expansion.boost,
                            "_name": f"exp:{expansion.language}:{number}"}}


def _words_query(query: SearchQuery) -> dict | None:
    clauses = _word_clauses(query)
    return {"bool": {"should": clauses, "minimum_should_match": 1}} if clauses else None


def _concept_query(query: SearchQuery) -> dict | None:
    """One clause on the topic field: a point per concept of the query the document has,
    the rest of it where its title or summary names it (fusion.concept_parts)."""
    parts = fusion.concept_parts(query.concepts, query.narrower_concepts)
    if not parts:
        return None
    should = []
    for concept, tagged_weight, central_weight in parts:
        should.append({"constant_score": {"filter": {"term": {"topic": concept}},
                                          "boost": tagged_weight}})
        if central_weight:
            should.append({"constant_score": {"filter": {"term": {"central_topic": concept}},
                                              "boost": central_weight}})
    return {"bool": {"should": should, "minimum_should_match": 1, "_name": "concept"}}


def _knn(query: SearchQuery, feedback: np.ndarray | None = None) -> dict | None:
    """The kNN section of the query's vector (None without one), or of `feedback`."""
    if feedback is not None:
        return _knn_section(query, feedback, fusion.FEEDBACK_NEIGHBOURS, fusion.FEEDBACK_FLOOR)
    vector = query.meaning_vector()
    if vector is None:
        return None
    return _knn_section(query, from_bytes(vector), fusion.K_NEIGHBOURS, fusion.SIMILARITY_FLOOR)


def _knn_section(query: SearchQuery, vector: np.ndarray, k: int, floor: float) -> dict:
    knn = {"field": "vector", "query_vector": np.asarray(vector, dtype=np.float32).tolist(),
           "k": k, "num_candidates": NUM_CANDIDATES, "similarity": floor}
    filters = _facet_filter(query.filters)
    if filters:
        knn["filter"] = {"bool": {"filter": filters}}
    return knn


def _matching_query(query: SearchQuery) -> dict:
    """Words or concept (the kNN neighbours join through the request's knn section)."""
    if query.is_browse:
        return {"match_all": {}}
    found = [clause for clause in (_words_query(query), _concept_query(query)) if clause]
    if not found:
        return {"match_none": {}}
    return {"bool": {"should": found, "minimum_should_match": 1}}


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


NEWEST = ({"published_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "desc"})


def _sort(query: SearchQuery) -> list:
    if query.sort == "newest" or query.is_browse:
        return list(NEWEST)
    return ["_score", *NEWEST]


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


def build_count_body(query: SearchQuery, *, size: int = 0,
                     feedback: np.ndarray | None = None) -> dict:
    """Total and facet counts over what counts (with the `feedback` vector's neighbours);
    with `size`, also hits newest first."""
    body = {
        "query": _matching_query(query),
        "size": size,
        "from": query.offset if size else 0,
        "track_total_hits": True,
        "_source": ["doc_id", "language"],
        "aggs": _aggregations(query),
    }
    knn = None if query.is_browse else _knn(query)
    if knn:
        body["knn"] = knn if feedback is None else [knn, _knn(query, feedback)]
    if size:
        body["sort"] = _sort(query)
    post_filter = _facet_filter(query.filters)
    if post_filter:
        body["post_filter"] = {"bool": {"filter": post_filter}}
    return body


def _window_body(signal_query: dict, query: SearchQuery) -> dict:
    """One signal's ranked window within the filters: by score, then newest."""
    return {
        "query": {"bool": {"must": [signal_query], "filter": _facet_filter(query.filters)}},
        "size": fusion.WINDOW,
        "track_total_hits": False,
        "_source": ["doc_id"],
        "sort": ["_score", *NEWEST],
    }


def build_lexical_bodies(query: SearchQuery) -> dict[str, dict]:
    """signal -> request body of its window (indexer/fusion.py), for the signals that
    need no vector: words and concept."""
    bodies = {}
    words = _words_query(query)
    if words:
        bodies["words"] = _window_body(words, query)
    concept = _concept_query(query)
    if concept:
        bodies["concept"] = _window_body(concept, query)
    return bodies


def build_meaning_body(query: SearchQuery) -> dict | None:
    """The meaning signal's window: the query vector's neighbours (None without one;
    waits for a vector the model is still computing)."""
    knn = _knn(query)
    if knn is None:
        return None
    # With their vectors: the feedback's best documents are mostly among them, and
    # then need no request of their own (20 vectors: ~80 kB of JSON).
    return {"knn": knn, "size": fusion.K_NEIGHBOURS,
            "track_total_hits": False, "_source": ["doc_id", "vector"]}


def build_cosines_body(query: SearchQuery, ids: list[int]) -> dict:
    """The cosine of the query's vector to each of `ids` that has a vector: a kNN among
    them only, k all of them (Lucene searches a filter that leaves no more documents
    than k exactly). The final fusion adds them to the meaning list (indexer.fusion)."""
    knn = {"field": "vector", "query_vector": from_bytes(query.meaning_vector()).tolist(),
           "k": len(ids), "num_candidates": len(ids), "filter": {"terms": {"doc_id": ids}}}
    # Ids from _id: no stored source to read for a hundred or two hits.
    return {"knn": knn, "size": len(ids), "track_total_hits": False, "_source": False}


def build_vectors_body(ids: list[int]) -> dict:
    """The stored vectors of some documents (the feedback's best documents)."""
    return {"query": {"terms": {"doc_id": ids}}, "size": len(ids),
            "_source": ["doc_id", "vector"]}


def build_feedback_body(query: SearchQuery, feedback: np.ndarray) -> dict:
    """The feedback signal's window: the neighbours of the feedback vector."""
    return {"knn": _knn(query, feedback), "size": fusion.FEEDBACK_NEIGHBOURS,
            "track_total_hits": False, "_source": ["doc_id"]}


def build_page_body(query: SearchQuery, ids: list[int]) -> dict:
    """The fused page's documents, with the words' highlights and matching languages."""
    words = _words_query(query)
    body = {
        "query": {"bool": {"filter": [{"terms": {"doc_id": ids}}],
                           **({"should": [words]} if words else {})}},
        "size": len(ids),
        "_source": ["doc_id", "language"],
    }
    if words and query.highlight:
        body["highlight"] = _highlight()
    return body
