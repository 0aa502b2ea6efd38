"""Helpers shared by the benchmarks: timing, percentiles, a portal app on a scratch dir."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "platform"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "mean": statistics.fmean(ordered), "max": ordered[-1]}


def timed(function, *args, **kwargs) -> tuple[float, float, object]:
    """(wall milliseconds, this process's CPU milliseconds, result)

    The CPU time leaves out waiting for a core, which on a shared machine
    is most of the difference between runs. The process's, not the thread's:
    a search embeds its query in a worker thread (indexer.embedding), and the
    benchmarks run one call at a time.
    """
    cpu, start = time.process_time(), time.perf_counter()
    result = function(*args, **kwargs)
    return ((time.perf_counter() - start) * 1000.0, (time.process_time() - cpu) * 1000.0,
            result)


def fts_queries(statements: list[str]) -> int:
    """Word queries among the SQL statements a connection's trace callback saw: the FTS5
    MATCHes the engine sent and its reads of the words signal's postings (one per
    language, indexer/embedded/postings.py: what a MATCH per language did before).
    Statements SQLite runs inside a virtual table (traced with a "-- " prefix: FTS5
    reading its own tables, an fts5vocab table finding its FTS table by `MATCH '*id'`)
    are no queries of the engine's."""
    return sum(sql.count(" MATCH ") + sql.count(" FROM postings WHERE ")
               for sql in statements if not sql.startswith("--"))


def vocabulary_lookups(statements: list[str]) -> int:
    """Statements reading the FTS5 term index through fts5vocab (indexer/embedded/vocabulary.py)."""
    return sum("temp.vocab_" in sql for sql in statements if not sql.startswith("--"))


def load() -> str:
    """The 1-minute load average now: every figure on a shared machine carries it."""
    return f"{os.getloadavg()[0]:.1f}"


def make_app(workdir: Path, *, index_after_commit: bool):
    """A portal with its own SQLite database and embedded index under `workdir`."""
    from cityexchange import create_app
    from cityexchange.extensions import db

    app = create_app({
        "DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
        "EMBEDDED_INDEX_PATH": str(workdir / "search-index"),
        "SEARCH_ENGINE": "embedded",
        "SECRET_KEY": "bench",
        "INDEX_AFTER_COMMIT": index_after_commit,
        "LOG_LEVEL": "WARNING",
    })
    with app.app_context():
        db.create_all()
    return app


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(line.split(":", 1)[1].strip() for line in
                      Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        memory = "unknown"
    return {"cpus": str(os.cpu_count()), "cpu": cpu, "memory": memory,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table."""
    def cell(value):
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
