"""Search as the portal offers it: parameters in, case studies and facets out.

The engine returns ranked ids; pages render the case studies from the
database in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import force_locale, gettext
from marshmallow import Schema, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from cityexchange.errors import ApiError, SearchUnavailable
from cityexchange.extensions import db
from cityexchange.i18n import country_name, language_label
from cityexchange.models import (
    BUDGET_RANGES, CO2_BANDS, CaseStudy, City, Collection, Partnership, Translation)
from cityexchange.schemas import YEAR_MAX, YEAR_MIN, SearchParamsSchema
from cityexchange.search_engine import get_engine
from cityexchange.services import common_words, crosslang
from cityexchange.services.embeddings import get_embedder
from cityexchange.services.outcomes import budget_label, co2_label, project_status_label
from cityexchange.thesaurus import get_thesaurus
from indexer import FACETS, EngineUnavailable, QueryError
from indexer.analysis import fold


# The range facets' bands, smallest first.
RANGE_BANDS = {"budget": BUDGET_RANGES, "co2": CO2_BANDS}


@dataclass
class SearchRequest:
    q: str
    page: int
    per_page: int
    sort: str
    ui_lang: str
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The year range as asked (filters["year"] already holds its years).
    year_from: int | None = None
    year_to: int | None = None
    # Only the words typed, without the thesaurus concepts they name.
    literal: bool = False

    @property
    def has_year_range(self) -> bool:
        return self.year_from is not None or self.year_to is not None


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(slots=True)
class HitCity:
    name: str
    country: str


@dataclass(slots=True)
class HitCaseStudy:
    """What the API shows of a hit's case study (SearchHitSchema), read by one SELECT with
    its city and one for its translations' languages, both built once (_SUMMARIES): the
    ORM objects, with bodies and every translation's text, took ~6 ms of a search's
    page, these ~1-2 ms."""

    id: int
    slug: str
    title: str
    summary: str
    language: str
    languages: list[str]
    year: int | None
    topics: list
    concepts: list
    status: str
    city: HitCity

    @property
    def is_published(self) -> bool:
        return self.status == "published"


@dataclass
class ResultItem:
    case_study: CaseStudy | HitCaseStudy
    score: float
    highlights: dict[str, list[str]]
    matched_languages: tuple[str, ...]
    reasons: tuple[str, ...] = ()


@dataclass
class ActiveFilter:
    """A selected facet value, shown as a removable chip."""

    name: str
    value: str
    label: str


@dataclass
class SearchPage:
    request: SearchRequest
    total: int
    items: list[ResultItem]
    facets: dict[str, list[FacetOption]]
    active_filters: list[ActiveFilter] = field(default_factory=list)
    # Cross-language search (services/crosslang.py): recognised concepts, corrections, what was tried.
    did_you_mean: str | None = None
    fuzzy_used: bool = False
    concepts: list[crosslang.ConceptRef] = field(default_factory=list)
    closest_concepts: list[crosslang.ConceptRef] = field(default_factory=list)
    explanation: crosslang.Explanation | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))

    @property
    def tried(self) -> list[str]:
        """What the search tried, in the UI language: made when a page without hits shows
        it, not for every search (its translated lines took ~0.2 ms of each)."""
        return self.explanation.tried() if self.explanation else []


def _first_error(error: ValidationError) -> tuple[str, str, dict]:
    """(parameter, message, {parameter: [messages]}) from a schema error."""
    fields = {name: _flatten(messages) for name, messages in error.messages.items()}
    name = next(iter(fields))
    return name, f"{name}: {' '.join(fields[name])}", fields


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):  # list fields report {index: [messages]}
        return [m for value in messages.values() for m in _flatten(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flatten(value)]
    return [str(messages)]


# One instance for every request: loading keeps no state on the schema, and building
# it with its fields took ~0.3 ms of each search.
SEARCH_PARAMS = SearchParamsSchema()


def parse_search_args(args: MultiDict, default_ui_lang: str = "en") -> SearchRequest:
    """Validate query-string parameters; bad ones raise ApiError naming the parameter.

    Unknown parameters are ignored; facet parameters may repeat.
    """
    raw = {key: args.get(key) for key in ("q", "page", "per_page", "sort", "ui_lang",
                                          "year_from", "year_to", "literal")
           if key in args}
    raw.update({name: args.getlist(name) for name in FACETS if name in args})
    params = load_params(SEARCH_PARAMS, raw)
    q = params["q"]
    filters = {name: tuple(params[name]) for name in FACETS if params[name]}
    years = year_range_filter(filters.get("year", ()), params["year_from"], params["year_to"])
    if years:
        filters["year"] = years
    return SearchRequest(
        q=q,
        page=params["page"],
        per_page=params["per_page"],
        sort=params["sort"] or ("relevance" if q else "newest"),
        ui_lang=params["ui_lang"] or default_ui_lang,
        filters=filters,
        year_from=params["year_from"],
        year_to=params["year_to"],
        literal=params["literal"],
    )


def year_range_filter(years: tuple[str, ...], year_from: int | None,
                      year_to: int | None) -> tuple[str, ...]:
    """The `year` filter values for a from–to range: one term per year, so both engines
    filter a range with the keyword facet they already have; chosen years narrow it."""
    if year_from is None and year_to is None:
        return years
    low, high = year_from or YEAR_MIN, year_to or YEAR_MAX
    in_range = tuple(str(y) for y in range(low, high + 1))
    if not years:
        return in_range
    chosen = tuple(y for y in years if low <= int(y) <= high)
    if not chosen:
        raise ApiError(f"year: {', '.join(years)} is outside year_from–year_to", "year")
    return chosen


def search(request: SearchRequest, *, summaries: bool = False) -> SearchPage:
    """summaries: the hits' case studies as HitCaseStudy (what the API shows), not as
    ORM objects (what pages, feeds and alerts use)."""
    load = _load_summaries if summaries else _load_in_order
    # The page's rows, read while the engine still fetches the hits' highlights.
    case_studies: dict[int, CaseStudy | HitCaseStudy] = {}

    def read_page(ids: list[int]) -> None:
        case_studies.update(load([doc_id for doc_id in ids if doc_id not in case_studies]))

    result, explanation = crosslang.search(get_engine(), request, get_thesaurus(),
                                           get_embedder(), on_page=read_page,
                                           common_words=common_words.current())
    read_page([hit.id for hit in result.hits])
    items = [
        ResultItem(case_studies[hit.id], hit.score, hit.highlights, hit.matched_languages,
                   hit.reasons)
        for hit in result.hits
        # A case study unpublished a moment ago may still be in the index.
        if hit.id in case_studies and case_studies[hit.id].is_published
    ]
    labels = FacetLabels(request.ui_lang)
    facets = {name: _facet_options(name, values, request, labels)
              for name, values in result.facets.items()}
    active = active_filters(request, labels)
    return SearchPage(request=request, total=result.total, items=items, facets=facets,
                      active_filters=active, **explanation.page_fields())


def active_filters(request: SearchRequest, labels: FacetLabels) -> list[ActiveFilter]:
    """One chip per selected value; a year range is one chip ("2019–2022"), not its years."""
    ranged = request.has_year_range
    active = [ActiveFilter(name, value, labels.label(name, value))
              for name, values in request.filters.items() for value in values
              if not (ranged and name == "year")]
    if ranged:
        span = f"{request.year_from or ''}–{request.year_to or ''}"
        active.append(ActiveFilter("year_range", span, span))
    return active


def _facet_options(name: str, values, request: SearchRequest,
                   labels: FacetLabels) -> list[FacetOption]:
    """The engine's counts; a selected value stays listed even when nothing matches it."""
    selected = request.filters.get(name, ())
    options = [FacetOption(v.value, labels.label(name, v.value), v.count, v.value in selected)
               for v in values]
    listed = {option.value for option in options}
    if not (name == "year" and request.has_year_range):  # a range's empty years stay out
        options += [FacetOption(value, labels.label(name, value), 0, True)
                    for value in selected if value not in listed]
    if name in RANGE_BANDS:  # range facets read smallest band first
        order = RANGE_BANDS[name]
        options.sort(key=lambda o: order.index(o.value) if o.value in order else len(order))
    return options


def _load_in_order(ids: list[int]) -> dict[int, CaseStudy]:
    if not ids:
        return {}
    # The city joined in the same SELECT (a page's hits: ~2 ms less than a second query).
    rows = db.session.scalars(
        select(CaseStudy)
        .where(CaseStudy.id.in_(ids))
        .options(joinedload(CaseStudy.city), selectinload(CaseStudy.translations))
    )
    return {case_study.id: case_study for case_study in rows}


# Built once: building and caching the statements cost more than running them.
_SUMMARIES = (
    select(CaseStudy.id, CaseStudy.slug, CaseStudy.title, CaseStudy.summary, CaseStudy.language,
           CaseStudy.year, CaseStudy.topics, CaseStudy.concepts, CaseStudy.status, City.name,
           City.country)
    .join(City, City.id == CaseStudy.city_id)
    .where(CaseStudy.id.in_(bindparam("ids", expanding=True))))
# Ordered as CaseStudy.translations is.
_TRANSLATED = (select(Translation.case_study_id, Translation.language)
               .where(Translation.case_study_id.in_(bindparam("ids", expanding=True)))
               .order_by(Translation.language))


def _load_summaries(ids: list[int]) -> dict[int, HitCaseStudy]:
    if not ids:
        return {}
    connection = db.session.connection()
    translated: dict[int, list[str]] = {}
    for case_study_id, language in connection.execute(_TRANSLATED, {"ids": ids}).tuples():
        translated.setdefault(case_study_id, []).append(language)
    # Plain tuples, unpacked: a third faster than the rows' attributes.
    return {case_study_id: HitCaseStudy(
        id=case_study_id, slug=slug, title=title, summary=summary, language=language,
        languages=[language, *translated.get(case_study_id, ())], year=year, topics=topics,
        concepts=concepts, status=status, city=HitCity(city, country))
        for case_study_id, slug, title, summary, language, year, topics, concepts, status, city,
        country in connection.execute(_SUMMARIES, {"ids": ids}).tuples()}


class FacetLabels:
    """Human labels for facet values, in the reader's UI language."""

    def __init__(self, ui_lang: str):
        self.ui_lang = ui_lang
        self._names: dict[str, dict[str, str]] = {}

    def label(self, facet: str, value: str) -> str:
        if facet == "topic":
            return get_thesaurus().label(value, self.ui_lang)
        if facet == "language":
            return language_label(value, self.ui_lang)
        if facet == "country":
            return country_name(value, self.ui_lang)
        if facet in ("partnership", "collection"):
            return self._titles(facet).get(value, value)
        if facet == "status":
            return project_status_label(value, self.ui_lang)
        if facet == "budget":
            return budget_label(value)
        if facet == "co2":
            return co2_label(value)
        if facet == "translation":
            return translation_kind_label(value, self.ui_lang)
        return value

    def _titles(self, facet: str) -> dict[str, str]:
        if facet not in self._names:
            model, column = (Partnership, Partnership.name) if facet == "partnership" else (
                Collection, Collection.title)
            self._names[facet] = dict(db.session.execute(select(model.slug, column)).all())
        return self._names[facet]


def translation_kind_label(value: str, ui_lang: str) -> str:
    with force_locale(ui_lang):
        return {"human": gettext("by a person"),
                "machine": gettext("by machine")}.get(value, value)


def load_params(schema: Schema, data: dict) -> dict:
    """Load request parameters with `schema`; errors become ApiError naming the parameter."""
    try:
        return schema.load(data)
    except ValidationError as error:
        name, message, fields = _first_error(error)
        raise ApiError(message, name, errors=fields) from error


def run_stored(args: MultiDict) -> SearchPage:
    """A search stored earlier (a saved search, a collection's proposals).

    Raises SearchUnavailable, one error for its callers, when the engine is down
    or the stored parameters no longer parse (a facet value gone, a limit changed).
    """
    try:
        return search(parse_search_args(args))
    except EngineUnavailable as error:
        raise SearchUnavailable(f"Search is unavailable at the moment: {error}") from error
    except (QueryError, ApiError) as error:
        raise SearchUnavailable(f"The stored search no longer runs: {error}") from error


# -- suggestions ----------------------------------------------------------------------

@dataclass
class Suggestion:
    text: str
    kind: str  # "topic" | "city" | "case_study"
    value: str
    url: str
    # 0: the text starts with the prefix; 1: a later word of it does; 2: only
    # another label (an alternative label, a title in another language) does.
    rank: int = 0
    matched: str = ""  # the label or title that matched


def _key(text: str) -> str:
    return fold(text.casefold())


def _prefix_rank(text: str, key: str) -> int | None:
    folded = _key(text)
    if folded.startswith(key):
        return 0
    words = folded.split()
    return 1 if any(word.startswith(key) for word in words[1:]) else None


def suggest(q: str, ui_lang: str, limit: int = 10) -> list[Suggestion]:
    """Concept labels, city names and case-study titles that start (a word) with `q`."""
    key = _key(q.strip())
    if not key:
        return []
    found = _topic_suggestions(key, ui_lang) + _city_suggestions(key)
    found += _case_study_suggestions(q.strip(), key, ui_lang)
    kinds = {"topic": 0, "city": 1, "case_study": 2}
    found.sort(key=lambda s: (s.rank, kinds[s.kind], len(s.text), s.text.casefold()))
    return found[:limit]


def _topic_suggestions(key: str, ui_lang: str) -> list[Suggestion]:
    found = []
    for concept in get_thesaurus().concepts.values():
        text = concept.label(ui_lang)
        rank, matched = _best_match(text, concept.alt.get(ui_lang, ()), key)
        if matched:
            found.append(Suggestion(text, "topic", concept.id,
                                    url_for("search.search_page", topic=concept.id),
                                    rank, matched))
    return found


def _best_match(text: str, others, key: str) -> tuple[int, str]:
    """(rank, matched label) of the shown text, else of the first other label; "" if none."""
    rank = _prefix_rank(text, key)
    if rank is not None:
        return rank, text
    matched = next((label for label in others if _prefix_rank(label, key) is not None), "")
    return 2, matched


def _city_suggestions(key: str) -> list[Suggestion]:
    found = []
    for slug, name in db.session.execute(select(City.slug, City.name)):
        rank = _prefix_rank(name, key)
        if rank is not None:
            found.append(Suggestion(name, "city", name, url_for("public.city", slug=slug), rank,
                                    name))
    return found


def _case_study_suggestions(q: str, key: str, ui_lang: str) -> list[Suggestion]:
    """Titles, original or translated; shown in the reader's language when there is one."""
    matching = (
        select(CaseStudy.id).where(CaseStudy.title.icontains(q, autoescape=True))
        .union(select(Translation.case_study_id)
               .where(Translation.title.icontains(q, autoescape=True)))
    )
    rows = db.session.scalars(
        select(CaseStudy).where(CaseStudy.status == "published", CaseStudy.id.in_(matching))
        .options(selectinload(CaseStudy.translations)).order_by(CaseStudy.id.desc()).limit(50)
    )
    found = []
    for case_study in rows:
        translated = case_study.translation(ui_lang)
        text = translated.title if translated else case_study.title
        titles = [case_study.title] + [t.title for t in case_study.translations]
        rank, matched = _best_match(text, [t for t in titles if t != text], key)
        if matched:
            found.append(Suggestion(text, "case_study", case_study.slug,
                                    url_for("public.case_study", slug=case_study.slug),
                                    rank, matched))
    return found
