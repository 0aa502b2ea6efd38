"""Bulk import of case studies from JSON Lines (the import contract in ARCHITECTURE.md)."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from cityexchange.extensions import db
from cityexchange.markdown import reuse_plain_text
from cityexchange.models import CaseStudy
from cityexchange.schemas import ImportLineSchema
from cityexchange.services import case_studies, indexing
from cityexchange.services.case_study_batch import CityLookup, Line, Outcome, save_lines
from cityexchange.services.cities import find_city, get_or_create_city

BATCH_SIZE = 200


@dataclass
class LineError:
    line: int
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[LineError] = field(default_factory=list)
    # Imported lines with something left out (a partner city known nowhere).
    warnings: list[LineError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def exit_status(self) -> int:
        """`cityex import`: 0 every line imported, 1 some lines rejected, 2 nothing imported."""
        if self.imported == 0:
            return 2
        return 1 if self.errors else 0


def _describe(error: ValidationError) -> str:
    messages = error.messages
    if isinstance(messages, dict):
        return "; ".join(f"{name}: {_flatten(text)}" if name != "_schema" else _flatten(text)
                         for name, text in sorted(messages.items()))
    return _flatten(messages)


def _flatten(messages) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in messages.items())
    if isinstance(messages, list):
        return " ".join(_flatten(message) for message in messages)
    return str(messages)


def _parse(raw: str | bytes, schema: ImportLineSchema) -> dict:
    """One line to validated data; ValueError says what is wrong with it."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"not UTF-8 text (byte {error.start + 1})") from error
    try:
        return schema.load(json.loads(raw))
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error.msg} at column {error.colno}") from error
    except ValidationError as error:
        raise ValueError(_describe(error)) from error


def import_lines(stream: Iterable[str | bytes], *, publish: bool = False,
                 author=None, tracker=None) -> ImportReport:
    """Import every valid line; report the others with their line number and reason.

    Valid lines are saved BATCH_SIZE at a time, one transaction each (then the
    index is updated); a rejected line leaves nothing behind. `tracker`
    (cityexchange.progress) counts the valid lines as their batches are saved.
    """
    with _fewer_collections():
        return _import_all(stream, publish=publish, author=author, tracker=tracker)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A batch allocates many objects beside large long-lived ones (analysis and
    thesaurus caches) that each cycle collection walks: collecting less often
    saves ~15 % of an import's CPU."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 50_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _import_all(stream: Iterable[str | bytes], *, publish: bool, author,
                tracker=None) -> ImportReport:
    """Read and check the whole file first, so the order of its lines does not matter:
    cities named anywhere in it are known to every line."""
    report = ImportReport()
    lines, errors = _read(stream)
    lookup = _create_cities(lines)
    _drop_unknown_partners(lines, report, lookup)
    if tracker is not None:
        tracker.set_total(len(lines))
    for start in range(0, len(lines), BATCH_SIZE):
        batch = lines[start:start + BATCH_SIZE]
        _import_batch(batch, [], report, publish=publish, author=author)
        if tracker is not None:
            tracker.advance(len(batch))
    report.errors = sorted(report.errors + errors, key=lambda error: error.line)
    return report


def _read(stream: Iterable[str | bytes]) -> tuple[list[Line], list[LineError]]:
    """Every valid line; a slug seen on an earlier line is an error of the later one."""
    schema = ImportLineSchema()
    lines: list[Line] = []
    errors: list[LineError] = []
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            data = _parse(raw, schema)
        except ValueError as error:
            errors.append(LineError(number, str(error).splitlines()[0]))
            continue
        if data["slug"] in first_seen:
            errors.append(LineError(number, f"slug: '{data['slug']}' is on line "
                                            f"{first_seen[data['slug']]} already; one line "
                                            "per case study"))
            continue
        first_seen[data["slug"]] = number
        lines.append(Line(number, data))
    return lines, errors


def _create_cities(lines: list[Line]) -> CityLookup:
    """The cities the file names with a country, created before any line needs them as
    a partner. A line's other city rules (country must agree) still apply to it.

    Every name of the file is looked up in one query (not one per line). Coordinates on
    a line place its city on the map (the last line that gives them wins)."""
    names = {line.data["city"] for line in lines}
    names.update(name for line in lines for name in line.data.get("partners") or ())
    lookup = CityLookup(names)
    for line in lines:
        if line.data.get("country") and lookup.find(line.data["city"]) is None:
            lookup.add(get_or_create_city(line.data["city"], line.data["country"]))
        if line.data.get("latitude") is not None:
            city = lookup.find(line.data["city"])
            if city is not None:
                city.latitude, city.longitude = line.data["latitude"], line.data["longitude"]
    db.session.commit()
    return lookup


def _drop_unknown_partners(lines: list[Line], report: ImportReport,
                           lookup: CityLookup) -> None:
    """A partner known nowhere (not in the network, not in the file) is left unlinked and
    reported; the case study is imported all the same."""
    names = {name for line in lines for name in line.data.get("partners") or ()}
    known = {name for name in names if lookup.find(name) is not None}
    for line in lines:
        unknown = [name for name in line.data.get("partners") or () if name not in known]
        if unknown:
            line.data["partners"] = [name for name in line.data["partners"] if name in known]
            report.warnings.append(LineError(line.number, "partners: unknown city "
                                             f"{', '.join(unknown)} left unlinked"))


def _import_batch(lines: list[Line], errors: list[LineError], report: ImportReport, *,
                  publish: bool, author) -> None:
    """Save the lines and commit; errors (parsing ones given) go to the report in line order."""
    with reuse_plain_text():  # tagging and the search documents render each text once
        try:
            with db.session.begin_nested():
                outcomes = save_lines(lines, publish=publish, author=author)
        except SQLAlchemyError:
            # E.g. a slug taken meanwhile by another writer: line by line finds which.
            outcomes = [_import_alone(line, publish=publish, author=author) for line in lines]
        for outcome in outcomes:
            if outcome.error is not None:
                errors.append(LineError(outcome.number, outcome.error))
            else:
                report.created += outcome.created
                report.updated += not outcome.created
        report.errors += sorted(errors, key=lambda error: error.line)
        _flush_batch()


def _import_alone(line: Line, *, publish: bool, author) -> Outcome:
    """One line in its own savepoint (the path when a batch fails at the database)."""
    try:
        with db.session.begin_nested():
            created = _import_one(line.data, publish=publish, author=author)
    except (ValueError, SQLAlchemyError) as error:
        return Outcome(line.number, error=str(error).splitlines()[0])
    return Outcome(line.number, created=created)


def _city_for(data: dict):
    """The line's city; a new one needs its country, a known one must agree with it."""
    country = data.get("country")
    city = find_city(data["city"])
    if city is None:
        if not country:
            raise ValueError(f"city: '{data['city']}' is new here; give its country (e.g. \"DE\")")
        return get_or_create_city(data["city"], country)
    if country and city.country and country != city.country:
        raise ValueError(f"country: {city.name} is in {city.country}, not {country}")
    return city


def _import_one(data: dict, *, publish: bool, author) -> bool:
    """Create or update (same slug) one case study; True when created.

    Partners must be cities the platform knows (earlier lines count): a typo
    should not invent a city without a country.
    """
    city = _city_for(data)
    existing = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == data["slug"]))
    if existing is None:
        case_studies.create_case_study(data, city=city, author=author, publish=publish,
                                       commit=False)
        return True
    existing.city = city
    existing.city_id = city.id
    case_studies.update_case_study(existing, data, author=author, publish=publish, commit=False)
    return False


def _flush_batch() -> None:
    db.session.commit()
    indexing.index_after_commit()
