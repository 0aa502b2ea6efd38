"""The collection's common words: counted by the indexer into the database, read by the
search, so the model reads "hydrogen buses in cities" as "hydrogen buses" once most
English case studies are about a city (indexer/common_words.py)."""

from __future__ import annotations

from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CommonWordCount
from cityexchange.services import indexing
from cityexchange.services.embeddings import get_embedder
from indexer.common_words import MIN_DOCUMENTS
from indexer.embedding import clear_query_cache, query_vector_later
from tests.factories import make_case_study

TOPICS = ["tree planting", "night buses", "school streets", "heat pumps", "food council",
          "flood barriers", "youth council", "bike lanes", "street lights", "library hours"]


def publish_city_case_studies(n: int, start: int = 0) -> None:
    for number in range(start, start + n):
        make_case_study(f"{TOPICS[number % len(TOPICS)].capitalize()} {number}",
                        body=f"The city of Town {number} tried {TOPICS[number % len(TOPICS)]}.")


def counted() -> dict[str, CommonWordCount]:
    return {row.language: row for row in db.session.scalars(select(CommonWordCount))}


def test_the_worker_counts_the_common_words_and_the_search_reads_the_query_without_them(
        app, client):
    publish_city_case_studies(MIN_DOCUMENTS + 1)
    assert counted() == {}
    assert indexing.run_indexer(once=True, echo=lambda _line: None)
    english = counted()["en"]
    assert english.documents == MIN_DOCUMENTS + 1 and english.published == MIN_DOCUMENTS + 1
    assert "citi" in english.stems and "tree" not in english.stems

    clear_query_cache()
    response = client.get("/api/v1/search", query_string={"q": "hydrogen buses in cities"})
    assert response.status_code == 200
    # The model read the query without "in cities": that vector is the one now cached.
    assert query_vector_later(get_embedder(), "hydrogen buses").done()
    assert not query_vector_later(get_embedder(), "hydrogen buses in cities").done()


def test_the_worker_counts_again_once_the_published_case_studies_moved_a_twentieth(app):
    publish_city_case_studies(MIN_DOCUMENTS)
    assert indexing.count_common_words_if_stale()
    assert not indexing.count_common_words_if_stale()
    publish_city_case_studies(1, start=MIN_DOCUMENTS)  # 21 of 20: 5 %, not more
    assert not indexing.count_common_words_if_stale()
    publish_city_case_studies(1, start=MIN_DOCUMENTS + 1)
    assert indexing.count_common_words_if_stale()
    assert counted()["en"].published == MIN_DOCUMENTS + 2


def test_a_rebuild_counts_them_and_a_small_collection_has_none(app):
    publish_city_case_studies(3)
    make_case_study("Wasserstoffbusse", body="Die Stadt kauft Busse.", language="de")
    indexing.rebuild_index()
    rows = counted()
    assert {language: row.documents for language, row in rows.items()} == {"en": 3, "de": 1}
    assert all(row.stems == [] for row in rows.values())
