"""Long command-line work (import, rebuild, vectors): one summary line off a terminal,
a progress bar on one; bad lines of a larger file reported by number, the rest found."""

from __future__ import annotations

import io

from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CaseStudyVector
from cityexchange.progress import progress
from tests.test_cli import found, write_jsonl

BASE = {"city": "Dortmund", "country": "DE", "language": "en", "year": 2024,
        "topics": ["hydrogen"]}


def line(number: int) -> dict:
    return {**BASE, "slug": f"depot-{number}", "title": f"Depot number{number}",
            "body": f"Fuel-cell buses refuel at depot marker{number}.\n\nSecond paragraph."}


def test_bad_lines_of_a_larger_file_are_reported_by_number_and_the_rest_found(
        runner, client, tmp_path):
    bad = {17, 250, 399}  # the 2nd batch holds two, so a batch with bad lines still commits
    rows = ["{not json" if n in bad else line(n) for n in range(1, 421)]
    rows[249] = {**line(250), "year": "soon"}

    result = runner.invoke(args=["import", write_jsonl(tmp_path / "in.jsonl", *rows),
                                 "--publish"])

    assert result.exit_code == 1, result.output
    reported = [text for text in result.output.splitlines() if text.startswith("line ")]
    assert [int(text.split(":")[0].split()[1]) for text in reported] == sorted(bad)
    assert "line 250: year:" in result.output
    summary = [text for text in result.output.splitlines() if text.startswith("imported")]
    assert summary and summary[0].startswith(
        "imported 417 case studies (417 new, 0 updated); 3 lines rejected in ")
    assert found(client, "marker400") == ["depot-400"]
    assert found(client, "marker17") == []


def test_off_a_terminal_each_command_prints_one_summary_line(runner, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", line(1), line(2))

    imported = runner.invoke(args=["import", path, "--publish"])
    rebuilt = runner.invoke(args=["index", "rebuild"])

    # Standard output; logs and per-line errors go to standard error.
    assert imported.stdout.strip().count("\n") == 0, imported.stdout
    assert imported.stdout.rstrip().endswith("/s)")
    assert rebuilt.exit_code == 0 and rebuilt.stdout.strip().count("\n") == 0, rebuilt.stdout
    assert "(2 case studies in " in rebuilt.stdout


def test_on_a_terminal_the_bar_shows_count_rate_and_time_left():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    with progress("import", 4, stream=screen) as tracker:
        for _ in range(4):
            tracker.advance()
    shown = screen.getvalue()
    assert "import" in shown and "4/4" in shown and "/s" in shown and "left" in shown

    quiet = Terminal()
    with progress("import", 4, quiet=True, stream=quiet) as tracker:
        tracker.advance(4)
    assert quiet.getvalue() == "" and tracker.done == 4


def test_wait_for_vectors_embeds_what_was_imported(runner, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", line(1))

    result = runner.invoke(args=["import", path, "--publish", "--wait-for-vectors", "--quiet"])

    assert result.exit_code == 0, result.output
    assert "vectors: 1 case studies embedded in " in result.output
    assert len(db.session.scalars(select(CaseStudyVector)).all()) == 1
    assert "\x1b[" not in result.output
