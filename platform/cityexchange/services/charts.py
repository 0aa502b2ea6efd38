"""Small horizontal bar charts rendered as SVG on the server, each with a table beside it."""

from __future__ import annotations

from dataclasses import dataclass

ROW = 22  # px per bar row in the SVG's coordinates
LABEL_WIDTH = 150
BAR_WIDTH = 200


@dataclass(frozen=True)
class ChartBar:
    label: str
    count: int
    url: str
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    bars: list[ChartBar]

    @property
    def height(self) -> int:
        return ROW * len(self.bars)


def bar_chart(chart_id: str, title: str, rows, limit: int = 10) -> Chart | None:
    """rows: (label, count, url), in the order to show; None when there is nothing."""
    rows = [row for row in rows if row[1] > 0][:limit]
    if not rows:
        return None
    peak = max(count for _label, count, _url in rows)
    return Chart(chart_id, title, [
        ChartBar(label, count, url, index * ROW, round(max(2.0, BAR_WIDTH * count / peak), 1))
        for index, (label, count, url) in enumerate(rows)])
