"""Network coordinators curate collections.

Every change is a plain POST form with a CSRF token, so curating works without
JavaScript; a failed form comes back with 400, what was typed, and the field named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, ValidationError

from cityexchange.auth import can_curate
from cityexchange.errors import SearchUnavailable, page_message
from cityexchange.extensions import db
from cityexchange.models import Collection, CollectionItem
from cityexchange.services import collections as service
from cityexchange.services.collections import ACCEPTED, HIDDEN, PENDING, CurationError
from cityexchange.validation_text import localised

bp = Blueprint("curate", __name__, url_prefix="/curate")

SETTINGS_FIELDS = ("title", "introduction", "cover_text", "status", "featured", "saved_search")
LAST_COLLECTION = "curate_last_collection"


@dataclass
class FormState:
    """What was typed (strings, kept on error) and the errors by field name."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def load(self, schema: Schema) -> dict | None:
        data = {key: value for key, value in self.values.items() if value != ""}
        try:
            return schema.load(data)
        except ValidationError as error:
            for name, messages in localised(error.messages).items():
                for message in messages if isinstance(messages, list) else [messages]:
                    self.add_error(name, str(message))
            return None


def curator_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not can_curate(current_user):
            abort(403, description=gettext(
                "Only network coordinators and administrators curate collections. Ask one "
                "of them to add your case study."))
        return view(*args, **kwargs)
    return wrapped


@bp.app_context_processor
def _curation_helpers():
    """For every page: search results offer "add to collection", case study pages list
    the collections that include them, the home page shows the featured ones."""
    return {
        "can_curate": can_curate(current_user),
        "curation_options": service.curation_options,
        "last_collection": session.get(LAST_COLLECTION),
        "collections_of": lambda case_study: service.memberships().get(case_study.id, []),
        "featured_collections": lambda: service.summaries(featured_only=True, limit=6),
    }


# -- collections -------------------------------------------------------------------------

@bp.get("/")
@curator_required
def index():
    collections = service.summaries(published_only=False)
    return render_template("curate/index.html", collections=collections)


@bp.route("/collections/new", methods=["GET", "POST"])
@curator_required
def new():
    if request.method == "GET":
        return _render_new(FormState(dict.fromkeys(SETTINGS_FIELDS, "") | {"status": "draft"}))
    form = _settings_from_request()
    data = form.load(service.CollectionInputSchema())
    if data is None:
        return _render_new(form), 400
    collection = service.create_collection(data, owner=current_user)
    flash(gettext("Created “%(title)s”. Now add case studies: search, then use “Add” on a "
                  "result, or give a case study's address below.", title=collection.title),
          "success")
    return redirect(url_for(".collection", slug=collection.slug))


@bp.get("/collections/<slug>")
@curator_required
def collection(slug):
    collection = _collection_or_404(slug)
    # Opening the page refreshes the proposals of the saved search.
    notice = _refresh(collection)[1]
    return _render(collection, notice=notice)


@bp.post("/collections/<slug>")
@curator_required
def save(slug):
    collection = _collection_or_404(slug)
    form = _settings_from_request()
    data = form.load(service.CollectionInputSchema())
    if data is None:
        return _render(collection, settings=form), 400
    was = collection.status
    service.update_collection(collection, data)
    message = {("draft", "published"): gettext(
                   "Saved “%(title)s”. It is published: readers see it and search can filter "
                   "by it.", title=collection.title),
               ("published", "draft"): gettext(
                   "Saved “%(title)s”. It is a draft again: readers no longer see it.",
                   title=collection.title)}
    flash(message.get((was, collection.status))
          or gettext("Saved “%(title)s”.", title=collection.title), "success")
    return redirect(url_for(".collection", slug=slug))


@bp.post("/collections/<slug>/refresh")
@curator_required
def refresh(slug):
    collection = _collection_or_404(slug)
    count, notice = _refresh(collection)
    if notice:
        flash(notice, "error")
    elif not collection.saved_search:
        flash(gettext("This collection has no saved search: add one in its settings."), "info")
    else:
        flash(ngettext("%(num)d new proposal from the saved search.",
                       "%(num)d new proposals from the saved search.", count), "success")
    return redirect(url_for(".collection", slug=slug) + "#proposals")


@bp.post("/collections/<slug>/delete")
@curator_required
def delete(slug):
    collection = _collection_or_404(slug)
    title = collection.title
    service.delete_collection(collection)
    flash(gettext("Deleted the collection “%(title)s”. Its case studies are untouched.",
                  title=title), "success")
    return redirect(url_for(".index"))


# -- items -------------------------------------------------------------------------------

@bp.post("/collections/<slug>/items")
@curator_required
def add_item(slug):
    return _add(_collection_or_404(slug))


@bp.post("/items")
@curator_required
def add_from_search():
    """The "Add" form on search results: the collection comes from its menu."""
    slug = request.form.get("collection", "").strip()
    collection = service.get_collection(slug) if slug else None
    if collection is None:
        abort(400, description=gettext("collection: choose one of the collections in the menu.")
              if not slug else gettext("collection: there is no collection '%(slug)s'.",
                                       slug=slug))
    return _add(collection)


@bp.post("/collections/<slug>/items/<int:item_id>/note")
@curator_required
def note(slug, item_id):
    collection, item = _item_or_404(slug, item_id)
    form = FormState({"note": request.form.get("note", "")})
    data = form.load(service.NoteSchema())
    if data is None:
        return _render(collection, notes={item.id: form}), 400
    service.set_note(item, data["note"])
    flash(gettext("Saved the note on “%(title)s”.", title=item.case_study.title), "success")
    return _back_to(item)


@bp.post("/collections/<slug>/items/<int:item_id>/move")
@curator_required
def move(slug, item_id):
    _, item = _item_or_404(slug, item_id)
    data = _load_or_400(service.MoveSchema())
    moved = service.move_item(item, data["direction"])  # CurationError: errors.py says 400
    if not moved:
        flash(gettext("“%(title)s” is already the first.", title=item.case_study.title)
              if data["direction"] == "up" else
              gettext("“%(title)s” is already the last.", title=item.case_study.title), "info")
    return _back_to(item)


@bp.post("/collections/<slug>/order")
@curator_required
def order(slug):
    """The whole order at once: what drag and drop (a progressive enhancement) sends."""
    collection = _collection_or_404(slug)
    data = _load_or_400(service.OrderSchema())
    service.reorder(collection, data["order"])
    flash(gettext("Saved the new order."), "success")
    return redirect(url_for(".collection", slug=slug) + "#items")


STATE_MESSAGES = {
    (PENDING, ACCEPTED): lazy_gettext(
        "Accepted “%(title)s”: it is now the last case study of the collection."),
    (PENDING, HIDDEN): lazy_gettext(
        "Hid the proposal “%(title)s”: the saved search will not propose it again."),
    (ACCEPTED, HIDDEN): lazy_gettext("Removed “%(title)s” from the collection."),
    (HIDDEN, ACCEPTED): lazy_gettext(
        "Restored “%(title)s”: it is now the last case study of the collection."),
}


@bp.post("/collections/<slug>/items/<int:item_id>/state")
@curator_required
def state(slug, item_id):
    _, item = _item_or_404(slug, item_id)
    data = _load_or_400(service.ItemStateSchema())
    was = item.state
    service.set_item_state(item, data["state"])
    message = STATE_MESSAGES.get((was, item.state))
    if message:
        flash(str(message) % {"title": item.case_study.title}, "success")
    return _back_to(item)


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    """A missing or expired token changes nothing, but typed settings come back."""
    collection = None
    if request.endpoint == "curate.save":
        collection = service.get_collection(request.view_args["slug"])
    allowed = can_curate(current_user) and (collection or request.endpoint == "curate.new")
    if not allowed:  # no abort() in an error handler: it would become a 500
        return render_template("error.html", status=400, message=page_message(error)), 400
    form = _settings_from_request()
    form.add_error("csrf", gettext(
        "The form's security token (CSRF) expired or was missing, so nothing was saved. Your "
        "text is kept below: check it and save again."))
    return (_render(collection, settings=form) if collection else _render_new(form)), 400


# -- helpers -----------------------------------------------------------------------------

def _add(collection: Collection):
    form = FormState({name: request.form.get(name, "") for name in ("case_study", "note")})
    data = form.load(service.AddItemSchema())
    case_study = None
    if data is not None:
        try:
            case_study = service.find_published_case_study(data["case_study"])
        except CurationError as error:
            form.add_error(error.field, error.message)
    if case_study is None:
        return _render(collection, add=form), 400
    session[LAST_COLLECTION] = collection.slug
    if service.add_item(collection, case_study, data["note"]):
        flash(gettext("Added “%(title)s” to “%(collection)s”.", title=case_study.title,
                      collection=collection.title), "success")
    else:
        flash(gettext("“%(title)s” is already in “%(collection)s”.", title=case_study.title,
                      collection=collection.title), "info")
    return_to = request.form.get("return_to")
    if return_to is not None:  # back to the same search: its query string, never a URL
        query = urlencode(parse_qsl(return_to[:2_000]))
        return redirect(url_for("search.search_page") + (f"?{query}" if query else ""))
    return redirect(url_for(".collection", slug=collection.slug) + "#items")


def _refresh(collection: Collection) -> tuple[int, str | None]:
    """(new proposals, a notice when the search could not run)."""
    try:
        return service.refresh_proposals(collection), None
    except SearchUnavailable:
        db.session.rollback()
        return 0, gettext("Search is unavailable at the moment, so the saved search proposed "
                          "nothing new. Everything else works; try “Refresh proposals” later.")


def _collection_or_404(slug: str) -> Collection:
    collection = service.get_collection(slug)
    if collection is None:
        abort(404, description=gettext("There is no collection '%(slug)s'.", slug=slug))
    return collection


def _item_or_404(slug: str, item_id: int) -> tuple[Collection, CollectionItem]:
    collection = _collection_or_404(slug)
    item = next((i for i in collection.items if i.id == item_id), None)
    if item is None:
        abort(404, description=gettext(
            "The collection '%(slug)s' has no item %(item)d; reload the page to see its "
            "current items.", slug=slug, item=item_id))
    return collection, item


def _load_or_400(schema: Schema) -> dict:
    """Buttons and hidden fields: wrong values mean a stale or forged form, named in a 400."""
    form = FormState(request.form.to_dict())
    data = form.load(schema)
    if data is None:
        name, messages = next(iter(form.errors.items()))
        abort(400, description=f"{name}: {' '.join(messages)}")
    return data


def _back_to(item: CollectionItem):
    anchor = f"item-{item.id}" if item.state == ACCEPTED else "proposals"
    return redirect(url_for(".collection", slug=item.collection.slug) + f"#{anchor}")


def _settings_from_request() -> FormState:
    return FormState({name: request.form.get(name, "") for name in SETTINGS_FIELDS})


def _settings_from(collection: Collection) -> FormState:
    return FormState({
        "title": collection.title, "introduction": collection.introduction,
        "cover_text": collection.cover_text, "status": collection.status,
        "featured": "y" if collection.featured else "",
        "saved_search": service.saved_search_text(collection.saved_search),
    })


def _render_new(form: FormState):
    return render_template("curate/new.html", settings=form)


def _render(collection: Collection, *, settings: FormState | None = None,
            add: FormState | None = None, notes: dict | None = None, notice: str | None = None):
    pending = [i for i in service.items_in(collection, PENDING) if i.case_study.is_published]
    saved = service.saved_search_text(collection.saved_search)
    return render_template(
        "curate/collection.html", collection=collection,
        accepted=service.items_in(collection, ACCEPTED), pending=pending,
        hidden=service.items_in(collection, HIDDEN),
        settings=settings or _settings_from(collection),
        add=add or FormState({"case_study": "", "note": ""}), notes=notes or {}, notice=notice,
        saved_search_text=saved,
        saved_search_url=url_for("search.search_page") + f"?{saved}" if saved else None,
    )
