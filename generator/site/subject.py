"""Subject pages, `/subject/<key>/`, and their 信用报告, `/subject/<key>/credit-report/`.

A subject page opens with a summary (records per column, the latest date of each, any
current entry of an `alert` column highlighted) and lists the records grouped by column,
without repeating the subject. The 信用报告 is the print-ready page (A4 print stylesheet
in site.css): report number, dates, identity, every published field of every record,
the disclosure rules that applied, the page's permanent address with a QR code made at
build time, and what the report is and is not. Natural persons have no subject key, so
no page and no report (spec §5).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import zxingcpp
from markupsafe import Markup

from ..web.kinds import rule_texts
from ..web.model import Dataset
from ..web.urls import subject_slug

REPORT_PREFIX = "XYBG"
# The 信用报告's folder under its subject's. Never "report…": that is the office's own
# internal report, which must not appear in the public tree.
REPORT_DIR = "credit-report"


@dataclass
class Group:
    """One column's records of a subject, newest first."""

    ds: Dataset
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # rid t0 t1 dept date until html

    @property
    def latest(self) -> str:
        return next((r[4] for r in self.rows if r[4]), "")


_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O: read aloud and typed back without doubt


def report_number(key: str, today: dt.date) -> str:
    """Deterministic: the same subject on the same build date has the same number.

    The part after the date is letters only: digits there would join the date's eight
    into a run that can read as an ID number (XYBG-20261122-1031823E did)."""
    digest = hashlib.sha256(f"{key}|{today.isoformat()}".encode()).digest()[:8]
    return f"{REPORT_PREFIX}-{today:%Y%m%d}-{''.join(_LETTERS[b % 24] for b in digest)}"


_QR_PATH = re.compile(r'<path d="([^"]+)"')
_QR_SIZE = re.compile(r'<svg width="(\d+)" height="(\d+)"')


def qr_svg(url: str, scale: int = 3) -> Markup:
    """The QR code of `url` as inline SVG (no service, no image file).

    zxing-cpp (C++) encodes it: one QR code per subject, ~1 ms where a pure-Python encoder
    took 4–10 ms (minutes at a city's 250 000 subjects). Only its module path is kept,
    inside an SVG of our own (no XML prolog, no fixed id repeated across pages)."""
    raw = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_svg(
        add_quiet_zones=True
    )
    size, path = _QR_SIZE.search(raw), _QR_PATH.search(raw)
    if size is None or path is None:  # pragma: no cover - zxing-cpp's SVG layout changed
        raise ValueError("zxing-cpp returned an SVG without a path")
    w, h = int(size.group(1)), int(size.group(2))
    return Markup(
        f'<svg role="img" aria-label="本报告网址的二维码" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {w} {h}" width="{w * scale}" height="{h * scale}" shape-rendering="crispEdges">'
        f'<rect width="{w}" height="{h}" fill="#fff"/><path d="{path.group(1)}"/></svg>'
    )


def subject_context(
    key: str, name: str, groups: list[Group], today: dt.date, site_url: str, rules: dict[str, Any]
) -> dict[str, Any]:
    """What the subject page and its report show."""
    url = f"{site_url}subject/{subject_slug(key)}/{REPORT_DIR}/"
    return {
        "name": name,
        "key": key,
        "groups": groups,
        "alerts": [g for g in groups if g.ds.alert],
        "total": sum(len(g.rows) for g in groups),
        "repairable": any(g.ds.repairable for g in groups),
        "report_no": report_number(key, today),
        "report_url": url,
        "rules": [
            (g.ds.name, g.ds.description, rule_texts(g.ds.schema, rules) if g.ds.schema else [])
            for g in groups
        ],
    }
