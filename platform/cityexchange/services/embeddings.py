"""Case-study vectors: computed by the indexer drain, stored in the database, reused.

A vector is stored with the hash of the text it was computed from (and the
model). Documents get the stored vector while the hash matches; the drain
(`cityex indexer run`), the backfill (`cityex index vectors`) and `cityex demo`
compute missing ones. A web request never embeds a document: the embedded
engine's index-after-commit indexes lexically only and the worker or the
backfill adds the vector afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import current_app
from sqlalchemy import func, or_, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, CaseStudyVector
from indexer import SearchDocument
from indexer.embedding import Embedder, create_embedder, embed_documents, passage_hash

log = logging.getLogger(__name__)

# Passages embedded per model call while backfilling (~15 passages/s on 2 cores).
BACKFILL_BATCH = 32


def get_embedder() -> Embedder | None:
    """The configured embedder; None when `CITYEX_EMBEDDER` is empty (lexical and concepts only)."""
    name = current_app.config.get("EMBEDDER")
    return create_embedder(name) if name else None


def model_name() -> str | None:
    name = current_app.config.get("EMBEDDER")
    return create_embedder(name).name if name else None


def attach_vectors(documents: list[SearchDocument], *, compute: bool,
                   revisions: dict[int, int] | None = None) -> list[SearchDocument]:
    """The documents with their vectors: stored ones whose hash matches; with
    `compute`, missing or stale ones are embedded and stored (not committed)."""
    if not documents or not current_app.config.get("EMBEDDER"):
        return documents
    model = model_name()
    hashes = {document.id: passage_hash(document, model) for document in documents}
    stored = {row.case_study_id: row for row in db.session.scalars(
        select(CaseStudyVector).where(CaseStudyVector.case_study_id.in_(list(hashes))))}
    vectors: dict[int, bytes] = {}
    missing = []
    for document in documents:
        row = stored.get(document.id)
        if row is not None and row.passage_hash == hashes[document.id]:
            vectors[document.id] = row.vector
            row.revision = max(row.revision, document.version)
        else:
            missing.append(document)
    if compute and missing:
        computed = embed_documents(get_embedder(), missing)
        for document, vector in zip(missing, computed):
            if vector is None:
                continue
            vectors[document.id] = vector
            _store(stored.get(document.id), document, model, hashes[document.id], vector)
    return [replace(document, vector=vectors.get(document.id)) for document in documents]


def _store(row: CaseStudyVector | None, document: SearchDocument, model: str, digest: str,
           vector: bytes) -> None:
    if row is None:
        db.session.add(CaseStudyVector(case_study_id=document.id, model=model,
                                       passage_hash=digest, revision=document.version,
                                       vector=vector))
    else:
        row.model, row.passage_hash, row.vector = model, digest, vector
        row.revision = document.version


def _stale(columns):
    return (select(*columns)
            .outerjoin(CaseStudyVector, CaseStudyVector.case_study_id == CaseStudy.id)
            .where(CaseStudy.status == "published",
                   or_(CaseStudyVector.case_study_id.is_(None),
                       CaseStudyVector.revision < CaseStudy.revision,
                       CaseStudyVector.model != model_name())))


def stale_ids(limit: int) -> list[int]:
    """Published case studies whose vector is missing or older than their revision."""
    if not current_app.config.get("EMBEDDER"):
        return []
    return list(db.session.scalars(_stale([CaseStudy.id]).order_by(CaseStudy.id).limit(limit)))


def stale_count() -> int:
    """How many case studies stale_ids() would give without a limit (progress totals)."""
    if not current_app.config.get("EMBEDDER"):
        return 0
    return db.session.scalar(select(func.count()).select_from(_stale([CaseStudy.id]).subquery()))
