"""Exports of a search's result list: /search/export.csv and /search/export.json."""

from __future__ import annotations

import csv
import io

import pytest

from cityexchange.services import export
from tests.factories import make_case_study

COLUMNS = ["slug", "title", "city", "country", "language", "year", "topics", "url", "summary"]


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    # utf-8-sig: the file starts with a byte order mark for spreadsheet programs.
    reader = csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    assert header == COLUMNS
    return [dict(zip(header, row)) for row in rows]


@pytest.fixture
def studies(app):
    """Published oldest first; one draft."""
    return [
        make_case_study("Hydrogen bus depot", language="en", year=2023, topics=["hydrogen",
                                                                                 "mobility"],
                        summary="Twenty fuel-cell buses refuel overnight."),
        make_case_study("Hydrogen from a former steel site", city="Pittsburgh", language="en",
                        year=2022, summary="Elektrolyse auf der Brache in Hazelwood-Süd."),
        make_case_study("Youth orchestra exchange", city="Buffalo", language="en"),
        make_case_study("Hydrogen ferry plans", city="Buffalo", language="en", publish=False),
    ]


def test_csv_lists_every_match_with_its_fields(client, studies):
    response = client.get("/search/export.csv")

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="cityexchange-search-')
    assert disposition.endswith('.csv"')
    rows = csv_rows(response)
    assert [row["title"] for row in rows] == [  # browsing: newest first, no draft
        "Youth orchestra exchange", "Hydrogen from a former steel site", "Hydrogen bus depot"]
    depot = rows[2]
    assert depot == {
        "slug": studies[0].slug, "title": "Hydrogen bus depot", "city": "Dortmund",
        "country": "DE", "language": "en", "year": "2023", "topics": "hydrogen; mobility",
        "url": f"http://localhost/case-studies/{studies[0].slug}",
        "summary": "Twenty fuel-cell buses refuel overnight."}
    assert rows[0]["year"] == ""


def test_csv_keeps_the_words_filters_and_order_of_the_search(client, studies):
    rows = csv_rows(client.get("/search/export.csv?q=hydrogen&country=US"))

    assert [row["title"] for row in rows] == ["Hydrogen from a former steel site"]
    assert rows[0]["summary"] == "Elektrolyse auf der Brache in Hazelwood-Süd."  # UTF-8 kept


def test_formula_cells_are_neutralised(client, app):
    make_case_study("=HYPERLINK(\"http://evil.example\",\"Click\")", summary="-20% CO2",
                    topics=["+cmd", "@SUM(A1)"], language="en")
    make_case_study("Savings of = 20%", summary="@ the depot", language="en")

    rows = {row["slug"]: row for row in csv_rows(client.get("/search/export.csv"))}
    formula = next(row for row in rows.values() if "HYPERLINK" in row["title"])

    assert formula["title"] == "'=HYPERLINK(\"http://evil.example\",\"Click\")"
    assert formula["summary"] == "'-20% CO2"
    assert formula["topics"] == "'+cmd; @SUM(A1)"  # the cell is what a spreadsheet runs
    plain = next(row for row in rows.values() if row["title"].startswith("Savings"))
    assert plain["title"] == "Savings of = 20%" and plain["summary"] == "'@ the depot"


def test_neutralise_covers_each_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert export.neutralise(f"{start}1+1") == f"'{start}1+1"
    assert export.neutralise("1+1") == "1+1" and export.neutralise(2024) == 2024


def test_json_has_the_same_rows_and_says_how_many_matched(client, studies):
    response = client.get("/search/export.json?q=hydrogen&sort=newest")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Content-Disposition"].endswith('.json"')
    body = response.get_json()
    assert body["total"] == 2 and body["exported"] == 2 and body["limit"] == 1000
    assert body["q"] == "hydrogen" and body["sort"] == "newest" and body["filters"] == {}
    assert [item["title"] for item in body["items"]] == [
        "Hydrogen from a former steel site", "Hydrogen bus depot"]
    assert body["items"][1] == {
        "slug": studies[0].slug, "title": "Hydrogen bus depot", "city": "Dortmund",
        "country": "DE", "language": "en", "year": 2023, "topics": ["hydrogen", "mobility"],
        "url": f"http://localhost/case-studies/{studies[0].slug}",
        "summary": "Twenty fuel-cell buses refuel overnight."}
    csv_titles = [row["title"] for row in csv_rows(
        client.get("/search/export.csv?q=hydrogen&sort=newest"))]
    assert csv_titles == [item["title"] for item in body["items"]]


def test_the_export_is_the_whole_list_not_one_page(client, studies, monkeypatch):
    monkeypatch.setattr(export, "MAX_PER_PAGE", 2)  # so three matches need two searches

    body = client.get("/search/export.json?page=2&per_page=1").get_json()

    assert body["total"] == 3 and len(body["items"]) == 3
    assert len({item["slug"] for item in body["items"]}) == 3


def test_the_export_stops_at_its_limit(client, studies, monkeypatch):
    monkeypatch.setattr(export, "MAX_PER_PAGE", 2)
    monkeypatch.setattr(export, "MAX_ROWS", 2)

    body = client.get("/search/export.json").get_json()

    assert body["total"] == 3 and body["exported"] == 2
    assert len(csv_rows(client.get("/search/export.csv"))) == 2


@pytest.mark.parametrize("query, parameter", [
    ("year=twenty", "year"), ("sort=oldest", "sort"), ("status=finished", "status"),
    ("ui_lang=xx", "ui_lang"),
])
@pytest.mark.parametrize("kind", ["csv", "json"])
def test_bad_parameters_are_a_400_naming_the_parameter(client, studies, kind, query, parameter):
    response = client.get(f"/search/export.{kind}?{query}")

    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == parameter


def test_the_search_page_links_both_exports_of_the_same_search(client, studies):
    page = client.get("/search?q=hydrogen&city=Dortmund&page=1").get_data(as_text=True)

    assert 'href="/search/export.csv?q=hydrogen&amp;city=Dortmund"' in page
    assert 'href="/search/export.json?q=hydrogen&amp;city=Dortmund"' in page
