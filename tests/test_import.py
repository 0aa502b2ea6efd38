"""JSON Lines import: good lines land, bad lines are reported with their number and reason."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, OutboxEntry
from cityexchange.services.importer import import_lines
from tests.factories import make_city


def line(**fields) -> str:
    data = {"slug": "dortmund-h2-bus-depot", "city": "Dortmund", "country": "DE",
            "language": "en", "title": "Hydrogen bus depot",
            "summary": "A depot for fuel-cell buses.", "body": "The depot opened in 2024.",
            "year": 2024, "topics": ["hydrogen"]}
    data.update(fields)
    return json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)


def run(*lines: str | bytes, publish: bool = False):
    if lines and isinstance(lines[0], bytes):
        return import_lines(io.BytesIO(b"\n".join(lines)), publish=publish)
    return import_lines(io.StringIO("\n".join(lines)), publish=publish)


def case_study(slug: str) -> CaseStudy | None:
    return db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def found(client, q: str) -> list[str]:
    return [hit["slug"] for hit in client.get(f"/api/v1/search?q={q}").get_json()["hits"]]


def test_valid_lines_are_imported_as_drafts(app):
    report = run(line(), line(slug="dortmund-second", title="Second case study"))

    assert (report.created, report.updated, report.errors) == (2, 0, [])
    imported = case_study("dortmund-h2-bus-depot")
    assert imported.status == "draft"
    assert (imported.title, imported.city.name, imported.year, imported.topics) == (
        "Hydrogen bus depot", "Dortmund", 2024, ["hydrogen"])
    assert count(OutboxEntry) == 0


def test_publish_makes_them_searchable(app, client):
    run(line(), publish=True)

    assert case_study("dortmund-h2-bus-depot").status == "published"
    assert found(client, "depot") == ["dortmund-h2-bus-depot"]


def test_invalid_lines_are_reported_and_the_valid_ones_imported(app):
    report = run(
        line(slug="good-one"),
        "{not json",
        line(slug="Bad Slug!"),
        line(slug="no-title", title=None),
        line(slug="far-future", year=3024),
        "[1, 2, 3]",
        line(slug="good-two"),
    )

    assert report.created == 2
    errors = {error.line: error.message for error in report.errors}
    assert sorted(errors) == [2, 3, 4, 5, 6]
    assert errors[2].startswith("not valid JSON")
    assert errors[3].startswith("slug:")
    assert errors[4] == "title: Missing data for required field."
    assert errors[5].startswith("year:")
    assert errors[6] == "expected an object"
    assert case_study("good-one") and case_study("good-two")
    assert count(CaseStudy) == 2


def test_line_numbers_count_blank_lines(app):
    report = run(line(slug="first"), "", "   ", line(slug="x", title=""))

    assert [error.line for error in report.errors] == [4]


def test_reimporting_a_slug_updates_it_and_bumps_the_revision(app):
    run(line())
    first = case_study("dortmund-h2-bus-depot")
    revision = first.revision

    report = run(line(title="Hydrogen bus depot, second phase"))

    assert (report.created, report.updated) == (0, 1)
    assert count(CaseStudy) == 1
    updated = case_study("dortmund-h2-bus-depot")
    assert updated.title == "Hydrogen bus depot, second phase"
    assert updated.revision == revision + 1
    assert [r.number for r in updated.revisions] == [revision + 1, revision]


def test_reimporting_a_published_case_study_replaces_its_indexed_text(app, client):
    run(line(body="Buses refuel at the old depot."), publish=True)
    assert found(client, "refuel") == ["dortmund-h2-bus-depot"]

    run(line(body="Buses now charge with electrolyser hydrogen."))

    assert case_study("dortmund-h2-bus-depot").status == "published"
    assert found(client, "electrolyser") == ["dortmund-h2-bus-depot"]
    assert found(client, "refuel") == []


def test_missing_cities_are_created_with_their_country(app):
    report = run(line(slug="katowice-mine", city="Katowice", country="PL"))

    assert report.errors == []
    katowice = db.session.scalar(select(City).where(City.name == "Katowice"))
    assert (katowice.slug, katowice.country) == ("katowice", "PL")
    assert case_study("katowice-mine").city == katowice


def test_known_cities_are_found_by_name_whatever_the_case(app):
    make_city("Dortmund")

    run(line(city="dortmund", country=None))

    assert count(City) == 1
    assert case_study("dortmund-h2-bus-depot").city.name == "Dortmund"


def test_a_new_city_without_a_country_is_reported(app):
    report = run(line(slug="nowhere-case", city="Nowhereville", country=None), line(slug="ok"))

    assert [(e.line, e.message) for e in report.errors] == [
        (1, "city: 'Nowhereville' is new here; give its country (e.g. \"DE\")")]
    assert count(City) == 1 and case_study("ok") is not None


def test_a_country_that_contradicts_a_known_city_is_reported(app):
    make_city("Dortmund")

    report = run(line(country="US"))

    assert [e.message for e in report.errors] == ["country: Dortmund is in DE, not US"]
    assert count(CaseStudy) == 0


def test_bad_partners_are_reported_not_fatal(app):
    make_city("Buffalo")

    report = run(
        line(slug="with-partner", partners=["Buffalo"]),
        line(slug="unknown-partner", partners=["Atlantis", "Buffalo"]),
        line(slug="broken-partners", partners=[42, ""]),
        line(slug="after"),
    )

    assert [(e.line, e.message[:9]) for e in report.errors] == [(3, "partners:")]
    # A partner known nowhere is a warning: imported, reported, left unlinked.
    assert [(w.line, w.message) for w in report.warnings] == [
        (2, "partners: unknown city Atlantis left unlinked")]
    assert [c.name for c in case_study("unknown-partner").partners] == ["Buffalo"]
    assert [c.name for c in case_study("with-partner").partners] == ["Buffalo"]
    assert case_study("after") is not None
    assert db.session.scalar(select(City).where(City.name == "Atlantis")) is None


def test_partners_may_be_cities_from_earlier_lines(app):
    report = run(
        line(slug="pittsburgh-one", city="Pittsburgh", country="US"),
        line(slug="dortmund-one", partners=["Pittsburgh"]),
    )

    assert report.errors == [] and report.warnings == []
    assert [c.name for c in case_study("dortmund-one").partners] == ["Pittsburgh"]


def test_partners_may_be_cities_from_later_lines_too(app):
    """The result does not depend on the order of the lines."""
    report = run(
        line(slug="dortmund-one", partners=["Pittsburgh"]),
        line(slug="pittsburgh-one", city="Pittsburgh", country="US"),
    )

    assert report.errors == [] and report.warnings == []
    assert [c.name for c in case_study("dortmund-one").partners] == ["Pittsburgh"]


def test_language_is_detected_when_absent(app):
    run(line(slug="german-text", language=None, title="Wasserstoffbusse im Nahverkehr",
             summary="Die Stadt betreibt zwanzig Busse mit Brennstoffzellen.",
             body="Der Betriebshof wird nachts mit Wasserstoff aus der Region versorgt."))

    assert case_study("german-text").language == "de"


def test_translations_are_imported(app):
    run(line(translations={"de": {"title": "Wasserstoff-Busdepot", "body": "Das Depot."}}))

    imported = case_study("dortmund-h2-bus-depot")
    assert imported.languages == ["en", "de"]
    assert imported.translation("de").title == "Wasserstoff-Busdepot"


def test_a_line_that_is_not_utf8_is_reported(app):
    report = run(line(slug="fine").encode(), b'{"slug": "bad-bytes", "title": "\xff\xfe"}',
                 line(slug="fine-too").encode())

    assert [(e.line, e.message) for e in report.errors] == [(2, "not UTF-8 text (byte 33)")]
    assert report.created == 2


def test_a_slug_repeated_in_one_file_is_reported_for_its_later_line(app):
    report = run(line(), line(slug="other"), line(title="Hydrogen bus depot, corrected"))

    assert [(e.line, e.message) for e in report.errors] == [
        (3, "slug: 'dortmund-h2-bus-depot' is on line 1 already; one line per case study")]
    assert (report.created, report.updated) == (2, 0)
    assert case_study("dortmund-h2-bus-depot").title == "Hydrogen bus depot"


def test_control_characters_are_refused_naming_the_field(app):
    report = run(line(slug="nul-title", title="Depot\x00 plan"),
                 line(slug="bell-body", body="Ring\x07 the bell"),
                 line(slug="tabs-and-lines", body="Col\tumn\r\nnext line"))

    assert [(e.line, e.message.split(":")[0]) for e in report.errors] == [(1, "title"),
                                                                          (2, "body")]
    assert "U+0000" in report.errors[0].message
    assert case_study("tabs-and-lines") is not None

def test_coordinates_place_the_city_and_are_shown_by_the_api(app, client):
    report = run(line(latitude=51.5136, longitude=7.4653),
                 line(slug="pittsburgh-case", city="Pittsburgh", country="US"))

    assert report.errors == [] and report.created == 2
    body = client.get("/api/v1/cities/dortmund").get_json()
    assert (body["latitude"], body["longitude"]) == (51.5136, 7.4653)
    pittsburgh = client.get("/api/v1/cities/pittsburgh").get_json()
    assert pittsburgh["latitude"] is None and pittsburgh["longitude"] is None


def test_bad_coordinates_are_reported_with_the_field(app):
    report = run(line(slug="far-north", latitude=91, longitude=7),
                 line(slug="half-only", latitude=51.5),
                 line(slug="not-a-number", latitude="north", longitude=7),
                 line(slug="west-of-the-world", latitude=10, longitude=-181),
                 line(slug="good"))

    errors = {error.line: error.message for error in report.errors}
    assert errors == {1: "latitude: use degrees from -90 to 90",
                      2: "longitude: give latitude and longitude together",
                      3: "latitude: Not a valid number.",
                      4: "longitude: use degrees from -180 to 180"}
    assert case_study("good") is not None
    assert db.session.scalar(select(City.latitude).where(City.slug == "dortmund")) is None
