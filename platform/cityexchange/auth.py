"""Sessions (Flask-Login), password hashing (Argon2) and who may do what."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask
from flask_login import AnonymousUserMixin

from cityexchange.extensions import db, login_manager
from cityexchange.models import User

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both answers cost one Argon2 verify."""
    return _hasher.hash("no account has this password")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str):
    user = db.session.get(User, int(user_id))
    # A deactivated account's open sessions end with it.
    return user if user is not None and user.active else None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def spend_verify_time(password: str) -> None:
    """The work of one verify, for an unknown or inactive account (no enumeration by timing)."""
    verify_password(_dummy_hash(), password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_staff(user) -> bool:
    """Coordinators and admins act for the whole network."""
    return getattr(user, "is_authenticated", False) and user.role in ("coordinator", "admin")


def can_edit_case_study(user, case_study) -> bool:
    """A contributor edits only their own city's case studies; staff edit all."""
    if not getattr(user, "is_authenticated", False) or isinstance(user, AnonymousUserMixin):
        return False
    if is_staff(user):
        return True
    return user.role == "contributor" and user.city_id == case_study.city_id


def can_contribute_for_city(user, city_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return is_staff(user) or (user.role == "contributor" and user.city_id == city_id)


def can_curate(user) -> bool:
    return is_staff(user)


def can_manage_users(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role == "admin"
