"""Personal API tokens: created on /account/tokens (secret shown once), stored hashed, revoked."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from werkzeug.datastructures import WWWAuthenticate

from cityexchange.extensions import db
from cityexchange.models import ApiToken
from cityexchange.services import api_tokens
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_user

SECRET_RE = re.compile(r'<code id="new-token-secret">([^<]+)</code>')


def create_on_page(client, name: str = "import script") -> str:
    response = client.post("/account/tokens", data={"name": name})
    assert response.status_code == 201, response.data
    assert response.headers["Cache-Control"] == "no-store"
    return SECRET_RE.search(response.get_data(as_text=True)).group(1)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def publish(client, slug: str, secret: str):
    return client.post(f"/api/v1/case-studies/{slug}/publish", headers=bearer(secret))


def test_the_tokens_page_needs_a_login(client):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_created_secret_is_shown_once_and_only_its_hash_is_stored(app, client, auth):
    auth.login("contributor", city="Dortmund")

    secret = create_on_page(client)

    token = db.session.scalar(select(ApiToken))
    assert token.name == "import script"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.token_hash, token.prefix) and secret.startswith(token.prefix)
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "import script" in listing and f"{token.prefix}…" in listing
    assert secret not in listing


def test_a_token_acts_for_its_user_and_records_its_last_use(app, client, auth):
    user = auth.login("contributor", city="Dortmund")
    draft = make_case_study("Heat pumps in school buildings", publish=False)
    secret = create_on_page(client)
    auth.logout()
    assert db.session.scalar(select(ApiToken)).last_used_at is None

    response = publish(client, draft.slug, secret)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "published"
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is not None
    assert draft.revisions[0].author_id == user.id
    page = client.get("/account/tokens")
    assert page.status_code == 302  # logged out: the token opened no session


def test_revoked_token_gets_401_with_a_bearer_challenge(app, client, auth):
    auth.login("contributor", city="Dortmund")
    draft = make_case_study("Heat pumps in school buildings", publish=False)
    secret = create_on_page(client)
    token = db.session.scalar(select(ApiToken))

    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert "revoked" in client.get("/account/tokens").get_data(as_text=True)
    auth.logout()

    refused = publish(client, draft.slug, secret)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["status"] == 401
    challenge = WWWAuthenticate.from_header(refused.headers["WWW-Authenticate"])
    assert challenge.type == "bearer" and challenge.parameters["error"] == "invalid_token"
    assert draft.status == "draft"


def test_unknown_and_malformed_tokens_get_401(client):
    draft = make_case_study("Heat pumps in school buildings", publish=False)

    unknown = publish(client, draft.slug, "cx_not-a-token")
    basic = client.post(f"/api/v1/case-studies/{draft.slug}/publish",
                        headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert unknown.status_code == basic.status_code == 401
    challenge = WWWAuthenticate.from_header(basic.headers["WWW-Authenticate"])
    assert challenge.parameters["error"] == "invalid_request"


def test_a_deactivated_users_token_stops_working(app, client):
    user = make_user("contributor", city="Dortmund")
    draft = make_case_study("Heat pumps in school buildings", publish=False)
    secret = api_tokens.create_token(user, "script").secret
    user.active = False
    db.session.commit()

    assert publish(client, draft.slug, secret).status_code == 401


def test_one_cannot_revoke_another_users_token(app, client, auth):
    other = make_user("contributor", city="Buffalo")
    theirs = api_tokens.create_token(other, "theirs").token
    auth.login("contributor", city="Dortmund")

    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, theirs.id).revoked_at is None


def test_a_token_needs_a_name_and_the_page_says_so(app, client, auth):
    auth.login("contributor", city="Dortmund")

    response = client.post("/account/tokens", data={"name": "  "})

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_revoking_needs_the_forms_csrf_token(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        user = make_user("contributor", city="Dortmund")
        token = api_tokens.create_token(user, "script").token
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True

        forged = client.post(f"/account/tokens/{token.id}/revoke")

        assert forged.status_code == 400
        assert db.session.get(ApiToken, token.id).revoked_at is None
        db.session.remove()
        app.extensions["search_engine"].close()
