"""User accounts."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from cityexchange.auth import hash_password, spend_verify_time, verify_password
from cityexchange.extensions import db
from cityexchange.passwords import validate_password
from cityexchange.models import ROLES, User
from cityexchange.services.cities import find_city


class UserInputSchema(Schema):
    email = fields.Email(required=True)
    name = fields.String(load_default="", validate=validate.Length(max=200))
    password = fields.String(required=True, validate=validate_password,
                             load_only=True)
    role = fields.String(load_default="contributor", validate=validate.OneOf(ROLES))
    city = fields.String(load_default=None, allow_none=True)


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(data: dict) -> User:
    """Validate and create a user; a contributor must belong to a city."""
    data = UserInputSchema().load(data)
    if find_user(data["email"]):
        raise ValidationError({"email": ["a user with this email exists already"]})
    city = None
    if data.get("city"):
        city = find_city(data["city"])
        if city is None:
            raise ValidationError({"city": [f"unknown city '{data['city']}'"]})
    if data["role"] == "contributor" and city is None:
        raise ValidationError({"city": ["a contributor belongs to a city: give --city"]})
    user = User(
        email=data["email"].lower(),
        name=data["name"],
        password_hash=hash_password(data["password"]),
        role=data["role"],
        city_id=city.id if city else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email or "")
    if user is None or not user.active:
        spend_verify_time(password or "")
        return None
    return user if verify_password(user.password_hash, password or "") else None
