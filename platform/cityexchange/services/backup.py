"""Backups as JSON Lines: every table the portal owns, row by row, ids kept.

`cityex export-all FILE` writes a header line, then one line per row, parents
before children: cities, users, partnerships, case studies with their
partners, translations and revisions, collections and their items, contacts,
saved searches. `cityex import-all FILE` loads such a file into an EMPTY
database, so pages, links and search results come back the same; the search
index is then rebuilt from the database.

Left out on purpose: the outbox (the rebuild replaces it), API tokens (secrets;
users make new ones) and, unless asked for, password hashes (restored accounts
then cannot log in: nobody knows a password that matches).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import Date, DateTime, LargeBinary, Table, func, insert, select, text

from cityexchange.extensions import db

FORMAT = "cityexchange-backup"
VERSION = 1
# Never exported: rebuilt (outbox), secret (API tokens), short-lived (login
# throttle counters) or Alembic's own.
SKIPPED_TABLES = {"outbox", "api_tokens", "login_failures", "alembic_version"}
NO_PASSWORD = "!"  # not an Argon2 hash: no password matches it
BATCH = 500


class BackupError(ValueError):
    """The file is not a backup this version can restore, or the database is not empty."""


def _tables() -> list[Table]:
    """The portal's tables, parents before children."""
    return [t for t in db.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


class HeaderSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    format = fields.String(required=True, validate=validate.Equal(FORMAT))
    version = fields.Integer(required=True, validate=validate.Equal(VERSION))
    schema = fields.String(required=True)  # the Alembic revision the rows follow
    password_hashes = fields.Boolean(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class RowSchema(Schema):
    table = fields.String(required=True)
    row = fields.Dict(keys=fields.String(), required=True)

    @validates_schema
    def _known_table_and_columns(self, data, **_kwargs):
        tables = {t.name: t for t in _tables()}
        table = tables.get(data["table"])
        if table is None:
            raise ValidationError(f"unknown table '{data['table']}'", "table")
        unknown = set(data["row"]) - set(table.columns.keys())
        if unknown:
            raise ValidationError(f"unknown columns {sorted(unknown)} of {table.name}", "row")


def _schema_revision() -> str:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""
    except Exception:  # a database made by create_all (tests) has no version table
        db.session.rollback()
        return ""


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):  # stored vectors: restored as they were, not recomputed
        return base64.b64encode(value).decode("ascii")
    return value


def export_all(out: IO[str], *, with_password_hashes: bool = False) -> dict[str, int]:
    """Write the header and every row; returns rows per table."""
    tables = _tables()
    counts = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
              for t in tables}
    header = {"format": FORMAT, "version": VERSION, "schema": _schema_revision(),
              "password_hashes": with_password_hashes, "counts": counts}
    out.write(json.dumps(HeaderSchema().dump(header), ensure_ascii=False) + "\n")
    for table in tables:
        order = [column for column in table.primary_key.columns]
        for row in db.session.execute(select(table).order_by(*order)).mappings():
            values = {key: _plain(value) for key, value in row.items()}
            if table.name == "users" and not with_password_hashes:
                values.pop("password_hash", None)
            line = RowSchema().dump({"table": table.name, "row": values})
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
    return counts


@dataclass
class ImportSummary:
    counts: dict[str, int] = field(default_factory=dict)
    password_hashes: bool = False


def import_all(lines: Iterable[str]) -> ImportSummary:
    """Restore a backup into an empty database (one transaction); raises BackupError."""
    numbered = enumerate(lines, start=1)
    header = _read_header(numbered)
    _require_empty()
    tables = {t.name: t for t in _tables()}
    summary = ImportSummary(password_hashes=header["password_hashes"])
    pending: dict[str, list[dict]] = {}
    schema = RowSchema()
    for number, raw in numbered:
        if not raw.strip():
            continue
        try:
            item = schema.load(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as error:
            raise BackupError(f"line {number}: {_describe(error)}") from error
        table = tables[item["table"]]
        pending.setdefault(table.name, []).append(_typed(table, item["row"], number))
        summary.counts[table.name] = summary.counts.get(table.name, 0) + 1
    expected = {name: count for name, count in header["counts"].items() if count}
    if summary.counts != expected:
        raise BackupError(f"the file is incomplete: its header promises {expected} rows, "
                          f"it holds {summary.counts}; nothing was restored")
    try:
        for table in _tables():  # parents first, whatever the file's order
            rows = pending.get(table.name, [])
            for start in range(0, len(rows), BATCH):
                db.session.execute(insert(table), rows[start:start + BATCH])
        _advance_sequences(tables.values())
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return summary


def _read_header(numbered: Iterator[tuple[int, str]]) -> dict:
    for number, raw in numbered:
        if raw.strip():
            try:
                return HeaderSchema().load(json.loads(raw))
            except (json.JSONDecodeError, ValidationError) as error:
                raise BackupError(f"line {number}: not a CityExchange backup (made by "
                                  f"`cityex export-all`): {_describe(error)}") from error
    raise BackupError("the file is empty")


def _require_empty() -> None:
    filled = [t.name for t in _tables()
              if db.session.execute(select(func.count()).select_from(t)).scalar_one()]
    if filled:
        raise BackupError(f"the database is not empty ({', '.join(filled)} have rows): restore "
                          "into a new database (set CITYEX_DATABASE_URL, run `cityex init-db`)")


def _typed(table: Table, row: dict, number: int) -> dict:
    values = dict(row)
    for column in table.columns:
        value = values.get(column.key)
        if isinstance(value, str) and isinstance(column.type, (DateTime, Date)):
            try:
                parsed = datetime.fromisoformat(value)
                values[column.key] = parsed if isinstance(column.type, DateTime) else parsed.date()
            except ValueError as error:
                raise BackupError(f"line {number}: {table.name}.{column.key}: {error}") from error
        if isinstance(value, str) and isinstance(column.type, LargeBinary):
            try:
                values[column.key] = base64.b64decode(value, validate=True)
            except ValueError as error:
                raise BackupError(f"line {number}: {table.name}.{column.key}: {error}") from error
    if table.name == "users" and not values.get("password_hash"):
        values["password_hash"] = NO_PASSWORD
    return values


def _advance_sequences(tables: Iterable[Table]) -> None:
    """PostgreSQL: ids were given explicitly, so move each id sequence past the highest."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.columns and table.c.id.autoincrement in (True, "auto"):
            db.session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                     f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"),
                {"table": table.name})


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{key}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
                         for key, messages in error.normalized_messages().items())
    return str(error)
