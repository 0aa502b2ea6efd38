"""The directory pages: every city (filter by country, size, theme) and the topic tree."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City
from cityexchange.services.network import SIZE_BANDS, size_band
from cityexchange.services.search import load_params
from cityexchange.i18n import country_name
from indexer.thesaurus import Thesaurus


class CityFilterSchema(Schema):
    """GET /cities: ?country=DE&size=1&theme=hydrogen, each optional."""

    class Meta:
        unknown = EXCLUDE

    country = fields.String(load_default=None, validate=validate.Regexp(
        r"^[A-Za-z]{2}$", error=lazy_gettext("use a two-letter country code such as DE")))
    size = fields.Integer(load_default=None, validate=validate.Range(
        min=0, max=len(SIZE_BANDS) - 1, error=lazy_gettext("use a size band from {min} to {max}")))
    theme = fields.String(load_default=None, validate=validate.Length(max=100))


@dataclass
class CityRow:
    city: City
    country_name: str
    case_studies: int
    size: str


@dataclass
class CityDirectory:
    rows: list[CityRow]
    countries: list[tuple[str, str]]  # (code, name in the UI language)
    themes: list[tuple[str, str]]  # (concept id, label)
    sizes: list[tuple[int, str]]
    chosen: dict


def city_directory(args: dict, thesaurus: Thesaurus, ui_lang: str) -> CityDirectory:
    """Cities with their published case-study counts, narrowed by the chosen filters."""
    chosen = load_params(CityFilterSchema(), {k: v for k, v in args.items() if v})
    counts = db.session.execute(
        select(City, func.count(CaseStudy.id))
        .outerjoin(CaseStudy, (CaseStudy.city_id == City.id) & (CaseStudy.status == "published"))
        .group_by(City.id).order_by(City.name)).all()
    everyone = [CityRow(city, country_name(city.country, ui_lang), count,
                        _size_label(city.population)) for city, count in counts]
    rows = [row for row in everyone if _keeps(row.city, chosen)]
    countries = sorted({(r.city.country, r.country_name) for r in everyone}, key=lambda c: c[1])
    theme_ids = {t for r in everyone for t in (r.city.focus_themes or [])}
    themes = sorted(((t, thesaurus.label(t, ui_lang)) for t in theme_ids),
                    key=lambda t: t[1].casefold())
    sizes = [(number, label) for number, (_upper, label) in enumerate(SIZE_BANDS)]
    return CityDirectory(rows, countries, themes, sizes, chosen)


def _size_label(population: int | None) -> str:
    band = size_band(population)
    return SIZE_BANDS[band][1] if band is not None else ""


def _keeps(city: City, chosen: dict) -> bool:
    if chosen["country"] and city.country != chosen["country"].upper():
        return False
    if chosen["size"] is not None and size_band(city.population) != chosen["size"]:
        return False
    return not chosen["theme"] or chosen["theme"] in (city.focus_themes or [])


@dataclass
class TopicNode:
    id: str
    label: str
    count: int
    children: list[TopicNode] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Case studies tagged with this topic or one below it (counted per tag)."""
        return self.count + sum(child.total for child in self.children)


def topic_tree(thesaurus: Thesaurus, ui_lang: str) -> list[TopicNode]:
    """The thesaurus from its top concepts down, labels in the UI language, with the
    number of published case studies that have each concept (as topic or found concept)."""
    counts = _concept_counts()
    below: dict[str, list[str]] = {}
    for concept in thesaurus.concepts.values():
        for parent in concept.broader[:1]:  # first broader: each concept shows once
            below.setdefault(parent, []).append(concept.id)

    def node(concept_id: str, seen: frozenset) -> TopicNode:
        children = [node(child, seen | {child}) for child in below.get(concept_id, ())
                    if child not in seen]
        children.sort(key=lambda n: n.label.casefold())
        return TopicNode(concept_id, thesaurus.label(concept_id, ui_lang),
                         counts.get(concept_id, 0), children)

    tops = [c.id for c in thesaurus.concepts.values() if not c.broader]
    return sorted((node(top, frozenset({top})) for top in tops),
                  key=lambda n: n.label.casefold())


def _concept_counts() -> Counter:
    counts: Counter = Counter()
    rows = db.session.execute(select(CaseStudy.topics, CaseStudy.concepts)
                              .where(CaseStudy.status == "published"))
    for topics, concepts in rows:
        counts.update(set(topics or []) | set(concepts or []))
    return counts
