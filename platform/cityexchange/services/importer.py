"""Bulk import of case studies from JSON Lines (the import contract in ARCHITECTURE.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from cityexchange.extensions import db
from cityexchange.models import CaseStudy
from cityexchange.schemas import ImportLineSchema
from cityexchange.services import case_studies, indexing
from cityexchange.services.cities import get_or_create_city

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

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _describe(error: ValidationError) -> str:
    messages = error.messages
    if isinstance(messages, dict):
        return "; ".join(f"{name}: {_flatten(text)}" for name, text in sorted(messages.items()))
    return _flatten(messages)


def _flatten(messages) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in messages.items())
    if isinstance(messages, list):
        return " ".join(_flatten(message) for message in messages)
    return str(messages)


def import_lines(stream: IO[str], *, publish: bool = False, author=None) -> ImportReport:
    """Import every valid line; report the others with their line number and reason."""
    schema = ImportLineSchema()
    report = ImportReport()
    pending = 0
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            data = schema.load(json.loads(raw))
        except json.JSONDecodeError as error:
            report.errors.append(LineError(number, f"not valid JSON: {error.msg} at column {error.colno}"))
            continue
        except ValidationError as error:
            report.errors.append(LineError(number, _describe(error)))
            continue
        try:
            with db.session.begin_nested():
                created = _import_one(data, publish=publish, author=author)
        except (ValueError, SQLAlchemyError) as error:
            report.errors.append(LineError(number, str(error).splitlines()[0]))
            continue
        report.created += created
        report.updated += not created
        pending += 1
        if pending >= BATCH_SIZE:
            _flush_batch()
            pending = 0
    _flush_batch()
    return report


def _import_one(data: dict, *, publish: bool, author) -> bool:
    """Create or update (same slug) one case study; True when created."""
    city = get_or_create_city(data["city"], data.get("country") or "")
    existing = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == data["slug"]))
    if existing is None:
        case_studies.create_case_study(
            data, city=city, author=author, publish=publish,
            create_missing_partners=True, commit=False,
        )
        return True
    existing.city = city
    existing.city_id = city.id
    case_studies.update_case_study(
        existing, data, author=author, publish=publish,
        create_missing_partners=True, commit=False,
    )
    return False


def _flush_batch() -> None:
    db.session.commit()
    indexing.index_after_commit()
