"""The expert's search experience on the demo data, at 1280 px and on a 375 px phone.

One live portal with the demo data set (tests/browser/conftest.py demo_portal) serves them.
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser



def shot(page, screenshot_dir, name: str) -> None:
    page.screenshot(path=os.path.join(screenshot_dir, f"{name}.png"), full_page=True)


def document_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("path", ["/", "/search?q=hydrogen", "/search?topic=hydrogen&country=DE",
                                  "/case-studies/dortmund-h2-bus-depot"])
def test_phone_never_scrolls_sideways(open_page, path):
    page = open_page(path, viewport=PHONE)
    assert document_width(page) <= PHONE["width"], f"{path} is wider than a 375 px phone"


def test_phone_shows_results_first_and_filters_in_a_drawer(open_page, screenshot_dir,
                                                           assert_accessible):
    page = open_page("/search?q=hydrogen", viewport=PHONE)
    first_hit = page.locator(".hit").first
    expect(first_hit).to_be_visible()
    expect(page.locator("[data-facet=city]")).to_be_hidden()
    # The first result starts within the first screen, not after the facets.
    assert first_hit.bounding_box()["y"] < PHONE["height"]
    shot(page, screenshot_dir, "search-375-results-first")

    page.get_by_text("Filters", exact=True).click()
    expect(page.locator("[data-facet=city]")).to_be_visible()
    assert document_width(page) <= PHONE["width"]
    shot(page, screenshot_dir, "search-375-filters-open")
    assert_accessible(page, "search page at 375 px with the filters open")


def test_filter_drawer_works_without_javascript(open_page):
    page = open_page("/search?q=hydrogen", viewport=PHONE, javascript=False)
    page.get_by_text("Filters", exact=True).click()
    page.locator("[data-facet=country]").get_by_role("checkbox", name=re.compile("Germany")).click()
    page.wait_for_url(re.compile(r"country=DE"))
    expect(page.locator(".hit")).not_to_have_count(0)
    for hit in page.locator(".hit .meta").all():
        expect(hit).to_contain_text("(DE)")


def test_desktop_shows_the_facets_beside_the_results(open_page, screenshot_dir, assert_accessible):
    page = open_page("/search")
    facets = page.locator(".facets")
    expect(facets).to_be_visible()
    results = page.locator(".results")
    assert facets.bounding_box()["x"] < results.bounding_box()["x"]
    expect(page.locator(".drawer-toggle")).to_be_hidden()
    shot(page, screenshot_dir, "search-1280")
    assert_accessible(page, "search page at 1280 px")


def test_long_facets_collapse_and_filter(open_page, screenshot_dir):
    page = open_page("/search")
    topic = page.locator("[data-facet=topic]")
    # Topics sit under their broader thesaurus concept.
    expect(topic.locator(".facet-group").first).to_be_visible()
    expect(topic.locator(".facet-group", has_text=re.compile("^energy transition$", re.I))
           ).to_have_count(1)
    hidden_topic = topic.locator("details.more li").first
    expect(hidden_topic).to_be_hidden()
    topic.locator("details.more > summary").first.click()
    expect(hidden_topic).to_be_visible()

    box = topic.get_by_role("searchbox", name="Filter Topic")
    box.fill("heat pu")
    visible = topic.locator("li:visible")
    expect(visible).to_have_count(1)
    expect(visible.first).to_contain_text("heat pump")
    shot(page, screenshot_dir, "search-1280-topic-filter")

    group = page.locator("[data-facet=city] > summary")
    group.click()  # a whole facet group folds away
    expect(page.locator("[data-facet=city] li").first).to_be_hidden()


def test_year_range_histogram_and_removable_chips(open_page, screenshot_dir):
    page = open_page("/search")
    total = int(re.match(r"\d+", page.locator(".total").inner_text()).group())
    year = page.locator("[data-facet=year]")
    expect(year.locator("svg.year-histogram rect")).not_to_have_count(0)
    year.get_by_label("From").fill("2023")
    year.get_by_label("to").fill("2024")
    year.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"year_from=2023.*year_to=2024"))
    for meta in page.locator(".hit .meta").all():
        assert re.search(r"· 202[34]", meta.inner_text())
    chips = page.locator(".active-filters .chip")
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text("Year: 2023–2024")

    page.locator("[data-facet=country]").get_by_role("checkbox", name=re.compile("Germany")).click()
    expect(chips).to_have_count(2)
    shot(page, screenshot_dir, "search-1280-chips")
    chips.filter(has_text="Year").get_by_role("link").click()
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text("Country: Germany")
    page.get_by_role("link", name="Clear all filters").click()
    expect(chips).to_have_count(0)
    expect(page.locator(".total")).to_contain_text(f"{total} case studies")


def test_country_names_in_the_ui_language(open_page):
    page = open_page("/search?ui_lang=de", locale="de-DE")
    country = page.locator("[data-facet=country]")
    expect(country).to_contain_text("Deutschland")
    expect(country).to_contain_text("Vereinigte Staaten")
    expect(country.locator("a", has_text=re.compile(r"^\W*DE$"))).to_have_count(0)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_search_box_suggests_by_keyboard(open_page, screenshot_dir, assert_accessible, viewport):
    page = open_page("/search", viewport=viewport)
    box = page.locator("#page-q")
    expect(box).to_have_attribute("role", "combobox")
    box.click()
    page.keyboard.type("hydro")
    expect(box).to_have_attribute("aria-expanded", "true")
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    expect(listbox.get_by_role("group", name="Topics")
           .get_by_role("option", name="hydrogen", exact=True)).to_be_visible()
    expect(listbox.get_by_role("group", name="Case studies")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="suggestions")).to_have_count(1)
    width = viewport["width"]
    shot(page, screenshot_dir, f"suggest-{width}")
    assert document_width(page) <= width
    assert_accessible(page, f"search box with suggestions open at {width} px")

    page.keyboard.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    expect(page.locator(f"#{active}")).to_have_attribute("aria-selected", "true")
    expect(page.locator(f"#{active}")).to_have_text("hydrogen")
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowDown")  # opens again on the first option
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?topic=hydrogen$"))
    expect(page.locator(".chip")).to_contain_text("Topic: hydrogen")


def test_search_box_without_javascript_still_searches(open_page):
    page = open_page("/", javascript=False)
    page.fill("header input[name=q]", "Wasserstoff")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=Wasserstoff")
    expect(page.locator(".hit")).not_to_have_count(0)


def test_favicon(open_page):
    page = open_page("/favicon.ico")
    assert page.url.endswith("/static/favicon.svg")
    assert "<svg" in page.content()


def test_query_interpretation_and_only_my_words(open_page, screenshot_dir):
    page = open_page("/search?q=Wasserstoff")
    note = page.locator(".interpretation")
    expect(note).to_contain_text("Also searching:")
    expect(note).to_contain_text("hydrogène")
    expect(note).to_contain_text("(concept hydrogen)")
    expect(note).not_to_contain_text("Wasserstoff,")  # the typed word is not "also"
    expanded = page.locator(".hit").count()
    shot(page, screenshot_dir, "search-1280-interpretation")

    note.get_by_role("link", name="Only my words").click()
    page.wait_for_url(re.compile(r"literal=1"))
    expect(page.locator(".interpretation")).to_contain_text("Searching only your words.")
    literal = page.locator(".hit").count()
    assert 0 < literal < expanded  # French and Polish texts no longer match
    for title in page.locator(".hit-title").all_inner_texts():
        assert "hydrog" not in title.lower()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_city_directory_filters_by_country_size_and_theme(open_page, screenshot_dir,
                                                          assert_accessible, viewport):
    page = open_page("/", viewport=viewport)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cities").click()
    page.wait_for_url("**/cities")
    cards = page.locator(".city-card")
    everyone = cards.count()
    assert everyone >= 10
    expect(cards.filter(has_text="Dortmund")).to_contain_text(re.compile(r"\d+ case studies"))
    width = viewport["width"]
    assert document_width(page) <= width
    shot(page, screenshot_dir, f"cities-{width}")
    assert_accessible(page, f"/cities at {width} px")

    page.get_by_label("Country").select_option(label="Germany")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"country=DE"))
    expect(cards).to_have_count(2)  # Dortmund and Essen
    expect(cards.first).to_contain_text("Germany")
    page.get_by_label("Theme").select_option(label="hydrogen")
    page.get_by_role("button", name="Show").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Dortmund")


def test_topic_tree_in_the_ui_language_with_counts(open_page, screenshot_dir, assert_accessible):
    page = open_page("/topics?ui_lang=de", locale="de-DE")
    tree = page.locator(".topic-tree")
    branch = tree.locator(".topic-branch", has=page.locator("h2", has_text="Energiewende"))
    expect(branch).to_have_count(1)
    expect(branch.locator("li", has_text="Wasserstoff").first).to_contain_text(re.compile(r"\d"))
    shot(page, screenshot_dir, "topics-1280-de")
    assert_accessible(page, "/topics in German")
    branch.get_by_role("link", name="Wasserstoff", exact=True).click()
    page.wait_for_url("**/search?topic=hydrogen")
    expect(page.locator(".hit")).not_to_have_count(0)


def test_language_switch_keeps_path_query_and_filters(open_page):
    page = open_page("/search?q=bus&country=DE&year_from=2020")
    page.get_by_role("link", name="Deutsch", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q=bus&country=DE&year_from=2020&ui_lang=de$"))
    expect(page.locator("h1")).to_have_text("Fallstudien durchsuchen")
    expect(page.locator(".chip")).to_have_count(2)
    expect(page.locator("#page-q")).to_have_value("bus")


@pytest.mark.parametrize("path", ["/", "/api/docs", "/case-studies/dortmund-h2-bus-depot",
                                  "/cities/dortmund", "/partnerships", "/collections"])
def test_page_types_pass_axe(open_page, assert_accessible, path):
    page = open_page(path)
    assert_accessible(page, path)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_home_offers_topics_and_latest_in_the_readers_language(open_page, screenshot_dir,
                                                               viewport):
    page = open_page("/?ui_lang=en", viewport=viewport)
    tiles = page.locator(".topic-tiles a")
    expect(tiles.filter(has_text="energy transition")).to_have_count(1)
    translated = page.locator(".card", has=page.locator(".badge.translated"))
    expect(translated.first).to_be_visible()
    expect(translated.first).to_have_attribute("lang", "en")
    expect(translated.first.locator(".badge.translated")).to_contain_text("Translated from")
    width = viewport["width"]
    assert document_width(page) <= width
    shot(page, screenshot_dir, f"home-{width}")
    tiles.filter(has_text="energy transition").click()
    page.wait_for_url("**/search?topic=energy-transition")


def test_case_study_fact_box_without_repeated_results(open_page, screenshot_dir):
    page = open_page("/case-studies/dortmund-h2-bus-depot")
    box = page.locator(".case-study .outcomes")
    for label in ("Project status", "Funding programme", "Budget", "CO₂ reduction",
                  "Partner cities"):
        expect(box.locator("dt", has_text=label)).to_have_count(1)
    expect(box.get_by_role("link", name="Pittsburgh")).to_be_visible()
    # The body's "Ergebnisse" already says the measured results: not shown twice.
    expect(page.get_by_text("Measured results")).to_have_count(0)
    assert box.bounding_box()["y"] < page.locator(".case-study .body").first.bounding_box()["y"]
    shot(page, screenshot_dir, "case-study-1280")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_charts_of_the_results_and_of_a_city_with_tables(open_page, screenshot_dir,
                                                         assert_accessible, viewport):
    page = open_page("/search?country=DE", viewport=viewport)
    total = int(re.match(r"\d+", page.locator(".total").inner_text()).group())
    page.get_by_text("Charts of these results").click()
    per_year = page.get_by_role("figure", name="Case studies per year")
    expect(per_year.locator("svg rect")).not_to_have_count(0)
    per_year.get_by_text("Show as a table").click()
    counts = [int(c) for c in per_year.locator("tbody td").all_inner_texts()]
    assert sum(counts) == total  # every German case study has a year
    expect(page.get_by_role("figure", name="Case studies per topic")).to_be_visible()
    width = viewport["width"]
    assert document_width(page) <= width
    shot(page, screenshot_dir, f"search-{width}-charts")
    assert_accessible(page, f"search charts at {width} px")

    page.goto("/cities/dortmund")
    chart = page.get_by_role("figure", name="Case studies by topic")
    chart.get_by_text("Show as a table").click()
    first = chart.locator("tbody tr").first
    first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/search\?city=Dortmund&topic="))
    expect(page.locator(".hit")).not_to_have_count(0)
