"""The network map (home, partnerships) and the partnership graph on the demo data, at
1280 px and on a 375 px phone: there, clickable, no wider than the screen, accessible."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

@pytest.mark.parametrize("path,viewport,name", [
    ("/", DESKTOP, "home-1280-map"),
    ("/", PHONE, "home-375-map"),
    ("/partnerships", DESKTOP, "partnerships-1280-map-graph"),
    ("/partnerships", PHONE, "partnerships-375-map-graph"),
])
def test_the_map_opens_a_city_and_fits_the_screen(open_page, screenshot_dir, assert_accessible,
                                                  path, viewport, name):
    page = open_page(path, viewport)
    expect(page.locator(".network-map a.city-marker")).to_have_count(11)  # all have coordinates
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=os.path.join(screenshot_dir, f"{name}.png"), full_page=True)
    assert_accessible(page, f"{path} at {viewport['width']} px")

    page.locator(".network-map").get_by_role("link", name="Bilbao (3 case studies)").click()
    page.wait_for_url("**/cities/bilbao")
    expect(page.locator("h1")).to_contain_text("Bilbao")


def test_map_and_graph_work_without_javascript_and_by_keyboard(open_page):
    page = open_page("/partnerships", DESKTOP, javascript=False)
    expect(page.locator(".network-map a.city-marker")).to_have_count(11)
    expect(page.locator(".partnership-graph a.graph-city")).to_have_count(11)
    page.locator(".network-map").get_by_role("link", name="Lyon (6 case studies)").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/cities/lyon")
    page.go_back()
    page.locator(".partnership-graph").get_by_role(
        "link", name="Dortmund–Buffalo twinning: Twinning · 1978").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/partnerships/dortmund-buffalo")
