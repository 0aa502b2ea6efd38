"""Login: failed attempts throttled per account and per address, the same work for unknown
e-mails, and the password rule."""

from __future__ import annotations

import re

import pytest
import requests
from argon2 import PasswordHasher
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import AuditEntry
from cityexchange.passwords import password_problem
from cityexchange.services.users import authenticate
from tests.factories import make_user
from tests.gunicorn_server import gunicorn

PASSWORD = "correct horse battery"


def login(client, email, password, address="198.51.100.7"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_ten_failures_lock_the_account_even_for_the_right_password(app, client):
    user = make_user(email="owner@example.org")
    for attempt in range(10):
        assert login(client, user.email, f"wrong guess {attempt}").status_code == 400

    locked = login(client, user.email, PASSWORD, address="203.0.113.9")  # another address
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    page = locked.get_data(as_text=True)
    assert "Too many failed logins" in page
    assert "198.51.100.7" not in page and "203.0.113.9" not in page
    assert db.session.scalar(select(AuditEntry.target).where(
        AuditEntry.action == "login-lockout")) == "account owner@example.org"


def test_ten_failures_from_one_address_lock_that_address_for_every_account(app, client):
    make_user(email="someone@example.org")
    for attempt in range(10):
        login(client, f"guess-{attempt}@example.org", "whatever it is")

    assert login(client, "someone@example.org", PASSWORD).status_code == 429
    # Another address is not held back.
    assert login(client, "someone@example.org", PASSWORD, address="192.0.2.1").status_code == 302


def test_a_success_forgets_the_accounts_failures(app, client):
    user = make_user(email="forgetful@example.org")
    for attempt in range(9):
        login(client, user.email, f"wrong guess {attempt}", address=f"192.0.2.{attempt}")
    assert login(client, user.email, PASSWORD, address="192.0.2.50").status_code == 302
    client.post("/logout")
    for attempt in range(9):
        login(client, user.email, f"wrong again {attempt}", address=f"192.0.2.{attempt + 20}")
    assert login(client, user.email, PASSWORD, address="192.0.2.51").status_code == 302


def test_an_unknown_email_costs_one_argon2_verify_like_a_known_one(app, monkeypatch):
    make_user(email="known@example.org")
    calls = []
    real_verify = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify",
                        lambda self, hash_, password: calls.append(1) or real_verify(
                            self, hash_, password))
    assert authenticate("known@example.org", "not the password") is None
    assert authenticate("nobody@example.org", "not the password") is None
    assert len(calls) == 2


@pytest.mark.parametrize("password, problem", [
    ("eleven char", "at least 12"), ("password1234", "commonly used"),
    ("Password2024!!", "commonly used"), ("1qaz2wsx3edc", "commonly used"),
])
def test_short_and_common_passwords_are_refused(password, problem):
    assert problem in password_problem(password)


def test_a_long_uncommon_password_is_accepted():
    assert password_problem("correct horse battery") is None


def test_the_admin_form_refuses_a_common_password(app, client, auth):
    auth.login(role="admin", city=None)
    response = client.post("/admin/users", data={"email": "new@example.org",
                                                  "password": "qwerty123456",
                                                  "role": "coordinator"})
    assert response.status_code == 400
    assert "commonly used" in response.get_data(as_text=True)


def test_two_gunicorn_workers_share_the_failure_count(app, tmp_path):
    make_user(email="shared@example.org")
    db.session.remove()
    log = tmp_path / "access.log"
    with gunicorn(app, workers=2, log_path=log) as url:
        statuses = []
        # A new connection per attempt, so both workers take turns.
        for attempt in range(16):
            with requests.Session() as browser:
                form = browser.get(f"{url}/login").text
                token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
                statuses.append(browser.post(f"{url}/login", allow_redirects=False, data={
                    "email": "shared@example.org", "password": f"wrong {attempt}",
                    "csrf_token": token}).status_code)
    assert statuses == [400] * 10 + [429] * 6
    pids = {line.split()[0] for line in log.read_text().splitlines() if "/login" in line}
    assert len(pids) == 2, "both workers should have answered logins"
