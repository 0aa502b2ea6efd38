"""Pages anyone can read: home, case studies, cities."""

from collections import Counter
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City
from cityexchange.errors import ApiError
from cityexchange.services import network_map
from cityexchange.services.charts import bar_chart
from cityexchange.services.directory import city_directory, topic_tree
from cityexchange.services.provenance import language_name_in, stale_languages
from cityexchange.services.related import similar_case_studies
from cityexchange.thesaurus import get_thesaurus

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    latest = db.session.scalars(
        select(CaseStudy)
        .where(CaseStudy.status == "published")
        .options(selectinload(CaseStudy.city), selectinload(CaseStudy.translations))
        .order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
        .limit(8)
    ).all()
    cities = network_map.city_counts()
    return render_template("home.html", latest=latest, cities=cities,
                           city_map=network_map.network_map(cities),
                           topics=topic_tree(get_thesaurus(), str(get_locale())))


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico before reading the page's <link rel="icon">.
    return redirect(url_for("static", filename="favicon.svg"), code=301)


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
                           related=similar_case_studies(case_study, str(get_locale())),
                           stale_translations=stale_languages(case_study),
                           original_language=language_name_in(case_study.language,
                                                              str(get_locale())))


@bp.get("/cities")
def cities():
    try:
        directory = city_directory(request.args, get_thesaurus(), str(get_locale()))
    except ApiError as error:
        abort(400, description=error.message)
    return render_template("directory/cities.html", directory=directory)


@bp.get("/topics")
def topics():
    return render_template("directory/topics.html",
                           tree=topic_tree(get_thesaurus(), str(get_locale())))


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
    return render_template("city.html", city=city, case_studies=case_studies,
                           topic_chart=_city_topic_chart(city, case_studies))


def _city_topic_chart(city, case_studies):
    """The city's case studies by topic (their topics and found concepts)."""
    counts = Counter(t for cs in case_studies for t in set(cs.topics or []) | set(cs.concepts or []))
    thesaurus, ui_lang = get_thesaurus(), str(get_locale())
    return bar_chart("chart-city-topics", gettext("Case studies by topic"), [
        (thesaurus.label(topic, ui_lang), count,
         url_for("search.search_page", city=city.name, topic=topic))
        for topic, count in counts.most_common()])


@bp.app_context_processor
def _topic_labels():
    def topic_label(concept_id: str) -> str:
        """A topic's thesaurus label in the UI language (free words stay as they are)."""
        return get_thesaurus().label(concept_id, str(get_locale()))

    def language_switch_url(language: str) -> str:
        """This page in another UI language: the same path, query and filters."""
        pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "ui_lang"]
        return request.path + "?" + urlencode(pairs + [("ui_lang", language)])

    return {"topic_label": topic_label, "language_switch_url": language_switch_url}
