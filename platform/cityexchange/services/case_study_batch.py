"""Many case studies saved in one go: the importer's fast path.

The rules are those of services/case_studies.py, whose helpers do the work
(apply_fields, tagging, revision snapshots, the outbox); only the database
traffic differs. Cities and existing case studies are read once per batch, one
flush writes case studies, translations and partner links, and revisions and
outbox rows go in as one executemany each. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, OutboxEntry, Revision
from cityexchange.services import case_studies
from cityexchange.services.cities import get_or_create_city
from cityexchange.services.slugs import slugify


@dataclass
class Line:
    """A validated import line (ImportLineSchema) and its number in the file."""

    number: int
    data: dict


@dataclass
class Outcome:
    number: int
    created: bool = False
    error: str | None = None


class CityLookup:
    """find_city() over cities read in one query; cities created meanwhile join it."""

    def __init__(self, names: set[str]):
        self._by_name: dict[str, City] = {}
        self._by_slug: dict[str, City] = {}
        self._found: dict[str, City | None] = {}  # name as given -> find()
        keys = {name.strip() for name in names}
        lowered = {key.lower() for key in keys}
        if keys:
            # The database's lower() (ASCII only in SQLite), as find_city compares.
            rows = db.session.execute(
                select(City, func.lower(City.name))
                .where(func.lower(City.name).in_(lowered)
                       | City.slug.in_(lowered | {slugify(key) for key in keys}))
                .order_by(City.id))
            for city, lower_name in rows:
                self._add(city, lower_name)

    def _add(self, city: City, lower_name: str) -> None:
        self._found.clear()
        self._by_name.setdefault(lower_name, city)
        self._by_slug.setdefault(city.slug, city)

    def add(self, city: City) -> None:
        self._add(city, db.session.scalar(select(func.lower(City.name)).where(City.id == city.id)))

    def forget(self, city: City) -> None:
        self._found.clear()
        self._by_name = {key: c for key, c in self._by_name.items() if c is not city}
        self._by_slug = {key: c for key, c in self._by_slug.items() if c is not city}

    def find(self, name: str) -> City | None:
        if name not in self._found:
            self._found[name] = self._find(name)
        return self._found[name]

    def _find(self, name: str) -> City | None:
        key = name.strip()
        found = [self._by_name.get(key.lower()), self._by_slug.get(key.lower()),
                 self._by_slug.get(slugify(key))]
        found = [city for city in found if city is not None]
        return min(found, key=lambda city: city.id) if found else None


def save_lines(lines: list[Line], *, publish: bool, author=None) -> list[Outcome]:
    """Create or update (same slug) each line's case study; a line whose data the
    rules reject gets its error and leaves nothing behind. Database errors raise."""
    if not lines:
        return []
    names = {line.data["city"] for line in lines}
    names.update(name for line in lines for name in line.data.get("partners") or ())
    lookup = CityLookup(names)
    known = _existing({line.data["slug"] for line in lines})
    outcomes, revisions, enqueued = [], [], []
    with db.session.no_autoflush:
        for line in lines:
            try:
                case_study, created = _stage(line.data, lookup, known, publish=publish,
                                              author=author)
            except ValueError as error:
                outcomes.append(Outcome(line.number, error=str(error).splitlines()[0]))
                continue
            outcomes.append(Outcome(line.number, created=created))
            revisions.append((case_study, case_studies.revision_fields(
                case_study, author, "create" if created else "save")))
            if case_study.is_published:
                enqueued.append(case_study)
    db.session.flush()
    if revisions:
        db.session.execute(insert(Revision), [{"case_study_id": case_study.id, **fields_}
                                              for case_study, fields_ in revisions])
    if enqueued:
        db.session.execute(insert(OutboxEntry), [{"op": "index", "case_study_id": c.id}
                                                 for c in enqueued])
    return outcomes


def _existing(slugs: set[str]) -> dict[str, CaseStudy]:
    rows = db.session.scalars(
        select(CaseStudy).where(CaseStudy.slug.in_(slugs))
        .options(selectinload(CaseStudy.translations), selectinload(CaseStudy.partners),
                 selectinload(CaseStudy.city)))
    return {case_study.slug: case_study for case_study in rows}


def _stage(data: dict, lookup: CityLookup, known: dict[str, CaseStudy], *,
           publish: bool, author) -> tuple[CaseStudy, bool]:
    """The line's case study, changed in the session; True when it is new."""
    city, partners = _cities(data, lookup)
    existing = known.get(data["slug"])
    if existing is None:
        case_study = case_studies.new_case_study(data, slug=data["slug"], city=city,
                                                 author=author, publish=publish,
                                                 partners=partners)
        known[data["slug"]] = case_study
        return case_study, True
    existing.city = city
    existing.city_id = city.id
    case_studies.revise_case_study(existing, data, publish=publish, partners=partners)
    return existing, False


def _cities(data: dict, lookup: CityLookup) -> tuple[City, list[City]]:
    """The line's city and partners, by the importer's rules (importer._city_for)."""
    names = data.get("partners") or []
    country = data.get("country")
    city = lookup.find(data["city"])
    if city is not None:
        if country and city.country and country != city.country:
            raise ValueError(f"country: {city.name} is in {city.country}, not {country}")
        return city, case_studies.resolve_partners(names, find=lookup.find)
    if not country:
        raise ValueError(f"city: '{data['city']}' is new here; give its country (e.g. \"DE\")")
    # A new city is rare: its own savepoint, so a line rejected for its partners
    # leaves no city behind. Flush first, or the rollback would take the batch along.
    db.session.flush()
    savepoint = db.session.begin_nested()
    city = get_or_create_city(data["city"], country)
    lookup.add(city)
    try:
        partners = case_studies.resolve_partners(names, find=lookup.find)
    except ValueError:
        savepoint.rollback()
        lookup.forget(city)
        raise
    savepoint.commit()
    return city, partners
