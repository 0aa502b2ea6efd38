"""A coordinator curates a collection in a real browser: add from search results, reorder."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from cityexchange.services import collections as service
from tests.browser.conftest import serve_portal
from tests.factories import make_case_study, make_user

pytestmark = pytest.mark.browser

COORDINATOR = {"email": "clara@network.example", "password": "correct horse battery"}
COLLECTION = "brownfields-to-new-use"


def _seed() -> None:
    coordinator = make_user(role="coordinator", city=None, **COORDINATOR)
    solar = make_case_study("Brownfield solar park on a former colliery", language="en",
                            summary="A colliery became a solar park.")
    make_case_study("Brownfield remediation along the Buffalo River", city="Buffalo",
                    language="en", summary="A river front cleaned up for housing.")
    collection = service.create_collection(service.CollectionInputSchema().load(
        {"title": "Brownfields to new use", "status": "published"}), owner=coordinator)
    service.add_item(collection, solar, "The first colliery turned power plant.")


@pytest.fixture(scope="module")
def curation_server(tmp_path_factory):
    """A portal of its own (CSRF on), so this module's changes touch no other scenario."""
    with serve_portal(tmp_path_factory.mktemp("curation-app"), _seed) as url:
        yield url


@pytest.fixture
def curator_page(browser, curation_server):
    context = browser.new_context(base_url=curation_server, locale="en-US",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/curate/")  # protected: the login form, then back
    page.fill("#email", COORDINATOR["email"])
    page.fill("#password", COORDINATOR["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/curate/")
    yield page
    context.close()


def item_titles(page):
    return page.locator("ol.collection-items .item-title")


def test_coordinator_adds_from_search_results_and_reorders(curator_page, screenshot_dir):
    page = curator_page
    page.goto("/search?q=brownfield")
    hit = page.locator(".hit", has_text="Buffalo River")
    hit.get_by_label("Add to collection").select_option(COLLECTION)
    hit.get_by_role("button", name="Add").click()

    page.wait_for_url("**/search?q=brownfield")
    expect(page.locator(".flash")).to_contain_text(
        "Added “Brownfield remediation along the Buffalo River” to “Brownfields to new use”.")
    # In it now: the same hit offers no collection to add it to.
    expect(page.locator(".hit", has_text="Buffalo River")).to_contain_text(
        "Already in “Brownfields to new use”.")
    page.screenshot(path=os.path.join(screenshot_dir, "collections-1-added-from-search.png"),
                    full_page=True)

    page.goto(f"/curate/collections/{COLLECTION}")
    expect(item_titles(page)).to_have_text([
        "Brownfield solar park on a former colliery",
        "Brownfield remediation along the Buffalo River"])
    expect(page.get_by_role("button", name="Move up: Brownfield solar park")).to_be_disabled()
    page.get_by_role("button", name="Move up: Brownfield remediation along the Buffalo River")\
        .click()
    expect(item_titles(page)).to_have_text([
        "Brownfield remediation along the Buffalo River",
        "Brownfield solar park on a former colliery"])
    page.screenshot(path=os.path.join(screenshot_dir, "collections-2-reordered.png"),
                    full_page=True)

    # Readers see the new order, with the curator's note.
    page.goto(f"/collections/{COLLECTION}")
    expect(page.locator(".collection-item .item-title")).to_have_text([
        "Brownfield remediation along the Buffalo River",
        "Brownfield solar park on a former colliery"])
    expect(page.locator(".curator-note")).to_contain_text("The first colliery turned power plant.")


def test_dragging_an_item_saves_the_new_order(curator_page):
    page = curator_page
    page.goto(f"/curate/collections/{COLLECTION}")
    before = item_titles(page).all_inner_texts()
    assert len(before) == 2
    with page.expect_navigation():
        page.locator("ol.collection-items .position").nth(1).drag_to(
            page.locator("ol.collection-items .item-title").first)
    expect(page.locator(".flash")).to_contain_text("Saved the new order.")
    expect(item_titles(page)).to_have_text(list(reversed(before)))
