"""From the database to the search index: documents, the outbox drain, rebuilds."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.markdown import plain_text
from cityexchange.models import CaseStudy, Collection, CollectionItem, OutboxEntry, Partnership
from cityexchange.services.outcomes import search_facets as outcome_facets
from cityexchange.services.provenance import kinds as provenance_kinds
from cityexchange.search_engine import get_engine
from indexer import EngineUnavailable, LanguageText, SearchDocument
from indexer.engine import Deletion

log = logging.getLogger(__name__)

# Version for deleting a case study that is gone from the database: higher
# than any revision, so no late write can bring it back.
GONE_VERSION = 2**62


def build_document(case_study: CaseStudy, collections: list[str] | None = None) -> SearchDocument:
    """The one place a case study becomes a search document.

    `collections`: its collection slugs when the caller read them for many at once.
    """
    texts = {
        case_study.language: LanguageText(
            title=case_study.title,
            summary=plain_text(case_study.summary),
            body=plain_text(case_study.body),
        )
    }
    for translation in case_study.translations:
        texts[translation.language] = LanguageText(
            title=translation.title,
            summary=plain_text(translation.summary),
            body=plain_text(translation.body),
            is_translation=True,
        )
    return SearchDocument(
        id=case_study.id,
        version=case_study.revision,
        slug=case_study.slug,
        language=case_study.language,
        texts=texts,
        city=case_study.city.name,
        country=case_study.city.country,
        year=case_study.year,
        # Contributors' topics and the thesaurus concepts found in the text.
        topics=tuple(case_study.all_topics),
        partnerships=tuple(_partnership_slugs(case_study)),
        collections=tuple(_collection_slugs(case_study.id) if collections is None
                          else collections),
        published_at=case_study.published_at,
        extra_facets={**outcome_facets(case_study), **translation_facet(case_study)},
    )


def translation_facet(case_study: CaseStudy) -> dict[str, tuple[str, ...]]:
    """The `translation` facet: human- or machine-made translations (services.provenance)."""
    found = provenance_kinds(case_study)
    return {"translation": found} if found else {}


def _partnership_slugs(case_study: CaseStudy) -> list[str]:
    """Partnerships joining the case study's city with one of its partner cities."""
    partner_ids = {city.id for city in case_study.partners}
    return sorted(
        partnership.slug
        for partnership in case_study.city.partnerships
        if partner_ids & {city.id for city in partnership.cities if city.id != case_study.city_id}
    )


def _collection_slugs(case_study_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Collection.slug)
            .join(CollectionItem)
            .where(
                CollectionItem.case_study_id == case_study_id,
                CollectionItem.state == "accepted",
                Collection.status == "published",
            )
            .order_by(Collection.slug)
        )
    )


def _collection_slugs_of(ids) -> dict[int, list[str]]:
    """_collection_slugs for many case studies in one query."""
    slugs: dict[int, list[str]] = {}
    for case_study_id, slug in db.session.execute(
        select(CollectionItem.case_study_id, Collection.slug)
        .join(Collection)
        .where(
            CollectionItem.case_study_id.in_(ids),
            CollectionItem.state == "accepted",
            Collection.status == "published",
        )
        .order_by(Collection.slug)
    ):
        slugs.setdefault(case_study_id, []).append(slug)
    return slugs


def _load_case_studies(ids) -> dict[int, CaseStudy]:
    rows = db.session.scalars(
        select(CaseStudy)
        .where(CaseStudy.id.in_(ids))
        .options(
            selectinload(CaseStudy.translations),
            selectinload(CaseStudy.partners),
            selectinload(CaseStudy.city).selectinload(_city_partnerships()),
        )
    )
    return {case_study.id: case_study for case_study in rows}


def _city_partnerships():
    from cityexchange.models import City

    return City.partnerships


@dataclass
class DrainReport:
    indexed: int = 0
    deleted: int = 0
    batches: int = 0


def drain_outbox(engine=None, batch_size: int = 500) -> DrainReport:
    """Push every outbox row into the engine; rows go only once acknowledged.

    Each case study is re-read at this moment and written with its revision
    as version, so a stale or repeated row is harmless.
    """
    engine = engine or get_engine()
    report = DrainReport()
    while True:
        entries = db.session.scalars(
            select(OutboxEntry).order_by(OutboxEntry.id).limit(batch_size)
        ).all()
        if not entries:
            return report
        indexed, deleted = _push(engine, {entry.case_study_id for entry in entries})
        db.session.execute(
            delete(OutboxEntry).where(OutboxEntry.id.in_([entry.id for entry in entries]))
        )
        db.session.commit()
        log.info("outbox batch drained: %d indexed, %d deleted", indexed, deleted,
                 extra={"rows": len(entries), "indexed": indexed, "deleted": deleted})
        report.indexed += indexed
        report.deleted += deleted
        report.batches += 1


def _push(engine, ids: set[int]) -> tuple[int, int]:
    case_studies = _load_case_studies(ids)
    collections = _collection_slugs_of(ids)
    documents, deletions = [], []
    for case_study_id in sorted(ids):
        case_study = case_studies.get(case_study_id)
        if case_study is not None and case_study.is_published:
            documents.append(build_document(case_study, collections.get(case_study_id, [])))
        else:
            version = case_study.revision if case_study is not None else GONE_VERSION
            deletions.append(Deletion(id=case_study_id, version=version))
    if documents:
        engine.index(documents)
    if deletions:
        engine.delete(deletions)
    engine.refresh()
    return len(documents), len(deletions)


def index_after_commit() -> None:
    """With the embedded engine, drain right away so search shows the change at once.

    A failure here never undoes the committed change: the outbox keeps it.
    """
    if not current_app.config["INDEX_AFTER_COMMIT"]:
        return
    try:
        drain_outbox()
    except EngineUnavailable as error:
        db.session.rollback()
        log.warning("index update deferred, the outbox keeps it: %s", error)


def published_documents(batch_size: int = 500) -> Iterator[SearchDocument]:
    """Every published case study as a document, read in batches."""
    last_id = 0
    while True:
        ids = db.session.scalars(
            select(CaseStudy.id)
            .where(CaseStudy.status == "published", CaseStudy.id > last_id)
            .order_by(CaseStudy.id)
            .limit(batch_size)
        ).all()
        if not ids:
            return
        case_studies = _load_case_studies(ids)
        for case_study_id in ids:
            yield build_document(case_studies[case_study_id])
        last_id = ids[-1]
        # No expunge: the session's identity map holds clean objects weakly, so
        # memory stays flat, and objects the caller holds stay attached.


def rebuild_index(engine=None) -> str:
    """A fresh index from the database; the alias switches when it is complete.

    Changes committed while the rebuild ran may have gone to the old index
    only, so every case study touched since the start is replayed into the new
    one after the switch (versions make the replay harmless).
    """
    from cityexchange.models import utcnow

    engine = engine or get_engine()
    started = utcnow()
    name = engine.rebuild(published_documents())
    touched = set(
        db.session.scalars(select(CaseStudy.id).where(CaseStudy.updated_at >= started))
    )
    if touched:
        _push(engine, touched)
    drain_outbox(engine)
    return name


def partnership_slugs_for_city(city_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Partnership.slug).where(Partnership.cities.any(id=city_id))
        )
    )


def run_indexer(*, once: bool, poll: float = 1.0, max_backoff: float = 30.0,
                max_attempts: int = 0, echo=print) -> bool:
    """The worker loop: drain, sleep, repeat; exponential back-off while the engine is down.

    A busy or unreachable engine (EngineUnavailable: connection refused, 429,
    5xx) or a database that is briefly unreachable (OperationalError) waits
    poll, 2*poll, 4*poll, ... up to max_backoff, and resets after a success.
    Rows stay in the outbox until the engine acknowledged them.
    Returns False only when --once gave up after `max_attempts` failures.
    """
    backoff, failures = poll, 0
    while True:
        try:
            report = drain_outbox()
        except (EngineUnavailable, OperationalError) as error:
            db.session.rollback()
            failures += 1
            if once and max_attempts and failures >= max_attempts:
                echo(f"{_what_failed(error)} still unavailable after {failures} attempts: {error}")
                return False
            log.warning("%s unavailable (%s); retrying in %.2fs", _what_failed(error), error,
                        backoff, extra={"failures": failures, "retry_in": backoff})
            time.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)
            continue
        backoff, failures = poll, 0
        if report.batches:
            log.info("indexed %d, deleted %d", report.indexed, report.deleted)
        if once:
            echo(f"outbox drained: {report.indexed} indexed, {report.deleted} deleted")
            return True
        time.sleep(poll)


def _what_failed(error: Exception) -> str:
    return "database" if isinstance(error, OperationalError) else "search engine"
