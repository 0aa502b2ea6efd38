"""The audit log records who published, unpublished, deleted, changed a role, created or
revoked a token, and which accounts were locked; only administrators read it."""

from __future__ import annotations

from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import AuditEntry
from cityexchange.services import api_tokens
from tests.factories import make_case_study, make_user


def actions() -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.target) for e in
            db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_publishing_unpublishing_and_deleting_are_recorded_with_who(app, client, auth):
    user = auth.login(city="Dortmund")
    slug = make_case_study("Depot plan", publish=False).slug

    client.post(f"/contribute/{slug}/status", data={"status": "published"})
    client.post(f"/contribute/{slug}/status", data={"status": "draft"})
    client.delete(f"/api/v1/case-studies/{slug}")

    assert actions() == [(user.email, "publish", f"case study {slug}"),
                         (user.email, "unpublish", f"case study {slug}"),
                         (user.email, "delete", f"case study {slug}")]
    assert all(e.created_at for e in db.session.scalars(select(AuditEntry)))


def test_role_changes_and_tokens_are_recorded(app, client, auth):
    admin = auth.login(role="admin", city=None)
    target = make_user("contributor", email="promoted@example.org")
    client.post(f"/admin/users/{target.id}", data={"name": "", "role": "coordinator",
                                                   "city": ""})
    client.post("/account/tokens", data={"name": "laptop"})
    token = api_tokens.tokens_of(admin)[0]
    client.post(f"/account/tokens/{token.id}/revoke")

    recorded = actions()
    assert (admin.email, "role-change",
            "user promoted@example.org: contributor -> coordinator") in recorded
    assert [a for _, a, _ in recorded] == ["role-change", "token-create", "token-revoke"]


def test_only_admins_read_the_log_on_the_page_and_in_the_api(app, client, auth):
    for attempt in range(10):
        client.post("/login", data={"email": "locked@example.org", "password": f"x{attempt}"},
                    environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert client.get("/api/v1/audit").status_code == 401
    auth.login(role="coordinator", city=None)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403
    auth.logout()

    admin = auth.login(role="admin", city=None)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "login-lockout" in page and "account locked@example.org" in page
    secret = api_tokens.create_token(admin, "reader").secret
    listed = client.get("/api/v1/audit?per_page=5",
                        headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert listed["total"] == 2
    assert [item["action"] for item in listed["items"]] == ["token-create", "login-lockout"]
