"""The office's view: the department table atop the report, and the monthly 通报 draft."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from markupsafe import Markup

from ..issues import codes
from ..web.templating import template
from . import figures as F

if TYPE_CHECKING:
    from . import Monitor

LATE_LINES = 200  # late records listed in the report, worst first
RANK_LINES = 10
MARK = re.compile(r"^<!-- 自动生成：sha256 ([0-9a-f]{64}) -->\n")


def pct(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def num(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def table_rows(frame: pl.DataFrame, key: str, names: dict[str, str] | None = None) -> list[dict]:
    """Rows for the templates: counts as they are, shares and days formatted."""
    out = []
    for r in frame.iter_rows(named=True):
        label = r[key] if names is None else names.get(r[key], r[key])
        out.append(
            {
                **r,
                "name": label,
                "late_pct": pct(r["late_share"]),
                "rejected_pct": pct(r["rejected_share"]),
                "filled_pct": pct(r["completeness"]),
                "median": num(r["median_days"]),
                "max": num(r["max_days"]),
            }
        )
    return out


def stopping_errors(monitor: Monitor) -> list[dict[str, Any]]:
    """Error codes that stopped rows from being published, most rows first."""
    spec = codes()
    counted = Counter(
        i.code for i in monitor.result.issues if i.severity == "error" and i.row is not None
    )
    whole = Counter(
        i.code for i in monitor.result.issues if i.severity == "error" and i.row is None
    )
    out = []
    for code in sorted(set(counted) | set(whole), key=lambda c: (-counted[c], -whole[c], c)):
        first = next(i for i in monitor.result.issues if i.code == code)
        out.append(
            {
                "code": code,
                "title": spec[code]["title"],
                "rows": counted[code],
                "files": whole[code],
                "fix": first.fix,
            }
        )
    return out


def late_lines(monitor: Monitor) -> tuple[list[dict[str, Any]], int]:
    """The latest records (worst first, at most LATE_LINES) and how many are late in all."""
    late = monitor.rows.filter(pl.col("late") & pl.col("measured"))
    names = monitor.names()
    top = late.sort(["days", "file", "row"], descending=[True, False, False]).head(LATE_LINES)
    lines = [
        {
            **r,
            "kind": names.get(r["dataset"], r["dataset"]),
            "decided": r["decided"].isoformat(),
            "public": r["public"].isoformat(),
            "source": "报送时间" if r["submitted"] is not None else "首次公示",
        }
        for r in top.iter_rows(named=True)
    ]
    return lines, late.height


def office_html(monitor: Monitor) -> Markup:
    depts = monitor.departments()
    total = F.grouped(monitor.rows, []).with_columns(pl.lit("合计").alias("dept"))
    lines, n_late = late_lines(monitor)
    months = monitor.months()
    trend = F.monthly(monitor.rows, [], months)
    reasons = F.rejected_reasons(monitor.rows)
    rejected = {
        d: [(r, n) for _, r, n in g.iter_rows()]
        for (d,), g in reasons.group_by("dept", maintain_order=True)
    }
    html = template("monitor/office.html").render(
        depts=table_rows(depts, "dept"),
        total=table_rows(total, "dept")[0] if total.height else None,
        kinds=table_rows(monitor.kinds(), "dataset", monitor.names()),
        late_rank=table_rows(F.ranked_late(depts).head(RANK_LINES), "dept"),
        rejected_rank=table_rows(F.ranked_rejected(depts).head(RANK_LINES), "dept"),
        rejected=rejected,
        errors=stopping_errors(monitor),
        late=lines,
        n_late=n_late,
        n_unmeasured=monitor.rows.filter(
            pl.col("public").is_not_null() & ~pl.col("measured")
        ).height,
        trend=table_rows(trend, "month"),
        deadlines=monitor.settings,
        other_deadlines=[
            (monitor.names().get(ds, ds), n)
            for ds, n in monitor.settings.per_dataset
            if n != monitor.settings.working_days
        ],
        calendar_note=monitor.calendar.note(),
    )
    return Markup(html)


def draft_text(monitor: Monitor, month: str) -> str:
    """The month's 通报 in Markdown: figures per department, ready for the office to edit."""
    frame = F.monthly(monitor.rows, ["dept"], [month])
    ranked = F.ranked_late(frame)
    rejected = F.ranked_rejected(monitor.departments())
    return template("monitor/tongbao.md").render(
        month=month,
        year=month[:4],
        mon=int(month[5:]),
        today=monitor.result.today,
        site=(monitor.config.site.get("office") or {}).get("name", ""),
        rows=table_rows(frame, "dept"),
        late=table_rows(ranked, "dept"),
        rejected=table_rows(rejected.head(RANK_LINES), "dept"),
        settings=monitor.settings,
        calendar_note=monitor.calendar.note(),
    )


def write_draft(monitor: Monitor, work: Path) -> Path | None:
    """Write 通报/<month>.md for the last full month; keep a draft the office has edited.

    The file starts with a hash of its generated body; when the body no longer matches
    (someone edited it) the draft is left alone and None is returned.
    """
    from . import previous_month

    month = previous_month(monitor.result.today)
    path = work / "通报" / f"{month}.md"
    if path.is_file():
        old = path.read_text(encoding="utf-8")
        mark = MARK.match(old)
        if not mark or hashlib.sha256(old[mark.end() :].encode()).hexdigest() != mark.group(1):
            return None
    body = draft_text(monitor, month)
    digest = hashlib.sha256(body.encode()).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!-- 自动生成：sha256 {digest} -->\n{body}", encoding="utf-8")
    return path
