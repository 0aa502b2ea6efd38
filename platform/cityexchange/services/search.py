"""Search as the portal offers it: parameters in, case studies and facets out.

The engine returns ranked ids; pages render the case studies from the
database in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from cityexchange.errors import ApiError
from cityexchange.extensions import db
from cityexchange.models import CaseStudy, Collection, Partnership
from cityexchange.schemas import SearchParamsSchema
from cityexchange.search_engine import get_engine
from cityexchange.thesaurus import get_thesaurus
from indexer import FACETS, SearchQuery
from indexer.analysis import LANGUAGE_NAMES

MAX_FILTER_VALUES = 50


@dataclass
class SearchRequest:
    q: str
    page: int
    per_page: int
    sort: str
    ui_lang: str
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_query(self) -> SearchQuery:
        return SearchQuery(
            text=self.q, filters=self.filters, page=self.page,
            per_page=self.per_page, sort=self.sort,
        )


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class ResultItem:
    case_study: CaseStudy
    score: float
    highlights: dict[str, list[str]]
    matched_languages: tuple[str, ...]


@dataclass
class SearchPage:
    request: SearchRequest
    total: int
    items: list[ResultItem]
    facets: dict[str, list[FacetOption]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))


def parse_search_args(args: MultiDict, default_ui_lang: str = "en") -> SearchRequest:
    """Validate query-string parameters; bad ones raise ApiError naming the parameter."""
    try:
        params = SearchParamsSchema().load(
            {key: args.get(key) for key in ("q", "page", "per_page", "sort", "ui_lang")
             if args.get(key) is not None}
        )
    except ValidationError as error:
        name = next(iter(error.messages))
        raise ApiError(f"{name}: {' '.join(error.messages[name])}", name,
                       errors=error.messages) from error
    filters = {}
    for name in FACETS:
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > MAX_FILTER_VALUES:
            raise ApiError(f"at most {MAX_FILTER_VALUES} values for '{name}'", name)
        if name == "year" and not all(v.isdigit() for v in values):
            raise ApiError("year must be a number such as 2024", "year")
        if values:
            filters[name] = values
    q = params["q"].strip()
    return SearchRequest(
        q=q,
        page=params["page"],
        per_page=params["per_page"],
        sort=params["sort"] or ("relevance" if q else "newest"),
        ui_lang=params["ui_lang"] or default_ui_lang,
        filters=filters,
    )


def search(request: SearchRequest) -> SearchPage:
    result = get_engine().search(request.to_query())
    case_studies = _load_in_order([hit.id for hit in result.hits])
    items = [
        ResultItem(case_studies[hit.id], hit.score, hit.highlights, hit.matched_languages)
        for hit in result.hits
        # A case study unpublished a moment ago may still be in the index.
        if hit.id in case_studies and case_studies[hit.id].is_published
    ]
    labels = FacetLabels(request.ui_lang)
    facets = {
        name: [
            FacetOption(v.value, labels.label(name, v.value), v.count,
                        v.value in request.filters.get(name, ()))
            for v in values
        ]
        for name, values in result.facets.items()
    }
    return SearchPage(request=request, total=result.total, items=items, facets=facets)


def _load_in_order(ids: list[int]) -> dict[int, CaseStudy]:
    if not ids:
        return {}
    rows = db.session.scalars(
        select(CaseStudy)
        .where(CaseStudy.id.in_(ids))
        .options(selectinload(CaseStudy.city), selectinload(CaseStudy.translations))
    )
    return {case_study.id: case_study for case_study in rows}


class FacetLabels:
    """Human labels for facet values, in the reader's UI language."""

    def __init__(self, ui_lang: str):
        self.ui_lang = ui_lang
        self._names: dict[str, dict[str, str]] = {}

    def label(self, facet: str, value: str) -> str:
        if facet == "topic":
            return get_thesaurus().label(value, self.ui_lang)
        if facet == "language":
            return LANGUAGE_NAMES.get(value, value)
        if facet in ("partnership", "collection"):
            return self._titles(facet).get(value, value)
        return value

    def _titles(self, facet: str) -> dict[str, str]:
        if facet not in self._names:
            model, column = (Partnership, Partnership.name) if facet == "partnership" else (
                Collection, Collection.title)
            self._names[facet] = dict(db.session.execute(select(model.slug, column)).all())
        return self._names[facet]


def hit_to_json(item: ResultItem) -> dict:
    case_study = item.case_study
    return {
        "slug": case_study.slug,
        "title": case_study.title,
        "summary": case_study.summary,
        "city": case_study.city.name,
        "country": case_study.city.country,
        "language": case_study.language,
        "languages": case_study.languages,
        "year": case_study.year,
        "topics": list(case_study.topics or []),
        "score": round(item.score, 4),
        "highlights": item.highlights,
        "matched_languages": list(item.matched_languages),
    }


def page_to_json(page: SearchPage) -> dict:
    return {
        "total": page.total,
        "page": page.request.page,
        "per_page": page.request.per_page,
        "hits": [hit_to_json(item) for item in page.items],
        "facets": {
            name: [{"value": o.value, "label": o.label, "count": o.count} for o in options]
            for name, options in page.facets.items()
        },
    }
