"""The audit log: who did what, when. Entries join the caller's transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import AuditEntry


def record(actor, action: str, target: str) -> None:
    """Add an entry to the session; it is committed with the change it describes."""
    is_user = getattr(actor, "is_authenticated", False)
    db.session.add(AuditEntry(actor_id=actor.id if is_user else None,
                              actor=actor.email if is_user else "", action=action,
                              target=target[:300]))


def latest(limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))
