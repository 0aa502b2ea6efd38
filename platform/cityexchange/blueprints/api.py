"""The JSON API, /api/v1/ (contract in ARCHITECTURE.md): the reads; schemas shape every answer.

Writes are in api_write.py, the OpenAPI document in cityexchange/openapi.py.
"""

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from cityexchange.auth import can_curate, can_edit_case_study
from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, Collection, CollectionItem, Partnership
from cityexchange.openapi import get_spec
from cityexchange.schemas import (
    CaseStudyOutputSchema,
    CityDetailSchema,
    ConceptSchema,
    LocalizedPageParamsSchema,
    PageParamsSchema,
    PartnershipSchema,
    SearchPageSchema,
    SuggestParamsSchema,
    SuggestResponseSchema,
    pagination_schema,
)
from cityexchange.services import collections as collections_service
from cityexchange.services import search as search_service
from cityexchange.thesaurus import get_thesaurus

from .api_auth import optional_user

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _default_ui_lang() -> str:
    return current_app.config["DEFAULT_UI_LANGUAGE"]


def _page_params(schema=None) -> dict:
    return search_service.load_params(schema or PageParamsSchema(), request.args.to_dict())


def _paginated(statement, item_schema, params: dict):
    """{"total", "page", "per_page", "items"} for one page of a SELECT."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    offset = (params["page"] - 1) * params["per_page"]
    items = db.session.scalars(statement.limit(params["per_page"]).offset(offset)).all()
    return jsonify(pagination_schema(item_schema).dump(
        {"total": total, "page": params["page"], "per_page": params["per_page"], "items": items}))


# One instance for every request: dumping keeps no state on the schema, and building
# it with its nested schemas each time cost ~1 ms of a search.
SEARCH_PAGE = SearchPageSchema()


@bp.get("/search")
def search():
    search_request = search_service.parse_search_args(request.args, _default_ui_lang())
    page = search_service.search(search_request, summaries=True)
    return jsonify(SEARCH_PAGE.dump(page))


@bp.get("/case-studies")
def case_studies():
    """Published case studies, newest first."""
    statement = (
        select(CaseStudy).where(CaseStudy.status == "published")
        .options(selectinload(CaseStudy.city), selectinload(CaseStudy.partners),
                 selectinload(CaseStudy.translations))
        .order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
    )
    return _paginated(statement, CaseStudyOutputSchema(exclude=("body", "translations")),
                      _page_params())


@bp.get("/case-studies/<slug>")
def case_study(slug):
    """Drafts only for a caller who may edit them (token or session)."""
    user = optional_user()  # a bad token is a 401 whatever the slug
    found = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    if found is None or not (found.is_published or can_edit_case_study(user, found)):
        abort(404, description=f"There is no published case study '{slug}'.")
    return jsonify(CaseStudyOutputSchema().dump(found))


@bp.get("/cities")
def cities():
    statement = select(City).options(
        selectinload(City.case_studies), selectinload(City.partnerships)).order_by(City.name)
    return _paginated(statement, CityDetailSchema(exclude=("case_studies",)), _page_params())


@bp.get("/cities/<slug>")
def city(slug):
    found = db.session.scalar(select(City).where(City.slug == slug))
    if found is None:
        abort(404, description=f"There is no city '{slug}'.")
    return jsonify(CityDetailSchema().dump(found))


@bp.get("/partnerships")
def partnerships():
    statement = select(Partnership).options(selectinload(Partnership.cities)).order_by(
        Partnership.name)
    return _paginated(statement, PartnershipSchema(), _page_params())


@bp.get("/topics")
def topics():
    """The thesaurus concepts, labelled in ui_lang, in label order."""
    params = _page_params(LocalizedPageParamsSchema())
    ui_lang = params["ui_lang"] or _default_ui_lang()
    concepts = sorted(get_thesaurus().concepts.values(),
                      key=lambda concept: concept.label(ui_lang).casefold())
    start = (params["page"] - 1) * params["per_page"]
    body = {"total": len(concepts), "page": params["page"], "per_page": params["per_page"],
            "items": concepts[start:start + params["per_page"]]}
    return jsonify(pagination_schema(ConceptSchema(ui_lang=ui_lang)).dump(body))


@bp.get("/suggest")
def suggest():
    params = search_service.load_params(SuggestParamsSchema(), request.args.to_dict())
    ui_lang = params["ui_lang"] or _default_ui_lang()
    found = search_service.suggest(params["q"], ui_lang, params["limit"])
    return jsonify(SuggestResponseSchema().dump({"q": params["q"], "suggestions": found}))


@bp.get("/collections")
def collections():
    """Published collections by title, each with the number of case studies a reader sees."""
    statement = collections_service.published_query().options(
        selectinload(Collection.items).selectinload(CollectionItem.case_study))
    return _paginated(statement, collections_service.CollectionSummarySchema(), _page_params())


@bp.get("/collections/<slug>")
def collection(slug):
    """A draft is the curators' work in progress: for everyone else it does not exist."""
    user = optional_user()
    found = collections_service.get_collection(slug)
    if found is None or (found.status != "published" and not can_curate(user)):
        abort(404, description=f"There is no published collection '{slug}'.")
    return jsonify(collections_service.CollectionSchema().dump(found))


@bp.get("/openapi.json")
def openapi():
    return jsonify(get_spec(current_app))
