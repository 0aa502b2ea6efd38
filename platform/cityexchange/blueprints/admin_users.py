"""/admin/users: administrators list, create, edit and (de)activate accounts.

Plain POST forms with CSRF tokens; a failed form comes back with 400, what was
typed (never the password) and the field named.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from marshmallow import ValidationError

from cityexchange.auth import can_manage_users
from cityexchange.extensions import db
from cityexchange.models import ROLES, User
from cityexchange.services import user_admin as service
from cityexchange.services.user_admin import UserAdminError
from cityexchange.validation_text import localised

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not can_manage_users(current_user):
            abort(403, description=gettext("Only administrators manage user accounts."))
        return view(*args, **kwargs)
    return wrapped


@bp.get("")
@admin_required
def index():
    return _render()


@bp.post("")
@admin_required
def create():
    typed = request.form.to_dict()
    typed.pop("password", None)  # never sent back to the browser
    try:
        user = service.create(service.NewUserSchema().load(request.form.to_dict()))
    except ValidationError as error:
        return _render(new=typed, new_errors=localised(error.messages)), 400
    flash(gettext("Created the account %(email)s (%(role)s).", email=user.email,
                  role=user.role), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>")
@admin_required
def update(user_id: int):
    user = _user_or_404(user_id)
    typed = request.form.to_dict()
    try:
        service.update(user, service.EditUserSchema().load(typed), acting=current_user)
    except ValidationError as error:
        return _render(editing={user.id: (typed, localised(error.messages))}), 400
    except UserAdminError as error:
        return _render(editing={user.id: (typed, {error.field: [error.message]})}), 400
    flash(gettext("Saved the account %(email)s.", email=user.email), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id: int):
    return _set_active(_user_or_404(user_id), False)


@bp.post("/<int:user_id>/activate")
@admin_required
def activate(user_id: int):
    return _set_active(_user_or_404(user_id), True)


def _set_active(user: User, active: bool):
    try:
        service.set_active(user, active, acting=current_user)
    except UserAdminError as error:
        abort(400, description=error.message)
    message = (gettext("Activated %(email)s: the account can log in again.", email=user.email)
               if active else
               gettext("Deactivated %(email)s: the account can no longer log in, and its API "
                       "tokens stop working.", email=user.email))
    flash(message, "success")
    return redirect(url_for(".index"))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, description=gettext("There is no user %(id)d.", id=user_id))
    return user


def _render(*, new: dict | None = None, new_errors: dict | None = None,
            editing: dict | None = None):
    return render_template("admin/users.html", users=service.all_users(),
                           cities=service.all_cities(), roles=ROLES, new=new or {},
                           new_errors=new_errors or {}, editing=editing or {})
