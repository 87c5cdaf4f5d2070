"""The publication ledger: an append-only log of what was published, changed and withdrawn.

One CSV line per event — build number, build date, dataset, record id, event, content hash
(added/changed) or reason code (withdrawn). It holds ids, dates, hashes and codes only,
never a name or any other field, so it can itself be public: it is written to
`/downloads/ledger.csv` and read back at the next build (see README, "Publication ledger").

History never restarts silently (`previous_ledger`): wherever a previous publication is
found, its ledger must be read, or the build stops; starting from nothing needs the
explicit `--first-publication`, and is refused when a previous publication exists.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import urllib.request
from pathlib import Path

import polars as pl

from .fields import Field

ADDED, CHANGED, WITHDRAWN = "added", "changed", "withdrawn"
EVENTS = (ADDED, CHANGED, WITHDRAWN)
# Reasons a record leaves that the pipeline's own codes do not cover.
REMOVED, REJECTED = "removed", "rejected"
SCHEMA = {
    "build": pl.Int64,
    "date": pl.Date,
    "dataset": pl.Utf8,
    "id": pl.Utf8,
    "event": pl.Utf8,
    "hash": pl.Utf8,
    "reason": pl.Utf8,
}
REL = "downloads/ledger.csv"


class LedgerError(Exception):
    """The previous ledger was asked for but cannot be read: history must not restart."""


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def read_ledger(source: str | Path | None) -> pl.DataFrame:
    """The ledger at `source` (a path or an http(s) URL); an empty one when `source` is None."""
    if source is None:
        return empty()
    text = str(source)
    try:
        if text.startswith(("http://", "https://")):
            with urllib.request.urlopen(text, timeout=60) as resp:  # noqa: S310 (configured)
                data = resp.read()
        else:
            data = Path(text).read_bytes()
    except OSError as exc:
        raise LedgerError(f"无法读取上次构建的发布台账 {text}：{exc}") from exc
    try:
        frame = pl.read_csv(io.BytesIO(data), schema=SCHEMA)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise LedgerError(f"发布台账 {text} 格式不对：{exc}") from exc
    bad = frame.filter(~pl.col("event").is_in(EVENTS) | pl.col("id").is_null())
    if bad.height:
        raise LedgerError(f"发布台账 {text} 中有 {bad.height} 行无法识别")
    return frame


def previous_ledger(
    out: Path, explicit: str | None, urls: list[str], first: bool
) -> tuple[pl.DataFrame, str | None]:
    """The previous publication's ledger and where it came from (None: first publication).

    Looked for in order: `explicit` (--ledger); the site in `out` and the copies a killed
    swap may have left beside it (`.<out>.*-old`/`-new`); `urls` (publish.ledger_url). A
    site found there without a readable ledger stops the build (LedgerError), as does no
    ledger anywhere without `first`, or `first` when a ledger exists.
    """
    from ..fsutil import backups

    found: str | None = explicit
    if found is None:
        for site in [out, *backups(out)]:
            if (site / REL).is_file():
                found = str(site / REL)
                break
            if site.is_dir() and any(site.iterdir()):
                raise LedgerError(
                    f"{site} 中有上次发布的网站，但缺少 {REL}：发布台账不能从头开始。"
                    "请用 --ledger 指定上次发布的台账（可用 publish --pull-ledger 从发布目标取回）"
                )
    found = found or (urls[0] if urls else None)
    if found is not None and first:
        raise LedgerError(f"已有上次发布的台账 {found}，这不是首次发布：请去掉 --first-publication")
    if found is None and not first:
        raise LedgerError(
            f"没有找到上次发布的台账（{out / REL} 不存在，也没有用 --ledger 指定）。"
            "如果网站已经发布过，请先用 publish --pull-ledger 取回台账再用 --ledger 指定；"
            "如果确实是第一次发布，请加 --first-publication"
        )
    return read_ledger(found), found


def content_hashes(frame: pl.DataFrame, fields: list[Field]) -> list[str]:
    """A short hash of each row's published content (every field but the id and URL).

    hashlib rather than polars' own hash: it must stay the same across library versions.
    Base32, not hex: a hex string can hold a run of 15 digits that looks like an ID number.
    """
    if frame.height == 0:
        return []
    parts = [
        pl.col(f.name).cast(pl.Utf8).fill_null("\x00")
        for f in fields
        if f.type not in ("id", "url")
    ]
    joined = frame.select(pl.concat_str(parts, separator="\x1f")).to_series()
    sha = hashlib.sha256
    digests = b"".join([sha(s.encode()).digest()[:10] for s in joined])
    # 10 bytes are 16 base32 characters, no padding: one encode for every row at once.
    text = base64.b32encode(digests).decode().lower()
    return [text[i : i + 16] for i in range(0, len(text), 16)]


def state(ledger: pl.DataFrame) -> pl.DataFrame:
    """The last event of every (dataset, id), with its latest content hash."""
    if ledger.height == 0:
        return pl.DataFrame(schema={"dataset": pl.Utf8, "id": pl.Utf8, "event": pl.Utf8,
                                    "hash": pl.Utf8})  # fmt: skip
    return ledger.group_by("dataset", "id", maintain_order=True).agg(
        pl.col("event").last(), pl.col("hash").drop_nulls().last()
    )


def update(
    ledger: pl.DataFrame, current: pl.DataFrame, gone: pl.DataFrame, today: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Append this build's events; return (new ledger, this build's events).

    `current`: dataset, id, hash of every published record; `gone`: dataset, id, reason of
    records present in the drop but not published (withdrawn or rejected rows).
    """
    last = state(ledger).filter(pl.col("event") != WITHDRAWN)
    build = int(ledger.get_column("build").max() or 0) + 1  # type: ignore[arg-type]
    added = current.join(last, on=["dataset", "id"], how="anti").with_columns(
        pl.lit(ADDED).alias("event"), pl.lit(None, dtype=pl.Utf8).alias("reason")
    )
    changed = (
        current.join(
            last.select("dataset", "id", pl.col("hash").alias("_old")), on=["dataset", "id"]
        )  # fmt: skip
        .filter(pl.col("hash") != pl.col("_old").fill_null(""))
        .drop("_old")
        .with_columns(pl.lit(CHANGED).alias("event"), pl.lit(None, dtype=pl.Utf8).alias("reason"))
    )
    withdrawn = (
        last.join(current, on=["dataset", "id"], how="anti")
        .select("dataset", "id")
        .join(gone, on=["dataset", "id"], how="left")
        .with_columns(
            pl.lit(WITHDRAWN).alias("event"),
            pl.lit(None, dtype=pl.Utf8).alias("hash"),
            pl.col("reason").fill_null(REMOVED),
        )
    )
    cols = ["dataset", "id", "event", "hash", "reason"]
    events = (
        pl.concat([added.select(cols), changed.select(cols), withdrawn.select(cols)])
        .sort(["dataset", "event", "id"])
        .select(
            pl.lit(build, dtype=pl.Int64).alias("build"),
            pl.lit(today, dtype=pl.Date).alias("date"),
            *cols,
        )
    )
    if events.height == 0:
        return ledger, events
    return pl.concat([ledger, events]), events


def first_published(ledger: pl.DataFrame) -> pl.DataFrame:
    """dataset, id, first (first published), updated (last added/changed), added (build)."""
    live = ledger.filter(pl.col("event") != WITHDRAWN)
    added = pl.col("event") == ADDED
    return live.group_by("dataset", "id").agg(
        pl.col("date").filter(added).min().alias("first"),
        pl.col("date").max().alias("updated"),
        pl.col("build").filter(added).max().alias("added"),
    )


def write_ledger(ledger: pl.DataFrame, path: Path) -> None:
    ledger.write_csv(path, date_format="%Y-%m-%d")
