"""Cite, share and export one case study: its permanent revision URL and a JSON copy.

A permanent URL names a revision (/case-studies/<slug>/revisions/<n>): the text
cited stays readable as it was, even after later edits. Only revisions saved
while the case study was published are public (a draft's text never is).
"""

from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, Revision
from cityexchange.schemas import CaseStudyOutputSchema


def published_case_study(slug: str) -> CaseStudy | None:
    case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    return case_study if case_study is not None and case_study.is_published else None


def public_revision(case_study: CaseStudy, number: int) -> Revision | None:
    """A revision anyone may read: one saved while the case study was published."""
    revision = db.session.scalar(select(Revision).where(
        Revision.case_study_id == case_study.id, Revision.number == number))
    if revision is None or (revision.snapshot or {}).get("status") != "published":
        return None
    return revision


def permanent_url(case_study: CaseStudy) -> str:
    return url_for("cite.revision", slug=case_study.slug, number=case_study.revision,
                   _external=True)


def citation(case_study: CaseStudy, accessed: date | None = None) -> str:
    """City (year). Title. CityExchange case study, revision n. URL (accessed date)."""
    year = case_study.year or case_study.published_at.year
    accessed = (accessed or date.today()).isoformat()
    return (f"{case_study.city.name} ({year}). {case_study.title}. CityExchange case study, "
            f"revision {case_study.revision}. {permanent_url(case_study)} "
            f"(accessed {accessed})")


def export(case_study: CaseStudy) -> dict:
    """The case study as the API gives it, with its URLs and citation."""
    data = CaseStudyOutputSchema().dump(case_study)
    data["url"] = url_for("public.case_study", slug=case_study.slug, _external=True)
    data["permanent_url"] = permanent_url(case_study)
    data["citation"] = citation(case_study)
    return data
