"""The fusion rules both engines share (indexer/fusion.py)."""

import pytest

from indexer import fusion


def test_minimum_should_match_wants_most_words():
    assert [fusion.minimum_should_match(n) for n in range(1, 9)] == [1, 2, 2, 3, 4, 5, 6, 6]


def test_query_words_are_distinct_and_bounded():
    assert fusion.query_words("Bus bus BUS depot") == ["bus", "depot"]
    assert len(fusion.query_words(" ".join(f"w{i}" for i in range(100)))) == fusion.MAX_WORDS


def test_documents_found_by_several_signals_come_first():
    fused = fusion.fuse({"words": [(1, 9.0), (2, 5.0)], "concept": [(2, 1.0)],
                         "meaning": [(3, 0.40), (2, 0.35)]})
    assert [item.id for item in fused] == [2, 3, 1]
    assert fused[0].reasons == ("words", "concept", "meaning")


def test_scores_count_not_only_ranks():
    # A word match far below the best adds little; a concept the query names adds much,
    # and a document close in meaning gains in proportion to its calibrated cosine.
    fused = fusion.fuse({"words": [(1, 10.0), (2, 0.5)], "concept": [(3, 1.0)],
                         "meaning": [(4, fusion.MEANING_ONE),
                                     (2, (fusion.SIMILARITY_FLOOR + fusion.MEANING_ONE) / 2)]})
    assert [item.id for item in fused] == [3, 4, 2, 1]
    scores = {item.id: item.score for item in fused}
    assert scores[3] == fusion.WEIGHTS["concept"] and scores[1] == fusion.WEIGHTS["words"]


def test_meaning_adds_nothing_at_its_zero_and_its_full_weight_at_one():
    assert fusion.normalised("meaning", [(1, fusion.MEANING_ZERO), (2, fusion.MEANING_ONE),
                                         (3, 0.0)]) == [0.0, 1.0, 0.0]
    assert fusion.normalised("words", [(1, 8.0), (2, 2.0)]) == [1.0, 0.25]


def test_concept_ties_are_ordered_by_meaning():
    fused = fusion.fuse({"concept": [(1, 1.0), (2, 1.0), (3, 0.5)], "meaning": [(2, 0.9)]})
    assert [item.id for item in fused] == [2, 1, 3]


def test_a_match_in_a_translation_is_a_reason():
    assert fusion.with_translation(("words",), ("fr",), "de") == ("words", "translation")
    assert fusion.with_translation(("words",), ("de", "fr"), "de") == ("words",)
    assert fusion.with_translation(("meaning",), (), "de") == ("meaning",)


def test_feedback_is_the_score_weighted_mean_of_the_two_best_documents():
    fused = [fusion.Fused(1, 3.0, ("words",)), fusion.Fused(2, 1.0, ("meaning",)),
             fusion.Fused(3, 0.9, ("meaning",))]
    vectors = {1: [1.0, 0.0, 0.0], 2: [0.0, 1.0, 0.0], 3: [0.0, 0.0, 1.0]}
    assert fusion.feedback_ids(fused) == [1, 2]
    vector = fusion.feedback_vector(fused, vectors)
    assert vector.tolist() == pytest.approx([0.9486833, 0.3162278, 0.0])
    assert fusion.feedback_vector(fused, {}) is None


def test_feedback_adds_at_most_its_weight_and_says_meaning():
    assert fusion.normalised("feedback", [(1, 0.99), (2, fusion.FEEDBACK_ONE),
                                          (3, fusion.FEEDBACK_ZERO)]) == [1.0, 1.0, 0.0]
    fused = fusion.fuse({"words": [(1, 5.0)], "meaning": [(2, 0.40)],
                         "feedback": [(1, 0.99), (2, 0.50), (3, 0.52)]})
    assert [item.id for item in fused] == [2, 1, 3]
    assert {item.id: item.reasons for item in fused} == {
        1: ("words", "meaning"), 2: ("meaning",), 3: ("meaning",)}
    assert fused[-1].score == fusion.WEIGHTS["feedback"]


def test_the_meaning_candidates_are_what_words_and_concepts_found_beyond_the_neighbours():
    windows = {"words": [(1, 9.0), (2, 8.0)], "concept": [(2, 1.0), (3, 1.0)],
               "meaning": [(3, 0.5), (4, 0.4)]}
    assert fusion.meaning_candidates(windows) == [1, 2]
    assert fusion.meaning_candidates({"meaning": [(4, 0.4)]}) == []
    words = [(doc_id, 1.0) for doc_id in range(fusion.WINDOW + 5)]
    assert len(fusion.meaning_candidates({"words": words})) == fusion.WINDOW


def test_a_candidates_cosine_counts_and_is_a_reason_only_at_the_floor():
    neighbours = [(3, 0.5)]
    cosines = [(1, fusion.SIMILARITY_FLOOR - 0.02), (2, fusion.SIMILARITY_FLOOR + 0.02)]
    meaning = fusion.with_cosines(neighbours, cosines)
    assert [doc_id for doc_id, _cosine in meaning] == [3, 2, 1]
    fused = {item.id: item for item in fusion.fuse({"words": [(1, 1.0), (2, 1.0)],
                                                    "meaning": meaning})}
    # Found by the words, not among the neighbours: each adds its calibrated meaning, and
    # only the one at the neighbours' floor is called close in meaning.
    assert fused[1].score > fusion.WEIGHTS["words"] and fused[2].score > fused[1].score
    assert fused[1].reasons == ("words",)
    assert fused[2].reasons == ("words", "meaning")
