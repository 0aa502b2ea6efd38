"""“Ask this city”: the question form, the inbox, and the coordinators' volume per city.

Every step is a logged-in page; the one change (sending) is a POST with a CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from cityexchange.auth import is_staff
from cityexchange.extensions import db
from cityexchange.models import CaseStudy
from cityexchange.services import messages as service
from cityexchange.services.network import find_city_by_slug

bp = Blueprint("messages", __name__)


def _city_or_404(slug: str):
    city = find_city_by_slug(slug)
    if city is None:
        abort(404, description=gettext("There is no city '%(slug)s'.", slug=slug))
    return city


def _about(city) -> CaseStudy | None:
    """The published case study of this city the question is about (?about=<slug>)."""
    slug = request.values.get("about", "")
    if not slug:
        return None
    return db.session.scalar(select(CaseStudy).where(
        CaseStudy.slug == slug, CaseStudy.city_id == city.id, CaseStudy.status == "published"))


@bp.route("/cities/<slug>/ask", methods=["GET", "POST"])
@login_required
def ask(slug: str):
    city = _city_or_404(slug)
    case_study = _about(city)
    if request.method == "GET":
        return _render_form(city, case_study, {"subject": case_study.title if case_study else ""})
    typed = request.form.to_dict()
    try:
        data, contact = service.validate_ask(city, typed)
        service.ask_city(current_user, city, data, contact, case_study)
    except ValidationError as error:
        return _render_form(city, case_study, typed, error.messages), 400
    except service.RateLimited as error:
        message = ngettext("You have sent %(num)d question in the last 24 hours, the most one "
                           "account may send. Please try again tomorrow.",
                           "You have sent %(num)d questions in the last 24 hours, the most one "
                           "account may send. Please try again tomorrow.", error.limit)
        return _render_form(city, case_study, typed, {"_form": [message]}), 429
    flash(gettext("Your question went to %(name)s of %(city)s. You find it under “Messages”.",
                  name=contact.name, city=city.name), "success")
    if case_study is not None:
        return redirect(url_for("public.case_study", slug=case_study.slug))
    return redirect(url_for("public.city", slug=city.slug))


def _render_form(city, case_study, values: dict, errors: dict | None = None):
    return render_template("messages/ask.html", city=city, case_study=case_study,
                           contacts=service.askable_contacts(city), values=values,
                           errors=errors or {})


@bp.get("/account/messages")
@login_required
def inbox():
    return render_template("messages/inbox.html", received=service.inbox_of(current_user),
                           sent=service.sent_by(current_user))


@bp.get("/account/messages/<int:message_id>")
@login_required
def show(message_id: int):
    message = service.readable_message(current_user, message_id)
    if message is None:
        abort(404, description=gettext("You have no message %(id)d.", id=message_id))
    return render_template("messages/show.html", message=message,
                           received=message.sender_id != current_user.id)


@bp.get("/network/questions")
@login_required
def volume():
    if not is_staff(current_user):
        abort(403, description=gettext("Only coordinators see how many questions cities get."))
    return render_template("messages/volume.html", volumes=service.volume_per_city())
