"""SearchDocument <-> the Elasticsearch _source of the case-study index."""

from __future__ import annotations

from indexer.documents import SearchDocument
from indexer.embedding import from_bytes
from indexer.elasticsearch.mapping import text_field
from indexer.query import FACETS


def to_source(document: SearchDocument) -> dict:
    source = {
        "doc_id": document.id,
        "slug": document.slug,
        "language": document.language,
        "translation_languages": sorted(
            lang for lang, text in document.texts.items() if text.is_translation
        ),
        "published_at": document.published_at.isoformat() if document.published_at else None,
        "content_hash": document.content_hash(),
    }
    if document.vector is not None:
        source["vector"] = from_bytes(document.vector).tolist()
    for facet in FACETS:
        if facet != "language":
            source[facet] = list(document.facet_values(facet))
    source["central_topic"] = list(document.central_topics)
    for language, text in document.texts.items():
        source[text_field("title", language)] = text.title
        source[text_field("summary", language)] = text.summary
        source[text_field("body", language)] = text.body
    return source
