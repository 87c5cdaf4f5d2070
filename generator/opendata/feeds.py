"""Atom feeds of newly published records, one per dataset, at /feeds/<dataset>.xml.

Entry ids are the records' permanent URLs (stable across rebuilds); entry dates come from
the publication ledger, so a feed reader sees a record once, on the day it went public.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from feedgen.feed import FeedGenerator

from ..columns import ID
from ..config import Schema
from ..web.templating import cn_date
from ..web.urls import feed_rel, record_href

FEED_ENTRIES = 50
CST = dt.timezone(dt.timedelta(hours=8))  # dates are Beijing dates


def _stamp(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CST)


def titles(published: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """id, title (as on the record page), department and date of each published record."""
    keys = [k for k in schema.title if k in schema.by_key][:2]
    parts = [pl.col(k).cast(pl.Utf8).fill_null("") for k in keys] or [pl.col(ID)]
    title = pl.concat_str(parts, separator="：").str.strip_chars("：")
    dept, date = schema.role("department"), schema.role("date")
    return published.select(
        pl.col(ID).alias("id"),
        pl.when(title == "").then(pl.col(ID)).otherwise(title).alias("title"),
        (pl.col(dept) if dept else pl.lit(None, dtype=pl.Utf8)).alias("dept"),
        (pl.col(date) if date else pl.lit(None, dtype=pl.Date)).alias("when"),
    )


def render_feed(
    schema: Schema,
    records: pl.DataFrame,
    dates: pl.DataFrame,
    site: dict[str, str],
    today: dt.date,
) -> bytes:
    """The Atom feed of one dataset: its newest published records, by publication date.

    `records`: titles(); `dates`: the ledger's first_published() rows of this dataset.
    """
    url = site["url"]
    newest = (
        records.join(dates.select("id", "first", "updated", "added"), on="id")
        .sort(["added", "when", "id"], descending=[True, True, False], nulls_last=True)
        .head(FEED_ENTRIES)
    )
    fg = FeedGenerator()
    fg.id(f"{url}{feed_rel(schema.id)}")
    fg.title(f"{site['name']}：{schema.name}新公示记录")
    fg.subtitle(schema.description or schema.name)
    fg.author({"name": site["office"] or site["name"]})
    fg.link(href=f"{url}{schema.id}/", rel="alternate")
    fg.link(href=f"{url}{feed_rel(schema.id)}", rel="self")
    fg.language("zh-CN")
    # The generator element would carry feedgen's version: fixed text keeps bytes stable.
    fg.generator("信用XX")
    latest = newest.get_column("updated").max() if newest.height else None
    fg.updated(_stamp(latest if isinstance(latest, dt.date) else today))
    for rid, title, dept, when, first, updated, _ in newest.iter_rows():
        link = f"{url}{record_href(schema.id, rid)}"
        fe = fg.add_entry(order="append")
        fe.id(link)
        fe.title(title)
        fe.link(href=link)
        fe.published(_stamp(first))
        fe.updated(_stamp(updated))
        facts = [f"{schema.name}，记录编号 {rid}"]
        if when:
            facts.append(f"决定（认定）日期：{cn_date(when)}")
        if dept:
            facts.append(f"部门：{dept}")
        facts.append(f"本站公示日期：{cn_date(first)}")
        fe.summary("；".join(facts) + "。")
    data: bytes = fg.atom_str(pretty=True)
    return data
