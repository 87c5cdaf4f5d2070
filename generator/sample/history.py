"""A year of weekly drops for the 信用监测 demo: `python -m generator sample --weeks 52`.

Writes `out/drop-001/` … `out/drop-NNN/`, each the complete data folder the office would
hold on that week's build day: every 行政处罚 and 行政许可 decision its department had
reported by then. Building them in order (`make demo-history`, dates in `out/weeks.tsv`)
fills the publication ledger week by week, so the 信用监测 figures show real lateness:
some departments report within a day or two, some are always slow, and some fall behind
in the weeks before 春节 and 国庆. Everything depends only on (weeks, records, seed, anchor).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import chinese_calendar

from .drop import Drop
from .files import iso_dates, write_csv
from .licences import XK, XK_DATES, XZXK_CODES, licence_rows
from .penalties import CF, CF_DATES, XZCF_COLUMNS, penalty_rows
from .penalty_templates import PENALTIES
from .words import DEPARTMENTS

# How each department reports (working days from decision to the credit office).
PROMPT, SEASONAL, SLOW = (0, 2), (1, 3), (4, 11)
PROFILE = {"scjg": PROMPT, "sw": PROMPT, "wjw": PROMPT, "zjj": SLOW, "cgzf": SLOW, "rsj": SLOW}
HOLIDAY_DELAY = (6, 12)  # extra working days for SEASONAL departments before long holidays
LONG_HOLIDAYS = {chinese_calendar.Holiday.spring_festival.value,
                 chinese_calendar.Holiday.national_day.value}  # fmt: skip
LEAD_DAYS = 15  # "before the holiday": decisions this many days before it
PENALTY_KINDS = ["uscc-bad-check", "amount-with-unit", "bad-date", "person-no-id", "duplicate",
                 "warning-only"]  # fmt: skip
FILES = ("xzcf/行政处罚.csv", "xzxk/行政许可.csv")


def _is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the calendar does not know: Monday–Friday
        return day.weekday() < 5


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (`day` itself when n is 0)."""
    while n > 0:
        day += dt.timedelta(days=1)
        n -= _is_workday(day)
    return day


def before_long_holiday(day: dt.date) -> bool:
    for k in range(1, LEAD_DAYS + 1):
        try:
            on, name = chinese_calendar.get_holiday_detail(day + dt.timedelta(days=k))
        except NotImplementedError:
            return False
        if on and name in LONG_HOLIDAYS:
            return True
    return False


def reported(rand: random.Random, dept_name: str, decided: object, window: list[int]) -> dt.date:
    """The day a department hands the record to the credit office."""
    if not isinstance(decided, dt.date):  # a defective date: any day of the year
        return dt.date.fromordinal(window[0] + int(rand.random() * (window[1] - window[0])))
    key = next((k for k, v in DEPARTMENTS.items() if v[0] == dept_name), "")
    lo, hi = PROFILE.get(key, SEASONAL)
    lag = rand.randint(lo, hi)
    if key not in PROFILE and before_long_holiday(decided):
        lag += rand.randint(*HOLIDAY_DELAY)
    return add_workdays(decided, lag)


def _rows(
    drop: Drop, records: int
) -> tuple[list[tuple[dt.date, list]], list[tuple[dt.date, list]]]:
    """Every decision of the year with the day it is reported, per file."""
    rand = drop.rng("history/lag")
    window = [drop.start, drop.end]
    n_cf = records * 45 // 100
    penalties = penalty_rows(drop, "history-xzcf", PENALTIES, n_cf, PENALTY_KINDS)
    cf = [(reported(rand, r[CF["处罚机关"]], r[CF["处罚决定日期"]], window), r) for r in penalties]
    licences = licence_rows(drop, "history-xzxk", records - n_cf, ["uscc-bad-check"])
    xk = [(reported(rand, r[XK["XK_XKJG"]], r[XK["XK_JDRQ"]], window), r) for r in licences]
    return cf, xk


def _upto(rows: list[tuple[dt.date, list]], day: dt.date) -> Iterator[list]:
    return (list(r) for when, r in rows if when <= day)


def write_history(
    out: Path, weeks: int, records: int = 2000, seed: int = 0, anchor: dt.date | None = None
) -> dict[str, int]:
    """Write `weeks` weekly drops ending on `anchor`; return rows per written file."""
    anchor = anchor or dt.date.today()
    days = [anchor - dt.timedelta(days=7 * (weeks - k)) for k in range(1, weeks + 1)]
    drop = Drop(records, seed, anchor)
    drop.start = (days[0] - dt.timedelta(days=14)).toordinal()  # decisions of the year only
    cf, xk = _rows(drop, records)
    written: dict[str, int] = {}
    manifest = []
    for k, day in enumerate(days, 1):
        folder = f"drop-{k:03d}"
        for name, header, rows, dates in (
            (FILES[0], XZCF_COLUMNS, cf, CF_DATES),
            (FILES[1], XZXK_CODES, xk, XK_DATES),
        ):
            rel = f"{folder}/{name}"
            written[rel] = write_csv(
                out / rel, "utf-8-sig", header, iso_dates(_upto(rows, day), dates)
            )
        manifest.append(f"{folder}\t{day.isoformat()}\n")
    (out / "weeks.tsv").write_text("".join(manifest), encoding="utf-8")
    return written
