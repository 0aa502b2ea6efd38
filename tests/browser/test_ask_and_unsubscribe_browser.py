"""Asking a city and unsubscribing from an alert, in a real browser (CSRF on)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cityexchange.extensions import db
from cityexchange.schemas import ContactInputSchema
from cityexchange.services import alerts
from cityexchange.services import saved_searches as saved_service
from cityexchange.services.network import save_contact
from tests.browser.conftest import serve_portal
from tests.factories import make_case_study, make_city, make_user

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
ASKER = "sam@leeds.example"
ANNA = "anna.becker@dortmund.example"
SLUG = "hydrogen-buses-for-the-city-fleet"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """The portal's URL and the unsubscribe link of the asker's weekly alert."""
    found = {}

    def seed():
        save_contact(make_city("Dortmund"), ContactInputSchema().load({
            "name": "Anna Becker", "role": "Hydrogen buses", "email": ANNA, "consent": True,
            "consent_date": "2024-03-12"}))
        db.session.commit()
        make_case_study("Hydrogen buses for the city fleet", city="Dortmund", language="en",
                        summary="Twenty fuel cell buses.", year=2024)
        asker = make_user(email=ASKER, password=PASSWORD, city="Leeds")
        make_user(email=ANNA, password=PASSWORD, city="Dortmund")
        saved = saved_service.create(asker, {"name": "Hydrogen", "query": "q=hydrogen"})
        alerts.set_alert(saved, "weekly")
        found["unsubscribe"] = f"/alerts/unsubscribe/{alerts.unsubscribe_token(saved)}"

    with serve_portal(tmp_path_factory.mktemp("ask-portal"), seed) as url:
        found["url"] = url
        yield found


@pytest.fixture
def tab(browser, portal):
    context = browser.new_context(base_url=portal["url"], locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, email: str, then: str) -> None:
    page.goto(f"/login?next={then}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{then}")


def test_a_member_asks_the_city_and_the_contact_reads_it(tab):
    log_in(tab, ASKER, f"/case-studies/{SLUG}")
    tab.get_by_role("link", name="Ask this city").click()
    tab.wait_for_url("**/cities/dortmund/ask?about=*")
    expect(tab.locator("#contact")).to_contain_text("Anna Becker")
    expect(tab.locator("body")).not_to_contain_text(ANNA)
    expect(tab.locator("#subject")).to_have_value("Hydrogen buses for the city fleet")

    tab.fill("#subject", "")
    tab.fill("#message", "How many fuel pumps did the depot need?")
    tab.get_by_role("button", name="Send the question").click()
    expect(tab.locator("#subject-error")).to_contain_text("Give a subject")
    expect(tab.locator("#message")).to_have_value("How many fuel pumps did the depot need?")

    tab.fill("#subject", "Depot layout")
    tab.check("#share_email")
    tab.get_by_role("button", name="Send the question").click()
    tab.wait_for_url(f"**/case-studies/{SLUG}")
    expect(tab.locator(".flash")).to_contain_text("Your question went to Anna Becker of Dortmund")

    tab.get_by_role("button", name=f"Log out ({ASKER})").click()
    log_in(tab, ANNA, "/account/messages")
    received = tab.locator("table.received")
    expect(received).to_contain_text("Depot layout")
    received.get_by_role("link", name="Depot layout").click()
    expect(tab.locator(".message-body")).to_contain_text("How many fuel pumps")
    expect(tab.locator(".message .meta").first).to_contain_text(ASKER)  # shared on purpose


def test_the_link_in_the_digest_unsubscribes_without_logging_in(tab, portal):
    tab.goto(portal["unsubscribe"])
    expect(tab.locator("h1")).to_contain_text("E-mail alert of “Hydrogen”")
    tab.get_by_role("button", name="Unsubscribe").click()
    expect(tab.locator(".flash")).to_contain_text("“Hydrogen” sends you no more e-mails")

    tab.goto(portal["unsubscribe"])  # the link again: nothing left to stop
    expect(tab.locator("body")).to_contain_text("This saved search sends you no e-mails.")
    log_in(tab, ASKER, "/account/searches")
    expect(tab.locator("select[name=alert]")).to_have_value("off")
