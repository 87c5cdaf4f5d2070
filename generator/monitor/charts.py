"""Static SVG charts, made at build time with Vega-Lite (vl-convert), inlined in the page.

No chart script runs in the browser and nothing is fetched from elsewhere: the SVG's text
is plain <text> that inherits the page's font (the font-family Vega writes is removed),
the fixed size becomes a viewBox that scales with the column, and the SVG is an image
(`role="img"` with an aria-label) whose accessible alternative is the table beside it.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

WIDTH = 320  # drawing width in px: readable at 1:1 on a 390 px phone
BAR_STEP = 22
_STRIP = re.compile(r'\s(?:font-family|role|aria-[a-z]+)="[^"]*"')
_DIGITS = re.compile(r"(\d\.\d{2})\d+")
_ROOT = re.compile(r'^<svg([^>]*?) class="marks" width="[\d.]+" height="[\d.]+"')


def _config() -> dict[str, Any]:
    text = {
        "labelFontSize": 12,
        "titleFontSize": 12,
        "labelColor": "#1f1f1f",
        "titleColor": "#1f1f1f",
    }
    return {
        "aria": False,
        "background": "#ffffff",
        "font": "sans-serif",
        "axis": {**text, "labelLimit": 0, "titleFontWeight": "normal"},
        "legend": {**text, "orient": "bottom", "direction": "vertical", "labelLimit": 0},
        "view": {"stroke": None},
    }


def _svg(spec: dict[str, Any], label: str) -> Markup:
    import vl_convert

    svg = vl_convert.vegalite_to_svg({**spec, "config": _config()})
    # Coordinates to 2 decimals: smaller, and no long digit run that looks like an ID number.
    svg = _STRIP.sub("", _DIGITS.sub(r"\1", svg))
    svg = _ROOT.sub(
        lambda m: f'<svg{m.group(1)} role="img" aria-label="{_attr(label)}" class="xy-chart"',
        svg,
        count=1,
    )
    return Markup(svg)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def monthly_bars(
    values: list[dict[str, Any]], months: list[str], series: str, label: str
) -> Markup:
    """Stacked bars: records per month, one colour per `series` value."""
    spec = {
        "width": WIDTH,
        "height": 180,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "month",
                "type": "ordinal",
                "title": "公示月份",
                "scale": {"domain": months},
                "axis": {"labelAngle": -90},
            },
            "y": {"field": "count", "type": "quantitative", "title": "条数"},
            "color": {"field": series, "type": "nominal", "title": None},
        },
    }
    return _svg(spec, label)


def monthly_lines(
    values: list[dict[str, Any]], months: list[str], series: str, label: str
) -> Markup:
    """Lines with points: on-time share per month, one line per `series` value."""
    spec = {
        "width": WIDTH,
        "height": 180,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {
                "field": "month",
                "type": "ordinal",
                "title": "公示月份",
                "scale": {"domain": months},
                "axis": {"labelAngle": -90},
            },
            "y": {
                "field": "share",
                "type": "quantitative",
                "title": "按时公示率",
                "scale": {"domain": [0, 1]},
                "axis": {"format": ".0%"},
            },
            "color": {"field": series, "type": "nominal", "title": None},
        },
    }
    return _svg(spec, label)


def text_width(text: str, size: int = 12) -> int:
    """A generous width estimate: a CJK character is one em, anything else 0.6 em."""
    return int(sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)) + 8


def bars(values: list[dict[str, Any]], field: str, title: str, label: str, share: bool) -> Markup:
    """Horizontal bars, one per department (in the given order)."""
    order = [v["name"] for v in values]
    x: dict[str, Any] = {
        "field": field,
        "type": "quantitative",
        "title": title,
        "axis": {"tickCount": 4},
    }
    if share:
        x |= {"scale": {"domain": [0, 1]}, "axis": {"format": ".0%", "tickCount": 4}}
    spec = {
        "width": 140,
        "height": {"step": BAR_STEP},
        "data": {"values": values},
        "mark": {"type": "bar", "color": "#a61b1b"},
        "encoding": {
            "y": {
                "field": "name",
                "type": "nominal",
                "title": None,
                "sort": order,
                "axis": {"minExtent": max(map(text_width, order), default=0)},
            },
            "x": x,
        },
    }
    return _svg(spec, label)
