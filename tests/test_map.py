"""The network map (home, partnerships) and the partnership graph, as the server renders them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from cityexchange.extensions import db
from cityexchange.services import basemap
from cityexchange.services.network_map import all_partnerships
from cityexchange.services.partnership_graph import partnership_graph
from tests.factories import make_case_study, make_city, make_partnership

SVG = "{http://www.w3.org/2000/svg}"
PLACES = {"Dortmund": (51.5136, 7.4653), "Pittsburgh": (40.4406, -79.9959),
          "Katowice": (50.2649, 19.0238)}


@pytest.fixture
def network(app):
    for name, (lat, lon) in PLACES.items():
        city = make_city(name)
        city.latitude, city.longitude = lat, lon
    make_city("Lyon")  # no coordinates
    db.session.commit()
    make_case_study("Hydrogen buses", city="Dortmund")
    make_partnership("dortmund-pittsburgh", "Dortmund–Pittsburgh innovation partnership",
                     ["Dortmund", "Pittsburgh"], kind="innovation-partnership", since_year=2021)
    make_partnership("coal-regions", "Coal regions network", ["Dortmund", "Katowice", "Lyon"],
                     kind="network", since_year=2017)


def svg(html: str, css_class: str) -> ET.Element:
    found = re.search(rf'<svg class="{css_class}".*?</svg>', html, re.S)
    assert found, f"no <svg class={css_class}> on the page"
    return ET.fromstring(found.group(0).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


@pytest.mark.parametrize("path", ["/", "/partnerships"])
def test_markers_sit_where_the_coordinates_say_and_link_to_the_city(client, network, path):
    html = client.get(path).get_data(as_text=True)
    drawing = svg(html, "map")
    view = basemap.view_for([(lon, lat) for lat, lon in PLACES.values()])

    markers = {}
    for link in drawing.iter(f"{SVG}a"):
        circle = link.find(f"{SVG}circle[@class='marker']")
        markers[link.get("href")] = (float(circle.get("cx")), float(circle.get("cy")),
                                     link.get("aria-label"))
    assert set(markers) == {"/cities/dortmund", "/cities/pittsburgh", "/cities/katowice"}
    for name, (lat, lon) in PLACES.items():
        x, y, _label = markers[f"/cities/{name.lower()}"]
        assert (x, y) == view.project(lon, lat)
    assert markers["/cities/dortmund"][2] == "Dortmund (1 case study)"
    # Lyon has no coordinates: not drawn, but in the table with a word why.
    table = html[html.index("Show the cities as a table"):]
    assert 'href="/cities/lyon"' in table and "not on the map: no coordinates" in table


def test_partnerships_are_lines_between_their_cities(client, network):
    drawing = svg(client.get("/").get_data(as_text=True), "map")
    view = basemap.view_for([(lon, lat) for lat, lon in PLACES.values()])
    point = {name: view.project(lon, lat) for name, (lat, lon) in PLACES.items()}

    lines = {(float(line.get("x1")), float(line.get("y1")),
              float(line.get("x2")), float(line.get("y2"))): line.findtext(f"{SVG}title")
             for line in drawing.iter(f"{SVG}line")}
    # The network's third member (Lyon) has no place, so its two placed members make one line.
    assert len(lines) == 2
    ends = {frozenset([(x1, y1), (x2, y2)]): title for (x1, y1, x2, y2), title in lines.items()}
    assert ends[frozenset([point["Dortmund"], point["Pittsburgh"]])] == \
        "Dortmund–Pittsburgh innovation partnership"
    assert ends[frozenset([point["Dortmund"], point["Katowice"]])] == "Coal regions network"


def test_the_graph_labels_edges_with_type_and_year_and_links_cities(client, network):
    html = client.get("/partnerships").get_data(as_text=True)
    drawing = svg(html, "graph")

    cities = {a.get("href") for a in drawing.iter(f"{SVG}a") if a.get("class") == "graph-city"}
    # The graph needs no coordinates: Lyon is a node too.
    assert cities == {"/cities/dortmund", "/cities/pittsburgh", "/cities/katowice",
                      "/cities/lyon"}
    labels = {a.get("href"): a.findtext(f"{SVG}text") for a in drawing.iter(f"{SVG}a")
              if a.get("href", "").startswith("/partnerships/")}
    assert labels == {"/partnerships/dortmund-pittsburgh": "Innovation partnership · 2021",
                      "/partnerships/coal-regions": "Network · 2017"}
    assert "Show the partnerships as a table" in html


def test_the_graph_layout_is_the_same_every_time(app, network):
    first, second = partnership_graph(all_partnerships()), partnership_graph(all_partnerships())
    assert [(n.city.name, n.x, n.y) for n in first.nodes] == \
        [(n.city.name, n.x, n.y) for n in second.nodes]
    assert all(0 <= n.x <= first.width and 0 <= n.y <= first.height for n in first.nodes)


def test_a_second_partnership_between_the_same_cities_is_a_curve_beside_the_first(app, network):
    make_partnership("dortmund-pittsburgh-twinning", "Dortmund–Pittsburgh twinning",
                     ["Dortmund", "Pittsburgh"], since_year=2024)

    graph = partnership_graph(all_partnerships())
    pair = [e for e in graph.edges if e.partnership.slug.startswith("dortmund-pittsburgh")]
    straight, curved = sorted(pair, key=lambda e: e.partnership.since_year)
    assert straight.path.split("Q")[1].split()[:2] != curved.path.split("Q")[1].split()[:2]
    assert (straight.label_x, straight.label_y) != (curved.label_x, curved.label_y)


def test_no_partnership_means_no_graph_but_still_a_map(client, app):
    city = make_city("Dortmund")
    city.latitude, city.longitude = 51.5, 7.5
    db.session.commit()

    html = client.get("/partnerships").get_data(as_text=True)
    assert 'class="map"' in html and 'class="graph"' not in html
    assert partnership_graph([]) is None
