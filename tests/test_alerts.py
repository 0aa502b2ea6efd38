"""E-mail alerts of saved searches: due digests, never the same case study twice, unsubscribe."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import OutgoingMail, SavedSearch
from cityexchange.services import alerts
from cityexchange.services import saved_searches as saved_service
from tests.conftest import build_app, make_config
from tests.factories import make_case_study
from tests.smtp import free_port, mail_config, smtp_server


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def app(tmp_path, port):
    app = build_app(make_config(tmp_path, PUBLIC_URL="https://exchange.example",
                                **mail_config(port)))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


def save_search(user, name: str, query: str, alert: str | None = None) -> SavedSearch:
    saved = saved_service.create(user, saved_service.SavedSearchInputSchema().load(
        {"name": name, "query": query}))
    if alert:
        alerts.set_alert(saved, alert)
    return saved


def hydrogen(title: str, **fields):
    return make_case_study(title, city="Dortmund", language="en", year=2024,
                           summary="Hydrogen for the city.", body="Hydrogen buses.", **fields)


def run_alerts(runner):
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def a_day_later(user) -> None:
    """Every alert of the user is due again (as if cron ran a day later)."""
    for saved in saved_service.searches_of(user):
        saved.alert_last_sent_at -= dt.timedelta(days=1)
    db.session.commit()


def test_the_user_switches_an_alert_on_and_off_on_the_saved_searches_page(client, auth):
    user = auth.login()
    saved = save_search(user, "Hydrogen", "q=hydrogen")

    response = client.post(f"/account/searches/{saved.id}/alert", data={"alert": "weekly"})
    assert response.status_code == 302
    page = client.get("/account/searches").get_data(as_text=True)
    assert "now sends you a weekly e-mail" in page
    assert '<option value="weekly" selected>' in page
    db.session.refresh(saved)
    assert saved.alert == "weekly" and saved.alert_since is not None

    bad = client.post(f"/account/searches/{saved.id}/alert", data={"alert": "hourly"},
                      follow_redirects=True)
    assert "Choose off, daily or weekly." in bad.get_data(as_text=True)
    client.post(f"/account/searches/{saved.id}/alert", data={"alert": "off"})
    db.session.refresh(saved)
    assert saved.alert is None


def test_a_digest_lists_the_new_matches_once_with_its_links(app, runner, auth, port):
    user = auth.login()
    old = hydrogen("Old hydrogen depot")  # published before the alert: not news
    old.published_at -= dt.timedelta(hours=1)
    db.session.commit()
    save_search(user, "Hydrogen", "q=hydrogen", alert="daily")
    save_search(user, "Hydrogen in Dortmund", "q=hydrogen&city=Dortmund", alert="daily")
    hydrogen("Hydrogen buses for the fleet")
    hydrogen("Hydrogen ferry", publish=False)  # a draft is no news either

    with smtp_server(port) as server:
        output = run_alerts(runner)
        assert "1 digest(s) queued" in output and "1 sent" in output
        [mail] = server.messages
        assert mail["To"] == user.email
        assert mail["Subject"] == "[CityExchange] 1 new case study for “Hydrogen”"
        text = mail.get_content()
        assert "Hydrogen buses for the fleet (Dortmund, 2024)" in text
        assert "Old hydrogen depot" not in text and "ferry" not in text
        assert "https://exchange.example/case-studies/hydrogen-buses-for-the-fleet" in text
        assert "https://exchange.example/search?q=hydrogen" in text
        link = re.search(r"https://exchange\.example(/alerts/unsubscribe/\S+)", text).group(1)
        assert mail["List-Unsubscribe"] == f"<https://exchange.example{link}>"
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # The second saved search matches the same case study: not sent again.
        assert "0 digest(s) queued" in run_alerts(runner)  # not due again yet
        a_day_later(user)
        assert "0 digest(s) queued" in run_alerts(runner)
        hydrogen("Hydrogen filling station")
        a_day_later(user)
        assert "1 digest(s) queued" in run_alerts(runner)
        assert len(server.messages) == 2
        second = server.messages[1].get_content()
        assert "Hydrogen filling station" in second and "buses" not in second


def test_weekly_waits_a_week_and_daily_a_day(app, auth):
    user = auth.login()
    daily = save_search(user, "Daily", "q=hydrogen", alert="daily")
    weekly = save_search(user, "Weekly", "q=hydrogen", alert="weekly")
    now = dt.datetime(2026, 12, 1, 7, 0)
    for saved in (daily, weekly):
        saved.alert_last_sent_at = now - dt.timedelta(days=1, minutes=-5)  # cron ran early
    assert alerts.is_due(daily, now) and not alerts.is_due(weekly, now)
    assert alerts.is_due(weekly, now + dt.timedelta(days=6))


def test_mail_that_cannot_go_stays_queued_and_the_case_study_is_still_sent_once(
        app, runner, auth, port):
    user = auth.login()
    save_search(user, "Hydrogen", "q=hydrogen", alert="daily")
    hydrogen("Hydrogen buses for the fleet")

    result = runner.invoke(args=["alerts", "send"])  # no SMTP server yet
    assert result.exit_code == 2, result.output  # cron sees the failure; the mail waits
    assert "1 digest(s) queued" in result.output and "SMTP server unavailable" in result.output
    assert db.session.scalar(select(OutgoingMail)).status == "queued"
    with smtp_server(port) as server:
        assert "1 sent" in runner.invoke(args=["mail", "send"]).output
    assert len(server.messages) == 1


def test_the_unsubscribe_link_needs_no_login_and_one_button(app, client, auth):
    user = auth.login()
    saved = save_search(user, "Hydrogen", "q=hydrogen", alert="weekly")
    token = alerts.unsubscribe_token(saved)
    auth.logout()

    page = client.get(f"/alerts/unsubscribe/{token}")
    assert page.status_code == 200 and "Unsubscribe</button>" in page.get_data(as_text=True)
    db.session.refresh(saved)
    assert saved.alert == "weekly"  # opening the link changes nothing

    done = client.post(f"/alerts/unsubscribe/{token}")
    assert "sends you no more e-mails" in done.get_data(as_text=True)
    db.session.refresh(saved)
    assert saved.alert is None and saved in saved_service.searches_of(user)

    assert client.get(f"/alerts/unsubscribe/{token[:-2]}xx").status_code == 404
    forged = alerts.URLSafeSerializer("another secret", salt=alerts.SALT).dumps(
        {"s": saved.id, "u": user.id})
    assert client.post(f"/alerts/unsubscribe/{forged}").status_code == 404
