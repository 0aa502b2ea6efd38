"""Log in and out."""

import math
from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from cityexchange.services import login_throttle
from cityexchange.services.users import authenticate
from cityexchange.validation_text import localised

bp = Blueprint("auth", __name__)

WRONG_LOGIN = lazy_gettext("Email or password is not right. Check both and try again.")


class LoginSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token and the submit button

    email = fields.String(required=True, validate=validate.Length(
        min=1, max=254, error=lazy_gettext("Enter your email.")))
    password = fields.String(required=True, load_only=True, validate=validate.Length(
        min=1, error=lazy_gettext("Enter your password.")))
    next = fields.String(load_default="")


def safe_next(target: str | None) -> str:
    """Only a path on this site, never another host: no open redirect.

    Browsers read "//host", "/\\host" and paths with control characters as
    another host, so those are refused as well.
    """
    target = target or ""
    parsed = urlparse(target)
    if (not target.startswith("/") or target.startswith("//") or parsed.scheme or parsed.netloc
            or "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target)):
        return url_for("contribute.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    if request.method == "GET":
        return render_template("login.html", form={"next": request.args.get("next", "")},
                               errors={})
    form = request.form.to_dict()
    try:
        data = LoginSchema().load(form)
    except ValidationError as error:
        return render_template("login.html", form=form, errors=localised(error.messages)), 400
    address = request.remote_addr or ""
    wait = login_throttle.retry_after(data["email"], address)
    if wait:
        # The same answer whichever limit was hit: it names no address and no account.
        message = gettext("Too many failed logins. Wait %(minutes)d minutes, then try again.",
                          minutes=math.ceil(wait / 60))
        return (render_template("login.html", form=form, errors={"_": [message]}), 429,
                {"Retry-After": str(wait)})
    user = authenticate(data["email"], data["password"])
    if user is None:
        login_throttle.record_failure(data["email"], address)
        return render_template("login.html", form=form, errors={"_": [WRONG_LOGIN]}), 400
    login_throttle.clear_account(data["email"])
    login_user(user)
    flash(gettext("Welcome, %(name)s.", name=user.name or user.email), "success")
    return redirect(safe_next(data["next"]))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("public.home"))
