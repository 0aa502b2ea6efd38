"""Create, revise, publish and unpublish case studies.

Every change commits the case study, a revision snapshot and, when the search
index is affected, an outbox row, all in one transaction.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, OutboxEntry, Revision, Translation, utcnow
from cityexchange.services import indexing
from cityexchange.services.outcomes import apply_outcomes, outcome_snapshot
from cityexchange.services.provenance import apply_provenance
from cityexchange.services.slugs import slugify, unique_slug
from cityexchange.services.tagging import apply_concepts
from indexer.analysis import detect_language

log = logging.getLogger(__name__)


class PermissionDenied(Exception):
    pass


def find_city(name_or_slug: str) -> City | None:
    key = name_or_slug.strip()
    # SQL lower() folds ASCII only: the slug also finds "Saint-Étienne" and "Łódź".
    slugs = {key.lower(), slugify(key)}
    return db.session.scalar(
        select(City).where((func.lower(City.name) == key.lower()) | City.slug.in_(slugs))
    )


def resolve_partners(names: list[str], *, create_missing: bool = False,
                     country: str = "", find=find_city) -> list[City]:
    """Partner cities by name; unknown names are created (import) or an error (forms).

    `find` looks a name up (a batch passes cities it read at once).
    """
    from cityexchange.services.cities import get_or_create_city

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
    return {
        "title": case_study.title,
        "city": case_study.city.name,
        "summary": case_study.summary,
        "body": case_study.body,
        "language": case_study.language,
        "year": case_study.year,
        "topics": list(case_study.topics or []),
        "concepts": list(case_study.concepts or []),
        "partners": [city.name for city in case_study.partners],
        "status": case_study.status,
        "translations": {
            t.language: {"title": t.title, "summary": t.summary, "body": t.body}
            for t in case_study.translations
        },
        **outcome_snapshot(case_study),
    }


def _record(case_study: CaseStudy, author, action: str) -> None:
    """Bump the revision, keep a snapshot, and enqueue for the index if it matters."""
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


def enqueue(case_study_id: int, op: str = "index") -> None:
    """Outbox row for the indexer, in the caller's transaction."""
    db.session.add(OutboxEntry(op=op, case_study_id=case_study_id))


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
    _commit()
    return case_study


def delete_case_study(case_study: CaseStudy) -> None:
    enqueue(case_study.id, "delete")
    db.session.delete(case_study)
    _commit()


def _commit() -> None:
    db.session.commit()
    indexing.index_after_commit()
