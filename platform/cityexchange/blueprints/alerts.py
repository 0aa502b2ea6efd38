"""E-mail alerts of saved searches: switching them on and off, and the unsubscribe link.

The unsubscribe link's signed token is its credential: no login. Opening the link
shows one button (a link scanner that fetches it changes nothing); mail clients
that offer RFC 8058 one-click unsubscribe POST to the same URL without a CSRF
token, so that POST is exempt from CSRF (a forger would need the secret token).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from marshmallow import ValidationError

from cityexchange.extensions import csrf
from cityexchange.services import alerts as service
from cityexchange.services import saved_searches

bp = Blueprint("alerts", __name__)


@bp.post("/account/searches/<int:saved_id>/alert")
@login_required
def set_alert(saved_id: int):
    saved = saved_searches.get_saved_search(current_user, saved_id)
    if saved is None:
        abort(404, description=gettext("You have no saved search %(id)d.", id=saved_id))
    try:
        data = service.AlertInputSchema().load(request.form.to_dict())
    except ValidationError as error:
        flash(" ".join(str(m) for m in error.messages.get("alert", [])), "error")
        return redirect(url_for("saved_searches.index")), 303
    service.set_alert(saved, data["alert"])
    if saved.alert == "daily":
        flash(gettext("“%(name)s” now sends you a daily e-mail of new case studies.",
                      name=saved.name), "success")
    elif saved.alert == "weekly":
        flash(gettext("“%(name)s” now sends you a weekly e-mail of new case studies.",
                      name=saved.name), "success")
    else:
        flash(gettext("“%(name)s” sends you no more e-mails.", name=saved.name), "success")
    return redirect(url_for("saved_searches.index"))


@bp.get("/alerts/unsubscribe/<token>")
def unsubscribe(token: str):
    saved = _saved_or_404(token)
    return render_template("alerts/unsubscribe.html", saved=saved, token=token, done=False)


@bp.post("/alerts/unsubscribe/<token>")
@csrf.exempt
def unsubscribe_now(token: str):
    saved = _saved_or_404(token)
    service.unsubscribe(saved)
    return render_template("alerts/unsubscribe.html", saved=saved, token=token, done=True)


def _saved_or_404(token: str):
    saved = service.saved_search_of_token(token)
    if saved is None:
        abort(404, description=gettext("This unsubscribe link is not valid, or its saved search "
                                       "was deleted (then it sends no e-mails anyway)."))
    return saved
