"""The partnership graph: cities as nodes, partnerships as labelled edges between them.

A partnership of two cities is an edge; one of three or more (a network) is a small hub
with a spoke to each member. networkx's spring layout places cities and hubs, with a fixed
seed so the picture is the same on every request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from cityexchange.models import City, Partnership
from cityexchange.services.network_map import boxes_meet, label_places

WIDTH, HEIGHT = 900, 560
NODE_R = 8
NODE_FONT, EDGE_FONT = 14, 11  # as static/site.css sets them
MARGIN_X, MARGIN_Y = 110, 40  # room for the city names at the sides
GAP = 150  # between groups of linked cities: room for two names
BEND = 28  # how far a second edge between the same two cities bows out
SEED = 7
SPREAD = 2.0  # spring length relative to networkx's default: longer edges leave room for labels


@dataclass(frozen=True)
class Node:
    city: City
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True)
class Edge:
    partnership: Partnership
    path: str  # SVG path data: a curve between two cities, or the spokes of a hub
    label_x: float
    label_y: float
    hub: tuple[float, float] | None  # a network's hub point


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: int = WIDTH
    height: int = HEIGHT


def partnership_graph(partnerships: list[Partnership]) -> Graph | None:
    """None when no partnership links two cities."""
    linking = [p for p in partnerships if len({c.id for c in p.cities}) >= 2]
    if not linking:
        return None
    places = layout(linking)
    cities = sorted({city.id: city for p in linking for city in p.cities}.values(),
                    key=lambda city: city.name)
    # Labels go where they meet no node and no label placed before them.
    taken = [(x - NODE_R, y - NODE_R, x + NODE_R, y + NODE_R) for x, y in places.values()]
    nodes = [_node(city, places[("city", city.id)], taken) for city in cities]
    return Graph(nodes, _edges(linking, places, taken))


def _place(candidates, taken: list) -> tuple:
    """The first (x, y, anchor, box) whose box is free, else the first; its box is taken."""
    for candidate in candidates:
        if not any(boxes_meet(candidate[3], box) for box in taken):
            break
    else:
        candidate = candidates[0]
    taken.append(candidate[3])
    return candidate[:3]


def layout(partnerships: list[Partnership]) -> dict[tuple[str, int], tuple[float, float]]:
    """("city", id) and ("hub", partnership id) to (x, y) in the SVG's units."""
    graph = nx.Graph()
    for partnership in sorted(partnerships, key=lambda p: p.id):
        members = sorted({city.id for city in partnership.cities})
        graph.add_nodes_from(("city", member) for member in members)
        if len(members) == 2:
            graph.add_edge(("city", members[0]), ("city", members[1]))
        else:
            graph.add_edges_from((("hub", partnership.id), ("city", member))
                                 for member in members)
    # Each group of linked cities gets a column as wide as its share of the nodes (a spring
    # layout of the whole would push unlinked groups to the corners).
    groups = sorted((sorted(group) for group in nx.connected_components(graph)),
                    key=lambda group: (-len(group), group))
    places = {}
    left, room = MARGIN_X, WIDTH - 2 * MARGIN_X - GAP * (len(groups) - 1)
    for group in groups:
        share = room * len(group) / graph.number_of_nodes()
        spring = nx.spring_layout(graph.subgraph(group), k=SPREAD / math.sqrt(len(group)), seed=SEED,
                                  iterations=200)
        xs = [x for x, _y in spring.values()]
        ys = [y for _x, y in spring.values()]
        for node, (x, y) in spring.items():
            places[node] = (_fit(x, min(xs), max(xs), left, left + share),
                            _fit(y, min(ys), max(ys), MARGIN_Y, HEIGHT - MARGIN_Y))
        left += share + GAP
    return places


def _fit(value: float, low: float, high: float, start: float, end: float) -> float:
    share = (value - low) / (high - low) if high > low else 0.5
    return round(start + share * (end - start), 1)


def _node(city: City, place: tuple[float, float], taken: list) -> Node:
    """The name beside the node, first on the side away from the middle."""
    x, y = place
    candidates = label_places(x, y, NODE_R, len(city.name) * NODE_FONT * 0.6)
    if x < WIDTH / 2:
        candidates = (candidates[1], candidates[0], *candidates[2:])
    label_x, label_y, anchor = _place(candidates, taken)
    return Node(city, x, y, label_x, label_y, anchor)


def _edges(partnerships: list[Partnership], places, taken: list) -> list[Edge]:
    edges = []
    seen_pairs: dict[tuple[int, int], int] = {}
    for partnership in sorted(partnerships, key=lambda p: (p.since_year or 0, p.name)):
        members = sorted({city.id for city in partnership.cities})
        width = len(_label_text(partnership)) * EDGE_FONT * 0.6
        if len(members) == 2:
            pair = (members[0], members[1])
            bend = seen_pairs.get(pair, 0)
            seen_pairs[pair] = bend + 1
            edges.append(_pair_edge(partnership, places[("city", pair[0])],
                                    places[("city", pair[1])], bend, width, taken))
        else:
            edges.append(_hub_edge(partnership, places[("hub", partnership.id)],
                                   [places[("city", m)] for m in members], width, taken))
    return edges


def _label_text(partnership: Partnership) -> str:
    """As long as the label the page shows (type · year), for its room."""
    return f"{partnership.kind} · {partnership.since_year or ''}"


def _text_at(x: float, y: float, width: float) -> tuple:
    """A middle-anchored label centred on (x, y): (x, baseline, anchor, box)."""
    return (round(x, 1), round(y + EDGE_FONT * 0.35, 1), "middle",
            (x - width / 2, y - EDGE_FONT / 2 - 1, x + width / 2, y + EDGE_FONT / 2 + 1))


def _pair_edge(partnership, a, b, bend: int, width: float, taken: list) -> Edge:
    """A straight edge, or for the n-th partnership of the same pair a curve bowing out
    to alternating sides; the label sits on the curve, near its middle where there is room."""
    offset = 0 if bend == 0 else BEND * ((bend + 1) // 2) * (1 if bend % 2 else -1)
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    length = math.hypot(b[0] - a[0], b[1] - a[1]) or 1
    cx = round(mx - (b[1] - a[1]) / length * offset * 2, 1)
    cy = round(my + (b[0] - a[0]) / length * offset * 2, 1)
    path = f"M{a[0]} {a[1]}Q{cx} {cy} {b[0]} {b[1]}"
    # Points of the quadratic Bézier: (1-t)²a + 2t(1-t)c + t²b.
    candidates = [_text_at((1 - t) ** 2 * a[0] + 2 * t * (1 - t) * cx + t * t * b[0],
                           (1 - t) ** 2 * a[1] + 2 * t * (1 - t) * cy + t * t * b[1], width)
                  for t in (0.5, 0.38, 0.62, 0.28, 0.72)]
    label_x, label_y, _anchor = _place(candidates, taken)
    return Edge(partnership, path, label_x, label_y, None)


def _hub_edge(partnership, hub: tuple[float, float], members, width: float,
              taken: list) -> Edge:
    hx, hy = hub
    path = "".join(f"M{hx} {hy}L{x} {y}" for x, y in members)
    candidates = [_text_at(hx, hy + dy, width) for dy in (16, -16, 30, -30)]
    label_x, label_y, _anchor = _place(candidates, taken)
    return Edge(partnership, path, label_x, label_y, (hx, hy))
