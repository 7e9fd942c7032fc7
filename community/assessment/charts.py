"""Geometry of the dashboard's charts; the template turns it into inline SVG (no script, no inline style).

Each function returns plain numbers and strings, so the charts are drawn by Terreau itself and can be
tested without a browser.
"""

from __future__ import annotations

import math
from datetime import date

RADAR_SIZE = 320
RADAR_RADIUS = 110
TRIANGLE_SIZE = 300
LINE_WIDTH, LINE_HEIGHT = 640, 240
LINE_PAD = {"left": 40, "right": 16, "top": 16, "bottom": 36}
MEAN_DEGREE_FULL = 10.0  # the radar's "ties" axis is full at 10 ties per member


def _pt(x: float, y: float) -> str:
    return f"{x:.1f},{y:.1f}"


def radar_values(metrics: dict[str, float]) -> dict[str, float]:
    """Each metric as a "higher is better" value in [0, 1] (texts.RADAR names them)."""
    drawn = {}
    for key, value in metrics.items():
        if key in ("contribution_gini", "isolated_share"):
            value = 1 - value
        elif key == "mean_degree":
            value = min(1.0, value / MEAN_DEGREE_FULL)
        drawn[key] = max(0.0, min(1.0, float(value)))
    return drawn


def radar(values: dict[str, float], labels: dict[str, str]) -> dict:
    """Spokes from the centre, one per metric, clockwise from the top; rings at 25 %, 50 %, 75 %, 100 %."""
    centre = RADAR_SIZE / 2
    keys = list(values)
    count = max(len(keys), 1)

    def at(index: int, fraction: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / count
        return centre + RADAR_RADIUS * fraction * math.cos(angle), centre + RADAR_RADIUS * fraction * math.sin(angle)

    spokes, names = [], []
    for i, key in enumerate(keys):
        x, y = at(i, 1.0)
        spokes.append({"x": round(x, 1), "y": round(y, 1)})
        lx, ly = at(i, 1.22)
        anchor = "middle" if abs(lx - centre) < 10 else ("start" if lx > centre else "end")
        names.append({"x": round(lx, 1), "y": round(ly + 4, 1), "anchor": anchor, "text": labels[key]})
    rings = [" ".join(_pt(*at(i, f)) for i in range(count)) for f in (0.25, 0.5, 0.75, 1.0)]
    shape = " ".join(_pt(*at(i, values[k])) for i, k in enumerate(keys))
    return {"size": RADAR_SIZE, "centre": centre, "spokes": spokes, "names": names, "rings": rings, "shape": shape}


def triangle(mix: dict[str, float]) -> dict:
    """Influence at the top, collaboration bottom left, coordination bottom right; the point is the
    mix's barycentre (the centre of gravity of activity). No point when there was no activity."""
    margin = 40
    side = TRIANGLE_SIZE - 2 * margin
    height = side * math.sqrt(3) / 2
    top = (TRIANGLE_SIZE / 2, margin)
    left = (margin, margin + height)
    right = (TRIANGLE_SIZE - margin, margin + height)
    corners = {"influence": top, "collaboration": left, "coordination": right}
    total = sum(mix.values())
    point = None
    if total > 0:
        x = sum(mix[f] * corners[f][0] for f in corners) / total
        y = sum(mix[f] * corners[f][1] for f in corners) / total
        point = {"x": round(x, 1), "y": round(y, 1)}
    labels = {
        "influence": {"x": top[0], "y": top[1] - 12, "anchor": "middle"},
        "collaboration": {"x": left[0] - 4, "y": left[1] + 22, "anchor": "start"},
        "coordination": {"x": right[0] + 4, "y": right[1] + 22, "anchor": "end"},
    }
    return {"size": TRIANGLE_SIZE, "height": round(margin + height + 36, 1),
            "outline": " ".join(_pt(*corners[f]) for f in ("influence", "collaboration", "coordination")),
            "point": point, "labels": labels}


def line(days: list[date], series: dict[str, list[float]]) -> dict:
    """Scores (0-100) over the snapshot days; x spreads the days evenly in time."""
    left, right, top, bottom = LINE_PAD["left"], LINE_PAD["right"], LINE_PAD["top"], LINE_PAD["bottom"]
    width, height = LINE_WIDTH - left - right, LINE_HEIGHT - top - bottom
    if not days:
        return {"width": LINE_WIDTH, "height": LINE_HEIGHT, "lines": {}, "grid": [], "ticks": []}
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return left + (width * (day - first).days / span if len(days) > 1 else width / 2)

    def y(value: float) -> float:
        return top + height * (1 - max(0.0, min(100.0, value)) / 100)

    lines = {name: {"points": " ".join(_pt(x(d), y(v)) for d, v in zip(days, values, strict=True)),
                    "dots": [{"x": round(x(d), 1), "y": round(y(v), 1)} for d, v in zip(days, values, strict=True)]}
             for name, values in series.items()}
    grid = [{"y": round(y(v), 1), "value": v, "x1": left, "x2": left + width} for v in (0, 25, 50, 75, 100)]
    picks = sorted({0, len(days) - 1, (len(days) - 1) // 2})
    ticks = [{"x": round(x(days[i]), 1), "y": top + height + 20, "text": days[i].isoformat()} for i in picks]
    return {"width": LINE_WIDTH, "height": LINE_HEIGHT, "lines": lines, "grid": grid, "ticks": ticks}
