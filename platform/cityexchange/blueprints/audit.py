"""The audit log for administrators: a page (/admin/audit) and the API (/api/v1/audit)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required
from marshmallow import Schema, fields

from cityexchange.auth import can_manage_users
from cityexchange.errors import Forbidden
from cityexchange.schemas import PageParamsSchema
from cityexchange.services import audit
from cityexchange.services.search import load_params

from .api_auth import optional_user, unauthorized

bp = Blueprint("audit", __name__)


class AuditEntrySchema(Schema):
    created_at = fields.DateTime()
    actor = fields.String(metadata={"description": "E-mail of the acting account; empty "
                                                   "for the command line or nobody"})
    action = fields.String(metadata={"description": "publish, unpublish, delete, "
                                                    "role-change, token-create, token-revoke, "
                                                    "login-lockout"})
    target = fields.String()


def _require_admin(user) -> None:
    if not can_manage_users(user):
        raise Forbidden(gettext("Only administrators read the audit log."))


@bp.get("/admin/audit")
@login_required
def page():
    _require_admin(current_user)
    return render_template("admin/audit.html", entries=audit.latest(200))


@bp.get("/api/v1/audit")
def api_list():
    g.api_user = optional_user()
    if g.api_user is None:
        raise unauthorized("The audit log needs an administrator's API token.")
    _require_admin(g.api_user)
    args = load_params(PageParamsSchema(), request.args.to_dict())
    entries = audit.latest(args["per_page"], (args["page"] - 1) * args["per_page"])
    return jsonify({"total": audit.count(), "page": args["page"], "per_page": args["per_page"],
                    "items": AuditEntrySchema(many=True).dump(entries)})
