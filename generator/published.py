"""What the public may see: the one place a record is decided to be published.

The pipeline's result holds every input row of the drop (rejected, withdrawn, merged and
published, with the office's provenance). The public stages — render (generator/site),
export (generator/opendata), index (generator/search) — and the guard receive only a
`Published` view: per kind, the published rows, already masked, plus the two narrow facts
they need about the rest:

- `gone`: (dataset, id, reason) of each record of the drop that is not published — what
  the publication ledger writes as withdrawn (ids and reason codes, never content);
- `withheld`: 'dataset/id' of each record page that must not exist (the guard looks for
  them by name).

So render, export and index can only ever see published, masked rows: by construction,
not by the order of statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from .columns import ID, PUBLISHED, REASON, REJECTED, STATUS
from .config import Config, Schema

GONE_SCHEMA = {"dataset": pl.Utf8, "id": pl.Utf8, "reason": pl.Utf8}


@dataclass(frozen=True)
class Published:
    """Published, masked records per kind, the build date and the configuration."""

    today: dt.date
    config: Config
    frames: Mapping[str, pl.DataFrame]  # kind id -> its published, masked rows
    gone: pl.DataFrame  # dataset, id, reason: records of the drop not published
    withheld: tuple[str, ...]  # 'dataset/id' pages that must not exist

    @property
    def kinds(self) -> list[Schema]:
        """The kinds the site shows, in the configuration's order."""
        return self.config.datasets()

    def frame(self, kind: str) -> pl.DataFrame:
        return self.frames[kind]

    def gone_of(self, kind: str) -> pl.DataFrame:
        """(id, reason) of one kind's records that are in the drop but not published."""
        return self.gone.filter(pl.col("dataset") == kind).drop("dataset")

    @property
    def count(self) -> int:
        return sum(f.height for f in self.frames.values())


def published_rows() -> pl.Expr:
    """The rule, as a filter over a frame of the pipeline's rows."""
    return pl.col(STATUS) == PUBLISHED


def is_published(status: str) -> bool:
    """The rule, for callers that hold a status as text (report.json rows)."""
    return status == PUBLISHED


def published_view(
    records: Mapping[str, pl.DataFrame], config: Config, today: dt.date
) -> Published:
    """The view of `records` (every row of the drop, with _status) the public stages get."""
    frames = {s.id: records[s.id].filter(published_rows()) for s in config.datasets()}
    gone = pl.concat(
        [_gone(s.id, records[s.id]) for s in config.datasets()], how="vertical"
    ) if config.datasets() else pl.DataFrame(schema=GONE_SCHEMA)  # fmt: skip
    pairs = (
        (s.id, rid, status)
        for s in config.datasets()
        for rid, status in records[s.id].select(ID, STATUS).iter_rows()
    )
    return Published(today, config, frames, gone, tuple(withheld_pages(pairs)))


def _gone(kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    """One row per id not published: the pipeline's reason, or 'rejected' for a bad row."""
    return (
        frame.filter(~published_rows() & pl.col(ID).is_not_null())
        .select(
            pl.lit(kind).alias("dataset"),
            pl.col(ID).alias("id"),
            pl.when(pl.col(STATUS) == REJECTED)
            .then(pl.lit(REJECTED))
            .otherwise(pl.col(REASON))
            .cast(pl.Utf8)
            .alias("reason"),
        )
        .sort("id", "reason")
        .unique("id", keep="first", maintain_order=True)
    )


def withheld_pages(rows: Iterable[tuple[str, str | None, str]]) -> list[str]:
    """'dataset/id' of every record that is not published and not also published.

    `rows`: (dataset, id, status) of every row of a drop — from the records of a build, or
    from the rows of its report.json (generator/publish re-checks a site before upload).
    """
    public: set[tuple[str, str]] = set()
    hidden: set[tuple[str, str]] = set()
    for dataset, rid, status in rows:
        if rid:
            (public if is_published(status) else hidden).add((dataset, rid))
    return sorted(f"{d}/{i}" for d, i in hidden - public)
