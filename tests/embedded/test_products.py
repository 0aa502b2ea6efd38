"""The meaning signal's product in two halves gives every row's cosine, in row order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from indexer.embedded.products import SPLIT_FROM, product


@pytest.mark.parametrize("rows", [1, SPLIT_FROM - 1, SPLIT_FROM, 10_001])
def test_the_product_is_the_matrix_times_the_vector(rows):
    generator = np.random.default_rng(rows)
    matrix = generator.standard_normal((rows, 384)).astype(np.float32)
    vector = generator.standard_normal(384).astype(np.float32)
    assert np.allclose(product(matrix, vector), matrix @ vector, rtol=1e-5, atol=1e-5)


def test_searches_at_once_each_get_their_own_product():
    generator = np.random.default_rng(7)
    matrix = generator.standard_normal((SPLIT_FROM * 2, 384)).astype(np.float32)
    vectors = generator.standard_normal((8, 384)).astype(np.float32)
    with ThreadPoolExecutor(max_workers=4) as searches:
        products = list(searches.map(lambda vector: product(matrix, vector), vectors))
    for vector, found in zip(vectors, products):
        assert np.allclose(found, matrix @ vector, rtol=1e-5, atol=1e-5)
