"""Personal API tokens: create (the secret is shown once), look up by secret, revoke.

Only the SHA-256 of a secret is stored, so a leaked database holds no usable
token; the short prefix lets the owner tell tokens apart on the tokens page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext, lazy_gettext
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate
from sqlalchemy import select

from cityexchange.errors import Invalid, NotFound
from cityexchange.extensions import db
from cityexchange.services import audit
from cityexchange.models import ApiToken, User, utcnow

# Secret scanners recognise a fixed marker; it also tells a token from a password.
SECRET_MARKER = "cx_"
PREFIX_LENGTH = len(SECRET_MARKER) + 6
MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often per token: no write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenInputSchema(Schema):
    """The create form of the tokens page."""

    class Meta:
        unknown = EXCLUDE  # csrf_token

    name = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         error_messages={"required": lazy_gettext(
                             "Give the token a name, such as “import script”.")})

    @pre_load
    def _strip(self, data, **kwargs):
        return {key: value.strip() if isinstance(value, str) else value
                for key, value in data.items()}


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # never stored: the owner sees it once


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, active ones first, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                  ApiToken.id.desc())))


def active_count(user: User) -> int:
    return sum(1 for token in tokens_of(user) if token.is_active)


def create_token(user: User, name: str) -> NewToken:
    """A new token; Invalid (naming `name`) when the user has MAX_ACTIVE_TOKENS already."""
    if active_count(user) >= MAX_ACTIVE_TOKENS:
        raise Invalid(gettext("You have %(count)d active tokens already: revoke one you no "
                              "longer use, then create the new one.", count=MAX_ACTIVE_TOKENS),
                      "name")
    secret = SECRET_MARKER + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_secret(secret),
                     prefix=secret[:PREFIX_LENGTH])
    db.session.add(token)
    audit.record(user, "token-create", f"token {token.prefix}… “{name}” of {user.email}")
    db.session.commit()
    return NewToken(token, secret)


def get_token(user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; NotFound for another user's, as for a missing one."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(gettext("You have no API token %(id)d.", id=token_id))
    return token


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(token.user, "token-revoke",
                     f"token {token.prefix}… “{token.name}” of {token.user.email}")
        db.session.commit()


def authenticate(secret: str) -> User | None:
    """The active user an active token belongs to; notes when the token was used."""
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return token.user
