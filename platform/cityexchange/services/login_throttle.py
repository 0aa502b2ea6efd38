"""Failed logins, throttled per account and per client address.

The counts live in the database (login_failures), so every gunicorn worker
sees the same numbers. After LOGIN_MAX_FAILURES failures within
LOGIN_WINDOW_SECONDS for the account or for the address, further attempts are
refused (429) without checking the password, until the oldest failure leaves
the window. Nothing tells anyone which address the failures came from.
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from cityexchange.extensions import db
from cityexchange.models import LoginFailure, utcnow
from cityexchange.services import audit


def _limits() -> tuple[int, timedelta]:
    config = current_app.config
    return config["LOGIN_MAX_FAILURES"], timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])


def _key(email: str) -> str:
    return (email or "").strip().lower()[:254]


def retry_after(email: str, address: str) -> int:
    """Seconds until a login may be tried again; 0 when it may be tried now."""
    limit, window = _limits()
    now = utcnow()
    waits = []
    for column, value in ((LoginFailure.account, _key(email)),
                          (LoginFailure.address, address[:64])):
        times = db.session.scalars(
            select(LoginFailure.created_at).where(column == value,
                                                  LoginFailure.created_at > now - window)
            .order_by(LoginFailure.created_at.desc()).limit(limit)).all()
        if len(times) >= limit:
            waits.append((times[-1] + window - now).total_seconds())
    return max(1, math.ceil(max(waits))) if waits else 0


def record_failure(email: str, address: str) -> None:
    """Count a failure; the account or address that reaches the limit is logged as locked."""
    limit, window = _limits()
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at <= now - window))
    db.session.add(LoginFailure(account=_key(email), address=address[:64], created_at=now))
    db.session.flush()
    failures = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.account == _key(email), LoginFailure.created_at > now - window))
    if failures == limit:
        audit.record(None, "login-lockout", f"account {_key(email)}")
    db.session.commit()


def clear_account(email: str) -> None:
    """A successful login forgets the account's failures (never the address's)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.account == _key(email)))
    db.session.commit()
