"""Every write to a case study, and the rules it follows.

The pages (blueprints/contribute.py) and the JSON API (blueprints/api_write.py)
are thin adapters over the functions taking an `actor`: they look up, check
permissions, partners, the expected revision and moves between cities, and
raise the domain errors of cityexchange.errors (NotFound, Forbidden, Invalid,
Conflict), which errors.py turns into a page or JSON once.

Every change commits the case study, a revision snapshot and, when the search
index is affected, an outbox row, all in one transaction. The functions
without an actor (create_case_study, update_case_study, ...) are the trusted
paths of the importer, the command line and the test factories.
"""

from __future__ import annotations

import logging

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cityexchange.auth import can_contribute_for_city, can_edit_case_study, is_staff
from cityexchange.errors import Conflict, Forbidden, Invalid, NotFound
from cityexchange.extensions import db
from cityexchange.models import STATUSES, CaseStudy, City, Revision, Translation, utcnow
from cityexchange.services import audit
from cityexchange.services.cities import find_city, get_or_create_city
from cityexchange.services.outbox import commit as _commit
from cityexchange.services.outbox import enqueue, forget
from cityexchange.services.outcomes import FIELDS as OUTCOME_FIELDS
from cityexchange.services.outcomes import apply_outcomes
from cityexchange.services.provenance import apply_provenance
from cityexchange.services.slugs import unique_slug
from cityexchange.services.tagging import apply_concepts
from indexer.analysis import detect_language

log = logging.getLogger(__name__)

__all__ = ["find_city", "enqueue"]  # re-exported for older callers

NO_CITY = lazy_gettext("Your account belongs to no city, so it cannot add case studies. Ask "
                       "an administrator to assign your city.")


# -- reading, with permissions ----------------------------------------------------------

def editable(slug: str, actor) -> CaseStudy:
    """The case study, if `actor` may work on it: NotFound, or Forbidden when not theirs."""
    case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    if case_study is None:
        raise NotFound(gettext("There is no case study '%(slug)s'.", slug=slug))
    _require_editor(actor, case_study)
    return case_study


def cities_for(actor) -> list[City]:
    """The cities `actor` may add case studies for."""
    if is_staff(actor):
        return list(db.session.scalars(select(City).order_by(City.name)))
    city = getattr(actor, "city", None)
    return [city] if city is not None and actor.role == "contributor" else []


def case_study_fields(case_study: CaseStudy) -> dict:
    """The one dict of a case study's editable fields, shaped as CaseStudyInputSchema input.

    Revision snapshots, the form and a PATCH all start from it; a new field
    added here reaches all three.
    """
    return {
        "title": case_study.title,
        "summary": case_study.summary,
        "body": case_study.body,
        "language": case_study.language,
        "year": case_study.year,
        "topics": list(case_study.topics or []),
        "concepts": list(case_study.concepts or []),
        "dismissed_concepts": list(case_study.dismissed_concepts or []),
        "partners": [city.name for city in case_study.partners],
        "translations": {
            t.language: {"title": t.title, "summary": t.summary, "body": t.body,
                         "translator_kind": t.translator_kind, "translator": t.translator or ""}
            for t in case_study.translations
        },
        **{name: getattr(case_study, name) for name in OUTCOME_FIELDS},
    }


# -- writing, with permissions ----------------------------------------------------------

def create(data: dict, *, actor, city=None) -> CaseStudy:
    """A new draft from validated input. `city`: a City, its id, name or slug; None: actor's."""
    target = _city_for_new(actor, city)
    errors: dict[str, list[str]] = {}
    _check_partners(data.get("partners") or [], errors)
    _raise_invalid(errors)
    if data.get("slug") and _slug_taken(data["slug"]):
        raise Conflict(gettext("'%(slug)s' is taken already; choose another or leave it out "
                               "to have one made from the title.", slug=data["slug"]), "slug")
    try:
        return create_case_study(data, city=target, author=actor)
    except IntegrityError:  # the same slug created at the same moment
        db.session.rollback()
        forget()
        raise Conflict(gettext("This address (slug) was taken a moment ago; try again."),
                       "slug") from None


def save(case_study: CaseStudy, data: dict, *, actor, expected_revision: int | None = None,
         city=None) -> CaseStudy:
    """New text for a case study; refused (Conflict) when someone saved since `expected_revision`.

    `city`: where it belongs now (moving is for staff only); None keeps it.
    """
    _require_editor(actor, case_study)
    errors: dict[str, list[str]] = {}
    if data.get("slug") and data["slug"] != case_study.slug:
        errors["slug"] = ["The slug is the case study's address and cannot change."]
    target = _city_for_update(actor, case_study, city, errors)
    _check_partners(data.get("partners") or [], errors)
    if expected_revision is not None and expected_revision != case_study.revision:
        errors["expected_revision"] = [
            f"Someone saved revision {case_study.revision} while you were editing revision "
            f"{expected_revision}. Your text was not saved: compare it with the current "
            "version and the history, then save again."]
        raise Conflict(errors["expected_revision"][0], "expected_revision", errors=errors)
    _raise_invalid(errors)
    if target.id != case_study.city_id:
        case_study.city, case_study.city_id = target, target.id
    return update_case_study(case_study, data, author=actor)


def change_status(case_study: CaseStudy, status: str, *, actor) -> bool:
    """draft / submitted / published; False when it had that status already."""
    _require_editor(actor, case_study)
    if status not in STATUSES:
        raise Invalid(gettext("Unknown status '%(status)s'; one of %(choices)s.", status=status,
                              choices=", ".join(STATUSES)), "status")
    if status == case_study.status:
        return False
    set_status(case_study, status, author=actor)
    return True


def publish(case_study: CaseStudy, *, actor) -> bool:
    return change_status(case_study, "published", actor=actor)


def unpublish(case_study: CaseStudy, *, actor) -> bool:
    return change_status(case_study, "draft", actor=actor)


def delete(case_study: CaseStudy, *, actor) -> None:
    _require_editor(actor, case_study)
    delete_case_study(case_study, author=actor)


# -- rules ------------------------------------------------------------------------------

def _require_editor(actor, case_study: CaseStudy) -> None:
    if not can_edit_case_study(actor, case_study):
        own = _own_city(actor)
        if own is None:
            raise Forbidden(gettext("This case study belongs to %(city)s; your account may not "
                                    "edit case studies.", city=case_study.city.name))
        raise Forbidden(gettext("This case study belongs to %(city)s; your account may work "
                                "only on the case studies of %(own)s.",
                                city=case_study.city.name, own=own))


def _own_city(actor) -> str | None:
    """The city whose case studies a contributor works on; None for anyone else."""
    if getattr(actor, "role", None) != "contributor" or actor.city is None:
        return None
    return actor.city.name


def _lookup_city(ref) -> City | None:
    if isinstance(ref, City):
        return ref
    if isinstance(ref, int):
        return db.session.get(City, ref)
    return find_city(ref)


def _unknown_city(ref) -> Invalid:
    return Invalid(gettext("Unknown city '%(city)s'; choose one of the network's cities.",
                           city=ref), "city")


def _city_for_new(actor, ref) -> City:
    """A contributor's own city; staff name one (or default to theirs)."""
    city = _lookup_city(ref) if ref not in (None, "") else getattr(actor, "city", None)
    if city is None and ref not in (None, ""):
        raise _unknown_city(ref)
    if city is None:
        if is_staff(actor):
            raise Invalid(gettext("Choose the city this case study belongs to."), "city")
        raise Forbidden(NO_CITY)
    if not can_contribute_for_city(actor, city.id):
        own = _own_city(actor)
        if own is None:
            raise Forbidden(gettext("Your account may not add case studies for %(city)s; your "
                                    "account may not edit case studies.", city=city.name))
        raise Forbidden(gettext("Your account may not add case studies for %(city)s; your "
                                "account may work only on the case studies of %(own)s.",
                                city=city.name, own=own))
    return city


def _city_for_update(actor, case_study: CaseStudy, ref, errors: dict) -> City:
    if ref in (None, ""):
        return case_study.city
    city = _lookup_city(ref)
    if city is None:
        errors["city"] = [_unknown_city(ref).message]
        return case_study.city
    if city.id != case_study.city_id and not is_staff(actor):
        raise Forbidden(gettext("Only coordinators and administrators move a case study to "
                                "another city."))
    return city


def partner_errors(names: list[str]) -> dict[str, list[str]]:
    """The partner rule alone, for a form that shows every error at once."""
    errors: dict[str, list[str]] = {}
    _check_partners(names, errors)
    return errors


def _check_partners(names: list[str], errors: dict) -> None:
    unknown = [name for name in names if find_city(name) is None]
    if unknown:
        known = ", ".join(db.session.scalars(select(City.name).order_by(City.name).limit(12)))
        errors["partners"] = [f"Unknown city: {', '.join(unknown)}. Partner cities must be "
                              f"cities of the network, such as {known}."]


def _raise_invalid(errors: dict) -> None:
    if errors:
        field = next(iter(errors))
        raise Invalid(errors[field][0], field, errors=errors)


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(CaseStudy.id).where(CaseStudy.slug == slug)) is not None


# -- the trusted paths (import, command line, factories) ----------------------------------

def resolve_partners(names: list[str], *, create_missing: bool = False,
                     country: str = "", find=find_city) -> list[City]:
    """Partner cities by name; unknown names are created (import) or an error (forms).

    `find` looks a name up (a batch passes cities it read at once).
    """
    cities = []
    for name in names:
        city = find(name)
        if city is None:
            if not create_missing:
                raise ValueError(f"unknown partner city '{name}'")
            city = get_or_create_city(name, country or "")
        cities.append(city)
    return cities


def _snapshot(case_study: CaseStudy) -> dict:
    return {**case_study_fields(case_study), "city": case_study.city.name,
            "status": case_study.status}


def _record(case_study: CaseStudy, author, action: str) -> None:
    """Bump the revision and keep a snapshot."""
    fields_ = revision_fields(case_study, author, action)
    db.session.flush()
    db.session.add(Revision(case_study_id=case_study.id, **fields_))


def revision_fields(case_study: CaseStudy, author, action: str) -> dict:
    """Bump the revision; the new Revision row's fields but its case study id."""
    case_study.revision = (case_study.revision or 0) + 1
    case_study.updated_at = utcnow()
    return {"number": case_study.revision, "author_id": getattr(author, "id", None),
            "action": action, "snapshot": _snapshot(case_study), "created_at": utcnow()}


def record_change(case_study: CaseStudy, author, action: str) -> None:
    """A change made outside the forms (concepts found again): a revision, an outbox row."""
    _record(case_study, author, action)
    if case_study.is_published:
        enqueue(case_study.id)


def apply_fields(case_study: CaseStudy, data: dict, *, create_missing_partners: bool,
                 partners: list[City] | None = None) -> None:
    """Copy validated input (CaseStudyInputSchema) onto a case study.

    `partners`: the partner cities when the caller resolved them already.
    """
    case_study.title = data["title"]
    case_study.summary = data.get("summary") or ""
    case_study.body = data.get("body") or ""
    text = " ".join([case_study.title, case_study.summary, case_study.body])
    case_study.language = data.get("language") or detect_language(text)
    case_study.year = data.get("year")
    case_study.topics = list(data.get("topics") or [])
    apply_outcomes(case_study, data)
    if partners is None:
        partners = resolve_partners(data.get("partners") or [],
                                    create_missing=create_missing_partners)
    case_study.partners = [city for city in partners if city.id != case_study.city_id]
    wanted = data.get("translations") or {}
    case_study.translations = [
        _updated_translation(case_study, language, fields_)
        for language, fields_ in sorted(wanted.items())
        if language != case_study.language
    ]
    apply_concepts(case_study, data)


def _updated_translation(case_study: CaseStudy, language: str, data: dict) -> Translation:
    translation = case_study.translation(language) or Translation(language=language)
    text = (data["title"], data.get("summary") or "", data.get("body") or "")
    changed = translation.id is None or text != (translation.title, translation.summary,
                                                  translation.body)
    translation.title, translation.summary, translation.body = text
    apply_provenance(translation, data, text_changed=changed,
                     next_revision=(case_study.revision or 0) + 1)
    return translation


def create_case_study(data: dict, *, city: City, author=None, publish: bool = False,
                      create_missing_partners: bool = False, commit: bool = True) -> CaseStudy:
    # The slug query autoflushes: pick it before the new object joins city.case_studies.
    slug = data.get("slug") or unique_slug(CaseStudy, data["title"])
    case_study = new_case_study(data, slug=slug, city=city, author=author, publish=publish,
                                create_missing_partners=create_missing_partners)
    _record(case_study, author, "create")
    if publish:
        enqueue(case_study.id)
    if commit:
        _commit()
    return case_study


def new_case_study(data: dict, *, slug: str, city: City, author=None, publish: bool = False,
                   create_missing_partners: bool = False,
                   partners: list[City] | None = None) -> CaseStudy:
    """A case study from validated input, in the session; its revision is not recorded yet."""
    case_study = CaseStudy(city=city, city_id=city.id, revision=0, status="draft", slug=slug,
                           created_by_id=getattr(author, "id", None))
    db.session.add(case_study)
    apply_fields(case_study, data, create_missing_partners=create_missing_partners,
                 partners=partners)
    if publish:
        case_study.status = "published"
        case_study.published_at = utcnow()
    return case_study


def revise_case_study(case_study: CaseStudy, data: dict, *, publish: bool | None = None,
                      create_missing_partners: bool = False,
                      partners: list[City] | None = None) -> None:
    """New input onto a case study; its revision is not recorded yet."""
    apply_fields(case_study, data, create_missing_partners=create_missing_partners,
                 partners=partners)
    if publish and not case_study.is_published:
        case_study.status = "published"
        case_study.published_at = case_study.published_at or utcnow()


def update_case_study(case_study: CaseStudy, data: dict, *, author=None,
                      create_missing_partners: bool = False, publish: bool | None = None,
                      commit: bool = True) -> CaseStudy:
    revise_case_study(case_study, data, publish=publish,
                      create_missing_partners=create_missing_partners)
    _record(case_study, author, "save")
    if case_study.is_published:
        enqueue(case_study.id)
    if commit:
        _commit()
    return case_study


def set_status(case_study: CaseStudy, status: str, *, author=None) -> CaseStudy:
    """draft -> submitted -> published, and back; (un)publishing reaches the index."""
    was_published = case_study.is_published
    case_study.status = status
    if status == "published" and not case_study.published_at:
        case_study.published_at = utcnow()
    _record(case_study, author, status)
    if status == "published" or was_published:
        enqueue(case_study.id, "index" if status == "published" else "delete")
        audit.record(author, "publish" if status == "published" else "unpublish",
                     f"case study {case_study.slug}")
    _commit()
    return case_study


def delete_case_study(case_study: CaseStudy, *, author=None) -> None:
    enqueue(case_study.id, "delete")
    audit.record(author, "delete", f"case study {case_study.slug}")
    db.session.delete(case_study)
    _commit()
