"""/admin/indexer: administrators see the outbox rows the search engine refused, and retry them.

The same service as `cityex indexer status` / `cityex indexer retry`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext

from cityexchange.blueprints.admin_users import admin_required
from cityexchange.services.indexing import UnknownOutboxRow, outbox_status, retry_set_aside

bp = Blueprint("admin_indexer", __name__, url_prefix="/admin/indexer")


@bp.get("")
@admin_required
def index():
    return render_template("admin/indexer.html", status=outbox_status())


@bp.post("/retry")
@admin_required
def retry_all():
    return _queued(retry_set_aside())


@bp.post("/<int:entry_id>/retry")
@admin_required
def retry(entry_id: int):
    try:
        count = retry_set_aside(entry_id)
    except UnknownOutboxRow:
        abort(404, description=gettext("There is no set-aside outbox row %(id)d.", id=entry_id))
    return _queued(count)


def _queued(count: int):
    flash(ngettext("%(num)d row queued again; the indexer picks it up shortly.",
                   "%(num)d rows queued again; the indexer picks them up shortly.", count),
          "success")
    return redirect(url_for(".index"))
