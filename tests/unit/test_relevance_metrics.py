"""The evaluation's metrics (bench/relevance.py), checked against hand-computed values."""

import math

import pytest

from bench.relevance import Outcome, Query, ndcg_at, recall_at, reciprocal_rank, summary

JUDGMENTS = {"a": 3, "b": 2, "c": 1}


def test_ndcg_of_a_hand_computed_ranking():
    # DCG  = (2^2-1)/log2(2) + 0 + (2^3-1)/log2(4)            = 3 + 3.5 = 6.5
    # IDCG = (2^3-1)/log2(2) + (2^2-1)/log2(3) + (2^1-1)/log2(4) = 7 + 1.8928 + 0.5
    ideal = 7 + 3 / math.log2(3) + 0.5
    assert ndcg_at(["b", "x", "a"], JUDGMENTS) == pytest.approx(6.5 / ideal)
    assert ndcg_at(["b", "x", "a"], JUDGMENTS) == pytest.approx(0.6920, abs=1e-4)


def test_ndcg_is_one_for_the_ideal_order_and_zero_for_nothing_relevant():
    assert ndcg_at(["a", "b", "c", "x"], JUDGMENTS) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], JUDGMENTS) == 0.0
    assert ndcg_at([], JUDGMENTS) == 0.0


def test_ndcg_counts_only_the_first_k_ranks():
    # At k=1 only "x" counts: nothing relevant; the ideal's first rank is "a".
    assert ndcg_at(["x", "a"], JUDGMENTS, k=1) == 0.0
    assert ndcg_at(["a", "x"], JUDGMENTS, k=1) == pytest.approx(1.0)


def test_recall_at_k_and_reciprocal_rank():
    assert recall_at(["b", "x", "a"], JUDGMENTS) == pytest.approx(2 / 3)
    assert recall_at(["x"] * 10 + ["a"], JUDGMENTS) == 0.0  # "a" is at rank 11
    assert reciprocal_rank(["b", "x", "a"], JUDGMENTS) == 1.0
    assert reciprocal_rank(["x", "y", "c"], JUDGMENTS) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y"], JUDGMENTS) == 0.0


def test_summary_averages_per_kind_and_overall():
    def outcome(kind: str, ndcg: float) -> Outcome:
        return Outcome(Query("q", "t", "en", kind, JUDGMENTS), [], ndcg, ndcg, ndcg, None, False)

    table = summary([outcome("cross", 0.5), outcome("cross", 1.0), outcome("same", 0.2)])
    assert table["cross"]["ndcg"] == pytest.approx(0.75)
    assert table["same"]["ndcg"] == pytest.approx(0.2)
    assert table["all"]["ndcg"] == pytest.approx(1.7 / 3)
    assert (table["cross"]["n"], table["same"]["n"], table["all"]["n"]) == (2, 1, 3)
