"""/account/searches: a logged-in user's saved searches, with "new since your last visit".

Every change is a POST form with a CSRF token. The nav's badge sums the new
counts; it is kept in the session for a few minutes, since each count is a search.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_login import current_user, login_required
from marshmallow import ValidationError

from cityexchange.services import saved_searches as service
from cityexchange.services.saved_searches import SavedSearchError
from cityexchange.validation_text import localised

bp = Blueprint("saved_searches", __name__, url_prefix="/account/searches")

BADGE_KEY = "saved_searches_new"
BADGE_SECONDS = 300


@bp.get("")
@login_required
def index():
    return _render()


@bp.post("")
@login_required
def create():
    typed = request.form.to_dict()
    try:
        data = service.SavedSearchInputSchema().load(typed)
        saved = service.create(current_user, data)
    except ValidationError as error:
        return _render(values=typed, errors=localised(error.messages)), 400
    except SavedSearchError as error:
        return _render(values=typed, errors={error.field: [error.message]}), 400
    session.pop(BADGE_KEY, None)
    flash(gettext("Saved the search “%(name)s”. Its count shows the case studies published "
                  "since you last opened it.", name=saved.name), "success")
    return redirect(url_for(".index"))


@bp.get("/<int:saved_id>")
@login_required
def open_search(saved_id: int):
    """Opening a saved search shows its results and resets its "new" count."""
    saved = _own_or_404(saved_id)
    service.mark_seen(saved)
    session.pop(BADGE_KEY, None)
    return redirect(url_for("search.search_page") + (f"?{saved.query}" if saved.query else ""))


@bp.post("/<int:saved_id>/rename")
@login_required
def rename(saved_id: int):
    saved = _own_or_404(saved_id)
    typed = request.form.to_dict()
    try:
        data = service.RenameSchema().load(typed)
        service.rename(saved, data["name"])
    except ValidationError as error:
        return _render(renaming={saved.id: typed}, errors=localised(error.messages)), 400
    except SavedSearchError as error:
        return _render(renaming={saved.id: typed}, errors={error.field: [error.message]}), 400
    flash(gettext("Renamed it “%(name)s”.", name=saved.name), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:saved_id>/delete")
@login_required
def delete(saved_id: int):
    saved = _own_or_404(saved_id)
    name = saved.name
    service.delete(saved)
    session.pop(BADGE_KEY, None)
    flash(gettext("Deleted the saved search “%(name)s”.", name=name), "success")
    return redirect(url_for(".index"))


def _own_or_404(saved_id: int):
    saved = service.get_saved_search(current_user, saved_id)
    if saved is None:
        abort(404, description=gettext("You have no saved search %(id)d.", id=saved_id))
    return saved


def _render(*, values: dict | None = None, errors: dict | None = None,
            renaming: dict | None = None):
    counts = service.new_counts(current_user)
    _remember_badge(counts)
    return render_template(
        "account/saved_searches.html", counts=counts, values=values or {},
        errors=errors or {}, renaming=renaming or {},
        describe=lambda saved: service.describe(saved, str(get_locale())),
        max_saved=service.MAX_SAVED_SEARCHES)


# -- the nav badge ------------------------------------------------------------------------

def _remember_badge(counts: list[service.NewCount]) -> dict:
    badge = {"user": current_user.id, "at": time.time(),
             "new": sum(c.count or 0 for c in counts), "more": any(c.more for c in counts)}
    session[BADGE_KEY] = badge
    return badge


def _badge() -> dict | None:
    """{"new", "more"} for the logged-in user; None for visitors."""
    if not current_user.is_authenticated:
        return None
    cached = session.get(BADGE_KEY)
    seconds = current_app.config.get("SAVED_SEARCH_BADGE_SECONDS", BADGE_SECONDS)
    if (isinstance(cached, dict) and cached.get("user") == current_user.id
            and time.time() - cached.get("at", 0) < seconds):
        return cached
    return _remember_badge(service.new_counts(current_user))


@bp.app_context_processor
def _saved_search_helpers():
    return {"saved_search_badge": _badge}
