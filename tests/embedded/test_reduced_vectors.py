"""Reduced vectors (indexer/embedded/reduced.py): from REDUCED_FROM vectors on, a meaning
search scores a projected matrix first and ranks the best rows by their exact cosine.
Vectors here are clustered plain data, as case studies' are by topic; no model is needed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from indexer import SearchQuery, create_engine
from indexer.embedded import reduced, snapshot
from indexer.embedding import DIMENSIONS, to_bytes
from tests.engines.documents import doc, ids, index


def clustered(rows: int, topics: int, seed: int = 5, spread: float = 0.6) -> np.ndarray:
    """Unit vectors around `topics` random directions."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, DIMENSIONS)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = rng.standard_normal((rows, DIMENSIONS)).astype(np.float32) / np.sqrt(DIMENSIONS)
    vectors = centres[rng.integers(0, topics, rows)] + spread * noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_candidates_hold_the_nearest_vectors():
    vectors = clustered(5000, topics=60)
    basis = reduced.basis_of(vectors)
    first_pass = reduced.Reduced(basis, reduced.projected(vectors, basis))
    assert first_pass.matrix.shape == (5000, reduced.KEPT)
    everywhere = np.ones(5000, dtype=bool)
    shares = []
    for row in range(0, 5000, 50):
        query = vectors[row]
        exact = set(np.argsort(-(vectors @ query))[:20].tolist())
        rows = first_pass.candidates(query, everywhere)
        assert len(rows) == reduced.MIN_CANDIDATES  # 3 % of 5,000 is fewer
        shares.append(len(exact & set(rows.tolist())) / 20)
    assert np.mean(shares) >= 0.95
    # Only rows inside the filter are candidates.
    inside = np.arange(5000) % 7 == 0
    assert all(row % 7 == 0 for row in first_pass.candidates(vectors[3], inside))


@pytest.fixture
def engine_with_first_pass(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "REDUCED_FROM", 100)
    monkeypatch.setattr(reduced, "MIN_CANDIDATES", 30)
    engine = create_engine("embedded", path=str(tmp_path / "search-index"))
    yield engine
    engine.close()


def held_snapshot(engine) -> snapshot.Snapshot:
    return next(iter(engine._snapshots._snapshots.values()))


def test_each_document_is_found_by_its_vector_and_filters_hold(engine_with_first_pass):
    engine = engine_with_first_pass
    vectors = clustered(300, topics=12, spread=0.35)
    cities = ["Dortmund", "Essen", "Lyon", "Buffalo", "Gdańsk", "Bilbao", "Utrecht", "Turin"]
    index(engine, *[replace(doc(i, f"Study {i}", city=cities[i % len(cities)]),
                            vector=to_bytes(vectors[i - 1])) for i in range(1, 301)])
    for i in (1, 77, 150, 299):
        result = engine.search(SearchQuery(text="unrelated words", vector=to_bytes(vectors[i - 1])))
        assert ids(result)[0] == i
    assert held_snapshot(engine).reduced is not None
    # One city's 37 case studies: all are candidates, so its neighbours are exact.
    query = vectors[9]
    lyon = engine.search(SearchQuery(text="unrelated words", vector=to_bytes(query),
                                     filters={"city": ("Lyon",)}, per_page=50))
    rows = [i for i in range(1, 301) if cities[i % len(cities)] == "Lyon"]
    cosines = {i: float(vectors[i - 1] @ query) for i in rows}
    expected = sorted((i for i in rows if cosines[i] >= 0.30), key=lambda i: -cosines[i])
    assert ids(lyon) == expected[:20]


def test_documents_added_later_are_projected_on_the_same_directions(engine_with_first_pass):
    engine = engine_with_first_pass
    vectors = clustered(260, topics=12, spread=0.35)
    index(engine, *[replace(doc(i, f"Study {i}"), vector=to_bytes(vectors[i - 1]))
                    for i in range(1, 241)])
    engine.search(SearchQuery())
    basis = held_snapshot(engine).reduced.basis
    index(engine, *[replace(doc(i, f"Study {i}"), vector=to_bytes(vectors[i - 1]))
                    for i in range(241, 261)])
    for i in (241, 250, 260):
        result = engine.search(SearchQuery(text="unrelated words", vector=to_bytes(vectors[i - 1])))
        assert ids(result)[0] == i
    updated = held_snapshot(engine)
    assert updated.reduced.basis is basis  # updated, not computed again
    assert updated.reduced.matrix.shape == (260, reduced.KEPT)
