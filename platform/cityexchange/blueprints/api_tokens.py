"""/account/tokens: a logged-in user's personal API tokens (list, create, revoke)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from marshmallow import ValidationError

from cityexchange.errors import FieldError
from cityexchange.services import api_tokens as service
from cityexchange.validation_text import localised

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/tokens")
@login_required
def tokens():
    return _render()


@bp.post("/tokens")
@login_required
def create():
    typed = request.form.to_dict()
    try:
        data = service.ApiTokenInputSchema().load(typed)
    except ValidationError as error:
        return _render(values=typed, errors=localised(error.messages)), 400
    try:
        new = service.create_token(current_user, data["name"])
    except FieldError as error:
        return _render(values=typed, errors=error.errors), error.status
    response = _render(new=new)
    # The secret is in this page only: no cache may keep it.
    return response, 201, {"Cache-Control": "no-store"}


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = service.get_token(current_user, token_id)
    service.revoke(token)
    flash(gettext("Revoked the token “%(name)s” (%(prefix)s…): requests that use it now get "
                  "401.", name=token.name, prefix=token.prefix), "success")
    return redirect(url_for(".tokens"))


def _render(*, values: dict | None = None, errors: dict | None = None, new=None):
    return render_template("account/tokens.html", tokens=service.tokens_of(current_user),
                           values=values or {}, errors=errors or {}, new=new,
                           max_tokens=service.MAX_ACTIVE_TOKENS)
