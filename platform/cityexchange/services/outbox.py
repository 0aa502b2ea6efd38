"""Outbox rows, written in the caller's transaction, and the commit that indexes them.

A request indexes only the rows its own transaction wrote (when
INDEX_AFTER_COMMIT is on); the worker (`cityex indexer run`) drains the rest,
so one contributor's save never pays for another's backlog.
"""

from __future__ import annotations

from cityexchange.extensions import db
from cityexchange.models import OutboxEntry
from cityexchange.services import indexing

_WRITTEN = "cityex_outbox_written"


def enqueue(case_study_id: int, op: str = "index") -> None:
    """An outbox row for the indexer, in the caller's transaction."""
    entry = OutboxEntry(op=op, case_study_id=case_study_id)
    db.session.add(entry)
    db.session.info.setdefault(_WRITTEN, []).append(entry)


def commit() -> None:
    """Commit the change with its outbox rows; then index just those rows, if configured."""
    written = db.session.info.pop(_WRITTEN, [])
    db.session.flush()
    ids = [entry.id for entry in written if entry.id is not None]
    db.session.commit()
    indexing.index_entries(ids)


def forget() -> None:
    """After a rollback: the rows this session had written are gone."""
    db.session.info.pop(_WRITTEN, None)
