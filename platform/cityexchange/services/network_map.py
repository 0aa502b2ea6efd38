"""The network map: cities as markers on the base map, partnerships as lines between them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, Partnership
from cityexchange.services import basemap

FONT = 12  # label size in SVG units; a character is about 0.6 of it wide


@dataclass(frozen=True)
class Marker:
    city: City
    count: int
    x: float
    y: float
    r: float
    label: tuple[float, float, str] | None  # x, y, text-anchor; None: no room for it


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    names: tuple[str, ...]  # the partnerships this pair of cities shares
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class CityMap:
    view: basemap.View
    countries: tuple[str, ...]
    markers: list[Marker]
    lines: list[Line]
    rows: list[tuple[City, int]]  # every city, those without coordinates too

    @property
    def unplaced(self) -> list[City]:
        placed = {marker.city.id for marker in self.markers}
        return [city for city, _count in self.rows if city.id not in placed]


def city_counts() -> list[tuple[City, int]]:
    """Every city with its number of published case studies, by name."""
    return [tuple(row) for row in db.session.execute(
        select(City, func.count(CaseStudy.id))
        .outerjoin(CaseStudy, (CaseStudy.city_id == City.id) & (CaseStudy.status == "published"))
        .group_by(City.id).order_by(City.name)).all()]


def all_partnerships() -> list[Partnership]:
    return list(db.session.scalars(
        select(Partnership).options(selectinload(Partnership.cities)).order_by(Partnership.name)))


def network_map(rows: list[tuple[City, int]] | None = None,
                partnerships: list[Partnership] | None = None) -> CityMap:
    rows = city_counts() if rows is None else rows
    partnerships = all_partnerships() if partnerships is None else partnerships
    return build_map(rows, partnerships)


def build_map(rows: list[tuple[City, int]], partnerships: list[Partnership]) -> CityMap:
    """Markers where the coordinates say; a city without them is only in the table."""
    placed = [(city, count) for city, count in rows if _has_coordinates(city)]
    view = basemap.view_for([(city.longitude, city.latitude) for city, _count in placed])
    points = {city.id: view.project(city.longitude, city.latitude) for city, _count in placed}
    markers = _markers(placed, points, view.width)
    return CityMap(view, basemap.country_paths(view), markers,
                   _lines(partnerships, points), list(rows))


def _has_coordinates(city: City) -> bool:
    return city.latitude is not None and city.longitude is not None


def _markers(placed, points, width_limit: float) -> list[Marker]:
    """Bigger cities in the network (more case studies) get their label first; a label
    that would overlap one already placed tries the other side, then is left out."""
    radius = {city.id: round(5 + min(5.0, math.sqrt(count)), 1) for city, count in placed}
    taken = [(x - radius[cid], y - radius[cid], x + radius[cid], y + radius[cid])
             for cid, (x, y) in points.items() if cid in radius]
    markers = []
    for city, count in sorted(placed, key=lambda row: (-row[1], row[0].name)):
        x, y = points[city.id]
        r = radius[city.id]
        label = None
        for candidate in label_places(x, y, r, len(city.name) * FONT * 0.6):
            box = candidate[3]
            if (box[0] >= 0 and box[2] <= width_limit
                    and not any(boxes_meet(box, other) for other in taken)):
                taken.append(box)
                label = candidate[:3]
                break
        markers.append(Marker(city, count, x, y, r, label))
    # Drawn by name, so the keyboard visits the markers in the table's order.
    return sorted(markers, key=lambda marker: marker.city.name)


def label_places(x: float, y: float, r: float, width: float):
    """Right, left, above, below the marker: (x, y, text-anchor, box) of the text."""
    half = FONT / 2 + 2
    baseline = round(y + FONT * 0.35, 1)
    above, below = round(y - r - 4, 1), round(y + r + FONT + 1, 1)
    return (
        (round(x + r + 3, 1), baseline, "start", (x + r + 3, y - half, x + r + 3 + width, y + half)),
        (round(x - r - 3, 1), baseline, "end", (x - r - 3 - width, y - half, x - r - 3, y + half)),
        (x, above, "middle", (x - width / 2, above - FONT, x + width / 2, above + 2)),
        (x, below, "middle", (x - width / 2, below - FONT, x + width / 2, below + 2)),
    )


def boxes_meet(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _lines(partnerships: list[Partnership], points) -> list[Line]:
    """One line per pair of cities that share a partnership (a network links every pair)."""
    pairs: dict[tuple[int, int], list[Partnership]] = {}
    for partnership in partnerships:
        members = sorted({city.id for city in partnership.cities if city.id in points})
        for pair in combinations(members, 2):
            pairs.setdefault(pair, []).append(partnership)
    lines = []
    for (first, second), shared in sorted(pairs.items()):
        (x1, y1), (x2, y2) = points[first], points[second]
        lines.append(Line(x1, y1, x2, y2, tuple(p.name for p in shared),
                          tuple(sorted({p.kind for p in shared}))))
    return lines
