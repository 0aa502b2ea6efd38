"""Backups round-trip: `cityex export-all`, then `cityex import-all` into an empty database,
gives the same pages and the same search results."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cityexchange import create_app
from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, Collection, Revision
from cityexchange.schemas import CaseStudyInputSchema
from cityexchange.services import case_studies
from tests.conftest import make_config
from tests.factories import make_case_study

SEARCHES = [{}, {"q": "hydrogen"}, {"q": "Wasserstoff"}, {"q": "heat", "sort": "newest"},
            {"q": "", "city": "Dortmund"}, {"q": "climate", "topic": "climate-adaptation"},
            {"q": "school meals", "ui_lang": "de"}, {"q": "", "page": 2, "per_page": 5}]
DEMO_ADMIN = ("admin@demo.cityexchange.org", "demo-admin-2024")


def _portal(tmp_path, name: str):
    folder = tmp_path / name
    folder.mkdir()
    # Migrated by the commands themselves (demo, import-all), as in production.
    return create_app(make_config(folder))


def _invoke(app, *args: str):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.session.remove()
        app.extensions["search_engine"].close()
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The demo data plus a revised case study, a draft and a city's own description."""
    tmp_path = tmp_path_factory.mktemp("source")
    app = _portal(tmp_path, "portal")
    _invoke(app, "demo", "--no-serve")
    with app.app_context():
        study = db.session.scalars(select(CaseStudy).where(CaseStudy.status == "published")
                                   .order_by(CaseStudy.id)).first()
        data = CaseStudyInputSchema().load({
            "title": study.title + " (second edition)", "summary": "Revised after the first year.",
            "body": study.body, "language": study.language, "year": study.year,
            "topics": list(study.topics)})
        case_studies.update_case_study(study, data, author=None)
        make_case_study("A draft nobody has published yet", publish=False)
        db.session.remove()
        app.extensions["search_engine"].close()
    return app


def _export(app, tmp_path, *flags: str):
    path = tmp_path / "backup.jsonl"
    _invoke(app, "export-all", str(path), *flags)
    return path


def _restore(tmp_path, backup):
    app = _portal(tmp_path, "restored")
    _invoke(app, "import-all", str(backup))
    return app


def _pages(app) -> dict[str, str]:
    """HTML of a few case studies (one translated), a city, a collection, the home page."""
    with app.app_context():
        slugs = db.session.scalars(select(CaseStudy.slug).where(CaseStudy.status == "published")
                                   .order_by(CaseStudy.id).limit(3)).all()
        slugs.append("rotterdam-hitteplan-kwetsbare-bewoners")
        city = db.session.scalars(select(City.slug).order_by(City.id)).first()
        collection = db.session.scalars(select(Collection.slug).order_by(Collection.id)).first()
        paths = [f"/case-studies/{slug}" for slug in slugs]
        paths += [f"/case-studies/{slugs[0]}?ui_lang=de", f"/cities/{city}",
                  f"/collections/{collection}", "/"]
        client = app.test_client()
        pages = {}
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            pages[path] = response.get_data(as_text=True)
        db.session.remove()
        app.extensions["search_engine"].close()
    return pages


def _search_results(app) -> list[dict]:
    with app.app_context():
        client = app.test_client()
        results = []
        for params in SEARCHES:
            response = client.get("/api/v1/search", query_string=params)
            assert response.status_code == 200, (params, response.get_json())
            results.append(response.get_json())
        db.session.remove()
        app.extensions["search_engine"].close()
    return results


def _can_log_in(app, email: str, password: str) -> bool:
    with app.app_context():
        response = app.test_client().post("/login", data={"email": email, "password": password})
        db.session.remove()
    return response.status_code == 302


def test_a_restored_backup_shows_the_same_pages_and_search_results(source, tmp_path):
    backup = _export(source, tmp_path)
    restored = _restore(tmp_path, backup)

    before, after = _pages(source), _pages(restored)
    assert before.keys() == after.keys()
    for path in before:
        assert after[path] == before[path], path
    assert _search_results(restored) == _search_results(source)
    assert _search_results(source)[1]["total"] > 0

    with restored.app_context():
        # Revisions and the draft came along, not only what the pages show.
        revised = db.session.scalars(select(Revision.case_study_id).where(Revision.action != "create")).all()
        assert db.session.scalar(select(CaseStudy.id).where(CaseStudy.status == "draft"))
        db.session.remove()
    assert revised


def test_password_hashes_are_left_out_unless_asked_for(source, tmp_path):
    plain = _export(source, tmp_path)
    text = plain.read_text(encoding="utf-8")
    assert "$argon2" not in text and '"password_hash"' not in text
    header = json.loads(text.splitlines()[0])
    assert header["format"] == "cityexchange-backup" and header["password_hashes"] is False
    assert _can_log_in(source, *DEMO_ADMIN)
    restored = _restore(tmp_path, plain)
    assert not _can_log_in(restored, *DEMO_ADMIN)

    with_hashes = tmp_path / "with-hashes"
    with_hashes.mkdir()
    backup = _export(source, with_hashes, "--with-password-hashes")
    assert "$argon2" in backup.read_text(encoding="utf-8")
    assert _can_log_in(_restore(with_hashes, backup), *DEMO_ADMIN)


def test_import_all_refuses_a_database_that_is_not_empty(source, tmp_path):
    backup = _export(source, tmp_path)
    with source.app_context():
        result = source.test_cli_runner().invoke(args=["import-all", str(backup)])
        db.session.remove()
        source.extensions["search_engine"].close()
    assert result.exit_code == 1
    assert "not restored: the database is not empty" in result.output


def test_import_all_names_the_line_of_a_broken_file(tmp_path, source):
    backup = _export(source, tmp_path)
    lines = backup.read_text(encoding="utf-8").splitlines()
    lines[3] = json.dumps({"table": "case_studies", "row": {"id": 1, "colour": "red"}})
    backup.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = _portal(tmp_path, "broken")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import-all", str(backup)])
        count = db.session.scalar(select(db.func.count()).select_from(CaseStudy))
        db.session.remove()
        app.extensions["search_engine"].close()
    assert result.exit_code == 1
    assert "line 4: " in result.output and "unknown columns ['colour']" in result.output
    assert count == 0
