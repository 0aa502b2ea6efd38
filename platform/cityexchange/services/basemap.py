"""The offline base map: Natural Earth country shapes (npm `world-atlas`, 1:110m, vendored in
config/geo/) decoded from TopoJSON and projected to SVG path data on the server."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache, lru_cache

from cityexchange.settings import CONFIG_DIR

WORLD_FILE = CONFIG_DIR / "geo" / "countries-110m.json"
WIDTH = 640  # SVG user units; the page scales the map to its column
MAX_ASPECT = 2.2  # a wider view gets more latitude so the map is not a thin strip
MAX_LAT = 80.0  # the projection stretches nothing, but the poles are of no use here

Ring = tuple[tuple[float, float], ...]  # (longitude, latitude) points


@dataclass(frozen=True)
class Country:
    name: str
    rings: tuple[Ring, ...]
    bbox: tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class View:
    """An equirectangular projection of a lon/lat box, true to scale at its middle latitude."""

    west: float
    south: float
    east: float
    north: float
    width: float = WIDTH

    @property
    def scale(self) -> float:
        return self.width / ((self.east - self.west) * self._squeeze)

    @property
    def _squeeze(self) -> float:
        return math.cos(math.radians((self.north + self.south) / 2))

    @property
    def height(self) -> float:
        return round((self.north - self.south) * self.scale, 1)

    def project(self, longitude: float, latitude: float) -> tuple[float, float]:
        return (round((longitude - self.west) * self._squeeze * self.scale, 1),
                round((self.north - latitude) * self.scale, 1))


def view_for(points: list[tuple[float, float]]) -> View:
    """The box around (longitude, latitude) points with a margin; the world without points."""
    if not points:
        return View(-180.0, -60.0, 180.0, MAX_LAT)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    pad_lon = max(6.0, (max(lons) - min(lons)) * 0.08)
    pad_lat = max(5.0, (max(lats) - min(lats)) * 0.12)
    west, east = max(-180.0, min(lons) - pad_lon), min(180.0, max(lons) + pad_lon)
    south, north = max(-MAX_LAT, min(lats) - pad_lat), min(MAX_LAT, max(lats) + pad_lat)
    squeeze = math.cos(math.radians((north + south) / 2))
    wanted = (east - west) * squeeze / MAX_ASPECT  # the least latitude span for MAX_ASPECT
    if north - south < wanted:
        grow = (wanted - (north - south)) / 2
        south, north = max(-MAX_LAT, south - grow), min(MAX_LAT, north + grow)
    return View(west, south, east, north)


@cache
def world() -> tuple[Country, ...]:
    """Every country of the vendored TopoJSON, as rings of (longitude, latitude)."""
    topology = json.loads(WORLD_FILE.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs", [])],
                    "MultiPolygon": geometry.get("arcs", [])}.get(geometry["type"], [])
        rings = tuple(_ring(ring, arcs) for polygon in polygons for ring in polygon)
        if rings:
            points = [point for ring in rings for point in ring]
            bbox = (min(p[0] for p in points), min(p[1] for p in points),
                    max(p[0] for p in points), max(p[1] for p in points))
            countries.append(Country(geometry.get("properties", {}).get("name", ""), rings, bbox))
    return tuple(countries)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON's quantized, delta-encoded arcs as absolute (longitude, latitude)."""
    (scale_x, scale_y), (move_x, move_y) = (topology["transform"]["scale"],
                                            topology["transform"]["translate"])
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + move_x, y * scale_y + move_y))
        decoded.append(points)
    return decoded


def _ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> Ring:
    """Arcs joined into one ring; ~i is arc i reversed, and each arc repeats the last point."""
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return tuple(points)


@lru_cache(maxsize=16)
def country_paths(view: View) -> tuple[str, ...]:
    """SVG path data of the countries the view shows, clipped to it (a smaller page)."""
    box = (view.west, view.south, view.east, view.north)
    paths = []
    for country in world():
        if not _overlaps(country.bbox, box):
            continue
        rings = [clip_ring(ring, box) for ring in country.rings]
        data = " ".join(_path(view, ring) for ring in rings if len(ring) >= 3)
        if data:
            paths.append(data)
    return tuple(paths)


def _overlaps(a, b) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _path(view: View, ring) -> str:
    points = []
    for longitude, latitude in ring:
        point = view.project(longitude, latitude)
        if not points or point != points[-1]:
            points.append(point)
    if len(points) < 3:
        return ""
    return "M" + " ".join(f"{x:g} {y:g}" for x, y in points) + "Z"


def clip_ring(ring, box) -> list[tuple[float, float]]:
    """Sutherland–Hodgman: the part of a ring inside box (west, south, east, north)."""
    west, south, east, north = box
    edges = ((0, west, True), (0, east, False), (1, south, True), (1, north, False))
    points = list(ring)
    for axis, limit, keep_above in edges:
        if not points:
            break
        inside = (lambda p, a=axis, v=limit, up=keep_above: p[a] >= v if up else p[a] <= v)
        clipped = []
        for current, previous in zip(points, points[-1:] + points[:-1]):
            if inside(current):
                if not inside(previous):
                    clipped.append(_cross(previous, current, axis, limit))
                clipped.append(current)
            elif inside(previous):
                clipped.append(_cross(previous, current, axis, limit))
        points = clipped
    return points


def _cross(a, b, axis: int, limit: float) -> tuple[float, float]:
    """Where the segment a–b crosses the line coordinate[axis] == limit."""
    t = (limit - a[axis]) / (b[axis] - a[axis])
    other = 1 - axis
    value = a[other] + t * (b[other] - a[other])
    return (limit, value) if axis == 0 else (value, limit)
