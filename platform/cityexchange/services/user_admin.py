"""What administrators do with accounts: list, create, change role and city, (de)activate.

Accounts are never deleted: revisions and collections keep naming their authors.
A deactivated account cannot log in, its open sessions end, its API tokens stop working.
"""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.services import audit
from cityexchange.passwords import validate_password
from cityexchange.models import ROLES, City, User
from cityexchange.services.users import create_user

ROLE_CHOICES = f"use one of: {', '.join(ROLES)}"


class UserAdminError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class _AccountFields(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token, the submit button

    name = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES, error=ROLE_CHOICES))
    # A city's slug; empty for coordinators and admins, who act for the whole network.
    city = fields.String(load_default=None, allow_none=True)

    @pre_load
    def _clean(self, data, **kwargs):
        if not isinstance(data, dict):
            raise ValidationError("expected form fields")
        data = {key: value.strip() if isinstance(value, str) else value
                for key, value in data.items()}
        if data.get("city") == "":
            data["city"] = None
        return data

    @validates_schema
    def _city(self, data, **kwargs):
        slug = data.get("city")
        if slug and city_by_slug(slug) is None:
            raise ValidationError(gettext("There is no city '%(slug)s'; choose one from the list.",
                                          slug=slug), "city")
        if data.get("role") == "contributor" and not slug:
            raise ValidationError(gettext("A contributor belongs to a city: choose it."), "city")


class NewUserSchema(_AccountFields):
    # fields.Email fixes its message at import time, in English; the validator's message
    # is read per request, in the reader's language.
    email = fields.String(required=True, validate=[
        validate.Length(max=254), validate.Email(error=lazy_gettext("Give a valid email address."))])
    password = fields.String(required=True, load_only=True, validate=validate_password)


class EditUserSchema(_AccountFields):
    pass


def city_by_slug(slug: str) -> City | None:
    return db.session.scalar(select(City).where(City.slug == slug))


def all_users() -> list[User]:
    return list(db.session.scalars(
        select(User).options(selectinload(User.city))
        .order_by(User.active.desc(), User.role, User.email)))


def all_cities() -> list[City]:
    return list(db.session.scalars(select(City).order_by(City.name)))


def create(data: dict) -> User:
    """An account from NewUserSchema data (users.create_user checks the email is new)."""
    city = city_by_slug(data["city"]) if data["city"] else None
    return create_user({"email": data["email"], "name": data["name"],
                        "password": data["password"], "role": data["role"],
                        "city": city.name if city else None})


def update(user: User, data: dict, *, acting: User) -> None:
    """Name, role and city from EditUserSchema data; no admin demotes themselves."""
    if user.id == acting.id and data["role"] != user.role:
        raise UserAdminError("role", gettext(
            "You cannot change your own role: another administrator has to, so the network "
            "always keeps one."))
    city = city_by_slug(data["city"]) if data["city"] else None
    if data["role"] != user.role:
        audit.record(acting, "role-change", f"user {user.email}: {user.role} -> {data['role']}")
    user.name = data["name"]
    user.role = data["role"]
    user.city_id = city.id if city else None
    db.session.commit()


def set_active(user: User, active: bool, *, acting: User) -> None:
    if user.id == acting.id and not active:
        raise UserAdminError("active", gettext("You cannot deactivate your own account."))
    user.active = active
    db.session.commit()
