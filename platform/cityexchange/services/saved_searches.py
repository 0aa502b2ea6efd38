"""A user's saved searches and how many case studies each found since it was last opened.

A saved search keeps /search parameters as a query string, validated like the
search itself (parse_search_args); page, per_page and ui_lang are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext, lazy_gettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from cityexchange.errors import ApiError, Invalid, SearchUnavailable
from cityexchange.extensions import db
from cityexchange.models import SavedSearch, User, utcnow
from cityexchange.services import search as search_service
from indexer import FACETS

# Bounds the work behind the "new" counts (one search per saved search).
MAX_SAVED_SEARCHES = 50
# The counts look at this many newest matches; more shows as "100+".
NEW_COUNT_WINDOW = 100
# ...but first at these few: most searches have fewer new ones, and a page of 10
# costs the engine a fraction of a page of 100.
FIRST_LOOK = 10
NAME_MAX = 100
QUERY_MAX = 4_000
SEARCH_PARAMETERS = ("q", "sort", *FACETS, "year_from", "year_to")
TOO_LONG = lazy_gettext("This search is too long to save; use fewer words or filters.")


class SavedSearchError(Invalid):
    """A request that cannot be carried out; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field)


def canonical_query(args: MultiDict) -> str:
    """The search parameters of `args` as a query string; ApiError names a bad one.

    Only q, an explicit sort and the facet filters are kept, in a fixed order.
    """
    kept = MultiDict([(key, value) for key, value in args.items(multi=True)
                      if key in SEARCH_PARAMETERS and value.strip()])
    request = search_service.parse_search_args(kept)
    pairs = [("q", request.q)] if request.q else []
    if "sort" in kept:
        pairs.append(("sort", request.sort))
    ranged = request.has_year_range  # a range is kept as asked, not as its years
    pairs += [(name, value) for name in FACETS for value in request.filters.get(name, ())
              if not (ranged and name == "year")]
    pairs += [(name, str(value)) for name, value in (("year_from", request.year_from),
                                                     ("year_to", request.year_to)) if value]
    return urlencode(pairs)


def _name_field() -> fields.String:
    return fields.String(required=True, validate=validate.Length(
        min=1, max=NAME_MAX, error=lazy_gettext("Give a name of 1 to {max} characters.")))


def _stripped(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationError("expected form fields")
    return {key: value.strip() if isinstance(value, str) else value
            for key, value in data.items()}


class SavedSearchInputSchema(Schema):
    """The "Save this search" form: a name and the search's query string."""

    class Meta:
        unknown = EXCLUDE  # csrf_token

    name = _name_field()
    query = fields.String(load_default="", validate=validate.Length(max=QUERY_MAX,
                                                                    error=TOO_LONG))

    @pre_load
    def _strip(self, data, **kwargs):
        return _stripped(data)

    @post_load
    def _canonical(self, data, **kwargs):
        query = data["query"].lstrip("?")
        try:
            data["query"] = canonical_query(MultiDict(parse_qsl(query)))
        except ApiError as error:
            raise ValidationError(gettext("The search cannot be saved: %(reason)s",
                                          reason=error.message), "query") from error
        if len(data["query"]) > QUERY_MAX:  # re-encoding may lengthen it a little
            raise ValidationError(str(TOO_LONG), "query")
        return data


class RenameSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _name_field()

    @pre_load
    def _strip(self, data, **kwargs):
        return _stripped(data)


# -- reading ------------------------------------------------------------------------------

def searches_of(user: User) -> list[SavedSearch]:
    return list(db.session.scalars(
        select(SavedSearch).where(SavedSearch.user_id == user.id)
        .order_by(SavedSearch.name, SavedSearch.id)))


def get_saved_search(user: User, saved_id: int) -> SavedSearch | None:
    """The user's own saved search; another user's is as good as missing."""
    return db.session.scalar(select(SavedSearch).where(
        SavedSearch.id == saved_id, SavedSearch.user_id == user.id))


@dataclass
class NewCount:
    saved: SavedSearch
    # None: the search could not run (engine down, or a filter no longer valid).
    count: int | None
    more: bool = False  # at least NEW_COUNT_WINDOW new ones

    @property
    def label(self) -> str:
        return f"{self.count}+" if self.more else str(self.count or 0)


def count_new(saved: SavedSearch) -> NewCount:
    """Published case studies matching the search, published after it was last opened.

    Runs the search sorted newest first and counts down to the first older one:
    first among the FIRST_LOOK newest (usually enough, and cheap), then, when all
    of those are new, among the NEW_COUNT_WINDOW newest.
    """
    count, total = 0, 0
    for window in sorted({min(FIRST_LOOK, NEW_COUNT_WINDOW), NEW_COUNT_WINDOW}):
        try:
            page = _newest(saved, window)
        except SearchUnavailable:
            return NewCount(saved, None)
        count, total = _newer_than(page, saved.last_seen_at), page.total
        if count < window or total <= count:
            return NewCount(saved, count)
    return NewCount(saved, count, more=total > count)


def _newest(saved: SavedSearch, per_page: int) -> search_service.SearchPage:
    args = MultiDict(parse_qsl(saved.query))
    args.setlist("sort", ["newest"])
    args.setlist("per_page", [str(per_page)])
    return search_service.run_stored(args)


def _newer_than(page: search_service.SearchPage, moment) -> int:
    count = 0
    for item in page.items:
        published = item.case_study.published_at
        if published is None or published <= moment:
            break
        count += 1
    return count


def new_counts(user: User) -> list[NewCount]:
    return [count_new(saved) for saved in searches_of(user)]


# -- writing ------------------------------------------------------------------------------

def create(user: User, data: dict) -> SavedSearch:
    """Save a search (validated by SavedSearchInputSchema); its "new" count starts at 0."""
    if len(searches_of(user)) >= MAX_SAVED_SEARCHES:
        raise SavedSearchError("name", gettext(
            "You have %(count)d saved searches already: delete one you no longer need, then "
            "save this one.", count=MAX_SAVED_SEARCHES))
    saved = SavedSearch(user_id=user.id, name=data["name"], query=data["query"])
    db.session.add(saved)
    _commit_name(data["name"])
    return saved


def rename(saved: SavedSearch, name: str) -> None:
    saved.name = name
    _commit_name(name)


def delete(saved: SavedSearch) -> None:
    db.session.delete(saved)
    db.session.commit()


def mark_seen(saved: SavedSearch) -> None:
    """Opening a saved search: what it finds from now on counts as new."""
    saved.last_seen_at = utcnow()
    db.session.commit()


def _commit_name(name: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:  # (user_id, name) is unique
        db.session.rollback()
        raise SavedSearchError("name", gettext(
            "You have a saved search named “%(name)s” already; choose another name.",
            name=name)) from None


def describe(saved: SavedSearch, ui_lang: str) -> list[tuple[str, str]]:
    """(parameter, label) pairs of what the search looks for, labelled in ui_lang."""
    labels = search_service.FacetLabels(ui_lang)
    return [(name, value if name in ("q", "sort") else labels.label(name, value))
            for name, value in parse_qsl(saved.query)]
