"""Elasticsearch benchmarks: rebuild throughput, and the portal's search overhead over the node.

    python bench/es_bench.py --url http://127.0.0.1:9311 [--docs 100000] [--portal-docs 10000]
                             [--queries 100] [--rounds 5] [--chunk 1000] [--threads 2]
                             [--skip-indexing] [--skip-portal] [--profile out.prof]

1. Indexing: `--docs` synthetic case studies (bench/corpus.py) are generated in
   memory first, then ElasticsearchEngine.rebuild() streams them into a fresh
   index and switches the alias (what `cityex index rebuild` does after reading
   the database). Reports documents per second, and the CPU seconds spent by
   this process and by the node (from /proc, when the node runs on this machine
   and --node-pid or the es-node pid file gives its pid): on a busy machine the
   wall-clock rate falls, the CPU cost per document does not.
2. Portal overhead: `--portal-docs` case studies are imported into a portal
   database (importer service, SQLite) and indexed; the fixed query mix runs
   through GET /api/v1/search (Flask test client). The exact request bodies the
   portal sent are recorded and replayed as plain `_search` calls with the same
   client (all of a request's searches: a typo check or a fuzzy retry adds some);
   the ratio portal p50 / `_search` p50 is the portal's overhead (issue 8: <= 1.2).
   The replay sends a request's searches one after the other; the portal sends
   some at once (the words while the model embeds the query, the meaning window
   beside them, the count beside the page), and the ratio credits that. So the
   portal's own time is reported too: `outside_requests_p50`, the portal's time
   with none of its searches in flight (parsing, the model's time not covered by
   a search, fusion, loading rows, the JSON).
   Each query runs raw and through the portal back to back, so background load
   hits both alike.

Indexes are created under a unique prefix and dropped at the end. Use a node
of your own (tools/elasticsearch/es-node start --port 9311): the shared dev
node's other users skew the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402
from bench.common import machine, percentiles  # noqa: E402


# -- CPU accounting ----------------------------------------------------------------------

def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int | None) -> float:
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def node_pid(url: str, given: int | None) -> int | None:
    if given:
        return given
    port = url.rstrip("/").rsplit(":", 1)[-1]
    pid_file = Path(f"/tmp/cityex-es-{port}/es.pid")
    return int(pid_file.read_text()) if pid_file.exists() else None


# -- 1. indexing -------------------------------------------------------------------------

def bench_indexing(args, prefix: str) -> dict:
    from indexer.elasticsearch.engine import ElasticsearchEngine

    started = time.perf_counter()
    documents = list(corpus.documents(args.docs))
    generated = time.perf_counter() - started
    engine = ElasticsearchEngine(args.url, prefix=prefix, rebuild_chunk=args.chunk,
                                 rebuild_threads=args.threads, request_timeout=120)
    pid = node_pid(args.url, args.node_pid)
    cpu, node_cpu, load = own_cpu(), process_cpu(pid), os.getloadavg()[0]
    started = time.perf_counter()
    name = engine.rebuild(documents)
    seconds = time.perf_counter() - started
    cpu, node_cpu = own_cpu() - cpu, process_cpu(pid) - node_cpu
    count = engine.client.count(index=name)["count"]
    assert count == args.docs, f"{count} documents indexed, {args.docs} sent"
    engine.drop_all()
    engine.close()
    return {"docs": args.docs, "chunk": args.chunk, "threads": args.threads,
            "generate_s": round(generated, 1), "rebuild_s": round(seconds, 1),
            "docs_per_s": round(args.docs / seconds),
            "python_cpu_ms_per_doc": round(cpu * 1000 / args.docs, 3),
            "node_cpu_ms_per_doc": round(node_cpu * 1000 / args.docs, 3) if pid else None,
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}


# -- 2. portal overhead ------------------------------------------------------------------

class RecordingClient:
    """The engine's Elasticsearch client, noting the arguments of every search and when
    it was in flight."""

    def __init__(self, client):
        self._client = client
        self.searches: list[tuple[str, dict]] = []
        self.in_flight: list[tuple[float, float]] = []

    def __getattr__(self, name):
        return getattr(self._client, name)

    def _recorded(self, method: str, kwargs: dict):
        self.searches.append((method, kwargs))
        started = time.perf_counter()
        try:
            return getattr(self._client, method)(**kwargs)
        finally:
            self.in_flight.append((started, time.perf_counter()))  # list.append: thread-safe

    def search(self, **kwargs):
        return self._recorded("search", kwargs)

    def msearch(self, **kwargs):
        return self._recorded("msearch", kwargs)


def union_ms(intervals: list[tuple[float, float]]) -> float:
    """Milliseconds covered by at least one of the (start, end) intervals."""
    covered, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            covered += stop - max(start, end)
            end = stop
    return covered * 1000


def load_portal(args, workdir: Path, prefix: str):
    from cityexchange import create_app
    from cityexchange.extensions import db
    from cityexchange.services.importer import import_lines
    from cityexchange.models import CaseStudy
    from cityexchange.services.indexing import rebuild_index
    from bench.search_bench import store_synthetic_vectors

    app = create_app({
        "DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
        "SEARCH_ENGINE": "elasticsearch", "ELASTICSEARCH_URL": args.url,
        "INDEX_PREFIX": prefix, "SECRET_KEY": "bench", "INDEX_AFTER_COMMIT": False,
        "LOG_LEVEL": "WARNING",
    })
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        if not db.session.get(CaseStudy, args.portal_docs):  # else kept from an earlier run
            path = corpus.write_jsonl(workdir / "corpus.jsonl", args.portal_docs)
            with path.open(encoding="utf-8") as stream:
                report = import_lines(stream, publish=True)
            assert not report.errors, report.errors[:3]
            store_synthetic_vectors()  # see bench/search_bench.py: the model would take hours
        imported = time.perf_counter() - started
        rebuild_index()
        db.session.remove()
    return app, imported, time.perf_counter() - started - imported


def bench_portal(args, prefix: str) -> dict:
    from cityexchange.search_engine import get_engine

    with tempfile.TemporaryDirectory(prefix="cityex-es-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        app, import_s, index_s = load_portal(args, workdir, prefix)
        params = [corpus.to_params(spec) for spec in corpus.query_mix(args.queries)]
        client = app.test_client()
        with app.app_context():
            engine = get_engine()
            recorder = RecordingClient(engine.client)
            engine.client = recorder
            bodies = []  # per portal request, every search it sent (a typo check, a retry)
            for query_string in params:  # also the warm-up
                recorder.searches = []
                _portal(client, query_string)
                bodies.append(recorder.searches)
            embedding = _time_query_embedding()
            load_before = os.getloadavg()[0]
            raw, portal, took, repeated, own = _measure(args, recorder, client, params, bodies)
            engine.client = recorder._client
            load_after = os.getloadavg()[0]
            engine.drop_all()
    raw_p, portal_p = percentiles(raw), percentiles(portal)
    return {"docs": args.portal_docs, "queries": len(params), "rounds": args.rounds,
            "es_requests": sum(map(len, bodies)),
            "import_s": round(import_s, 1), "index_rebuild_s": round(index_s, 1),
            "index_rebuild_docs_per_s": round(args.portal_docs / index_s),
            "took_p50": percentiles(took)["p50"],
            "raw_p50": round(raw_p["p50"], 2), "raw_p95": round(raw_p["p95"], 2),
            "portal_p50": round(portal_p["p50"], 2), "portal_p95": round(portal_p["p95"], 2),
            "overhead_p50": round(portal_p["p50"] / raw_p["p50"], 2),
            "repeated_p50": round(percentiles(repeated)["p50"], 2),
            "overhead_p50_repeated": round(percentiles(repeated)["p50"] / raw_p["p50"], 2),
            "outside_requests_p50": round(percentiles(own)["p50"], 2),
            "load": f"{load_before:.1f}–{load_after:.1f}",
            "query_embedding_p50": round(percentiles(embedding)["p50"], 2),
            "overhead_p50_without_embedding": round(
                (portal_p["p50"] - percentiles(embedding)["p50"]) / raw_p["p50"], 2)}


def _time_query_embedding() -> list[float]:
    """Milliseconds the portal spends embedding each query (its share of the overhead)."""
    from cityexchange.services.embeddings import get_embedder

    embedder, samples = get_embedder(), []
    for text in [spec["q"] for spec in corpus.query_mix(50) if spec["q"]]:
        started = time.perf_counter()
        embedder.embed_query(text)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _portal(client, query_string):
    response = client.get("/api/v1/search", query_string=query_string)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def _measure(args, es, client, params, bodies):
    """Per query: the raw replay, the portal with the query embedded by the model (the
    query-vector cache cleared), then the portal again (the vector from the cache, as for
    a repeated query, a second page or a facet click). `es` is the engine's
    RecordingClient: `own` is each first portal request's time with none of its searches
    in flight."""
    from indexer.embedding import clear_query_cache

    profiler = cProfile.Profile() if args.profile else None
    raw, portal, took, repeated, own = [], [], [], [], []
    for _ in range(args.rounds):
        for query_string, searches in zip(params, bodies):
            started = time.perf_counter()
            took.append(sum(float(getattr(es._client, method)(**body)["took"])
                            for method, body in searches))
            raw.append((time.perf_counter() - started) * 1000)
            if profiler:
                profiler.enable()
            clear_query_cache()
            es.searches, es.in_flight = [], []
            started = time.perf_counter()
            _portal(client, query_string)
            portal.append((time.perf_counter() - started) * 1000)
            own.append(portal[-1] - union_ms(es.in_flight))
            started = time.perf_counter()
            _portal(client, query_string)
            repeated.append((time.perf_counter() - started) * 1000)
            if profiler:
                profiler.disable()
    if profiler:
        profiler.dump_stats(args.profile)
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(30)
    return raw, portal, took, repeated, own


# -- main --------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the node, e.g. http://127.0.0.1:9311")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--node-pid", type=int, help="the node's pid, for its CPU time")
    parser.add_argument("--portal-docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="cProfile the portal requests into FILE")
    parser.add_argument("--workdir", type=Path,
                        help="keep the portal database here and reuse it on the next run")
    parser.add_argument("--skip-indexing", action="store_true")
    parser.add_argument("--skip-portal", action="store_true")
    args = parser.parse_args()
    prefix = f"cityex-bench-{uuid.uuid4().hex[:8]}-"
    print(", ".join(f"{k}: {v}" for k, v in machine().items()), flush=True)
    if not args.skip_indexing:
        print("indexing:", bench_indexing(args, prefix), flush=True)
    if not args.skip_portal:
        print("portal:", bench_portal(args, prefix), flush=True)


if __name__ == "__main__":
    main()
