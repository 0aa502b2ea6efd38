"""/admin/users: administrators create, edit and (de)activate accounts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import User
from cityexchange.services import api_tokens
from tests.conftest import build_app, make_config
from tests.factories import make_city, make_user

PASSWORD = "correct horse battery"


def main(response) -> str:
    return response.get_data(as_text=True).split("<main>", 1)[1].split("</main>", 1)[0]


def user_named(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def new_account(**overrides) -> dict:
    data = {"email": "new@example.org", "name": "Nora", "password": "a long password",
            "role": "contributor", "city": "dortmund"}
    data.update(overrides)
    return data


@pytest.fixture
def admin(app, auth):
    make_city("Dortmund")
    return auth.login("admin", city=None)


def test_an_admin_creates_an_account_that_can_log_in(app, client, admin, auth):
    response = client.post("/admin/users", data=new_account())

    assert response.status_code == 302
    created = user_named("new@example.org")
    assert (created.role, created.city.name, created.name) == ("contributor", "Dortmund", "Nora")
    assert "new@example.org" in main(client.get("/admin/users"))
    auth.logout()
    login = client.post("/login", data={"email": "new@example.org", "password": "a long password"})
    assert login.status_code == 302


@pytest.mark.parametrize("overrides, field, message", [
    ({"city": ""}, "city", "A contributor belongs to a city"),
    ({"city": "atlantis"}, "city", "There is no city &#39;atlantis&#39;"),
    ({"password": "short"}, "password", "at least 12 characters"),
    ({"email": "not-an-address"}, "email", "valid email"),
    ({"role": "owner"}, "role", "use one of: contributor, coordinator, admin"),
])
def test_a_bad_account_form_names_the_field_and_keeps_the_typing(client, admin, overrides,
                                                                  field, message):
    response = client.post("/admin/users", data=new_account(**overrides))

    assert response.status_code == 400
    page = main(response)
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]*{re.escape(message)}',
                     page), page
    assert 'value="Nora"' in page
    assert "a long password" not in page and "short" not in page.split('id="password"')[1][:80]
    assert user_named(new_account(**overrides)["email"]) is None


def test_an_email_is_used_once(client, admin):
    make_user("coordinator", city=None, email="taken@example.org")

    response = client.post("/admin/users", data=new_account(email="TAKEN@example.org"))

    assert response.status_code == 400 and "exists already" in main(response)


def test_role_and_city_change_what_an_account_may_do(client, admin, auth):
    member = make_user("contributor", city="Dortmund", email="member@example.org")

    response = client.post(f"/admin/users/{member.id}", data={"name": "M", "role": "coordinator",
                                                              "city": ""})

    assert response.status_code == 302
    assert user_named("member@example.org").role == "coordinator"
    auth.logout()
    client.post("/login", data={"email": "member@example.org", "password": PASSWORD})
    assert client.get("/curate/").status_code == 200


def test_an_admin_keeps_their_own_role_and_account(client, admin):
    demote = client.post(f"/admin/users/{admin.id}", data={"role": "contributor",
                                                           "city": "dortmund"})
    assert demote.status_code == 400 and "your own role" in main(demote)
    assert client.post(f"/admin/users/{admin.id}/deactivate").status_code == 400
    assert user_named(admin.email).role == "admin" and user_named(admin.email).active


def test_a_deactivated_account_is_logged_out_and_its_tokens_stop(tmp_path):
    # Two clients at once: requests run outside an app context, so each has its own `g`
    # (where Flask-Login keeps the current user).
    app = build_app(make_config(tmp_path))
    with app.app_context():
        make_user("admin", city=None, email="admin@example.org")
        member = make_user("contributor", city="Dortmund", email="member@example.org")
        member_id, secret = member.id, api_tokens.create_token(member, "import script").secret
        db.session.remove()
    admin_client, member_client = app.test_client(), app.test_client()
    admin_client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    member_login = {"email": "member@example.org", "password": PASSWORD}
    member_client.post("/login", data=member_login)
    assert member_client.get("/contribute/").status_code == 200

    assert admin_client.post(f"/admin/users/{member_id}/deactivate").status_code == 302

    assert member_client.get("/contribute/").headers["Location"].startswith("/login")
    assert member_client.post("/login", data=member_login).status_code == 400
    api = member_client.post("/api/v1/case-studies", json={"title": "Bus depot"},
                             headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    assert admin_client.post(f"/admin/users/{member_id}/activate").status_code == 302
    assert member_client.post("/login", data=member_login).status_code == 302
    app.extensions["search_engine"].close()


def test_the_forms_need_the_csrf_token(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        admin = make_user("admin", city="Dortmund")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                    "csrf_token": token})

        forged = client.post("/admin/users", data=new_account())

        assert forged.status_code == 400 and user_named("new@example.org") is None
        db.session.remove()
