"""The JSON API's write endpoints, with the permissions of the pages.

Callers authenticate with a personal token (Authorization: Bearer) or, from a
page's script, with the session cookie plus a CSRF token (blueprints/api_auth.py).
Input goes through the schemas the pages use; the services write revision and
outbox row in one transaction.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, g, jsonify, request, url_for
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cityexchange.auth import can_contribute_for_city, can_curate, can_edit_case_study, is_staff
from cityexchange.errors import ApiError
from cityexchange.extensions import csrf, db
from cityexchange.models import CaseStudy, City
from cityexchange.schemas import CaseStudyInputSchema, CaseStudyOutputSchema
from cityexchange.services import case_studies as service
from cityexchange.services import collections as collections_service
from cityexchange.services.outcomes import FIELDS as OUTCOME_FIELDS
from cityexchange.services.search import load_params

from .api_auth import writing_user

bp = Blueprint("api_write", __name__, url_prefix="/api/v1")
_SURROGATE = re.compile("[\ud800-\udfff]")
# The global CSRF check would refuse token requests; writing_user() applies it to
# session-cookie requests instead.
bp.record_once(lambda state: csrf.exempt(bp))


class CaseStudyWriteSchema(CaseStudyInputSchema):
    """A case study as an API client sends it: the form's fields plus city and revision."""

    city = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(min=1, max=200),
                         metadata={"description": "Name or slug of the city (staff only; "
                                                  "a contributor's case studies belong to "
                                                  "their own city)."})
    expected_revision = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Refuse the update (409) unless the case study is still "
                                 "at this revision."})


@bp.before_request
def _authenticate():
    g.api_user = writing_user()


# -- case studies ---------------------------------------------------------------------

@bp.post("/case-studies")
def create_case_study():
    user = g.api_user
    data = load_params(CaseStudyWriteSchema(), _json_object())
    city = _city_for_new(user, data["city"])
    _check_partners(data["partners"])
    if data["slug"] and _slug_taken(data["slug"]):
        raise ApiError(f"slug: '{data['slug']}' is taken already; choose another or leave it "
                       "out to have one made from the title", "slug", status=409)
    try:
        case_study = service.create_case_study(data, city=city, author=user)
    except IntegrityError:  # the same slug created at the same moment
        db.session.rollback()
        raise ApiError("slug: taken already; try again", "slug", status=409) from None
    return _case_study_response(case_study, 201)


@bp.put("/case-studies/<slug>")
def replace_case_study(slug):
    """All fields; those left out take their defaults (empty), as in the form."""
    case_study = _editable(slug)
    return _update(case_study, _json_object())


@bp.patch("/case-studies/<slug>")
def patch_case_study(slug):
    """Only the fields sent change; the others keep their current values."""
    case_study = _editable(slug)
    return _update(case_study, {**_current_input(case_study), **_json_object()})


@bp.post("/case-studies/<slug>/publish")
def publish_case_study(slug):
    return _set_status(_editable(slug), "published")


@bp.post("/case-studies/<slug>/unpublish")
def unpublish_case_study(slug):
    return _set_status(_editable(slug), "draft")


@bp.delete("/case-studies/<slug>")
def delete_case_study(slug):
    service.delete_case_study(_editable(slug))
    return "", 204


# -- collections ----------------------------------------------------------------------

@bp.post("/collections")
def create_collection():
    _require_curator()
    data = load_params(collections_service.CollectionInputSchema(), _json_object())
    collection = collections_service.create_collection(data, owner=g.api_user)
    return _collection_response(collection, 201)


@bp.put("/collections/<slug>")
def replace_collection(slug):
    _require_curator()
    collection = _collection_or_404(slug)
    data = load_params(collections_service.CollectionInputSchema(), _json_object())
    collections_service.update_collection(collection, data)
    return _collection_response(collection, 200)


@bp.delete("/collections/<slug>")
def delete_collection(slug):
    _require_curator()
    collections_service.delete_collection(_collection_or_404(slug))
    return "", 204


# -- helpers --------------------------------------------------------------------------

def _json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError("body: send a JSON object with 'Content-Type: application/json'", "body")
    for key, value in data.items():
        if not _storable(key) or not _storable(value):
            raise ApiError(f"{key}: text must be valid Unicode without NUL characters (a "
                           "lone surrogate such as \\ud800 cannot be stored)", str(key))
    return data


def _storable(value) -> bool:
    """JSON may escape what no database column can hold: lone surrogates, NUL."""
    if isinstance(value, str):
        return "\x00" not in value and not _SURROGATE.search(value)
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    return True


def _update(case_study: CaseStudy, payload: dict):
    data = load_params(CaseStudyWriteSchema(), payload)
    if data["slug"] and data["slug"] != case_study.slug:
        raise ApiError("slug: the slug is the case study's address and cannot change", "slug")
    expected = data["expected_revision"]
    if expected is not None and expected != case_study.revision:
        raise ApiError(f"expected_revision: the case study is at revision {case_study.revision}, "
                       f"not {expected}; someone saved it meanwhile. Fetch it, merge, and send "
                       "again", "expected_revision", status=409)
    city = _city_for_update(g.api_user, case_study, data["city"])
    _check_partners(data["partners"])
    if city.id != case_study.city_id:
        case_study.city, case_study.city_id = city, city.id
    service.update_case_study(case_study, data, author=g.api_user)
    return _case_study_response(case_study, 200)


def _set_status(case_study: CaseStudy, status: str):
    if case_study.status != status:
        service.set_status(case_study, status, author=g.api_user)
    return _case_study_response(case_study, 200)


def _editable(slug: str) -> CaseStudy:
    """As the contribute pages: 404 when missing, 403 when another city's."""
    case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    if case_study is None:
        abort(404, description=f"There is no case study '{slug}'.")
    if not can_edit_case_study(g.api_user, case_study):
        abort(403, description=f"This case study belongs to {case_study.city.name}; "
                               f"{_own_city_phrase(g.api_user)}.")
    return case_study


def _own_city_phrase(user) -> str:
    if user.role != "contributor" or user.city is None:
        return "your account may not edit case studies"
    return f"your account may work only on the case studies of {user.city.name}"


def _find_city(name: str) -> City:
    city = service.find_city(name)
    if city is None:
        raise ApiError(f"city: unknown city '{name}'; see GET /api/v1/cities", "city")
    return city


def _city_for_new(user, name: str | None) -> City:
    """A contributor's own city; staff name one (or default to theirs)."""
    city = _find_city(name) if name else user.city
    if city is None:
        if is_staff(user):
            raise ApiError("city: give the city this case study belongs to", "city")
        abort(403, description="Your account belongs to no city, so it cannot add case "
                               "studies. Ask an administrator to assign your city.")
    if not can_contribute_for_city(user, city.id):
        abort(403, description=f"Your account may not add case studies for {city.name}; "
                               f"{_own_city_phrase(user)}.")
    return city


def _city_for_update(user, case_study: CaseStudy, name: str | None) -> City:
    if not name:
        return case_study.city
    city = _find_city(name)
    if city.id != case_study.city_id and not is_staff(user):
        abort(403, description="Only coordinators and administrators move a case study to "
                               "another city.")
    return city


def _check_partners(names: list[str]) -> None:
    unknown = [name for name in names if service.find_city(name) is None]
    if unknown:
        raise ApiError(f"partners: unknown city {', '.join(unknown)}; partner cities must be "
                       "cities of the network (GET /api/v1/cities)", "partners")


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(CaseStudy.id).where(CaseStudy.slug == slug)) is not None


def _current_input(case_study: CaseStudy) -> dict:
    """The case study as CaseStudyInputSchema input: what a PATCH starts from."""
    return {
        "title": case_study.title, "summary": case_study.summary, "body": case_study.body,
        "language": case_study.language, "year": case_study.year,
        "topics": list(case_study.topics or []),
        "partners": [city.name for city in case_study.partners],
        "translations": {t.language: {"title": t.title, "summary": t.summary, "body": t.body}
                         for t in case_study.translations},
        "concepts": list(case_study.concepts or []),
        "dismissed_concepts": list(case_study.dismissed_concepts or []),
        **{name: getattr(case_study, name) for name in OUTCOME_FIELDS},
    }


def _case_study_response(case_study: CaseStudy, status: int):
    response = jsonify(CaseStudyOutputSchema().dump(case_study))
    response.status_code = status
    response.headers["Location"] = url_for("api.case_study", slug=case_study.slug)
    return response


def _require_curator() -> None:
    if not can_curate(g.api_user):
        abort(403, description="Only network coordinators and administrators curate "
                               "collections.")


def _collection_or_404(slug: str):
    collection = collections_service.get_collection(slug)
    if collection is None:
        abort(404, description=f"There is no collection '{slug}'.")
    return collection


def _collection_response(collection, status: int):
    response = jsonify(collections_service.CollectionSchema().dump(collection))
    response.status_code = status
    response.headers["Location"] = url_for("api.collection", slug=collection.slug)
    return response
