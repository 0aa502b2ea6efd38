"""Logging in and out: errors that keep the email, safe redirects, Argon2 hashes."""

from __future__ import annotations

import pytest

from cityexchange.extensions import db
from tests.factories import make_user

PASSWORD = "correct horse battery"


def login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_wrong_password_shows_an_error_and_keeps_the_email(app, client):
    make_user(email="ada@example.org")
    response = login(client, "ada@example.org", "wrong password")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Email or password is not right" in html
    assert 'value="ada@example.org"' in html
    assert "wrong password" not in html
    assert client.get("/contribute/").status_code == 302  # still logged out


def test_unknown_email_gets_the_same_error(app, client):
    response = login(client, "nobody@example.org")
    assert response.status_code == 400
    assert "Email or password is not right" in response.get_data(as_text=True)


def test_empty_fields_are_named(app, client):
    response = client.post("/login", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your email." in html and "Enter your password." in html


def test_login_goes_to_the_page_asked_for(app, client):
    make_user(email="ada@example.org")
    response = client.get("/contribute/new")
    assert response.headers["Location"] == "/login?next=%2Fcontribute%2Fnew"
    response = login(client, "ada@example.org", next="/contribute/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/contribute/new"
    assert client.get("/contribute/new").status_code == 200


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/path", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "javascript:alert(1)", "evil.example",
])
def test_open_redirect_is_refused(app, client, target):
    make_user(email="ada@example.org")
    response = login(client, "ada@example.org", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/contribute/"


def test_logged_in_user_visiting_login_is_sent_on(app, client, auth):
    auth.login()
    response = client.get("/login?next=https://evil.example")
    assert response.headers["Location"] == "/contribute/"


def test_passwords_are_stored_as_argon2_hashes(app):
    user = make_user(email="ada@example.org", password=PASSWORD)
    assert user.password_hash.startswith("$argon2")
    assert PASSWORD not in user.password_hash


def test_deactivated_user_cannot_log_in(app, client):
    user = make_user(email="ada@example.org")
    user.active = False
    db.session.commit()
    assert login(client, "ada@example.org").status_code == 400


def test_logout_needs_a_post_and_ends_the_session(app, client, auth):
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.get("/contribute/").status_code == 200
    response = client.post("/logout", follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)
    assert client.get("/contribute/").status_code == 302
