"""Log in and out."""

from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from marshmallow import Schema, ValidationError, fields

from cityexchange.services.users import authenticate

bp = Blueprint("auth", __name__)


class LoginSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    next = fields.String(load_default="")


def _safe_next(target: str) -> str:
    """Only redirect to paths on this site, never to another host."""
    parsed = urlparse(target or "")
    if parsed.scheme or parsed.netloc or not target.startswith("/"):
        return url_for("public.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = {"email": "", "next": request.args.get("next", "")}
    if request.method == "POST":
        try:
            data = LoginSchema().load(request.form.to_dict())
        except ValidationError as error:
            return render_template("login.html", form=request.form, errors=error.messages), 400
        user = authenticate(data["email"], data["password"])
        if user is None:
            errors = {"password": ["Email or password is not right."]}
            return render_template("login.html", form=request.form, errors=errors), 400
        login_user(user)
        flash(f"Welcome, {user.name or user.email}.", "success")
        return redirect(_safe_next(data["next"]))
    return render_template("login.html", form=form, errors={})


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("public.home"))
