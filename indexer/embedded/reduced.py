"""Reduced vectors: a meaning search's first pass over a smaller matrix, then exact cosines.

Reading the whole kNN matrix is memory-bound: 10k × 384 float32 take ~1 ms, 100k ~17 ms,
and a search reads it twice (the query's neighbours, then feedback's). From REDUCED_FROM
vectors on, the snapshot also keeps every vector projected on the matrix's KEPT main
directions (the top right singular vectors of a seeded sample: PCA without centring,
since inner products are what is approximated). A search scores that quarter-size matrix,
takes the best CANDIDATE_SHARE of the rows within the filters, and ranks those by their
exact cosine. It is approximate, like Elasticsearch's HNSW: a neighbour whose projection
scores below the candidates is missed. On real case-study vectors the candidates hold
~0.98 of the exact 20 nearest (`python -m bench.reduced_recall`, docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.embedded.products import product

# From this many vectors on, searches take the first pass; below it, the whole matrix.
REDUCED_FROM = 50_000
# Directions kept: ~90 % of the case-study vectors' energy (64: 82 %, 128: 93 %).
KEPT = 96
# The share of the rows ranked by their exact cosine (at least MIN_CANDIDATES).
CANDIDATE_SHARE = 0.03
MIN_CANDIDATES = 200
# Rows sampled for the directions, and the sample's seed (every worker finds the same).
SAMPLE_ROWS = 10_000
SEED = 7
# Rows projected at a time (bounded temporary memory).
BLOCK = 8192


@dataclass(frozen=True)
class Reduced:
    basis: np.ndarray  # (dimensions, KEPT), orthonormal columns
    matrix: np.ndarray  # (rows, KEPT): the snapshot's matrix times `basis`, row for row

    def candidates(self, vector: np.ndarray, inside: np.ndarray) -> np.ndarray:
        """The rows (within the boolean mask `inside`) whose projections score best."""
        scores = product(self.matrix, vector @ self.basis)
        scores[~inside] = -np.inf
        count = min(max(MIN_CANDIDATES, int(CANDIDATE_SHARE * len(scores))),
                    int(np.count_nonzero(inside)))
        if not count:
            return np.zeros(0, dtype=np.int64)
        return np.argpartition(-scores, count - 1)[:count]


def basis_of(vectors: np.ndarray, kept: int = KEPT) -> np.ndarray:
    """The `kept` main directions of a seeded sample of the rows."""
    rng = np.random.default_rng(SEED)
    sample = vectors[np.sort(rng.choice(len(vectors), min(SAMPLE_ROWS, len(vectors)),
                                        replace=False))]
    _values, _singular, directions = np.linalg.svd(sample, full_matrices=False)
    return np.ascontiguousarray(directions[:kept].T, dtype=np.float32)


def projected(vectors: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """vectors @ basis, a block of rows at a time."""
    out = np.empty((len(vectors), basis.shape[1]), dtype=np.float32)
    for start in range(0, len(vectors), BLOCK):
        out[start:start + BLOCK] = vectors[start:start + BLOCK] @ basis
    return out
