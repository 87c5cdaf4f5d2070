"""Stage: monitor (信用监测) — how each department is doing on 双公示.

Per record: decision date, the day it first reached the public (the drop's own 报送/入库
time, else the publication ledger's first `added` date, else today), and the working days
between them (State Council calendar). Per department and per kind: received, published,
rejected by reason, late (count, share, median and worst), completeness, trend per month.

Outputs: an HTML partial at the top of the office report, a monthly 通报 draft in the work
folder (never published), and the public /jiance/ page with SVG charts, tables and CSV.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from markupsafe import Markup

from ..config import Config
from ..pipeline import Result
from ..web.chrome import Chrome
from ..web.writer import TreeWriter
from . import figures as F
from .calendar import WorkCalendar
from .records import Settings, record_times

__all__ = ["Monitor", "Settings"]


@dataclass
class Monitor:
    """The figures of one build; `rows` holds one line per input row."""

    result: Result
    config: Config
    settings: Settings
    rows: pl.DataFrame
    calendar: WorkCalendar
    timings: dict[str, float] = field(default_factory=dict)
    cache: dict[str, pl.DataFrame] = field(default_factory=dict)

    @classmethod
    def compute(cls, result: Result, config: Config, ledger: pl.DataFrame) -> Monitor:
        """Time every record against `ledger` (the previous build's publication ledger)."""
        start = time.perf_counter()
        settings = Settings.from_config(config)
        rows, cal = record_times(result, config, ledger, settings)
        monitor = cls(result, config, settings, rows, cal)
        monitor.timings["records"] = time.perf_counter() - start
        return monitor

    # ------------------------------------------------------------------ figures

    def departments(self) -> pl.DataFrame:
        """Figures per department over every row of the drop (computed once)."""
        if "departments" not in self.cache:
            self.cache["departments"] = F.departments(self.rows)
        return self.cache["departments"]

    def kinds(self) -> pl.DataFrame:
        return F.grouped(self.rows, ["dataset"])

    def months(self) -> list[str]:
        return F.months_back(self.result.today, self.settings.months)

    def names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.config.datasets()}

    # ------------------------------------------------------------------ outputs

    def office_html(self) -> Markup:
        """The partial that opens the office report (generator/templates/monitor/office.html)."""
        from .office import office_html

        start = time.perf_counter()
        html = office_html(self)
        self.timings["office"] = time.perf_counter() - start
        return html

    def write_draft(self, work: Path) -> Path | None:
        """Write the 通报 draft for the last full month into `work`/通报/ (never published)."""
        from .office import write_draft

        start = time.perf_counter()
        path = write_draft(self, work)
        self.timings["draft"] = time.perf_counter() - start
        return path

    def write(self, writer: TreeWriter, chrome: Chrome) -> list[str]:
        """The public /jiance/ page and its CSV files; returns its URL for the sitemap."""
        from .public import write_public

        start = time.perf_counter()
        urls = write_public(self, writer, chrome)
        self.timings["public"] = time.perf_counter() - start
        return urls

    def line(self) -> str:
        """One line for the CLI."""
        d = self.rows.filter(pl.col("measured"))
        late = int(d.get_column("late").sum()) if d.height else 0
        spent = sum(self.timings.values())
        note = f"; {self.note_line()}" if self.calendar.fallback_years else ""
        return f"monitor: {d.height} records timed, {late} late, {spent:.1f} s{note}"

    def note_line(self) -> str:
        years = self.calendar.fallback_years
        return f"fallback Mon–Fri for {','.join(map(str, years))}" if years else ""


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"
