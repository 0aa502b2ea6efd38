"""The `cityex` command line, through Flask's CLI runner on the test app."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, OutboxEntry, User
from cityexchange.services.users import find_user
from tests.factories import make_case_study, make_city


def write_jsonl(path, *lines) -> str:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line)
                              for line in lines) + "\n", encoding="utf-8")
    return str(path)


GOOD = {"slug": "dortmund-h2-bus-depot", "city": "Dortmund", "country": "DE",
        "language": "en", "title": "Hydrogen bus depot", "body": "Fuel-cell buses refuel here.",
        "year": 2024, "topics": ["hydrogen"]}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def found(client, q: str) -> list[str]:
    return [hit["slug"] for hit in client.get(f"/api/v1/search?q={q}").get_json()["hits"]]


# -- import ---------------------------------------------------------------------------

def test_import_publish_makes_case_studies_searchable(runner, client, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", GOOD,
                       {**GOOD, "slug": "second", "title": "Depot two"})

    result = runner.invoke(args=["import", path, "--publish"])

    assert result.exit_code == 0, result.output
    assert "imported 2 case studies (2 new, 0 updated); 0 lines rejected" in result.output
    assert sorted(found(client, "depot")) == ["dortmund-h2-bus-depot", "second"]


def test_import_without_publish_keeps_drafts(runner, client, tmp_path):
    result = runner.invoke(args=["import", write_jsonl(tmp_path / "in.jsonl", GOOD)])

    assert result.exit_code == 0
    assert db.session.scalar(select(CaseStudy.status)) == "draft"
    assert found(client, "depot") == []


def test_import_reports_bad_lines_commits_good_ones_and_exits_non_zero(runner, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", GOOD, "{oops", {**GOOD, "slug": "x y"},
                       {**GOOD, "slug": "third"})

    result = runner.invoke(args=["import", path])

    assert result.exit_code == 1
    assert "line 2: not valid JSON" in result.output
    assert "line 3: slug: use lower-case letters, digits and hyphens" in result.output
    assert "imported 2 case studies (2 new, 0 updated); 2 lines rejected" in result.output
    db.session.rollback()  # whatever was not committed would vanish here
    assert count(CaseStudy) == 2


def test_import_exits_2_when_nothing_was_imported(runner, tmp_path):
    result = runner.invoke(args=["import", write_jsonl(tmp_path / "in.jsonl", "{oops",
                                                       {**GOOD, "slug": "x y"})])

    assert result.exit_code == 2
    assert "imported 0 case studies (0 new, 0 updated); 2 lines rejected" in result.output


def test_import_warns_about_an_unknown_partner_and_exits_0(runner, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", {**GOOD, "partners": ["Atlantis"]})

    result = runner.invoke(args=["import", path])

    assert result.exit_code == 0, result.output
    assert "line 1 (imported): partners: unknown city Atlantis left unlinked" in result.output


def test_import_twice_updates_instead_of_duplicating(runner, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", GOOD)
    runner.invoke(args=["import", path])

    result = runner.invoke(args=["import", path])

    assert "(0 new, 1 updated)" in result.output
    assert count(CaseStudy) == 1


def test_import_of_a_missing_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["import", str(tmp_path / "missing.jsonl")])

    assert result.exit_code == 2
    assert "No such file or directory" in result.output


# -- index and indexer ----------------------------------------------------------------

def test_index_rebuild(runner, client, app):
    make_case_study("Hydrogen buses", body="Fuel-cell buses.")

    result = runner.invoke(args=["index", "rebuild"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("search index rebuilt: case-studies-v")
    assert found(client, "buses") == ["hydrogen-buses"]


def test_indexer_run_once_with_an_empty_outbox(runner, app):
    result = runner.invoke(args=["indexer", "run", "--once"])

    assert result.exit_code == 0
    assert "outbox drained: 0 indexed, 0 deleted" in result.output


def test_indexer_run_once_drains_pending_rows(runner, client, app):
    app.config["INDEX_AFTER_COMMIT"] = False
    make_case_study("Hydrogen buses", body="Fuel-cell buses.")
    assert count(OutboxEntry) == 1

    result = runner.invoke(args=["indexer", "run", "--once"])

    assert "outbox drained: 1 indexed, 0 deleted" in result.output
    assert count(OutboxEntry) == 0
    assert found(client, "buses") == ["hydrogen-buses"]


# -- users ----------------------------------------------------------------------------

PASSWORD = ["--password", "correct horse battery"]


def test_user_create_contributor_of_a_city(runner, app):
    make_city("Dortmund")

    result = runner.invoke(args=["user", "create", "--email", "Ana@Dortmund.de", "--city",
                                 "dortmund", *PASSWORD])

    assert result.exit_code == 0, result.output
    assert "created contributor ana@dortmund.de" in result.output
    user = find_user("ana@dortmund.de")
    assert (user.role, user.city.name) == ("contributor", "Dortmund")


def test_user_create_admin_needs_no_city(runner, app):
    result = runner.invoke(args=["user", "create", "--email", "admin@example.org", "--role",
                                 "admin", *PASSWORD])

    assert result.exit_code == 0, result.output
    assert find_user("admin@example.org").role == "admin"


def test_user_create_contributor_without_city_is_a_clear_error(runner, app):
    result = runner.invoke(args=["user", "create", "--email", "ana@example.org", *PASSWORD])

    assert result.exit_code == 1
    assert "city: a contributor belongs to a city: give --city" in result.output
    assert count(User) == 0


def test_user_create_with_an_unknown_city_is_a_clear_error(runner, app):
    result = runner.invoke(args=["user", "create", "--email", "ana@example.org", "--city",
                                 "Atlantis", *PASSWORD])

    assert result.exit_code == 1
    assert "city: unknown city 'Atlantis'" in result.output


def test_user_create_duplicate_email_is_a_clear_error(runner, app):
    args = ["user", "create", "--email", "boss@example.org", "--role", "admin", *PASSWORD]
    runner.invoke(args=args)

    result = runner.invoke(args=[*args[:3], "BOSS@example.org", *args[4:]])

    assert result.exit_code == 1
    assert "email: a user with this email exists already" in result.output
    assert count(User) == 1


def test_user_create_with_a_short_password_is_a_clear_error(runner, app):
    result = runner.invoke(args=["user", "create", "--email", "a@example.org", "--role", "admin",
                                 "--password", "short"])

    assert result.exit_code == 1
    assert "password:" in result.output
