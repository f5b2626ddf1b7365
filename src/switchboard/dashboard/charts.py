"""Charts drawn on the server as inline SVG: no JavaScript, no chart library.

Every label is escaped; colours come from CSS classes (the Content-Security-Policy allows no
inline styles). Each chart carries a <title> per bar, so hovering a bar says what it counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

WIDTH: Final = 960
HEIGHT: Final = 220
LEFT: Final = 48  # room for the value axis labels
RIGHT: Final = 52  # room for a second axis (latency)
TOP: Final = 12
BOTTOM: Final = 26  # room for the time labels


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # shown under the bar (some labels are skipped when crowded)
    title: str  # shown on hover
    values: tuple[int, ...]  # stacked, bottom first


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 2, 2.5 or 5 times a power of ten) >= `value`; 1 for 0."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _fmt(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def _ms(value: float) -> str:
    return f"{value / 1000:g} s" if value >= 1000 else f"{value:g} ms"


def bars(
    data: Sequence[Bar],
    *,
    classes: Sequence[str] = ("bar",),
    label: str,
    line: Sequence[float | None] | None = None,
    line_title: str = "p95 latency",
    empty: str = "No data in this period yet.",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    """A (stacked) bar chart; with `line`, a latency line on a right-hand axis in ms."""
    plot_w = width - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    top_value = nice_ceiling(max((sum(b.values) for b in data), default=0))
    if top_value < 20:  # small counts: whole-number gridlines (0, 2, 4, 6, 8), not 1.25
        top_value = float(4 * math.ceil(top_value / 4))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
    ]
    for i in range(5):
        value = top_value * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt(value))}</text>'
        )
    count = max(1, len(data))
    slot = plot_w / count
    bar_w = max(1.0, min(slot * 0.72, 48))
    every = max(1, math.ceil(count / 12))  # at most ~12 labels on the time axis
    for index, bar in enumerate(data):
        x = LEFT + slot * index + (slot - bar_w) / 2
        base = float(TOP + plot_h)
        parts.append("<g>")
        parts.append(f"<title>{escape(bar.title)}</title>")
        for value, css in zip(bar.values, classes, strict=False):
            if value <= 0:
                continue
            h = plot_h * value / top_value
            base -= h
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{max(h, 1):.1f}" rx="2"/>'
            )
        # An invisible full-height target so hovering anywhere in the column shows the title.
        parts.append(
            f'<rect x="{LEFT + slot * index:.1f}" y="{TOP}" width="{slot:.1f}" '
            f'height="{plot_h}" fill="transparent"/>'
        )
        parts.append("</g>")
        if index % every == 0:
            cx = LEFT + slot * index + slot / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{escape(bar.label)}</text>"
            )
    if line is not None:
        parts.extend(_line(line, plot_w, plot_h, slot, line_title))
    axis_y = TOP + plot_h
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{axis_y}" y2="{axis_y}"/>'
    )
    if not any(sum(b.values) for b in data):
        parts.append(
            f'<text class="empty-note" x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" '
            f'text-anchor="middle">{escape(empty)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def _line(
    values: Sequence[float | None], plot_w: float, plot_h: float, slot: float, title: str
) -> list[str]:
    known = [v for v in values if v is not None]
    if not known:
        return []
    top = nice_ceiling(max(known))
    parts = []
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<text x="{LEFT + plot_w + 6}" y="{y + 4:.1f}">{escape(_ms(top * i / 4))}</text>'
        )
    points = []
    for index, value in enumerate(values):
        if value is None:
            continue
        x = LEFT + slot * index + slot / 2
        y = TOP + plot_h - plot_h * value / top
        points.append((x, y, value))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline class="line" points="{path}"/>')
    for x, y, value in points:
        parts.append(
            f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>'
            f"{escape(title)}: {escape(_ms(round(value)))}</title></circle>"
        )
    return parts


def sparkline(values: Sequence[int], label: str) -> Markup:
    """A tiny bar chart for a table cell (the source list's weekly volume)."""
    width, height = 120, 28
    top = max(values, default=0) or 1
    slot = width / max(1, len(values))
    parts = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
    ]
    for index, value in enumerate(values):
        h = max(1.0, (height - 2) * value / top) if value else 1.0
        parts.append(
            f'<rect class="bar" x="{slot * index + 1:.1f}" y="{height - h:.1f}" '
            f'width="{max(1.0, slot - 2):.1f}" height="{h:.1f}" rx="1"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - the only text, the label, is escaped


def meter(percent: float, label: str) -> Markup:
    """A horizontal bar filled to `percent` (0 to 100), as SVG (no inline style needed)."""
    filled = max(0.0, min(100.0, percent))
    return Markup(  # noqa: S704 - the only text, the label, is escaped
        f'<svg class="meter-svg" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect class="meter-track" width="100" height="8" rx="4"/>'
        f'<rect class="meter-fill" width="{filled:.2f}" height="8" rx="4"/></svg>'
    )
