"""`cityex concepts detect`: the thesaurus concepts of every case study, found again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.models import CaseStudy
from cityexchange.services import case_studies, indexing
from cityexchange.services.tagging import apply_concepts
from cityexchange.thesaurus import get_thesaurus


def detect_all(batch_size: int = 200) -> tuple[int, int]:
    """Find the concepts of every case study again; (changed, total).

    For rows from before concepts existed and after a thesaurus change: kept
    and dismissed concepts stay, newly found ones join; a changed case study
    gets a revision and, if published, an outbox row.
    """
    thesaurus = get_thesaurus()
    ids = db.session.scalars(select(CaseStudy.id).order_by(CaseStudy.id)).all()
    changed = 0
    for start in range(0, len(ids), batch_size):
        batch = db.session.scalars(select(CaseStudy).where(CaseStudy.id.in_(
            ids[start:start + batch_size])).options(selectinload(CaseStudy.translations)))
        for case_study in batch:
            before = list(case_study.concepts or [])
            apply_concepts(case_study, {"concepts": [c for c in before if c in thesaurus]})
            if case_study.concepts != before:
                case_studies.record_change(case_study, None, "concepts")
                changed += 1
        db.session.commit()
        indexing.index_after_commit()
    return changed, len(ids)
