"""Per record: who decided it, when, when it first reached the public, and how late.

The publication date of a record is, in this order: the drop's own 报送/入库 time (the
schema column with `role: submitted`), the first day the publication ledger saw it
published (an `added` event: the ledger is append-only, so that date survives rebuilds
and withdrawals), or today for a record this build publishes for the first time. A record
first seen by the ledger's very first build carries no usable date (it may have been
public long before the ledger began) and is left out of the timeliness figures.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..columns import FILE, ID, MERGED, PUBLISHED, REASON, REJECTED, ROW, SHEET, STATUS, WITHDRAWN
from ..config import Config, Schema
from ..opendata.ledger import ADDED
from ..pipeline import Result
from .calendar import WorkCalendar

SUBMITTED_ROLE = "submitted"
NO_DEPT = "（未填写部门）"
STATUSES = (PUBLISHED, WITHDRAWN, REJECTED, MERGED)
PUBLIC_PARTS = ("per_kind", "per_department")


@dataclass(frozen=True)
class Settings:
    """site.yml `monitoring:` — the rule, and which figures the public page shows."""

    working_days: int = 7
    per_dataset: tuple[tuple[str, int], ...] = ()
    public: tuple[str, ...] = PUBLIC_PARTS
    months: int = 12

    @classmethod
    def from_config(cls, config: Config) -> Settings:
        raw: dict[str, Any] = dict(config.site.get("monitoring") or {})
        public = raw.get("public", list(PUBLIC_PARTS))
        if isinstance(public, str):
            public = [] if public == "none" else [public]
        deadlines = dict(raw.get("deadlines") or {})
        return cls(
            working_days=int(raw.get("working_days", 7)),
            per_dataset=tuple(sorted((str(k), int(v)) for k, v in deadlines.items())),
            public=tuple(p for p in PUBLIC_PARTS if p in public),
            months=int(raw.get("months", 12)),
        )

    def deadline(self, dataset: str) -> int:
        return dict(self.per_dataset).get(dataset, self.working_days)


def _key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def directory(config: Config) -> dict[str, str]:
    """Department directory (site.yml `departments:`): any written form → normalised name.

    Accepts a list of names or of {name, aliases}, or a mapping name → aliases (or → a
    mapping with `aliases`), so it reads the directory however the site file spells it.
    """
    known = getattr(config, "departments", None)  # the office's directory (generator/departments)
    if known is not None and hasattr(known, "names"):
        return dict(known.names())
    raw = config.site.get("departments") or []
    entries: list[tuple[str, list[str]]] = []
    if isinstance(raw, dict):
        for name, spec in raw.items():
            aliases = spec.get("aliases", []) if isinstance(spec, dict) else spec
            entries.append((str(name), [str(a) for a in aliases or []]))
    else:
        for item in raw:
            if isinstance(item, dict) and item.get("name"):
                more = list(item.get("aliases") or []) + [item.get("short") or ""]
                entries.append((str(item["name"]), [str(a) for a in more if a]))
            elif isinstance(item, str):
                entries.append((item, []))
    out: dict[str, str] = {}
    for name, aliases in entries:
        for written in (name, *aliases):
            out.setdefault(_key(written), name)
    return out


def _dept(schema: Schema, frame: pl.DataFrame, names: dict[str, str]) -> pl.Expr:
    """The department as named in the directory, else as written (NFKC, trimmed).

    Worked out once per distinct value (a city has tens of departments, not millions).
    """
    col = schema.role("department")
    if col is None:
        return pl.lit(NO_DEPT)
    raw = frame.get_column(col).cast(pl.Utf8).unique().drop_nulls()
    written = raw.str.normalize("NFKC").str.strip_chars()
    shown = {}
    for r, w in zip(raw.to_list(), written.to_list(), strict=True):
        shown[r] = names.get(_key(w), w) if w else NO_DEPT
    return pl.col(col).cast(pl.Utf8).replace_strict(shown, default=NO_DEPT, return_dtype=pl.Utf8)


def _filled(schema: Schema, frame: pl.DataFrame) -> pl.Expr:
    """Share of the standard's optional columns this row fills (1.0 when it has none)."""
    optional = [
        c.key
        for c in schema.columns
        if not c.required and not c.standard and not c.source_only and c.role != SUBMITTED_ROLE
    ]
    if not optional:
        return pl.lit(1.0)
    parts = [
        pl.col(k).str.len_bytes().fill_null(0) > 0
        if frame.schema[k] == pl.Utf8
        else pl.col(k).is_not_null()
        for k in optional
    ]
    return pl.sum_horizontal([p.cast(pl.Int32) for p in parts]) / len(optional)


def _own(schema: Schema, frame: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """The columns monitoring needs from one dataset's frame."""
    date, sub = schema.role("date"), schema.role(SUBMITTED_ROLE)
    none = pl.lit(None, dtype=pl.Date)
    return frame.select(
        pl.lit(schema.id).alias("dataset"),
        pl.col(ID).cast(pl.Utf8).alias("id"),
        _dept(schema, frame, names).alias("dept"),
        (pl.col(date).cast(pl.Date) if date else none).alias("decided"),
        (pl.col(sub).cast(pl.Date) if sub else none).alias("submitted"),
        pl.col(STATUS).alias("status"),
        pl.col(REASON).cast(pl.Utf8).alias("reason"),
        _filled(schema, frame).cast(pl.Float64).alias("filled"),
        pl.col(FILE).alias("file"),
        pl.col(SHEET).cast(pl.Utf8).alias("sheet"),
        pl.col(ROW).cast(pl.Int64).alias("row"),
    )


def first_seen(ledger: pl.DataFrame) -> tuple[pl.DataFrame, dt.date | None]:
    """(dataset, id, seen: first `added` date) and the ledger's first build date."""
    start = ledger.get_column("date").min() if ledger.height else None
    seen = (
        ledger.filter(pl.col("event") == ADDED)
        .group_by("dataset", "id")
        .agg(pl.col("date").min().alias("seen"))
    )  # one row per record
    return seen, start  # type: ignore[return-value]


def record_times(
    result: Result, config: Config, ledger: pl.DataFrame, settings: Settings
) -> tuple[pl.DataFrame, WorkCalendar]:
    """Every input row with dept, dates, working days and whether it was late.

    Columns: dataset, id, dept, decided, submitted, status, reason, filled, file, sheet,
    row, seen, public (publication date), measured, days, deadline, late, month_key (YYYY·100
    + MM of the publication date).
    """
    names = directory(config)
    frames = [_own(s, result.records[s.id], names) for s in config.datasets()]
    rows = pl.concat(frames, how="vertical_relaxed")
    seen, start = first_seen(ledger)
    today = result.today
    rows = rows.join(seen, on=["dataset", "id"], how="left", maintain_order="left")
    shown = pl.col("status").is_in([PUBLISHED, WITHDRAWN])
    new = pl.when(pl.col("status") == PUBLISHED).then(pl.lit(today))
    rows = rows.with_columns(
        pl.when(shown).then(pl.coalesce("submitted", "seen", new)).alias("public"),
        pl.col("dataset")
        .replace_strict(
            dict(settings.per_dataset), default=settings.working_days, return_dtype=pl.Int64
        )
        .alias("deadline"),
    )
    first = pl.col("seen").fill_null(today)
    after_start = first > pl.lit(start or today)
    rows = rows.with_columns(
        (
            pl.col("public").is_not_null()
            & pl.col("decided").is_not_null()
            & (pl.col("submitted").is_not_null() | after_start)
        ).alias("measured")
    )
    cal = _calendar(rows, today)
    rows = cal.working_days(rows, "decided", "public", "days")
    rows = rows.with_columns(
        pl.when(pl.col("measured")).then(pl.col("days")).alias("days")
    ).with_columns(
        (pl.col("days") > pl.col("deadline")).fill_null(False).alias("late"),
        (pl.col("public").dt.year() * 100 + pl.col("public").dt.month()).alias("month_key"),
    )
    return rows, cal


def _calendar(rows: pl.DataFrame, today: dt.date) -> WorkCalendar:
    measured = rows.filter(pl.col("measured"))
    lo = measured.get_column("decided").min() if measured.height else None
    hi = measured.get_column("public").max() if measured.height else None
    start = lo if isinstance(lo, dt.date) else today
    end = hi if isinstance(hi, dt.date) else today
    return WorkCalendar.between(start, max(end, today))
