"""Working days after the State Council holiday calendar (statutory holidays, 调休 weekends).

`chinese_calendar` knows the years the State Council has announced; a year it does not
know falls back to Monday–Friday and is reported, so the office can say so. The calendar
is built once per build as a table (day → working days counted so far); records are then
timed with two joins, never one Python call per record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import chinese_calendar
import polars as pl

MAX_SPAN_DAYS = 100 * 366  # a calendar longer than a century is a data error, not history


@dataclass
class WorkCalendar:
    """day → number of working days from the first day up to and including it."""

    table: pl.DataFrame  # day (Date), n (Int64)
    fallback_years: list[int] = field(default_factory=list)  # counted Monday–Friday

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> WorkCalendar:
        if end < start:
            start, end = end, start
        if (end - start).days > MAX_SPAN_DAYS:
            start = end - dt.timedelta(days=MAX_SPAN_DAYS)
        # chinese_calendar.is_workday's own rule, over its tables, for the whole range at once.
        holidays, workdays = chinese_calendar.holidays, chinese_calendar.workdays
        known = (min(holidays).year, max(holidays).year)
        day = pl.col("day")
        table = pl.DataFrame({"day": pl.date_range(start, end, "1d", eager=True)}).with_columns(
            (day.is_in(list(workdays)) | ((day.dt.weekday() <= 5) & ~day.is_in(list(holidays))))
            .cast(pl.Int64)
            .cum_sum()
            .alias("n")
        )
        years = table.get_column("day").dt.year().unique().sort().to_list()
        return cls(table, [y for y in years if not known[0] <= y <= known[1]])

    def working_days(self, frame: pl.DataFrame, start: str, end: str, out: str) -> pl.DataFrame:
        """Add column `out`: working days after `start` up to and including `end` (≥ 0).

        A decision on a Friday published the next Monday took 1 working day; published
        the same day, 0. Rows whose dates fall outside the calendar get null. The table
        holds every day of its range, so a day's count is a lookup by position.
        """
        first = self.table.get_column("day")[0]
        counts = self.table.get_column("n")
        last = len(counts) - 1

        def count(col: str) -> pl.Expr:
            pos = (pl.col(col) - pl.lit(first)).dt.total_days()
            return pl.lit(counts).gather(pl.when(pos.is_between(0, last)).then(pos))

        return frame.with_columns((count(end) - count(start)).clip(lower_bound=0).alias(out))

    def note(self) -> str:
        """The report's sentence about years counted without the holiday calendar."""
        if not self.fallback_years:
            return ""
        years = "、".join(str(y) for y in self.fallback_years)
        return (
            f"{years}年的法定节假日与调休安排尚未收录（chinesecalendar {_version()}），"
            "这些年份按周一至周五计算工作日；升级该软件包后重新构建即可更正。"
        )


def _version() -> str:
    from importlib.metadata import version

    return version("chinesecalendar")
