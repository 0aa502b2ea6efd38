"""The fusion rules both engines share (indexer/fusion.py)."""

from indexer import fusion


def test_minimum_should_match_wants_most_words():
    assert [fusion.minimum_should_match(n) for n in range(1, 9)] == [1, 2, 2, 3, 4, 5, 6, 6]


def test_query_words_are_distinct_and_bounded():
    assert fusion.query_words("Bus bus BUS depot") == ["bus", "depot"]
    assert len(fusion.query_words(" ".join(f"w{i}" for i in range(100)))) == fusion.MAX_WORDS


def test_rrf_rewards_documents_ranked_by_several_signals():
    fused = fusion.fuse({"words": [(1, 9.0), (2, 5.0)], "concept": [(2, 1.0)],
                         "meaning": [(3, 0.9), (2, 0.85)]})
    assert [item.id for item in fused] == [2, 1, 3]
    assert fused[0].reasons == ("words", "concept", "meaning")


def test_concept_ties_are_ordered_by_meaning():
    fused = fusion.fuse({"concept": [(1, 1.0), (2, 1.0), (3, 0.5)], "meaning": [(2, 0.9)]})
    assert [item.id for item in fused] == [2, 1, 3]


def test_a_match_in_a_translation_is_a_reason():
    assert fusion.with_translation(("words",), ("fr",), "de") == ("words", "translation")
    assert fusion.with_translation(("words",), ("de", "fr"), "de") == ("words",)
    assert fusion.with_translation(("meaning",), (), "de") == ("meaning",)
