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

from cityexchange.auth import can_curate
from cityexchange.errors import Invalid
from cityexchange.extensions import csrf
from cityexchange.models import CaseStudy
from cityexchange.schemas import CaseStudyInputSchema, CaseStudyOutputSchema
from cityexchange.services import case_studies as service
from cityexchange.services import collections as collections_service
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
    data = load_params(CaseStudyWriteSchema(), _json_object())
    case_study = service.create(data, actor=g.api_user, city=data["city"])
    return _case_study_response(case_study, 201)


@bp.put("/case-studies/<slug>")
def replace_case_study(slug):
    """All fields; those left out take their defaults (empty), as in the form."""
    return _update(service.editable(slug, g.api_user), _json_object())


@bp.patch("/case-studies/<slug>")
def patch_case_study(slug):
    """Only the fields sent change; the others keep their current values."""
    case_study = service.editable(slug, g.api_user)
    return _update(case_study, {**service.case_study_fields(case_study), **_json_object()})


@bp.post("/case-studies/<slug>/publish")
def publish_case_study(slug):
    case_study = service.editable(slug, g.api_user)
    service.publish(case_study, actor=g.api_user)
    return _case_study_response(case_study, 200)


@bp.post("/case-studies/<slug>/unpublish")
def unpublish_case_study(slug):
    case_study = service.editable(slug, g.api_user)
    service.unpublish(case_study, actor=g.api_user)
    return _case_study_response(case_study, 200)


@bp.delete("/case-studies/<slug>")
def delete_case_study(slug):
    service.delete(service.editable(slug, g.api_user), actor=g.api_user)
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
        raise Invalid("body: send a JSON object with 'Content-Type: application/json'", "body")
    for key, value in data.items():
        if not _storable(key) or not _storable(value):
            raise Invalid(f"{key}: text must be valid Unicode without NUL characters (a "
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
    service.save(case_study, data, actor=g.api_user, city=data["city"],
                 expected_revision=data["expected_revision"])
    return _case_study_response(case_study, 200)


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
