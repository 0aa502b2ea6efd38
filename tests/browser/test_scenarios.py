"""What a contributor and an expert do in a real browser."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def shot(page, screenshot_dir, name: str) -> None:
    page.screenshot(path=os.path.join(screenshot_dir, f"{name}.png"), full_page=True)


def test_contributor_writes_previews_publishes_and_finds_it(page, log_in, screenshot_dir):
    log_in(then="/contribute/new")
    page.fill("#title", "Solar roofs on every school")
    page.fill("#summary", "Forty schools became small power stations.")
    page.fill("#body", "## Wombatgrid pilot\n\nThe **wombatgrid** links forty school roofs.\n\n"
                       "- panels\n- batteries")
    page.select_option("#language", "en")
    page.fill("#year", "2023")
    page.fill("#topics", "solar, schools")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.locator("h2")).to_have_text("Wombatgrid pilot")
    expect(preview.locator("strong")).to_have_text("wombatgrid")
    expect(page.locator("#body")).to_have_value(re.compile(r"^## Wombatgrid pilot"))
    expect(page.locator("#title")).to_have_value("Solar roofs on every school")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved draft")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash")).to_contain_text("Published — it is now searchable")

    page.fill("header input[name=q]", "wombatgrid")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=wombatgrid*")
    hits = page.locator(".hit")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("Solar roofs on every school")
    expect(hits.first.locator("mark").first).to_have_text(re.compile("wombatgrid", re.I))
    shot(page, screenshot_dir, "1-published-and-found")


def test_city_facet_narrows_results_and_keeps_other_counts(page, screenshot_dir):
    page.goto("/search?q=brownfield")
    hits = page.locator(".hit")
    expect(hits).to_have_count(4)
    city_facet = page.locator("[data-facet=city]")
    city_facet.locator("a", has_text="Buffalo").click()

    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("Buffalo River")
    # Disjunctive: the other cities stay offered with their own counts.
    expect(city_facet.locator("li", has_text="Dortmund")).to_contain_text("2")
    expect(city_facet.locator("li", has_text="Pittsburgh")).to_contain_text("1")
    expect(city_facet.locator("li", has_text="Buffalo")).to_contain_text("1")
    shot(page, screenshot_dir, "2-city-facet")


def test_form_error_keeps_the_typed_text(page, log_in, screenshot_dir):
    log_in(then="/contribute/new")
    body = "## Night buses\n\nA text that took an hour to write."
    page.fill("#title", "Night buses for shift workers")
    page.fill("#body", body)
    page.fill("#partners", "Buffalo, Atlantis")
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name="Save", exact=True).click()
    assert response.value.status == 400

    expect(page.locator("#partners-error")).to_contain_text("Unknown city: Atlantis")
    expect(page.locator("#body")).to_have_value(body)
    expect(page.locator("#title")).to_have_value("Night buses for shift workers")
    expect(page.locator("#partners")).to_have_value("Buffalo, Atlantis")
    shot(page, screenshot_dir, "3-form-error")
