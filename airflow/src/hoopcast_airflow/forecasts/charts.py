"""Charts of the Forecasts page, drawn on the server as inline SVG (no JavaScript, no CDN: the
page works air-gapped and inside the Airflow UI's iframe).

Two kinds: :func:`line_chart` (a metric per ISO week, one line per forecaster) and
:func:`reliability_diagram` (calibration: mean forecast probability against the observed home
win rate per probability bin, point area proportional to games).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

COLOURS: Mapping[str, str] = {
    "model": "#1f6feb",
    "elo": "#8250df",
    "line": "#bf8700",
    "espn": "#cf222e",
}
"""Line colour of each forecaster (the same in every chart and legend)."""

LABELS: Mapping[str, str] = {
    "model": "model (forecast of record)",
    "elo": "Elo",
    "line": "betting line",
    "espn": "ESPN predictor",
}
"""Legend text of each forecaster."""

_W, _H = 560, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 12, 24, 44


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _legend(names: Sequence[str], y: float) -> list[str]:
    parts: list[str] = []
    x = float(_LEFT)
    for name in names:
        colour = COLOURS.get(name, "#57606a")
        label = escape(LABELS.get(name, name))
        parts.append(
            f'<rect x="{x:.0f}" y="{y - 8:.0f}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14:.0f}" y="{y:.0f}" font-size="11">{label}</text>'
        )
        x += 24 + 6.2 * len(LABELS.get(name, name))
    return parts


def line_chart(
    series: Mapping[str, Sequence[Mapping[str, Any]]],
    metric: str,
    title: str,
    *,
    digits: int = 2,
) -> Markup:
    """An SVG line chart of ``metric`` over periods, one line per forecaster.

    Args:
        series: forecaster → points in time order, each a mapping with ``period`` (x label,
            e.g. '2026-W05') and ``metric`` (a number, or None for a gap).
        metric: the key of the value to draw (e.g. ``accuracy``, ``log_loss``, ``margin_mae``).
        title: the chart's title (escaped).
        digits: decimals of the y-axis labels.

    Returns:
        SVG markup (``role="img"`` with the title as its accessible name); a note instead of
        axes when no point has a value.
    """
    periods: list[str] = []
    for points in series.values():
        for p in points:
            if str(p["period"]) not in periods:
                periods.append(str(p["period"]))
    periods.sort()
    values = [
        float(p[metric]) for points in series.values() for p in points if p.get(metric) is not None
    ]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}"'
        f' height="{_H}" role="img" aria-label="{escape(title)}" class="chart">'
        f'<text x="{_LEFT}" y="14" font-size="13" font-weight="600">{escape(title)}</text>'
    )
    if not values or not periods:
        return Markup(
            head + f'<text x="{_LEFT}" y="{_H / 2:.0f}" font-size="12">no data yet</text></svg>'
        )
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or max(abs(hi) * 0.05, 0.01)
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x_of(i: int) -> float:
        return _LEFT + (plot_w * i / (len(periods) - 1) if len(periods) > 1 else plot_w / 2)

    def y_of(v: float) -> float:
        return _TOP + plot_h * (1 - (v - lo) / (hi - lo))

    parts = [head]
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        y = y_of(v)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
            f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{_fmt(v, digits)}</text>"
        )
    step = max(1, len(periods) // 8)
    for i, period in enumerate(periods):
        if i % step == 0 or i == len(periods) - 1:
            parts.append(
                f'<text x="{x_of(i):.1f}" y="{_TOP + plot_h + 14}" font-size="10"'
                f' text-anchor="middle">{escape(period)}</text>'
            )
    drawn: list[str] = []
    for name, points in series.items():
        colour = COLOURS.get(name, "#57606a")
        coords = [
            (x_of(periods.index(str(p["period"]))), y_of(float(p[metric])))
            for p in points
            if p.get(metric) is not None
        ]
        if coords:
            drawn.append(name)
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for x, y in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
    parts += _legend(drawn, _H - 8)  # only forecasters with a value of this metric
    parts.append("</svg>")
    return Markup("".join(parts))


def reliability_diagram(
    calibration: Mapping[str, Sequence[Mapping[str, Any]]], title: str = "Calibration"
) -> Markup:
    """An SVG reliability diagram: for each forecaster and probability bin, the mean forecast
    P(home win) (x) against the observed home win rate (y); the diagonal is perfect calibration.

    Args:
        calibration: forecaster → rows with ``mean_prob``, ``observed`` (both in [0, 1]) and
            ``games`` (point area grows with games).
    """
    size = 300
    left, top, plot = 44, 24, 220
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size + 160} {size}"'
        f' width="{size + 160}" height="{size}" role="img" aria-label="{escape(title)}"'
        f' class="chart"><text x="{left}" y="14" font-size="13" font-weight="600">'
        f"{escape(title)}</text>"
    ]

    def at(p: float, q: float) -> tuple[float, float]:
        return left + plot * p, top + plot * (1 - q)

    for k in range(6):
        v = k / 5
        x, y = at(v, v)
        parts.append(
            f'<line x1="{left}" x2="{left + plot}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{v:.1f}</text>"
            f'<text x="{x:.1f}" y="{top + plot + 14}" font-size="10" text-anchor="middle">'
            f"{v:.1f}</text>"
        )
    x0, y0 = at(0, 0)
    x1, y1 = at(1, 1)
    parts.append(
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#57606a" stroke-dasharray="4 3"/>'
        f'<text x="{left + plot / 2}" y="{top + plot + 30}" font-size="11" text-anchor="middle">'
        "forecast P(home win)</text>"
        f'<text x="12" y="{top + plot / 2}" font-size="11" text-anchor="middle"'
        f' transform="rotate(-90 12 {top + plot / 2})">observed home wins</text>'
    )
    most = max((int(r["games"]) for rows in calibration.values() for r in rows), default=1)
    for name, rows in calibration.items():
        colour = COLOURS.get(name, "#57606a")
        coords = [at(float(r["mean_prob"]), float(r["observed"])) for r in rows]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
            )
        for (x, y), r in zip(coords, rows, strict=True):
            radius = 2 + 5 * (int(r["games"]) / most) ** 0.5
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}"'
                f' fill-opacity="0.7"><title>{escape(LABELS.get(name, name))}:'
                f" {int(r['games'])} games, forecast {float(r['mean_prob']):.2f},"
                f" observed {float(r['observed']):.2f}</title></circle>"
            )
    y = top + 10
    for name in calibration:
        parts.append(
            f'<rect x="{left + plot + 16}" y="{y - 8}" width="10" height="10"'
            f' fill="{COLOURS.get(name, "#57606a")}"/><text x="{left + plot + 30}" y="{y}"'
            f' font-size="11">{escape(LABELS.get(name, name))}</text>'
        )
        y += 16
    parts.append("</svg>")
    return Markup("".join(parts))
