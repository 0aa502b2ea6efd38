"""The offline base map: TopoJSON decoding, the projection, clipping, the view around cities."""

from __future__ import annotations

import math

import pytest

from cityexchange.services import basemap
from cityexchange.services.basemap import View, clip_ring, decode_arcs, view_for


def test_arcs_are_delta_decoded_and_scaled():
    topology = {"transform": {"scale": [0.5, 0.25], "translate": [-10, 20]},
                "arcs": [[[0, 0], [4, 8], [-2, 0]]]}

    assert decode_arcs(topology) == [[(-10.0, 20.0), (-8.0, 22.0), (-9.0, 22.0)]]


def test_projection_puts_the_corners_and_keeps_scale_true_at_the_middle_latitude():
    view = View(west=0, south=40, east=20, north=60, width=600)

    assert view.project(0, 60) == (0, 0)
    assert view.project(20, 40)[0] == 600
    assert view.project(20, 40)[1] == view.height
    # At 50° a degree of longitude is cos(50°) of a degree of latitude.
    assert view.height == pytest.approx(600 / math.cos(math.radians(50)), abs=0.2)
    x, y = view.project(10, 50)
    assert (x, y) == (300, pytest.approx(view.height / 2, abs=0.1))


def test_the_view_holds_every_city_with_a_margin_and_is_never_a_thin_strip():
    cities = [(7.47, 51.51), (-79.99, 40.44), (19.02, 50.26)]  # Dortmund, Pittsburgh, Katowice

    view = view_for(cities)

    for lon, lat in cities:
        x, y = view.project(lon, lat)
        assert 10 < x < view.width - 10 and 10 < y < view.height - 10
    assert view.width / view.height <= basemap.MAX_ASPECT + 0.01
    assert view_for([]) == View(-180.0, -60.0, 180.0, basemap.MAX_LAT)


def test_a_ring_is_clipped_to_the_box():
    square = [(-10, -10), (10, -10), (10, 10), (-10, 10), (-10, -10)]

    clipped = clip_ring(square, (0, 0, 20, 20))

    assert all(0 <= x <= 20 and 0 <= y <= 20 for x, y in clipped)
    assert {(0, 0), (10, 0), (10, 10), (0, 10)} <= set(clipped)
    assert clip_ring(square, (50, 50, 60, 60)) == []


def test_the_vendored_natural_earth_countries_are_drawn_where_they_are():
    names = {country.name for country in basemap.world()}
    assert {"Germany", "United States of America", "Poland"} <= names
    germany = next(c for c in basemap.world() if c.name == "Germany")
    west, south, east, north = germany.bbox
    assert 5 < west < 7 and 47 < south < 48 and 14 < east < 16 and 54 < north < 56

    europe = View(-10, 35, 30, 60)
    paths = basemap.country_paths(europe)
    assert 20 < len(paths) < 80  # Europe's countries and the edges of their neighbours
    numbers = [float(n) for d in paths for n in d.replace("M", " ").replace("Z", " ").split()]
    xs, ys = numbers[0::2], numbers[1::2]
    # Clipped to the view.
    assert 0 <= min(xs) and max(xs) <= europe.width + 0.1
    assert 0 <= min(ys) and max(ys) <= europe.height + 0.1
