"""The int8 first pass (indexer/embedded/quantized.py): between QUANTIZED_FROM and
REDUCED_FROM vectors, a meaning search scores int8 rows first, then the rows that may be
among the nearest exactly. Unlike the reduced pass it must miss nothing: the neighbours
are the whole float32 matrix's. Vectors here are clustered plain data; no model."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

from indexer import SearchQuery, create_engine, fusion
from indexer.embedded import quantized, searching, snapshot
from indexer.embedding import to_bytes
from tests.embedded.test_reduced_vectors import clustered, held_snapshot
from tests.engines.documents import doc, ids, index


def exact_neighbours(vectors, vector, inside, floor, k):
    cosines = vectors @ vector
    rows = [row for row in np.argsort(-cosines, kind="stable")
            if inside[row] and cosines[row] >= floor][:k]
    return {row: float(cosines[row]) for row in rows}


def test_each_approximate_cosine_is_within_its_bound():
    vectors = clustered(3000, topics=40).astype(np.float32)
    first_pass = quantized.quantized_of(vectors)
    rng = np.random.default_rng(3)
    queries = [*vectors[::300], *rng.standard_normal((5, vectors.shape[1])).astype(np.float32)]
    for query in queries:
        query = query / np.linalg.norm(query)
        approximate = first_pass.first_pass(query)
        misses = np.abs(vectors @ query - approximate.cosines)
        assert np.all(misses <= approximate.errors)
        # The bound is loose but not useless: the first pass must leave few rows.
        assert approximate.errors.max() < 0.05


def test_the_bound_holds_where_every_rounding_goes_the_same_way():
    # Every coordinate but the largest half a step off, in both the row and the query:
    # the errors add up to nearly the bound (a bound missing either rounding fails).
    row = np.full(384, 63.5, dtype=np.float32)
    row[0] = 127.0
    first_pass = quantized.quantized_of(np.stack([row, -row]))
    approximate = first_pass.first_pass(row)
    misses = np.abs(np.stack([row, -row]) @ row - approximate.cosines)
    assert np.all(misses <= approximate.errors)
    assert np.all(misses > 0.99 * approximate.errors)


@pytest.mark.parametrize("floor, k", [(fusion.SIMILARITY_FLOOR, fusion.K_NEIGHBOURS),
                                      (fusion.FEEDBACK_FLOOR, fusion.FEEDBACK_NEIGHBOURS),
                                      (-1.0, 20)])
def test_the_candidates_hold_every_nearest_row_and_few_others(floor, k):
    vectors = clustered(5000, topics=60, spread=0.8).astype(np.float32)
    first_pass = quantized.quantized_of(vectors)
    everywhere = np.ones(len(vectors), dtype=bool)
    one_in_seven = np.arange(len(vectors)) % 7 == 0
    kept = []
    for row in range(0, 5000, 97):
        query = vectors[row] + 0.3 * vectors[(row * 31) % 5000]
        query /= np.linalg.norm(query)
        approximate = first_pass.first_pass(query)
        for inside in (everywhere, one_in_seven):
            rows = first_pass.candidates(approximate, inside, floor, k)
            assert set(exact_neighbours(vectors, query, inside, floor, k)) <= set(rows.tolist())
            assert np.all(inside[rows]) and np.all(np.diff(rows) > 0)
            kept.append(len(rows))
    assert np.median(kept) < 0.05 * len(vectors)


def same_neighbours(found: dict, expected: dict) -> bool:
    """The same documents in the same order, each cosine the same to float32 rounding
    (a product over some rows may sum a dot product in another order than over all)."""
    return list(found) == list(expected) and np.allclose(
        list(found.values()), list(expected.values()), rtol=0, atol=1e-6)


def test_the_neighbours_are_the_whole_matrix_s():
    vectors = clustered(4500, topics=50, spread=0.7).astype(np.float32)  # as the engine holds them
    ids_ = np.arange(1, 4501, dtype=np.int64)
    plain = snapshot.Snapshot("plain", 1, 0, {}, {}, vector_ids=ids_, vectors=vectors)
    first = replace(plain, int8_rows=quantized.Int8Rows(vectors))
    quantized.built()
    inside = np.arange(4500) % 3 != 0
    for row in range(0, 4500, 150):
        query = vectors[row]
        for floor, k in ((fusion.SIMILARITY_FLOOR, fusion.K_NEIGHBOURS),
                         (fusion.FEEDBACK_FLOOR, fusion.FEEDBACK_NEIGHBOURS)):
            expected = searching._neighbours(plain, query, inside, floor, k)
            assert same_neighbours(searching._neighbours(first, query, inside, floor, k),
                                   expected)
            # Computed ahead by the model's thread, as a search does.
            ahead = searching._first_pass(first, query)
            assert same_neighbours(
                searching._neighbours(first, query, inside, floor, k, first=ahead), expected)


@pytest.fixture
def engine_with_int8_pass(tmp_path, monkeypatch):
    monkeypatch.setattr(quantized, "QUANTIZED_FROM", 100)
    engine = create_engine("embedded", path=str(tmp_path / "search-index"))
    yield engine
    engine.close()


def test_the_engine_searches_the_int8_rows_and_keeps_them_current(engine_with_int8_pass):
    engine = engine_with_int8_pass
    vectors = clustered(260, topics=12, spread=0.35)
    cities = ["Dortmund", "Essen", "Lyon", "Buffalo"]
    index(engine, *[replace(doc(i, f"Study {i}", city=cities[i % 4]),
                            vector=to_bytes(vectors[i - 1])) for i in range(1, 241)])
    for i in (1, 120, 240):
        result = engine.search(SearchQuery(text="unrelated words", vector=to_bytes(vectors[i - 1])))
        assert ids(result)[0] == i
    quantized.built()
    assert held_snapshot(engine).quantized is not None
    query = vectors[9]
    lyon = engine.search(SearchQuery(text="unrelated words", vector=to_bytes(query),
                                     filters={"city": ("Lyon",)}, per_page=50))
    rows = [i for i in range(1, 241) if cities[i % 4] == "Lyon"]
    cosines = {i: float(vectors[i - 1] @ query) for i in rows}
    expected = sorted((i for i in rows if cosines[i] >= fusion.SIMILARITY_FLOOR),
                      key=lambda i: -cosines[i])
    assert ids(lyon) == expected[:fusion.K_NEIGHBOURS]
    # Documents written later are in the next snapshot's int8 rows.
    index(engine, *[replace(doc(i, f"Study {i}"), vector=to_bytes(vectors[i - 1]))
                    for i in range(241, 261)])
    for i in (241, 260):
        result = engine.search(SearchQuery(text="unrelated words", vector=to_bytes(vectors[i - 1])))
        assert ids(result)[0] == i
        quantized.built()
    assert held_snapshot(engine).quantized.scales.shape == (260,)


def test_a_copy_nobody_holds_any_more_is_not_built(monkeypatch):
    # Snapshots replaced quickly (writes in a row) must not queue a build each.
    vectors = clustered(200, topics=4).astype(np.float32)
    made = []
    monkeypatch.setattr(quantized, "quantized_of", lambda rows: made.append(len(rows)) or "copy")
    busy = threading.Event()
    quantized._BUILDER.submit(busy.wait, 5)  # the builder is still at an earlier one
    dropped = quantized.Int8Rows(vectors)
    kept = quantized.Int8Rows(vectors[:100])
    del dropped
    busy.set()
    quantized.built()
    assert made == [100] and kept.ready == "copy"
