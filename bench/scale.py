"""A scale run: an empty database to N case studies imported, indexed on both
engines, searched; prints one table of times, rates, memory and disk.

    python bench/scale.py [--lines 100000] [--bad-share 0.01]
                          [--elasticsearch http://127.0.0.1:9200] [--searches 1000]
                          [--synthetic-vectors 10000]

Every step runs the real command line (`cityex import --quiet`, `cityex index
rebuild --quiet`) in a fresh process, as an operator would. The import does not
embed (the worker does it afterwards), so at this scale the run is lexical only:
no vectors exist. --synthetic-vectors N then stores deterministic random unit
vectors (NOT model output; only their size matters) for the first N case
studies with the hashes the rebuild checks, rebuilds the embedded index
again (reusing them) and measures the worker with the kNN matrix loaded.

The memory figure is a worker process (the portal app) after --searches
varied searches through the search API: RssAnon and RssFile from
/proc/self/status. Load averages are printed with every step: on a shared
machine the wall times say more about the neighbours than about the code.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus  # noqa: E402
from bench.common import ROOT, machine, table  # noqa: E402
from bench.import_bench import floor, spoil  # noqa: E402

CITYEX = Path(sys.executable).with_name("cityex")


def environment(workdir: Path, engine: str, es_url: str | None) -> dict:
    env = {**os.environ,
           "CITYEX_DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
           "CITYEX_EMBEDDED_INDEX_PATH": str(workdir / "search-index"),
           "CITYEX_SEARCH_ENGINE": engine,
           "CITYEX_SECRET_KEY": "bench",
           "CITYEX_LOG_LEVEL": "WARNING"}
    if es_url:
        env["CITYEX_ELASTICSEARCH_URL"] = es_url
        env["CITYEX_INDEX_PREFIX"] = f"scale-{os.getpid()}-"
    return env


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def step(name: str, args: list[str], env: dict, count: int, *, ok=(0,)) -> dict:
    """Run one cityex command; its wall and CPU time, rate and the load around it."""
    before, load_before = resource.getrusage(resource.RUSAGE_CHILDREN), load()
    started = time.perf_counter()
    result = subprocess.run([str(CITYEX), *args], env=env, cwd=ROOT, capture_output=True,
                            text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                         f"{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{name}: {result.stdout.strip().splitlines()[-1]}", flush=True)
    return {"step": name, "count": count, "wall_s": round(wall, 1),
            "per_s_wall": round(count / wall), "cpu_s": round(cpu, 1),
            "per_s_cpu": round(count / cpu) if cpu else "", "load": f"{load_before} → {load()}",
            "stderr": result.stderr}


def index_size(workdir: Path) -> float:
    directory = workdir / "search-index"
    name = (directory / "current").read_text(encoding="utf-8").strip()
    return sum(Path(f"{directory / name}{suffix}").stat().st_size
               for suffix in ("", "-wal") if Path(f"{directory / name}{suffix}").exists()) / 1e6


def probe(args) -> None:
    """In a fresh process: the portal app, --searches searches, then its memory."""
    sys.path.insert(0, str(ROOT / "platform"))
    from cityexchange import create_app

    app = create_app()
    client = app.test_client()
    mix = corpus.query_mix(args.searches, seed=11)
    started = time.perf_counter()
    for spec in mix:
        response = client.get("/api/v1/search", query_string=corpus.to_params(spec))
        if response.status_code != 200:
            raise SystemExit(f"search failed: {response.status_code} {response.get_data()[:300]}")
    elapsed = time.perf_counter() - started
    status = dict(line.split(":", 1) for line in
                  Path("/proc/self/status").read_text().splitlines() if ":" in line)
    kb = {key: int(status[key].split()[0]) for key in ("VmRSS", "RssAnon", "RssFile", "VmHWM")}
    print(json.dumps({"searches": len(mix), "seconds": elapsed, **kb}))


def measure_worker(env: dict, searches: int) -> dict:
    result = subprocess.run([sys.executable, __file__, "--probe", "--searches", str(searches)],
                            env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"worker probe failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def store_synthetic_vectors(env: dict, count: int) -> int:
    """Deterministic random unit vectors for the first `count` published case studies,
    stored as the worker would (model, passage hash, revision). Synthetic: only
    their size and reuse are measured, never their meaning."""
    result = subprocess.run([sys.executable, __file__, "--store-vectors", str(count)], env=env,
                            cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"storing vectors failed:\n{result.stderr[-3000:]}")
    return int(result.stdout.strip().splitlines()[-1])


def store_vectors(count: int) -> None:
    sys.path.insert(0, str(ROOT / "platform"))
    import numpy as np
    from sqlalchemy import insert

    from cityexchange import create_app
    from cityexchange.extensions import db
    from cityexchange.models import CaseStudyVector
    from cityexchange.services.embeddings import model_name
    from cityexchange.services.indexing import published_documents
    from indexer.embedding import passage_hash

    app = create_app()
    rng = np.random.default_rng(2026)
    stored = 0
    with app.app_context():
        model = model_name()
        rows = []
        for document in published_documents():
            if stored >= count:
                break
            vector = rng.standard_normal(384).astype("float32")
            vector /= np.linalg.norm(vector)
            rows.append({"case_study_id": document.id, "model": model,
                         "passage_hash": passage_hash(document, model),
                         "revision": document.version, "vector": vector.tobytes()})
            stored += 1
            if len(rows) == 1000:
                db.session.execute(insert(CaseStudyVector), rows)
                rows.clear()
        if rows:
            db.session.execute(insert(CaseStudyVector), rows)
        db.session.commit()
    print(stored)


def run(args) -> None:
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="cityex-scale-") as scratch:
        workdir = Path(scratch)
        path = corpus.write_jsonl(workdir / "import.jsonl", args.lines)
        bad = spoil(path, args.bad_share)
        env = environment(workdir, "embedded", None)
        load_before = load()
        floor_wall, floor_cpu = floor(path, workdir)
        rows.append({"step": "floor (json + executemany + FTS5)", "count": args.lines,
                     "wall_s": round(floor_wall, 1), "per_s_wall": round(args.lines / floor_wall),
                     "cpu_s": round(floor_cpu, 1), "per_s_cpu": round(args.lines / floor_cpu),
                     "load": f"{load_before} → {load()}"})
        imported = step("import (embedded, lexical)", ["import", str(path), "--publish",
                                                       "--quiet"], env, args.lines,
                        ok=(1,) if bad else (0,))
        reported = sum(1 for line in imported.pop("stderr").splitlines()
                       if line.startswith("line ") and "(imported)" not in line)
        notes.append(f"bad lines: {len(bad)} spoiled, {reported} reported by line number")
        imported["x_floor_cpu"] = round(imported["cpu_s"] / floor_cpu, 1)
        imported["x_floor_wall"] = round(imported["wall_s"] / floor_wall, 1)
        imported["disk_mb"] = round(index_size(workdir))
        rows.append(imported)
        good = args.lines - len(bad)
        rebuilt = step("rebuild embedded (no vectors)", ["index", "rebuild", "--quiet"], env,
                       good)
        rebuilt.pop("stderr")
        rebuilt["disk_mb"] = round(index_size(workdir))
        rows.append(rebuilt)
        memory = measure_worker(env, args.searches)
        rows.append({"step": f"worker after {memory['searches']} searches (embedded)",
                     "count": memory["searches"], "wall_s": round(memory["seconds"], 1),
                     "per_s_wall": round(memory["searches"] / memory["seconds"]),
                     "rss_mb": round(memory["VmRSS"] / 1024),
                     "anon_mb": round(memory["RssAnon"] / 1024),
                     "file_mb": round(memory["RssFile"] / 1024), "load": load()})
        if args.elasticsearch:
            es_env = environment(workdir, "elasticsearch", args.elasticsearch)
            es = step("rebuild Elasticsearch (no vectors)", ["index", "rebuild", "--quiet"],
                      es_env, good)
            es.pop("stderr")
            rows.append(es)
        if args.synthetic_vectors:
            stored = store_synthetic_vectors(env, args.synthetic_vectors)
            notes.append(f"synthetic vectors: {stored} deterministic random unit vectors "
                         "(384 float32), stored as the worker stores them")
            again = step(f"rebuild embedded ({stored} stored vectors reused)",
                         ["index", "rebuild", "--quiet"], env, good)
            again.pop("stderr")
            again["disk_mb"] = round(index_size(workdir))
            rows.append(again)
            memory = measure_worker(env, args.searches)
            rows.append({"step": f"worker after {memory['searches']} searches (+{stored} vectors)",
                         "count": memory["searches"], "wall_s": round(memory["seconds"], 1),
                         "per_s_wall": round(memory["searches"] / memory["seconds"]),
                         "rss_mb": round(memory["VmRSS"] / 1024),
                         "anon_mb": round(memory["RssAnon"] / 1024),
                         "file_mb": round(memory["RssFile"] / 1024), "load": load()})
    columns = ["step", "count", "wall_s", "per_s_wall", "cpu_s", "per_s_cpu", "x_floor_cpu",
               "x_floor_wall", "disk_mb", "rss_mb", "anon_mb", "file_mb", "load"]
    print(", ".join(f"{k}: {v}" for k, v in machine().items()))
    print(f"command: python bench/scale.py {' '.join(sys.argv[1:])}")
    for note in notes:
        print(note)
    print(table(rows, columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--bad-share", type=float, default=0.01)
    parser.add_argument("--elasticsearch", help="URL of an Elasticsearch 8 node (else skipped)")
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--synthetic-vectors", type=int, default=0)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store-vectors", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args)
    elif args.store_vectors is not None:
        store_vectors(args.store_vectors)
    else:
        run(args)


if __name__ == "__main__":
    main()
