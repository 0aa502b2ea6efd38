"""Collections: a coordinator's ordered, annotated set of case studies from any city.

The `collection` search facet is part of every case study's search document,
so whenever a collection is (un)published or its accepted items change, each
affected case study gets an outbox row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cityexchange.errors import Invalid
from cityexchange.extensions import db
from cityexchange.models import CaseStudy, Collection, CollectionItem, utcnow
from cityexchange.services import search as search_service
from cityexchange.services.outbox import commit as _commit
from cityexchange.services.outbox import enqueue
from cityexchange.services.collection_schemas import (  # noqa: F401  (re-exported)
    ACCEPTED,
    COLLECTION_STATUSES,
    HIDDEN,
    PENDING,
    AddItemSchema,
    CollectionInputSchema,
    CollectionItemSchema,
    CollectionSchema,
    CollectionSummarySchema,
    ItemStateSchema,
    NOTE_MAX,
    MoveSchema,
    NoteSchema,
    OrderSchema,
    parse_saved_search,
    saved_search_args,
    saved_search_text,
)
from cityexchange.services.slugs import unique_slug

# A refresh looks at the saved search's best matches only (one page of the engine).
MAX_PROPOSALS = 100
_STATE_ORDER = {ACCEPTED: 0, PENDING: 1, HIDDEN: 2}


class CurationError(Invalid):
    """A request that cannot be carried out; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field)


# -- reading -------------------------------------------------------------------------

def get_collection(slug: str) -> Collection | None:
    return db.session.scalar(
        select(Collection).where(Collection.slug == slug)
        .options(selectinload(Collection.items).selectinload(CollectionItem.case_study)
                 .selectinload(CaseStudy.city))
    )


def items_in(collection: Collection, state: str) -> list[CollectionItem]:
    return sorted((item for item in collection.items if item.state == state),
                  key=lambda item: (item.position, item.id or 0))


def visible_items(collection: Collection) -> list[CollectionItem]:
    """What readers see: accepted items whose case study is published, in order."""
    return [item for item in items_in(collection, ACCEPTED) if item.case_study.is_published]


@dataclass
class CollectionSummary:
    collection: Collection
    count: int  # case studies a reader sees


def summaries(*, published_only: bool = True, featured_only: bool = False,
              limit: int | None = None) -> list[CollectionSummary]:
    """Collections with the number of case studies a reader sees, featured first."""
    visible = (
        select(CollectionItem.collection_id, func.count().label("n"))
        .join(CaseStudy, CaseStudy.id == CollectionItem.case_study_id)
        .where(CollectionItem.state == ACCEPTED, CaseStudy.status == "published")
        .group_by(CollectionItem.collection_id)
        .subquery()
    )
    query = (select(Collection, func.coalesce(visible.c.n, 0))
             .outerjoin(visible, visible.c.collection_id == Collection.id)
             .order_by(Collection.featured.desc(), Collection.updated_at.desc(), Collection.id))
    if published_only:
        query = query.where(Collection.status == "published")
    if featured_only:
        query = query.where(Collection.featured.is_(True))
    if limit:
        query = query.limit(limit)
    return [CollectionSummary(collection, count) for collection, count in db.session.execute(query)]


def published_query():
    """Published collections, for the JSON API's paginated list (CollectionSchema)."""
    return select(Collection).where(Collection.status == "published").order_by(Collection.title)


def memberships() -> dict[int, list[Collection]]:
    """case study id -> the published collections that include it; once per request."""
    if "collection_memberships" not in g:
        rows = db.session.execute(
            select(CollectionItem.case_study_id, Collection)
            .join(Collection, Collection.id == CollectionItem.collection_id)
            .where(CollectionItem.state == ACCEPTED, Collection.status == "published")
            .order_by(Collection.title)
        )
        found: dict[int, list[Collection]] = {}
        for case_study_id, collection in rows:
            found.setdefault(case_study_id, []).append(collection)
        g.collection_memberships = found
    return g.collection_memberships


@dataclass
class CurationChoice:
    """A collection offered in the "add to collection" menu of search results."""

    slug: str
    title: str
    status: str
    accepted_ids: set[int] = field(default_factory=set)


def curation_choices() -> list[CurationChoice]:
    """Every collection (drafts too), with the case studies it already holds."""
    if "curation_choices" not in g:
        choices = {c.id: CurationChoice(c.slug, c.title, c.status)
                   for c in db.session.scalars(select(Collection).order_by(Collection.title))}
        rows = db.session.execute(select(CollectionItem.collection_id, CollectionItem.case_study_id)
                                  .where(CollectionItem.state == ACCEPTED))
        for collection_id, case_study_id in rows:
            choices[collection_id].accepted_ids.add(case_study_id)
        g.curation_choices = list(choices.values())
    return g.curation_choices


@dataclass
class CurationOption:
    slug: str
    title: str
    status: str
    inside: bool  # holds the case study already


def curation_options(case_study: CaseStudy) -> list[CurationOption]:
    """The "add to collection" menu of one search hit."""
    return [CurationOption(c.slug, c.title, c.status, case_study.id in c.accepted_ids)
            for c in curation_choices()]


def find_published_case_study(text: str) -> CaseStudy:
    """A case study by slug or by the address of its page."""
    slug = text.strip().rstrip("/")
    if "/case-studies/" in slug:
        slug = slug.split("/case-studies/", 1)[1].split("/")[0].split("?")[0]
    case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    if case_study is None or not case_study.is_published:
        raise CurationError("case_study", gettext(
            "There is no published case study '%(slug)s'. Give its slug or paste the address "
            "of its page.", slug=slug))
    return case_study


# -- writing -------------------------------------------------------------------------

def create_collection(data: dict, *, owner=None) -> Collection:
    collection = Collection(slug=unique_slug(Collection, data["title"]),
                            owner_id=getattr(owner, "id", None), status="draft")
    db.session.add(collection)
    update_collection(collection, data)
    return collection


def update_collection(collection: Collection, data: dict) -> Collection:
    """Settings; (un)publishing reaches the index of every accepted case study."""
    was_published = collection.status == "published"
    collection.title = data["title"]
    collection.introduction = data["introduction"]
    collection.cover_text = data["cover_text"]
    collection.status = data["status"]
    collection.featured = data["featured"]
    collection.saved_search = data["saved_search"]
    collection.updated_at = utcnow()
    if was_published != (collection.status == "published"):
        _enqueue(items_in(collection, ACCEPTED))
    _commit()
    return collection


def delete_collection(collection: Collection) -> None:
    if collection.status == "published":
        _enqueue(items_in(collection, ACCEPTED))
    db.session.delete(collection)
    _commit()


def add_item(collection: Collection, case_study: CaseStudy, note: str = "") -> bool:
    """Hand-pick a case study (appended at the end); False when it is in already.

    A proposal or a removed item becomes accepted again.
    """
    item = next((i for i in collection.items if i.case_study_id == case_study.id), None)
    if item is not None and item.state == ACCEPTED:
        return False
    if item is None:
        item = CollectionItem(case_study=case_study, case_study_id=case_study.id, note=note)
        collection.items.append(item)
    elif note:
        item.note = note
    _accept(collection, item)
    try:
        _commit()
    except IntegrityError:  # added at the same moment by someone else
        db.session.rollback()
        return False
    return True


def set_item_state(item: CollectionItem, state: str) -> None:
    """accepted (accept a proposal, restore) or hidden (remove, hide a proposal)."""
    if state == item.state:
        return
    collection = item.collection
    if state == ACCEPTED:
        _accept(collection, item)
    else:
        if item.state == ACCEPTED and collection.status == "published":
            _enqueue([item])
        item.state = state
        _renumber(collection)
    collection.updated_at = utcnow()
    _commit()


def set_note(item: CollectionItem, note: str) -> None:
    item.note = note
    item.collection.updated_at = utcnow()
    db.session.commit()  # notes are not indexed


def move_item(item: CollectionItem, direction: str) -> bool:
    """One place up or down among the accepted items; False at either end."""
    if item.state != ACCEPTED:
        raise CurationError("direction", gettext(
            "Only case studies in the collection can be moved; accept the proposal first."))
    accepted = items_in(item.collection, ACCEPTED)
    index = accepted.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(accepted):
        return False
    accepted[index], accepted[other] = accepted[other], accepted[index]
    reorder(item.collection, [i.id for i in accepted])
    return True


def reorder(collection: Collection, item_ids: list[int]) -> None:
    """Put the accepted items in the order given (which must name each exactly once)."""
    accepted = {item.id: item for item in items_in(collection, ACCEPTED)}
    if sorted(item_ids) != sorted(accepted):
        raise CurationError("order", gettext(
            "The order must list every case study of the collection once; reload the page and "
            "try again."))
    for position, item_id in enumerate(item_ids):
        accepted[item_id].position = position
    _renumber(collection)
    collection.updated_at = utcnow()
    db.session.commit()  # the order is not indexed


def refresh_proposals(collection: Collection) -> int:
    """Run the saved search; new matches become pending proposals. Returns how many.

    Case studies already in the collection, in any state, are never proposed
    again; so a hidden proposal stays hidden. Raises SearchUnavailable.
    """
    if not collection.saved_search:
        return 0
    args = saved_search_args(collection.saved_search)
    args["per_page"] = str(MAX_PROPOSALS)
    page = search_service.run_stored(args)
    known = {item.case_study_id for item in collection.items}
    new = [hit.case_study for hit in page.items if hit.case_study.id not in known]
    end = _end(collection)
    for offset, case_study in enumerate(new):
        collection.items.append(CollectionItem(case_study=case_study, case_study_id=case_study.id,
                                               state=PENDING, position=end + offset))
    if new:
        _renumber(collection)
        try:
            db.session.commit()  # proposals are not indexed
        except IntegrityError:  # another curator's page proposed them a moment ago
            db.session.rollback()
            return 0
    return len(new)


def _accept(collection: Collection, item: CollectionItem) -> None:
    item.state = ACCEPTED
    item.position = _end(collection)
    _renumber(collection)
    collection.updated_at = utcnow()
    if collection.status == "published":
        _enqueue([item])


def _end(collection: Collection) -> int:
    return max((item.position for item in collection.items if item.position is not None),
               default=-1) + 1


def _renumber(collection: Collection) -> None:
    """Positions 0..n-1: accepted items in their order, then proposals, then hidden ones."""
    ordered = sorted(collection.items, key=lambda item: (
        _STATE_ORDER.get(item.state, 3), item.position or 0, item.id or 0))
    for position, item in enumerate(ordered):
        item.position = position


def _enqueue(items: list[CollectionItem]) -> None:
    """Outbox rows for the case studies whose `collection` facet changes."""
    for case_study_id in sorted({item.case_study_id for item in items
                                 if item.case_study.is_published}):
        enqueue(case_study_id)

