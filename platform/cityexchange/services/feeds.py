"""Atom feeds (RFC 4287) of published case studies: newest overall, per city, per topic,
per collection, and of any search.

Entries are the case studies as the database has them; a search feed takes the
engine's newest matches, as the /search page with sort=newest shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator
from flask import url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from cityexchange.extensions import db
from cityexchange.markdown import render_markdown
from cityexchange.models import CaseStudy, City, Collection, utcnow
from cityexchange.services import collections as collections_service
from cityexchange.services import search as search_service
from cityexchange.services.search import SearchPage
from cityexchange.thesaurus import get_thesaurus

MAX_ENTRIES = 50
SITE_NAME = "CityExchange"
# Characters XML 1.0 cannot carry at all (lxml refuses them): a stray one in a
# case study's text must not break its feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass
class Feed:
    title: str
    self_url: str  # the feed's own address, also its id
    page_url: str  # the page the feed follows (rel="alternate")
    case_studies: list[CaseStudy]
    # When nothing is in the feed yet: when its subject last changed.
    fallback_updated: datetime | None = None
    subtitle: str = ""


def _xml(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _updated(case_study: CaseStudy) -> datetime:
    return case_study.updated_at or case_study.published_at or case_study.created_at


def render_atom(feed: Feed, ui_lang: str) -> bytes:
    """The feed as Atom XML (UTF-8): every text is escaped by the XML writer."""
    generator = FeedGenerator()
    generator.id(feed.self_url)
    generator.title(_xml(feed.title))
    if feed.subtitle:
        generator.subtitle(_xml(feed.subtitle))
    generator.link(href=feed.self_url, rel="self", type="application/atom+xml")
    generator.link(href=feed.page_url, rel="alternate", type="text/html")
    generator.author({"name": SITE_NAME})
    generator.generator(SITE_NAME)
    moments = [_updated(cs) for cs in feed.case_studies]
    generator.updated(_utc(max(moments, default=feed.fallback_updated or utcnow())))
    for case_study in feed.case_studies:
        _add_entry(generator, case_study, ui_lang)
    return generator.atom_str(pretty=True)


def _add_entry(generator: FeedGenerator, case_study: CaseStudy, ui_lang: str) -> None:
    url = url_for("public.case_study", slug=case_study.slug, _external=True)
    entry = generator.add_entry(order="append")
    entry.id(url)
    entry.title(_xml(case_study.title))
    entry.link(href=url, rel="alternate", type="text/html")
    entry.updated(_utc(_updated(case_study)))
    if case_study.published_at:
        entry.published(_utc(case_study.published_at))
    entry.author({"name": _xml(case_study.city.name)})
    if case_study.summary:
        entry.summary(_xml(case_study.summary), type="text")
    # Markdown rendered and sanitised as on the case study page; the XML writer escapes it.
    entry.content(_xml(str(render_markdown(case_study.body))), type="html")
    thesaurus = get_thesaurus()
    for topic in case_study.topics or ():
        entry.category(term=_xml(topic), label=_xml(thesaurus.label(topic, ui_lang)))


# -- the feeds ------------------------------------------------------------------------------

def _newest_published():
    return (select(CaseStudy).where(CaseStudy.status == "published")
            .options(selectinload(CaseStudy.city))
            .order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
            .limit(MAX_ENTRIES))


def newest_feed() -> Feed:
    return Feed(
        title=gettext("CityExchange: newest case studies"),
        self_url=url_for("feeds.case_studies_feed", _external=True),
        page_url=url_for("public.home", _external=True),
        case_studies=list(db.session.scalars(_newest_published())),
        subtitle=gettext("Case studies of the partner cities, newest first."))


def city_feed(city: City) -> Feed:
    return Feed(
        title=gettext("CityExchange: case studies of %(city)s", city=city.name),
        self_url=url_for("feeds.city_feed", slug=city.slug, _external=True),
        page_url=url_for("public.city", slug=city.slug, _external=True),
        case_studies=list(db.session.scalars(
            _newest_published().where(CaseStudy.city_id == city.id))),
        fallback_updated=city.created_at)


def collection_feed(collection: Collection) -> Feed:
    """A published collection's case studies, in the curators' order."""
    items = collections_service.visible_items(collection)[:MAX_ENTRIES]
    return Feed(
        title=f"{SITE_NAME}: {collection.title}",
        self_url=url_for("feeds.collection_feed", slug=collection.slug, _external=True),
        page_url=url_for("collections.detail", slug=collection.slug, _external=True),
        case_studies=[item.case_study for item in items],
        fallback_updated=collection.updated_at, subtitle=collection.cover_text)


def newest_matches(args: MultiDict, ui_lang: str) -> SearchPage:
    """The newest MAX_ENTRIES matches of /search parameters (page and sort are ignored)."""
    args = MultiDict(args)
    for name in ("page", "per_page", "sort"):
        args.poplist(name)
    request = search_service.parse_search_args(args, ui_lang)
    return search_service.search(replace(request, sort="newest", page=1, per_page=MAX_ENTRIES))


def search_feed(page: SearchPage, query: str) -> Feed:
    return Feed(
        title=f"{SITE_NAME}: {describe_search(page)}",
        self_url=url_for("feeds.search_feed", _external=True) + (f"?{query}" if query else ""),
        page_url=url_for("search.search_page", _external=True) + (f"?{query}" if query else ""),
        case_studies=[item.case_study for item in page.items],
        subtitle=gettext("The newest case studies that match this search."))


def topic_feed(page: SearchPage, topic: str, ui_lang: str) -> Feed:
    label = get_thesaurus().label(topic, ui_lang)
    return Feed(
        title=f"{SITE_NAME}: {label}",
        self_url=url_for("feeds.topic_feed", topic=topic, _external=True),
        page_url=url_for("search.search_page", topic=topic, _external=True),
        case_studies=[item.case_study for item in page.items],
        subtitle=gettext("The newest case studies on %(topic)s.", topic=label))


def describe_search(page: SearchPage) -> str:
    """“hydrogen” · City: Dortmund, or "all case studies"."""
    parts = [f"“{page.request.q}”"] if page.request.q else []
    parts += [f"{active.name}: {active.label}" for active in page.active_filters]
    if not parts:
        return gettext("all case studies")
    return gettext("search %(what)s", what=" · ".join(parts))
