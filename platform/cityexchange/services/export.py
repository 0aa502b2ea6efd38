"""A search's result list as CSV or JSON: every match up to MAX_ROWS, in the search's order.

Rows come from one marshmallow schema for both formats. CSV cells that a
spreadsheet would run as a formula get a leading apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace

from flask import url_for
from marshmallow import Schema, fields
from werkzeug.datastructures import MultiDict

from cityexchange.services import search as search_service
from cityexchange.services.search import ResultItem
from indexer.query import MAX_PER_PAGE

MAX_ROWS = 1_000
COLUMNS = ("slug", "title", "city", "country", "language", "year", "topics", "url", "summary")
# A spreadsheet reads a cell starting with one of these as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TOPIC_SEPARATOR = "; "


class ExportRowSchema(Schema):
    slug = fields.String(attribute="case_study.slug")
    title = fields.String(attribute="case_study.title")
    city = fields.String(attribute="case_study.city.name")
    country = fields.String(attribute="case_study.city.country")
    language = fields.String(attribute="case_study.language")
    year = fields.Integer(attribute="case_study.year", allow_none=True)
    topics = fields.Function(lambda item: list(item.case_study.topics or []))
    url = fields.Function(lambda item: url_for("public.case_study", slug=item.case_study.slug,
                                               _external=True))
    summary = fields.String(attribute="case_study.summary")


class ExportSchema(Schema):
    """The JSON export: how many matched, how many are listed, the search, the rows."""

    total = fields.Integer()
    exported = fields.Function(lambda export: len(export.items))
    limit = fields.Constant(MAX_ROWS)
    q = fields.String(attribute="request.q")
    sort = fields.String(attribute="request.sort")
    filters = fields.Function(lambda export: {name: list(values) for name, values
                                              in export.request.filters.items()})
    items = fields.List(fields.Nested(ExportRowSchema))


@dataclass
class Export:
    request: search_service.SearchRequest
    total: int
    items: list[ResultItem]


def collect(args: MultiDict, ui_lang: str) -> Export:
    """Run the search page by page (the engine's largest page) until MAX_ROWS or the end.

    page and per_page of the address are ignored: an export is the whole list.
    Bad parameters raise ApiError naming the parameter.
    """
    args = MultiDict(args)
    args.poplist("page")
    args.poplist("per_page")
    request = search_service.parse_search_args(args, ui_lang)
    items: list[ResultItem] = []
    total, number = 0, 1
    while len(items) < MAX_ROWS:
        page = search_service.search(replace(request, page=number, per_page=MAX_PER_PAGE))
        total = page.total
        items += page.items
        if number * MAX_PER_PAGE >= min(total, MAX_ROWS) or not page.items:
            break
        number += 1
    return Export(request, total, _unique(items)[:MAX_ROWS])


def _unique(items: list[ResultItem]) -> list[ResultItem]:
    """A case study published between two pages' searches would shift one row into both."""
    seen: set[int] = set()
    return [item for item in items
            if not (item.case_study.id in seen or seen.add(item.case_study.id))]


def to_json(export: Export) -> dict:
    return ExportSchema().dump(export)


def neutralise(cell):
    """A text cell that a spreadsheet would run as a formula, made plain text."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def to_csv(export: Export) -> str:
    """A header row, then one row per case study; topics joined by "; "."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in ExportRowSchema(many=True).dump(export.items):
        row["topics"] = TOPIC_SEPARATOR.join(row["topics"])
        writer.writerow([neutralise("" if row[name] is None else row[name])
                         for name in COLUMNS])
    return buffer.getvalue()
