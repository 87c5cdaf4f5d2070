"""Figures from the per-record frame: per department, per kind, per month, ranked.

Every table is a polars frame with English column names; templates and CSV files put the
Chinese labels on them (LABELS). Counts follow the report's accounting, so a department
table always adds up: received = published + withdrawn + rejected + merged.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..columns import MERGED, PUBLISHED, REJECTED, WITHDRAWN

LABELS = {
    "dept": "部门",
    "kind": "类别",
    "month": "月份",
    "received": "读入",
    "published": "公示",
    "withdrawn": "撤下",
    "rejected": "拒收",
    "merged": "合并",
    "measured": "可计时",
    "late": "逾期",
    "late_share": "逾期率",
    "on_time_share": "按时率",
    "median_days": "中位工作日",
    "max_days": "最长工作日",
    "completeness": "完整度",
    "rejected_share": "拒收率",
    "reason": "原因代码",
    "count": "条数",
}


def _counts() -> list[pl.Expr]:
    status = pl.col("status")
    measured = pl.col("measured")
    days = pl.col("days").filter(measured)
    return [
        pl.len().alias("received"),
        (status == PUBLISHED).sum().alias("published"),
        (status == WITHDRAWN).sum().alias("withdrawn"),
        (status == REJECTED).sum().alias("rejected"),
        (status == MERGED).sum().alias("merged"),
        measured.sum().alias("measured"),
        (pl.col("late") & measured).sum().alias("late"),
        days.median().alias("median_days"),
        days.max().alias("max_days"),
        pl.col("filled").mean().alias("completeness"),
    ]


def _shares(frame: pl.DataFrame) -> pl.DataFrame:
    def share(num: str, den: str) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))

    return frame.with_columns(
        share("late", "measured").alias("late_share"),
        (1 - share("late", "measured")).alias("on_time_share"),
        share("rejected", "received").alias("rejected_share"),
    )


def grouped(rows: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """The standard figures per group, sorted by the group keys (one row when `by` is [])."""
    if not by:
        return _shares(rows.select(_counts()))
    return _shares(rows.group_by(by).agg(_counts()).sort(by))


def departments(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per department, over every row of the drop."""
    return grouped(rows, ["dept"])


def rejected_reasons(rows: pl.DataFrame) -> pl.DataFrame:
    """dept, reason, count of rejected rows, most first."""
    return (
        rows.filter(pl.col("status") == REJECTED)
        .group_by("dept", "reason")
        .agg(pl.len().alias("count"))
        .sort(["dept", "count", "reason"], descending=[False, True, False])
    )


def ranked_late(table: pl.DataFrame) -> pl.DataFrame:
    """Departments with late records, latest first (share, then count, then worst)."""
    return table.filter(pl.col("late") > 0).sort(
        ["late_share", "late", "max_days", "dept"], descending=[True, True, True, False]
    )


def ranked_rejected(table: pl.DataFrame) -> pl.DataFrame:
    """Departments with rejected rows, most rejected first."""
    return table.filter(pl.col("rejected") > 0).sort(
        ["rejected_share", "rejected", "dept"], descending=[True, True, False]
    )


def months_back(today: dt.date, n: int) -> list[str]:
    """The last `n` months up to today's, oldest first, as YYYY-MM."""
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def in_months(months: list[str]) -> pl.Expr:
    """Rows published in one of `months` (YYYY-MM)."""
    return pl.col("month_key").is_in([int(m[:4]) * 100 + int(m[5:]) for m in months])


def monthly(rows: pl.DataFrame, by: list[str], months: list[str]) -> pl.DataFrame:
    """Figures per publication month (and `by`), over records that reached the public."""
    frame = grouped(rows.filter(in_months(months)), ["month_key", *by])
    month = pl.format(
        "{}-{}",
        pl.col("month_key") // 100,
        (pl.col("month_key") % 100).cast(pl.Utf8).str.zfill(2),
    )
    return frame.select(month.alias("month"), pl.exclude("month_key"))
