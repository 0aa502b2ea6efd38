"""Import throughput of `cityex import FILE --publish` with the embedded engine.

    python bench/import_bench.py [--lines 5000] [--bad-share 0.01] [--profile out.prof]

Writes a synthetic JSON Lines file (bench/corpus.py), then runs the real
command line in a fresh process against a fresh SQLite database and index
(as a user would, index updates right after each batch included) and reports
case studies per second. In the same run it measures the plain floor (parse
the JSON, executemany into a table plus an FTS5 insert, commit every 200
lines) and prints the import's ratio to it. --bad-share spoils that share of
the lines (every other one bad JSON, the rest a bad year), to check that they
are reported by line number and cost no more than their share. --profile
instead runs the importer in-process under cProfile and prints the top functions.
--paired R compares, R rounds in alternating order, the clean file with a copy
spoiled by --bad-share: CPU of each import minus that of the same command on an
empty file (process start-up), and the spoiled/clean ratio per round.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus  # noqa: E402
from bench.common import ROOT, machine, make_app, table  # noqa: E402

CITYEX = Path(sys.executable).with_name("cityex")


def floor(path: Path, workdir: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the plainest import: json.loads, executemany into a
    table and an FTS5 table, a commit every 200 lines."""
    cpu = time.process_time()
    started = time.perf_counter()
    connection = sqlite3.connect(workdir / "floor.sqlite3")
    connection.execute("CREATE TABLE case_studies (id INTEGER PRIMARY KEY, slug TEXT UNIQUE, "
                       "city TEXT, language TEXT, title TEXT, summary TEXT, body TEXT, "
                       "year INTEGER, data TEXT)")
    connection.execute("CREATE VIRTUAL TABLE case_studies_fts USING fts5(title, summary, body)")
    rows = []

    def flush() -> None:
        connection.executemany(
            "INSERT INTO case_studies (id, slug, city, language, title, summary, body, year, "
            "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.executemany("INSERT INTO case_studies_fts (rowid, title, summary, body) "
                               "VALUES (?, ?, ?, ?)", [(r[0], r[4], r[5], r[6]) for r in rows])
        connection.commit()
        rows.clear()

    with path.open(encoding="utf-8") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                data = json.loads(raw)
            except json.JSONDecodeError:
                continue
            rows.append((number, data["slug"], data["city"], data.get("language"), data["title"],
                         data.get("summary", ""), data.get("body", ""), data.get("year"), raw))
            if len(rows) == 200:
                flush()
    flush()
    connection.close()
    return time.perf_counter() - started, time.process_time() - cpu


def spoil(path: Path, share: float) -> list[int]:
    """Spoil `share` of the lines, spread evenly; returns their numbers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    step = max(1, round(1 / share)) if share else 0
    bad = list(range(step, len(lines) + 1, step)) if step else []
    for index, number in enumerate(bad):
        if index % 2:
            lines[number - 1] = "{not json"
        else:
            data = json.loads(lines[number - 1])
            lines[number - 1] = json.dumps({**data, "year": "soon"})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return bad


def run_cli(path: Path, workdir: Path, *, expect_bad: list[int] = (),
            empty: bool = False) -> tuple[float, float, str]:
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
    result = subprocess.run([str(CITYEX), "import", str(path), "--publish", "--quiet"], env=env,
                            cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != (2 if empty else 1 if expect_bad else 0):
        raise SystemExit(f"cityex import failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    reported = [int(line.split(":")[0].split()[1]) for line in result.stderr.splitlines()
                if line.startswith("line ") and "(imported)" not in line.split(":")[0]]
    if reported != list(expect_bad):
        raise SystemExit(f"bad lines reported {reported[:10]}..., spoiled {list(expect_bad)[:10]}...")
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


def paired(path: Path, scratch: Path, share: float, rounds: int) -> None:
    """Clean and spoiled imports of the same file, alternating, each in a fresh portal."""
    spoiled = scratch / "spoiled.jsonl"
    shutil.copy(path, spoiled)
    bad = spoil(spoiled, share)
    empty = scratch / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    good = len(path.read_text(encoding="utf-8").splitlines())
    rows, load_before = [], os.getloadavg()

    def cpu_of(source: Path, expect: list[int], round_: int, kind: str) -> float:
        workdir = scratch / f"{kind}-{round_}"
        workdir.mkdir()
        _, cpu, _ = run_cli(source, workdir, expect_bad=expect, empty=source == empty)
        shutil.rmtree(workdir)
        return cpu

    for round_ in range(rounds):
        order = [("clean", path, []), ("spoiled", spoiled, bad)]
        cpu = {}
        for kind, source, expect in order if round_ % 2 == 0 else order[::-1]:
            cpu[kind] = cpu_of(source, expect, round_, kind)
        startup = cpu_of(empty, [], round_, "empty")
        clean, dirty = cpu["clean"] - startup, cpu["spoiled"] - startup
        rows.append({"round": round_ + 1, "start-up CPU s": round(startup, 2),
                     "clean CPU s": round(clean, 2), "spoiled CPU s": round(dirty, 2),
                     "spoiled / clean": f"{dirty / clean:.3f}"})
    print(", ".join(f"{k}: {v}" for k, v in machine().items()))
    print(f"{good} lines, {len(bad)} spoiled ({share:.1%}); load before/after: "
          + " ".join(f"{v:.2f}" for v in load_before) + " / "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(table(rows, list(rows[0])))
    print(f"median spoiled / clean: {statistics.median(float(r['spoiled / clean']) for r in rows):.3f} "
          f"(the good lines alone would be {1 - len(bad) / good:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--bad-share", type=float, default=0.0,
                        help="share of lines to spoil (0.01: 1 %%)")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--paired", type=int, metavar="ROUNDS",
                        help="compare clean and --bad-share spoiled imports, ROUNDS times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cityex-import-bench-") as scratch:
        workdir = Path(scratch)
        path = corpus.write_jsonl(workdir / "import.jsonl", args.lines)
        if args.profile:
            profile_in_process(path, workdir, args.profile)
            return
        if args.paired:
            paired(path, workdir, args.bad_share or 0.01, args.paired)
            return
        bad = spoil(path, args.bad_share)
        load_before = os.getloadavg()
        floor_wall, floor_cpu = floor(path, workdir)
        elapsed, cpu, summary = run_cli(path, workdir, expect_bad=bad)
        indexed = searchable(workdir)
        load_after = os.getloadavg()
    # CPU seconds too: on a shared machine the wall clock includes waiting for a core.
    row = {"lines": args.lines, "bad": len(bad), "wall_s": round(elapsed, 1),
           "per_s_wall": round(args.lines / elapsed),
           "cpu_s": round(cpu, 1), "per_s_cpu": round(args.lines / cpu), "searchable": indexed,
           "floor_wall_s": round(floor_wall, 2), "floor_cpu_s": round(floor_cpu, 2),
           "x_floor_wall": round(elapsed / floor_wall, 1), "x_floor_cpu": round(cpu / floor_cpu, 1)}
    print(summary)
    print(", ".join(f"{k}: {v}" for k, v in machine().items()))
    print("load average before/after: " + " ".join(f"{v:.2f}" for v in load_before) + " / "
          + " ".join(f"{v:.2f}" for v in load_after))
    print(table([row], list(row)))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": [row]}, indent=2))


if __name__ == "__main__":
    main()
