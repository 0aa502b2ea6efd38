"""Collections as readers see them: the published ones, their case studies in order."""

from flask import Blueprint, abort, render_template
from flask_babel import gettext
from flask_login import current_user

from cityexchange.auth import can_curate
from cityexchange.services import collections as service

bp = Blueprint("collections", __name__)


@bp.get("/collections")
def index():
    return render_template("collections/index.html", collections=service.summaries())


@bp.get("/collections/<slug>")
def detail(slug):
    collection = service.get_collection(slug)
    # A draft is the curators' work in progress: for everyone else it does not exist.
    if collection is None or (collection.status != "published" and not can_curate(current_user)):
        abort(404, description=gettext("There is no published collection '%(slug)s'.",
                                       slug=slug))
    return render_template("collections/detail.html", collection=collection,
                           items=service.visible_items(collection))
