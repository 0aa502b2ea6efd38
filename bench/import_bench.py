"""Import throughput of `cityex import FILE --publish` with the embedded engine.

    python bench/import_bench.py [--lines 5000] [--profile out.prof]

Writes a synthetic JSON Lines file (bench/corpus.py), then runs the real
command line in a fresh process against a fresh SQLite database and index
(as a user would, index updates right after each batch included) and reports
case studies per second. --profile instead runs the importer in-process under
cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus  # noqa: E402
from bench.common import ROOT, machine, make_app, table  # noqa: E402

CITYEX = Path(sys.executable).with_name("cityex")


def run_cli(path: Path, workdir: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of the command, and its summary line."""
    env = {**os.environ,
           "CITYEX_DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
           "CITYEX_EMBEDDED_INDEX_PATH": str(workdir / "search-index"),
           "CITYEX_SEARCH_ENGINE": "embedded",
           "CITYEX_SECRET_KEY": "bench",
           "CITYEX_LOG_LEVEL": "WARNING"}
    env.pop("CITYEX_INDEX_AFTER_COMMIT", None)  # the default: index after each batch
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([str(CITYEX), "import", str(path), "--publish"], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"cityex import failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    return elapsed, cpu, result.stdout.strip().splitlines()[-1]


def searchable(workdir: Path) -> int:
    from indexer import SearchQuery, create_engine

    engine = create_engine("embedded", path=str(workdir / "search-index"))
    total = engine.search(SearchQuery()).total
    engine.close()
    return total


def profile_in_process(path: Path, workdir: Path, output: Path) -> None:
    from cityexchange.services.importer import import_lines

    app = make_app(workdir, index_after_commit=True)
    profiler = cProfile.Profile()
    with app.app_context(), path.open(encoding="utf-8") as stream:
        started = time.perf_counter()
        profiler.enable()
        report = import_lines(stream, publish=True)
        profiler.disable()
        elapsed = time.perf_counter() - started
    profiler.dump_stats(output)
    print(f"in-process import (profiled): {report.imported} in {elapsed:.1f} s")
    pstats.Stats(str(output)).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cityex-import-bench-") as scratch:
        workdir = Path(scratch)
        path = corpus.write_jsonl(workdir / "import.jsonl", args.lines)
        if args.profile:
            profile_in_process(path, workdir, args.profile)
            return
        elapsed, cpu, summary = run_cli(path, workdir)
        indexed = searchable(workdir)
    # CPU seconds too: on a shared machine the wall clock includes waiting for a core.
    row = {"lines": args.lines, "wall_s": round(elapsed, 1), "per_s_wall": round(args.lines / elapsed),
           "cpu_s": round(cpu, 1), "per_s_cpu": round(args.lines / cpu), "searchable": indexed}
    print(summary)
    print(", ".join(f"{k}: {v}" for k, v in machine().items()))
    print(table([row], list(row)))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": [row]}, indent=2))


if __name__ == "__main__":
    main()
