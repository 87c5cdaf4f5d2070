"""The public 信用监测 page (/jiance/): volume and timeliness over the last 12 months.

Which parts appear is configuration (site.yml `monitoring.public`: per_kind,
per_department, or none). Each chart sits beside its table, with the figures as CSV.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import polars as pl

from ..web.chrome import Chrome
from ..web.shell import Shell
from ..web.writer import TreeWriter
from . import charts
from . import figures as F
from .office import pct

if TYPE_CHECKING:
    from . import Monitor

URL = "jiance/"
CSV_COLUMNS = ["received", "measured", "late", "on_time_share", "median_days", "max_days"]
CSV_LABELS = {**F.LABELS, "received": "公示条数"}


def csv_bytes(frame: pl.DataFrame, keys: dict[str, str]) -> bytes:
    """The figures as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    out = frame.select(
        *[pl.col(k).alias(label) for k, label in keys.items()],
        *[
            pl.col(c).round(4).alias(CSV_LABELS[c])
            if c.endswith("share")
            else pl.col(c).alias(CSV_LABELS[c])
            for c in CSV_COLUMNS
        ],
    )
    buf = io.BytesIO()
    out.write_csv(buf)
    return b"\xef\xbb\xbf" + buf.getvalue()


def matrix(
    frame: pl.DataFrame, months: list[str], series: list[str], key: str, show: Any
) -> list[list[str]]:
    """Rows month by month, one cell per series value (`show` formats a figures row)."""
    cells = {(r["month"], r[key]): r for r in frame.iter_rows(named=True)}
    return [[m, *[show(cells.get((m, s))) for s in series]] for m in months]


def _count(r: dict[str, Any] | None) -> str:
    return str(r["received"]) if r else "0"


def _share(r: dict[str, Any] | None) -> str:
    return pct(r["on_time_share"]) if r and r["measured"] else "—"


def per_kind(monitor: Monitor, writer: TreeWriter, months: list[str]) -> dict[str, Any]:
    names = monitor.names()
    frame = F.monthly(monitor.rows, ["dataset"], months).with_columns(
        pl.col("dataset").replace_strict(names, default=pl.col("dataset")).alias("kind")
    )
    order = [n for n in names.values() if n in set(frame.get_column("kind"))]
    counts = [
        {"month": r["month"], "kind": r["kind"], "count": r["received"]}
        for r in frame.iter_rows(named=True)
    ]
    shares = [
        {"month": r["month"], "kind": r["kind"], "share": r["on_time_share"]}
        for r in frame.iter_rows(named=True)
        if r["measured"]
    ]
    writer.write(f"{URL}per-kind-month.csv", csv_bytes(frame, {"month": "月份", "kind": "类别"}))
    span = f"{months[0]}至{months[-1]}"
    return {
        "kinds": order,
        "volume_svg": charts.monthly_bars(counts, months, "kind", f"{span}各类信息每月公示条数"),
        "volume_rows": matrix(frame, months, order, "kind", _count),
        "share_svg": charts.monthly_lines(shares, months, "kind", f"{span}各类信息每月按时公示率"),
        "share_rows": matrix(frame, months, order, "kind", _share),
        "csv": "per-kind-month.csv",
    }


def per_department(monitor: Monitor, writer: TreeWriter, months: list[str]) -> dict[str, Any]:
    public = monitor.rows.filter(F.in_months(months))
    frame = F.grouped(public, ["dept"]).sort(["received", "dept"], descending=[True, False])
    rows = [
        {
            "name": r["dept"],
            "count": r["received"],
            "share": r["on_time_share"],
            "share_text": _share(r),
            "median": "—" if r["median_days"] is None else f"{r['median_days']:g}",
        }
        for r in frame.iter_rows(named=True)
    ]
    writer.write(f"{URL}per-department.csv", csv_bytes(frame, {"dept": "部门"}))
    span = f"{months[0]}至{months[-1]}"
    timed = [r for r in rows if r["share"] is not None]
    return {
        "rows": rows,
        "volume_svg": charts.bars(rows, "count", "公示条数", f"{span}各部门公示条数", False)
        if rows
        else "",
        "share_svg": charts.bars(timed, "share", "按时公示率", f"{span}各部门按时公示率", True)
        if timed
        else "",
        "csv": "per-department.csv",
    }


def write_public(monitor: Monitor, writer: TreeWriter, chrome: Chrome) -> list[str]:
    """Write /jiance/ and its CSV files; nothing when the office publishes no figures."""
    parts = monitor.settings.public
    if not parts:
        return []
    months = monitor.months()
    pages = Shell(chrome, writer, monitor.result.today)
    pages.page(
        URL,
        ["monitor/public.html"],
        "-",
        months=months,
        deadline=monitor.settings.working_days,
        kind=per_kind(monitor, writer, months) if "per_kind" in parts else None,
        dept=per_department(monitor, writer, months) if "per_department" in parts else None,
        today=monitor.result.today,
    )
    return [URL]
