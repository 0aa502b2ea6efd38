"""The importer's batches: what one line does wrong stays with that line."""

from __future__ import annotations

import io

from sqlalchemy import func, select, text

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, OutboxEntry, Revision
from cityexchange.services import importer
from tests.factories import make_city, make_user
from tests.test_import import case_study, count, found, line, run


def test_a_line_the_database_refuses_is_reported_and_the_batch_kept(app, client):
    # A real refusal by the database (as a slug taken by another writer would be).
    db.session.execute(text(
        "CREATE TRIGGER refuse_slug BEFORE INSERT ON case_studies WHEN NEW.slug = 'refused' "
        "BEGIN SELECT RAISE(ABORT, 'slug refused'); END"))
    db.session.commit()

    report = run(line(slug="before"), line(slug="refused"), line(slug="after"), publish=True)

    assert (report.created, [(e.line, e.message) for e in report.errors]) == (
        2, [(2, "(sqlite3.IntegrityError) slug refused")])
    assert case_study("refused") is None
    assert sorted(found(client, "depot")) == ["after", "before"]
    assert count(Revision) == 2


def test_a_new_city_with_an_unknown_partner_is_imported_with_a_warning(app):
    report = run(line(slug="first"),
                 line(slug="katowice-mine", city="Katowice", country="PL", partners=["Atlantis"]),
                 line(slug="last", partners=["Dortmund"]))

    assert report.errors == []
    assert [(w.line, w.message) for w in report.warnings] == [
        (2, "partners: unknown city Atlantis left unlinked")]
    assert case_study("katowice-mine").city.name == "Katowice"
    assert case_study("katowice-mine").partners == []
    assert db.session.scalar(select(City).where(City.name == "Atlantis")) is None
    assert case_study("first") and case_study("last")


def test_a_new_city_may_name_itself_and_earlier_cities_as_partners(app):
    make_city("Buffalo", "US")

    report = run(line(slug="katowice-mine", city="Katowice", country="PL",
                      partners=["katowice", "buffalo"]))

    assert report.errors == []
    assert [c.name for c in case_study("katowice-mine").partners] == ["Buffalo"]


def test_batches_commit_every_batch_size_lines(app, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)

    report = run(*(line(slug=f"case-{n}") for n in range(5)), "{bad", line(slug="case-0"),
                 publish=True)

    assert (report.created, report.updated) == (5, 0)
    assert [e.line for e in report.errors] == [6, 7]  # bad JSON; case-0 again
    assert [r.number for r in case_study("case-0").revisions] == [1]
    # Each batch drained the outbox into the index after its commit.
    assert count(OutboxEntry) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseStudy)) == 5


def test_the_importing_user_is_the_author(app):
    user = make_user("coordinator")

    importer.import_lines(io.StringIO(line(slug="by-user")), author=user)

    imported = case_study("by-user")
    assert imported.created_by_id == user.id
    assert [r.author_id for r in imported.revisions] == [user.id]
