"""A published case study's permanent revision pages and its JSON export."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, render_template
from flask_babel import gettext

from cityexchange.services import citation as service

bp = Blueprint("cite", __name__)


def _published_or_404(slug: str):
    case_study = service.published_case_study(slug)
    if case_study is None:
        abort(404, description=gettext("There is no published case study '%(slug)s'.",
                                       slug=slug))
    return case_study


@bp.get("/case-studies/<slug>/revisions/<int:number>")
def revision(slug: str, number: int):
    case_study = _published_or_404(slug)
    found = service.public_revision(case_study, number)
    if found is None:
        abort(404, description=gettext("Revision %(number)d of this case study was never "
                                       "published.", number=number))
    return render_template("case_study/revision.html", case_study=case_study, revision=found,
                           text=found.snapshot)


@bp.get("/case-studies/<slug>/export.json")
def export_json(slug: str):
    case_study = _published_or_404(slug)
    body = json.dumps(service.export(case_study), ensure_ascii=False, indent=1)
    response = current_app.response_class(body.encode("utf-8"))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{case_study.slug}-r{case_study.revision}.json"')
    return response
