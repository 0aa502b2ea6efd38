"""Atom feeds: newest overall, per city, topic and collection, and of any search."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from cityexchange.services import collections as collections_service
from cityexchange.services.collections import CollectionInputSchema
from cityexchange.extensions import db
from tests.factories import make_case_study

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return root


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{ATOM}entry")


def titles(feed: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}title") for entry in entries(feed)]


def link(element: ET.Element, rel: str = "alternate") -> str:
    return next(found.get("href") for found in element.findall(f"{ATOM}link")
                if found.get("rel", "alternate") == rel)


def updated(element: ET.Element) -> datetime:
    return datetime.fromisoformat(element.findtext(f"{ATOM}updated"))


@pytest.fixture
def studies(app):
    """Published in this order (so newest last), plus a draft."""
    return {
        "depot": make_case_study("Hydrogen bus depot", language="en", topics=["hydrogen"],
                                 summary="Twenty fuel-cell buses."),
        "steel": make_case_study("Hydrogen from a former steel site", city="Pittsburgh",
                                 language="en", topics=["hydrogen"]),
        "orchestra": make_case_study("Youth orchestra exchange", city="Buffalo", language="en"),
        "draft": make_case_study("Hydrogen ferry plans", city="Buffalo", language="en",
                                 topics=["hydrogen"], publish=False),
    }


def make_collection(title: str, slugs: list[str], status: str = "published"):
    collection = collections_service.create_collection(
        CollectionInputSchema().load({"title": title, "status": status}))
    for slug in slugs:
        collections_service.add_item(collection,
                                     collections_service.find_published_case_study(slug))
    return collection


# -- the newest case studies ------------------------------------------------------------------

def test_newest_feed_is_valid_atom_with_the_published_case_studies_newest_first(client, studies):
    feed = parse(client.get("/feeds/case-studies.atom"))

    assert titles(feed) == ["Youth orchestra exchange", "Hydrogen from a former steel site",
                            "Hydrogen bus depot"]  # no draft
    assert feed.findtext(f"{ATOM}id") == "http://localhost/feeds/case-studies.atom"
    assert link(feed, "self") == "http://localhost/feeds/case-studies.atom"
    assert feed.findtext(f"{ATOM}title") and feed.find(f"{ATOM}author/{ATOM}name") is not None
    ids = [entry.findtext(f"{ATOM}id") for entry in entries(feed)]
    assert len(set(ids)) == 3
    for entry, key in zip(entries(feed), ["orchestra", "steel", "depot"]):
        slug = studies[key].slug
        assert link(entry) == f"http://localhost/case-studies/{slug}"
        assert entry.findtext(f"{ATOM}id") == f"http://localhost/case-studies/{slug}"
        assert updated(entry).tzinfo is not None
    assert updated(feed) == max(updated(entry) for entry in entries(feed))


def test_entries_escape_titles_and_carry_sanitised_html(client, app):
    stored = make_case_study("Buses <b>&</b> depots", summary="Less <noise> & more",
                             body="**Bold** <script>alert(1)</script>\n\nFuelcells")
    # Input refuses control characters now; a row stored before that rule may hold one.
    stored.body = "**Bold** <script>alert(1)</script>\n\nFuel\x0bcells"
    db.session.commit()

    entry = entries(parse(client.get("/feeds/case-studies.atom")))[0]

    assert entry.findtext(f"{ATOM}title") == "Buses <b>&</b> depots"  # text, not markup
    assert entry.findtext(f"{ATOM}summary") == "Less <noise> & more"
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "<strong>Bold</strong>" in content.text
    assert "<script>" not in content.text  # the Markdown renderer's sanitising holds
    assert "Fuelcells" in content.text  # a control character cannot break the XML


def test_an_empty_feed_is_still_valid(client, app):
    feed = parse(client.get("/feeds/case-studies.atom"))

    assert entries(feed) == [] and updated(feed).tzinfo is not None


def test_feed_readers_can_poll_with_an_etag(client, studies):
    first = client.get("/feeds/case-studies.atom")

    again = client.get("/feeds/case-studies.atom", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    make_case_study("Tree planting in school yards", city="Lyon", language="en")
    changed = client.get("/feeds/case-studies.atom",
                         headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Tree planting" in titles(parse(changed))[0]


# -- per city, topic and collection -------------------------------------------------------------

def test_city_feed_has_only_that_citys_case_studies(client, studies):
    feed = parse(client.get("/feeds/cities/pittsburgh.atom"))

    assert titles(feed) == ["Hydrogen from a former steel site"]
    assert link(feed) == "http://localhost/cities/pittsburgh"
    assert client.get("/feeds/cities/atlantis.atom").status_code == 404


def test_topic_feed_has_the_published_case_studies_on_the_topic(client, studies):
    feed = parse(client.get("/feeds/topics/hydrogen.atom"))

    assert titles(feed) == ["Hydrogen from a former steel site", "Hydrogen bus depot"]
    assert client.get("/feeds/topics/no-such-topic.atom").status_code == 404


def test_collection_feed_follows_a_published_collection(client, studies):
    make_collection("Hydrogen in practice", [studies["depot"].slug, studies["steel"].slug])
    make_collection("Work in progress", [studies["orchestra"].slug], status="draft")

    feed = parse(client.get("/feeds/collections/hydrogen-in-practice.atom"))

    assert titles(feed) == ["Hydrogen bus depot", "Hydrogen from a former steel site"]
    assert link(feed) == "http://localhost/collections/hydrogen-in-practice"
    assert client.get("/feeds/collections/work-in-progress.atom").status_code == 404
    assert client.get("/feeds/collections/nothing.atom").status_code == 404


# -- any search as a feed ---------------------------------------------------------------------

def test_any_search_address_is_a_feed_of_its_newest_matches(client, studies):
    feed = parse(client.get("/feeds/search.atom?q=hydrogen&sort=relevance&page=2"))

    # sort and page are the feed's own: newest first, from the first match.
    assert titles(feed) == ["Hydrogen from a former steel site", "Hydrogen bus depot"]
    assert link(feed, "self") == "http://localhost/feeds/search.atom?q=hydrogen&sort=relevance"
    assert link(feed) == "http://localhost/search?q=hydrogen&sort=relevance"
    assert "hydrogen" in feed.findtext(f"{ATOM}title")


def test_search_feed_applies_the_filters(client, studies):
    feed = parse(client.get("/feeds/search.atom?q=hydrogen&city=Dortmund"))

    assert titles(feed) == ["Hydrogen bus depot"]
    assert "Dortmund" in feed.findtext(f"{ATOM}title")


def test_bad_search_parameters_are_a_400_naming_the_parameter(client, studies):
    response = client.get("/feeds/search.atom?year=last-year")

    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "year"


# -- pages point to their feeds -----------------------------------------------------------------

def alternate_links(html: str) -> list[str]:
    head = html.split("</head>", 1)[0]
    return re.findall(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" '
                      r'href="([^"]+)">', head)


def test_pages_name_their_feed_in_the_head(client, studies):
    make_collection("Hydrogen in practice", [studies["depot"].slug])
    make_collection("Work in progress", [studies["orchestra"].slug], status="draft")

    search = client.get("/search?q=hydrogen&city=Dortmund&page=1").get_data(as_text=True)
    assert alternate_links(search) == ["/feeds/search.atom?q=hydrogen&amp;city=Dortmund"]
    assert alternate_links(client.get("/cities/dortmund").get_data(as_text=True)) == [
        "/feeds/cities/dortmund.atom"]
    assert alternate_links(client.get("/collections/hydrogen-in-practice").get_data(
        as_text=True)) == ["/feeds/collections/hydrogen-in-practice.atom"]
    assert alternate_links(client.get("/").get_data(as_text=True)) == [
        "/feeds/case-studies.atom"]


def test_the_search_page_links_its_feed_and_the_feed_works(client, studies):
    html = client.get("/search?q=hydrogen&city=Pittsburgh").get_data(as_text=True)
    href = re.search(r'class="feed-link" href="([^"]+)"', html).group(1).replace("&amp;", "&")

    assert titles(parse(client.get(href))) == ["Hydrogen from a former steel site"]
