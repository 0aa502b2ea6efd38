"""The meaning signal's matrix-vector products, read by two cores at once.

A product over the vector matrix is memory-bound (10k × 384 float32: 15 MB, ~1.5 ms
from memory on one core of the bench host), and OpenBLAS's own threads spin while they
wait (kept to one in searching.py). The lower half of the rows is multiplied by the
calling thread, the upper half by a helper thread meanwhile (numpy lets go of the GIL):
~0.9 ms instead of ~1.5 at 10k (docs/benchmarks.md). Each row's cosine is one dot
product, computed by the same kernel either way.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Below this many rows the matrix is in the cache and handing half over costs more.
SPLIT_FROM = 4096
_UPPER_HALVES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matrix-half")


def product(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector. Never call it from the helper thread itself (it would wait on
    itself)."""
    if len(matrix) < SPLIT_FROM:
        return matrix @ vector
    half = len(matrix) // 2
    upper = _UPPER_HALVES.submit(np.matmul, matrix[half:], vector)
    try:
        lower = matrix[:half] @ vector
    finally:
        rest = upper.result()
    return np.concatenate([lower, rest])
