"""Pages anyone can read: home, case studies, cities."""

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City
from cityexchange.services.related import similar_case_studies
from cityexchange.thesaurus import get_thesaurus

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    latest = db.session.scalars(
        select(CaseStudy)
        .where(CaseStudy.status == "published")
        .options(selectinload(CaseStudy.city))
        .order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
        .limit(8)
    ).all()
    cities = db.session.execute(
        select(City, func.count(CaseStudy.id))
        .outerjoin(CaseStudy, (CaseStudy.city_id == City.id) & (CaseStudy.status == "published"))
        .group_by(City.id)
        .order_by(City.name)
    ).all()
    return render_template("home.html", latest=latest, cities=cities)


@bp.get("/case-studies/<slug>")
def case_study(slug):
    case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    if case_study is None or not case_study.is_published:
        abort(404, description=gettext("There is no published case study '%(slug)s'.",
                                       slug=slug))
    # ?lang= puts a translation first; a language it does not have shows the original.
    shown = request.args.get("lang", "")
    shown = shown if shown in case_study.languages else case_study.language
    return render_template("case_study.html", case_study=case_study, shown_lang=shown,
                           related=similar_case_studies(case_study, str(get_locale())))


@bp.get("/cities/<slug>")
def city(slug):
    city = db.session.scalar(select(City).where(City.slug == slug))
    if city is None:
        abort(404, description=gettext("There is no city '%(slug)s'.", slug=slug))
    case_studies = db.session.scalars(
        select(CaseStudy)
        .where(CaseStudy.city_id == city.id, CaseStudy.status == "published")
        .order_by(CaseStudy.year.desc(), CaseStudy.title)
    ).all()
    return render_template("city.html", city=city, case_studies=case_studies)


@bp.app_context_processor
def _topic_labels():
    def topic_label(concept_id: str) -> str:
        """A topic's thesaurus label in the UI language (free words stay as they are)."""
        return get_thesaurus().label(concept_id, str(get_locale()))

    return {"topic_label": topic_label}
