"""A city's contributors draft, preview, revise, publish and unpublish case studies."""

from __future__ import annotations

import difflib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cityexchange.auth import can_edit_case_study, is_staff
from cityexchange.errors import Conflict, FieldError, page_message
from cityexchange.extensions import db
from cityexchange.forms import CaseStudyForm
from cityexchange.models import STATUSES, CaseStudy, City
from cityexchange.schemas import LANGUAGE_CHOICES
from cityexchange.services import case_studies as service
from cityexchange.services import tagging

bp = Blueprint("contribute", __name__, url_prefix="/contribute")

OUTCOME_LABELS = {
    "project_status": "Project status", "start_year": "Start year", "end_year": "End year",
    "budget_range": "Budget", "funding_programme": "Funding programme",
    "measured_results": "Measured results", "co2_reduction_t_per_year": "CO2 reduction (t/year)",
    "people_reached": "People reached",
}
STATUS_MESSAGES = {
    "draft": lazy_gettext("Unpublished — it is a draft again and no longer appears in search "
                          "(revision %(revision)d)."),
    "submitted": lazy_gettext("Submitted for review (revision %(revision)d)."),
    "published": lazy_gettext("Published — it is now searchable (revision %(revision)d)."),
}
# Service field names that the form shows under another name.
FORM_FIELDS = {"expected_revision": "revision"}
STATUS_NAMES = {"draft": lazy_gettext("a draft"), "submitted": lazy_gettext("submitted"),
                "published": lazy_gettext("published")}


class StatusSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token

    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    # Where to go back to: a page name, never a URL (no open redirect).
    return_to = fields.String(load_default="edit", validate=validate.OneOf(["edit", "dashboard"]))


class HistoryArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # ui_lang and other page-wide parameters

    revision = fields.Integer(load_default=None, validate=validate.Range(min=1))


@bp.get("/")
@login_required
def dashboard():
    """The case studies this user may edit: their city's, or all for staff."""
    query = (select(CaseStudy).options(selectinload(CaseStudy.city))
             .order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc()))
    if not is_staff(current_user):
        query = query.where(CaseStudy.city_id == current_user.city_id)
    case_studies = db.session.scalars(query).all()
    return render_template("contribute/dashboard.html", case_studies=case_studies,
                           may_create=bool(_cities_for_user()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    cities = _cities_for_user()
    if not cities:
        abort(403, description=service.NO_CITY)
    if request.method == "GET":
        form = CaseStudyForm()
        form.values["city"] = str(current_user.city_id or "")
        return _render_form(form, None)
    return _handle_post(None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    case_study = _editable(slug)
    if request.method == "GET":
        return _render_form(CaseStudyForm.from_case_study(case_study), case_study)
    return _handle_post(case_study)


@bp.post("/<slug>/status")
@login_required
def change_status(slug):
    case_study = _editable(slug)
    try:
        data = StatusSchema().load(request.form.to_dict())
    except ValidationError as error:
        abort(400, description=gettext("Cannot change the status: %(reason)s",
                                       reason=error.messages))
    if not service.change_status(case_study, data["status"], actor=current_user):
        flash(gettext("It is already %(status)s; nothing changed.",
                      status=STATUS_NAMES[case_study.status]), "info")
    else:
        flash(STATUS_MESSAGES[data["status"]] % {"revision": case_study.revision}, "success")
    if data["return_to"] == "dashboard":
        return redirect(url_for(".dashboard"))
    return redirect(url_for(".edit", slug=case_study.slug))


@bp.get("/<slug>/history")
@login_required
def history(slug):
    case_study = _editable(slug)
    try:
        args = HistoryArgsSchema().load(request.args.to_dict())
    except ValidationError as error:
        abort(400, description=gettext("revision: %(reason)s",
                                       reason=" ".join(error.messages["revision"])))
    chosen = None
    if args["revision"] is not None:
        chosen = next((r for r in case_study.revisions if r.number == args["revision"]), None)
        if chosen is None:
            abort(404, description=gettext("There is no revision %(number)d of this case study.",
                                           number=args["revision"]))
    current = case_study.revisions[0] if case_study.revisions else None
    diff = revision_diff(chosen, current) if chosen and current else []
    return render_template("contribute/history.html", case_study=case_study, chosen=chosen,
                           current=current, diff=diff)


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    """A missing or expired token saves nothing, but the text typed into the form comes back."""
    case_study = None
    if request.endpoint == "contribute.edit":
        slug = request.view_args["slug"]
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    # No abort() here: an exception raised in an error handler becomes a 500.
    allowed = (can_edit_case_study(current_user, case_study) if case_study
               else request.endpoint == "contribute.new" and bool(_cities_for_user()))
    if not allowed:
        return render_template("error.html", status=400, message=page_message(error)), 400
    form = CaseStudyForm.from_request(request.form)
    form.add_error("csrf", gettext(
        "The form's security token (CSRF) expired or was missing, so nothing was saved. Your "
        "text is kept below: check it and save again."))
    return _render_form(form, case_study), 400


def _editable(slug: str) -> CaseStudy:
    return service.editable(slug, current_user)


def _cities_for_user() -> list[City]:
    return service.cities_for(current_user)


def _handle_post(case_study: CaseStudy | None):
    form = CaseStudyForm.from_request(request.form)
    action = request.form.get("action", "save")
    if action == "preview":
        return _render_form(form, case_study, preview=True)
    if action == "add_translation":
        form.add_translation()
        return _render_form(form, case_study)
    data = form.validate()
    if data is None:
        partners = [name.strip() for name in form.values["partners"].split(",")]
        _add_errors(form, service.partner_errors([name for name in partners if name]))
        return _render_form(form, case_study), 400
    # Only staff see the city field; a contributor's case studies stay in their city.
    city_id = form.values["city"].strip() if is_staff(current_user) else ""
    city = int(city_id) if city_id.isdigit() else (city_id or None)
    try:
        if case_study is None:
            case_study = service.create(data, actor=current_user, city=city)
            flash(gettext("Saved draft “%(title)s” (revision %(revision)d). Preview it, then "
                          "submit it for review or publish it.", title=case_study.title,
                          revision=case_study.revision), "success")
        else:
            base = request.form.get("base_revision", "")
            service.save(case_study, data, actor=current_user, city=city,
                         expected_revision=int(base) if base.isdigit() else None)
            flash(gettext("Saved revision %(revision)d. Search shows the new text.",
                          revision=case_study.revision) if case_study.is_published
                  else gettext("Saved revision %(revision)d.", revision=case_study.revision),
                  "success")
    except FieldError as error:
        _add_errors(form, error.errors)
        if isinstance(error, Conflict) and case_study is not None:
            form.values["base_revision"] = str(case_study.revision)
        return _render_form(form, case_study), error.status
    return redirect(url_for(".edit", slug=case_study.slug))


def _add_errors(form: CaseStudyForm, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        for message in messages:
            form.add_error(FORM_FIELDS.get(name, name), message)


def _render_form(form: CaseStudyForm, case_study: CaseStudy | None, preview: bool = False):
    form.values.setdefault("base_revision",
                           request.form.get("base_revision") or
                           (str(case_study.revision) if case_study else ""))
    return render_template(
        "contribute/form.html", form=form, case_study=case_study, preview=preview,
        cities=_cities_for_user() if is_staff(current_user) else [],
        languages=LANGUAGE_CHOICES,
        concept_choices=tagging.form_choices(form), concept_labels=tagging.concept_labels(),
    )


def snapshot_lines(snapshot: dict) -> list[str]:
    """A revision snapshot as lines of text, for reading and diffing."""
    lines = [f"Title: {snapshot.get('title', '')}", f"City: {snapshot.get('city', '')}",
             f"Summary: {snapshot.get('summary', '')}",
             f"Language: {snapshot.get('language', '')}", f"Year: {snapshot.get('year') or ''}",
             f"Topics: {', '.join(snapshot.get('topics') or [])}",
             f"Concepts: {', '.join(snapshot.get('concepts') or [])}",
             f"Partner cities: {', '.join(snapshot.get('partners') or [])}",
             f"Status: {snapshot.get('status', '')}"]
    lines += _outcome_lines(snapshot) + [""]
    lines += (snapshot.get("body") or "").splitlines()
    for language, text in sorted((snapshot.get("translations") or {}).items()):
        lines += ["", f"Translation ({language}) title: {text.get('title', '')}",
                  f"Translation ({language}) summary: {text.get('summary', '')}", ""]
        lines += (text.get("body") or "").splitlines()
    return lines


def _outcome_lines(snapshot: dict) -> list[str]:
    """Outcome fields a revision has (older snapshots have none); Markdown keeps its lines."""
    lines = []
    for name, label in OUTCOME_LABELS.items():
        if snapshot.get(name) in (None, ""):
            continue
        first, *rest = str(snapshot[name]).splitlines() or [""]
        lines += [f"{label}: {first}", *rest]
    return lines


def revision_diff(old, new) -> list[str]:
    """Unified diff from an older revision to the current one; empty when they agree."""
    return list(difflib.unified_diff(
        snapshot_lines(old.snapshot), snapshot_lines(new.snapshot),
        fromfile=f"revision {old.number}", tofile=f"revision {new.number} (current)",
        lineterm="",
    ))
