"""marshmallow schemas of collections: the curators' forms in, pages and the JSON API out."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext, lazy_gettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import MultiDict

from cityexchange.errors import ApiError
from cityexchange.markdown import render_markdown
from cityexchange.schemas import CaseStudyRefSchema, CityRefSchema, UtcDateTime
from cityexchange.services.search import parse_search_args
from indexer import FACETS

ACCEPTED, PENDING, HIDDEN = "accepted", "pending", "hidden"
COLLECTION_STATUSES = ("draft", "published")
NOTE_MAX = 2_000
# What a search address may carry besides q and the facets; a saved search drops them.
_PAGE_PARAMETERS = ("page", "per_page", "sort", "ui_lang")


def _stripped(data: dict) -> dict:
    return {key: value.strip() if isinstance(value, str) else value
            for key, value in data.items()}


# -- saved searches --------------------------------------------------------------------

def parse_saved_search(text: str) -> dict | None:
    """Search words, a query string or a /search address -> {"q": ..., facet: [values]}."""
    text = text.strip()
    if not text:
        return None
    if "=" not in text:
        return validate_saved_search([("q", text)])
    query = text.split("?", 1)[1] if "?" in text else text
    return validate_saved_search(parse_qsl(query.split("#", 1)[0]))


def validate_saved_search(pairs: list[tuple[str, str]]) -> dict:
    """Validated like the search API (parse_search_args); page, sort and ui_lang are
    dropped, since proposals always look at the best matches."""
    unknown = sorted({k for k, _ in pairs if k not in ("q", *FACETS, *_PAGE_PARAMETERS)})
    if unknown:
        raise ValidationError(gettext(
            "unknown search parameter '%(name)s': use q and the filters %(filters)s",
            name=unknown[0], filters=", ".join(FACETS)))
    try:
        request = parse_search_args(MultiDict([(k, v) for k, v in pairs
                                               if k not in _PAGE_PARAMETERS]))
    except ApiError as error:
        raise ValidationError(error.message) from error
    if not request.q and not request.filters:
        raise ValidationError(gettext(
            "give search words or at least one filter, such as q=hydrogen&city=Dortmund"))
    saved = {"q": request.q} if request.q else {}
    saved.update({name: list(values) for name, values in request.filters.items()})
    return saved


def saved_search_args(saved: dict) -> MultiDict:
    args = MultiDict()
    if saved.get("q"):
        args.add("q", saved["q"])
    for name in FACETS:
        for value in saved.get(name) or ():
            args.add(name, value)
    return args


def saved_search_text(saved: dict | None) -> str:
    """The saved search as a query string, for the form and for a link to /search."""
    return urlencode(list(saved_search_args(saved).items(multi=True))) if saved else ""


class SavedSearchField(fields.Field):
    """Text (forms) or an object of search parameters (the JSON API)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or value == {}:
            return None
        if isinstance(value, dict):
            pairs = [(str(k), str(v)) for k, values in value.items()
                     for v in (values if isinstance(values, list) else [values])]
            return validate_saved_search(pairs)
        if not isinstance(value, str):
            raise ValidationError(gettext(
                "give the search as text, such as q=hydrogen&city=Dortmund"))
        return parse_saved_search(value)

    def _serialize(self, value, attr, obj, **kwargs):
        return value


# -- input -----------------------------------------------------------------------------

class CollectionInputSchema(Schema):
    """The settings form of a collection (new and edit)."""

    class Meta:
        unknown = EXCLUDE  # csrf_token, buttons

    title = fields.String(required=True, validate=validate.Length(min=3, max=300),
                          error_messages={"required": lazy_gettext("Give the collection a title.")})
    introduction = fields.String(load_default="", validate=validate.Length(max=20_000))
    cover_text = fields.String(load_default="", validate=validate.Length(max=500))
    status = fields.String(load_default="draft", validate=validate.OneOf(COLLECTION_STATUSES))
    featured = fields.Boolean(load_default=False)
    saved_search = SavedSearchField(load_default=None, allow_none=True)

    @pre_load
    def _clean(self, data, **kwargs):
        return _stripped(data)


class AddItemSchema(Schema):
    """Hand-pick a case study: from search results, or by slug or address."""

    class Meta:
        unknown = EXCLUDE

    case_study = fields.String(
        required=True, validate=validate.Length(min=1, max=500),
        error_messages={"required": lazy_gettext(
            "Give the slug or the address of a published case study.")})
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX))
    # The search page to go back to: its query string only, never a URL.
    return_to = fields.String(load_default=None, validate=validate.Length(max=2_000))

    @pre_load
    def _clean(self, data, **kwargs):
        return _stripped(data)


class NoteSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX))

    @pre_load
    def _clean(self, data, **kwargs):
        return _stripped(data)


class MoveSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    direction = fields.String(required=True, validate=validate.OneOf(["up", "down"]))


class ItemStateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(required=True, validate=validate.OneOf([ACCEPTED, HIDDEN]))


class OrderSchema(Schema):
    """The accepted items' ids in their new order (drag and drop, keyboard)."""

    class Meta:
        unknown = EXCLUDE

    order = fields.List(fields.Integer(), required=True,
                        validate=validate.Length(min=1, max=1_000))

    @pre_load
    def _split(self, data, **kwargs):
        data = dict(data)
        if isinstance(data.get("order"), str):
            data["order"] = [part for part in data["order"].split(",") if part.strip()]
        return data


# -- output (pages and the JSON API) ------------------------------------------------------

def _visible(collection) -> list:
    """Accepted items whose case study is published, in the curator's order."""
    return sorted((item for item in collection.items
                   if item.state == ACCEPTED and item.case_study.is_published),
                  key=lambda item: (item.position, item.id))


class CollectionCaseStudySchema(CaseStudyRefSchema):
    summary = fields.String()
    city = fields.Nested(CityRefSchema)


class CollectionItemSchema(Schema):
    """One case study of a collection with the curator's note (why it matters)."""

    note = fields.String()
    case_study = fields.Nested(CollectionCaseStudySchema)


class CollectionSummarySchema(Schema):
    """A collection in a list: no items, their number."""

    slug = fields.String()
    title = fields.String()
    cover_text = fields.String()
    featured = fields.Boolean()
    updated_at = UtcDateTime()
    case_study_count = fields.Function(lambda collection: len(_visible(collection)))


class CollectionSchema(CollectionSummarySchema):
    """A published collection as readers see it: items in order, introduction as safe HTML."""

    introduction = fields.String()
    introduction_html = fields.Function(lambda c: str(render_markdown(c.introduction)))
    items = fields.Function(lambda c: CollectionItemSchema(many=True).dump(_visible(c)))
