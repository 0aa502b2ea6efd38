"""From the database to the search index: documents, the outbox drain, rebuilds."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.markdown import plain_text
from cityexchange.models import (
    CaseStudy,
    City,
    Collection,
    CollectionItem,
    CommonWordCount,
    OutboxEntry,
    Translation,
    utcnow,
)
from cityexchange.services import common_words
from cityexchange.services.embeddings import (
    BACKFILL_BATCH,
    attach_vectors,
    stale_count,
    stale_ids,
)
from cityexchange.services.outcomes import search_facets as outcome_facets
from cityexchange.services.provenance import kinds as provenance_kinds
from cityexchange.search_engine import get_engine
from cityexchange.thesaurus import get_thesaurus
from indexer import DocumentsRefused, EngineUnavailable, LanguageText, SearchDocument
from indexer.common_words import CommonWords, count, sample
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
    topics = tuple(case_study.all_topics)
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
        topics=topics,
        central_topics=get_thesaurus().named_in_headline(texts, topics),
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


def load_case_studies(ids) -> dict[int, CaseStudy]:
    """The case studies with what build_document reads, loaded at once."""
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
    return City.partnerships


@dataclass
class DrainReport:
    indexed: int = 0
    deleted: int = 0
    batches: int = 0
    set_aside: int = 0


def drain_outbox(engine=None, batch_size: int = 500, *, embed: bool = True) -> DrainReport:
    """Push every outbox row into the engine; rows go only once acknowledged.

    Each case study is re-read at this moment and written with its revision
    as version, so a stale or repeated row is harmless. A row whose document the
    engine refuses for good is set aside (attempts, error, time) and skipped from
    then on; the rest drains. `embed`: compute the vectors that are missing (the
    worker); False in a web request, where documents go with their stored vector
    or none.
    """
    engine = engine or get_engine()
    report = DrainReport()
    while True:
        entries = db.session.scalars(
            select(OutboxEntry).where(OutboxEntry.set_aside_at.is_(None))
            .order_by(OutboxEntry.id).limit(batch_size)
        ).all()
        if not entries:
            return report
        indexed, deleted, refused = push_ids(engine, {entry.case_study_id for entry in entries},
                                             embed=embed)
        done = _acknowledge(entries, refused)
        db.session.commit()
        log.info("outbox batch drained: %d indexed, %d deleted, %d set aside", indexed, deleted,
                 len(entries) - len(done), extra={"rows": len(entries), "indexed": indexed,
                                                  "deleted": deleted,
                                                  "set_aside": len(entries) - len(done)})
        report.indexed += indexed
        report.deleted += deleted
        report.set_aside += len(entries) - len(done)
        report.batches += 1


def _set_aside(entry: OutboxEntry, error: str) -> None:
    entry.attempts = (entry.attempts or 0) + 1
    entry.last_error = error[:1000]
    entry.set_aside_at = utcnow()
    log.warning("outbox row %s (case study %s) set aside: %s", entry.id, entry.case_study_id,
                error, extra={"outbox_id": entry.id, "case_study_id": entry.case_study_id})


def _set_aside_new(refused: dict[int, str]) -> None:
    """Rows for documents a rebuild left out, set aside at once."""
    for case_study_id, error in refused.items():
        entry = OutboxEntry(op="index", case_study_id=case_study_id)
        db.session.add(entry)
        _set_aside(entry, error)
    db.session.commit()


def _acknowledge(entries: list[OutboxEntry], refused: dict[int, str]) -> list[int]:
    """Delete the pushed rows, set aside those whose document was refused; returns
    the ids of the deleted rows."""
    done = [entry.id for entry in entries if entry.case_study_id not in refused]
    for entry in entries:
        if entry.case_study_id in refused:
            _set_aside(entry, refused[entry.case_study_id])
    db.session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(done)))
    return done


def push_ids(engine, ids: set[int], *, embed: bool) -> tuple[int, int, dict[int, str]]:
    """Index (or delete) these case studies as the database holds them now.

    Returns (indexed, deleted, refused id -> the engine's reason).
    """
    case_studies = load_case_studies(ids)
    collections = _collection_slugs_of(ids)
    documents, deletions = [], []
    for case_study_id in sorted(ids):
        case_study = case_studies.get(case_study_id)
        if case_study is not None and case_study.is_published:
            documents.append(build_document(case_study, collections.get(case_study_id, [])))
        else:
            version = case_study.revision if case_study is not None else GONE_VERSION
            deletions.append(Deletion(id=case_study_id, version=version))
    refused: dict[int, str] = {}
    if documents:
        refused |= _refusals(engine.index, attach_vectors(documents, compute=embed))
    if deletions:
        refused |= _refusals(engine.delete, deletions)
    engine.refresh()
    return len(documents) - len(refused), len(deletions), refused


def _refusals(write, items) -> dict[int, str]:
    try:
        write(items)
    except DocumentsRefused as error:
        return error.refused
    return {}


@dataclass
class OutboxStatus:
    pending: int
    set_aside: list[OutboxEntry]


def outbox_status() -> OutboxStatus:
    pending = db.session.scalar(
        select(func.count()).select_from(OutboxEntry).where(OutboxEntry.set_aside_at.is_(None)))
    set_aside = db.session.scalars(
        select(OutboxEntry).where(OutboxEntry.set_aside_at.is_not(None)).order_by(OutboxEntry.id)
    ).all()
    return OutboxStatus(pending=pending, set_aside=list(set_aside))


def count_set_aside() -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxEntry).where(OutboxEntry.set_aside_at.is_not(None)))


class UnknownOutboxRow(LookupError):
    pass


def retry_set_aside(entry_id: int | None = None) -> int:
    """Put set-aside rows (one, or all when `entry_id` is None) back in the queue.

    Attempts and the last error stay, so a row that fails again shows its history.
    """
    statement = update(OutboxEntry).where(OutboxEntry.set_aside_at.is_not(None))
    if entry_id is not None:
        statement = statement.where(OutboxEntry.id == entry_id)
    count = db.session.execute(statement.values(set_aside_at=None)).rowcount
    db.session.commit()
    if entry_id is not None and not count:
        raise UnknownOutboxRow(f"no set-aside outbox row with id {entry_id}")
    return count


def index_after_commit() -> None:
    """Command-line writers (import, concept detection): drain the whole outbox now.

    A failure here never undoes the committed change: the outbox keeps it.
    """
    if not current_app.config["INDEX_AFTER_COMMIT"]:
        return
    try:
        # Lexical only: no document is embedded inside a web request.
        drain_outbox(embed=False)
    except EngineUnavailable as error:
        db.session.rollback()
        log.warning("index update deferred, the outbox keeps it: %s", error)


def index_entries(entry_ids: list[int]) -> None:
    """A request's own outbox rows, pushed right after its commit (INDEX_AFTER_COMMIT).

    Rows another writer left wait for the worker. A row the worker took
    meanwhile is simply gone here; versions make a double push harmless.
    """
    if not entry_ids or not current_app.config["INDEX_AFTER_COMMIT"]:
        return
    try:
        entries = db.session.scalars(
            select(OutboxEntry).where(OutboxEntry.id.in_(entry_ids))).all()
        if not entries:
            return
        _, _, refused = push_ids(get_engine(), {entry.case_study_id for entry in entries},
                                 embed=False)
        _acknowledge(entries, refused)
        db.session.commit()
    except EngineUnavailable as error:
        db.session.rollback()
        log.warning("index update deferred, the outbox keeps it: %s", error)


def backfill(engine, *, limit: int | None = None, batch_size: int = BACKFILL_BATCH,
             echo=None, tracker=None) -> int:
    """Compute the missing vectors and re-index those case studies; returns how many.

    Each batch is committed and pushed on its own, so an interrupted backfill
    keeps what it did. `tracker` (cityexchange.progress) counts the case studies.
    """
    done, previous = 0, None
    if tracker is not None:
        tracker.set_total(stale_count() if limit is None else min(limit, stale_count()))
    while limit is None or done < limit:
        ids = stale_ids(batch_size if limit is None else min(batch_size, limit - done))
        if not ids or ids == previous:  # the same ids again: their text gives no passage
            break
        previous = ids
        push_ids(engine, set(ids), embed=True)
        db.session.commit()
        done += len(ids)
        if tracker is not None:
            tracker.advance(len(ids))
        if echo:
            echo(f"vectors: {done} case studies embedded")
    return done


def count_published() -> int:
    return db.session.scalar(select(func.count()).select_from(CaseStudy)
                             .where(CaseStudy.status == "published"))


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
        case_studies = load_case_studies(ids)
        # Stored vectors are reused; missing ones come from the worker or the backfill.
        yield from attach_vectors([build_document(case_studies[case_study_id])
                                   for case_study_id in ids], compute=False)
        last_id = ids[-1]
        # No expunge: the session's identity map holds clean objects weakly, so
        # memory stays flat, and objects the caller holds stay attached.


def rebuild_index(engine=None, tracker=None) -> str:
    """A fresh index from the database; the alias switches when it is complete.

    Changes committed while the rebuild ran may have gone to the old index
    only, so every case study touched since the start is replayed into the new
    one after the switch (versions make the replay harmless). `tracker`
    (cityexchange.progress) counts the documents as the engine takes them.
    """
    engine = engine or get_engine()
    started = utcnow()
    documents = published_documents()
    if tracker is not None:
        tracker.set_total(count_published())
        documents = tracker.track(documents)
    name = engine.rebuild(documents, on_refused=_set_aside_new)
    touched = set(
        db.session.scalars(select(CaseStudy.id).where(CaseStudy.updated_at >= started))
    )
    if touched:
        _, _, refused = push_ids(engine, touched, embed=False)
        if refused:
            _set_aside_new(refused)
    drain_outbox(engine)
    count_common_words()
    return name


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
    checked = None  # when the common words were last checked (time.monotonic)
    while True:
        try:
            report = drain_outbox()
            # Then missing vectors: a few per round (embedding is slow, ~15 passages/s);
            # with --once all of them.
            backfilled = backfill(get_engine(), limit=None if once else BACKFILL_BATCH)
            # Not every round: the check counts the published case studies (requests that
            # index their own changes leave this loop nothing to drain, so it cannot wait
            # for a drain to say something changed).
            if checked is None or time.monotonic() - checked >= COMMON_WORDS_CHECK_SECONDS:
                count_common_words_if_stale()
                checked = time.monotonic()
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
        if backfilled:
            log.info("vectors computed for %d case studies", backfilled)
        if report.batches:
            log.info("indexed %d, deleted %d", report.indexed, report.deleted)
        if once:
            echo(f"outbox drained: {report.indexed} indexed, {report.deleted} deleted")
            return True
        time.sleep(poll)


def _what_failed(error: Exception) -> str:
    return "database" if isinstance(error, OperationalError) else "search engine"


# -- the collection's common words (indexer/common_words.py) ------------------------------

# Counted again once the number of published case studies has moved this share.
RECOUNT_SHARE = 0.05
# The worker checks that at most this often.
COMMON_WORDS_CHECK_SECONDS = 60.0


def count_common_words() -> CommonWords:
    """Count the common words of the published case studies (at most
    indexer.common_words.SAMPLE per language) and keep them for the web workers."""
    published = count_published()
    chosen = {language: set(sample(ids)) for language, ids in _ids_by_language().items()}
    wanted = sorted(set().union(*chosen.values()))
    texts = []
    for start in range(0, len(wanted), BACKFILL_BATCH):
        for case_study in load_case_studies(wanted[start:start + BACKFILL_BATCH]).values():
            texts += [(language, language_text)
                      for language, language_text in build_document(case_study, []).texts.items()
                      if case_study.id in chosen.get(language, ())]
    counted = count(texts)
    store_common_words(counted, published)
    db.session.commit()
    common_words.forget()
    return counted


def store_common_words(counted: CommonWords, published: int) -> None:
    """Replace the stored counts (not committed). A second process storing at the same
    moment (a rebuild beside the worker) waits for the first to commit, then replaces
    its rows: PostgreSQL by the table lock (without it, the second's inserts met the
    first's rows), SQLite by its single writer."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE common_words IN EXCLUSIVE MODE"))
    db.session.execute(delete(CommonWordCount))
    now = utcnow()
    for language, documents in counted.documents.items():
        db.session.add(CommonWordCount(language=language, documents=documents,
                                       stems=sorted(counted.of(language)), published=published,
                                       counted_at=now))
    db.session.flush()


def count_common_words_if_stale() -> bool:
    """count_common_words when the published case studies changed by RECOUNT_SHARE since
    the last count, or were never counted; whether it counted."""
    published = count_published()
    then = db.session.scalar(select(CommonWordCount.published).limit(1))
    if then is None and not published:
        return False
    if then is not None and abs(published - then) <= RECOUNT_SHARE * then:
        return False
    counted = count_common_words()
    log.info("common words counted: %s", ", ".join(
        f"{language} {len(counted.of(language))} in {n} case studies"
        for language, n in sorted(counted.documents.items())), extra={"published": published})
    return True


def _ids_by_language() -> dict[str, list[int]]:
    """language -> the published case studies with a text in it (original or translation)."""
    found: dict[str, list[int]] = {}
    published = CaseStudy.status == "published"
    for case_study_id, language in db.session.execute(
            select(CaseStudy.id, CaseStudy.language).where(published)):
        found.setdefault(language, []).append(case_study_id)
    for case_study_id, language in db.session.execute(
            select(Translation.case_study_id, Translation.language)
            .join(CaseStudy, CaseStudy.id == Translation.case_study_id).where(published)):
        found.setdefault(language, []).append(case_study_id)
    return found
