"""Elasticsearch rebuild against the plain floor: `helpers.parallel_bulk` sending the
same documents into the same node, same mapping, same bulk-load settings and chunk.

    python bench/es_rebuild_ratio.py --url http://127.0.0.1:9200 [--docs 10000] [--rounds 2]

The documents are built in memory first (bench/corpus.py), so both sides only
serialise and send (--lazy: built one by one while sending); the rounds alternate (rebuild, parallel_bulk, ...) so a
change of load hits both. Prints wall seconds, docs/s and the ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from elasticsearch import helpers  # noqa: E402

from bench import corpus  # noqa: E402
from bench.common import machine, table  # noqa: E402
from indexer.elasticsearch.documents import to_source  # noqa: E402
from indexer.elasticsearch.engine import (  # noqa: E402
    BULK_LOAD_SETTINGS,
    REBUILD_CHUNK,
    REBUILD_REQUEST_TIMEOUT,
    REBUILD_THREADS,
    ElasticsearchEngine,
)


def floor(engine: ElasticsearchEngine, documents) -> float:
    """parallel_bulk into an index made like the rebuild's; wall seconds to searchable."""
    started = time.perf_counter()
    name = engine._create_physical(bulk_loading=True)
    client = engine.client.options(request_timeout=REBUILD_REQUEST_TIMEOUT)
    actions = ({"_op_type": "index", "_index": name, "_id": str(d.id), "version": d.version,
                "version_type": "external_gte", "_source": to_source(d)} for d in documents)
    for _ok, _item in helpers.parallel_bulk(client, actions, thread_count=REBUILD_THREADS,
                                          chunk_size=REBUILD_CHUNK, raise_on_error=True):
        pass
    engine._finish_bulk_load(name)
    elapsed = time.perf_counter() - started
    engine.client.indices.delete(index=name)
    return elapsed


def rebuild(engine: ElasticsearchEngine, documents) -> float:
    started = time.perf_counter()
    engine.rebuild(documents)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--lazy", action="store_true",
                        help="build each document while sending, as a rebuild from the "
                             "database does (both sides), instead of all of them first")
    args = parser.parse_args()
    built = list(corpus.documents(args.docs))
    engine = ElasticsearchEngine(args.url, prefix=f"ratio-{os.getpid()}-", request_timeout=120)
    rows = []
    try:
        for round_ in range(1, args.rounds + 1):
            for name, run in (("rebuild", rebuild), ("parallel_bulk", floor)):
                load = os.getloadavg()[0]
                documents = corpus.documents(args.docs) if args.lazy else built
                seconds = run(engine, documents)
                rows.append({"round": round_, "what": name, "docs": args.docs,
                             "wall_s": round(seconds, 1), "docs_per_s": round(args.docs / seconds),
                             "load": f"{load:.2f} → {os.getloadavg()[0]:.2f}"})
                print(rows[-1], flush=True)
    finally:
        engine.drop_all()
        engine.close()
    ratio = (sum(r["wall_s"] for r in rows if r["what"] == "rebuild")
             / sum(r["wall_s"] for r in rows if r["what"] == "parallel_bulk"))
    print(", ".join(f"{k}: {v}" for k, v in machine().items()))
    print(f"settings during the load: {BULK_LOAD_SETTINGS}, chunk {REBUILD_CHUNK}, "
          f"threads {REBUILD_THREADS}")
    print(table(rows, list(rows[0])))
    print(f"rebuild / parallel_bulk (sum of wall times): {ratio:.2f}")


if __name__ == "__main__":
    main()
