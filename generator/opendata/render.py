"""The /downloads/ catalogue page and the changelog pages, in the site's shared layout."""

from __future__ import annotations

from typing import Any

import polars as pl

from ..web.shell import Shell
from ..web.templating import cn_date
from ..web.urls import record_href
from .export import FORMAT_NAMES, FileInfo
from .fields import TYPE_NAMES, Field
from .ledger import ADDED, CHANGED, REJECTED, REMOVED, WITHDRAWN

LIST_MAX = 500  # records listed per dataset and event on a changelog page
EVENT_LABELS = {ADDED: "新增", WITHDRAWN: "撤下", CHANGED: "变更"}
LEDGER_REASONS = {REMOVED: "数据中已无此记录", REJECTED: "数据有误，暂停公示"}


def size_text(n: int) -> str:
    """1234567 → 1.2 MB（1,234,567 字节）."""
    for unit, div in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= div:
            return f"{n / div:.1f} {unit}（{n:,} 字节）"
    return f"{n} 字节"


def reason_text(code: str | None, labels: dict[str, str]) -> str:
    """`labels`: the schemas' reason labels (config.reason_labels)."""
    code = code or REMOVED
    shown = {**labels, **LEDGER_REASONS}.get(code, code)
    return f"{shown}（{code}）"


def downloads_page(
    pages: Shell,
    datasets: list[dict[str, Any]],
    licence: dict[str, str],
) -> None:
    """Render /downloads/. `datasets`: id, name, description, count, feed, files, fields, examples."""
    shown = []
    for d in datasets:
        files: list[FileInfo] = d["files"]
        fields: list[Field] = d["fields"]
        shown.append(
            {
                **{k: d[k] for k in ("id", "name", "description", "count", "feed")},
                "files": [
                    {
                        "href": f.rel.removeprefix("downloads/"),
                        "name": f.name,
                        "scope": "全部" if f.year is None else f"{f.year}年",
                        "format": FORMAT_NAMES[f.format],
                        "rows": f.rows,
                        "size": size_text(f.bytes),
                        "sha256": f.sha256,
                    }
                    for f in files
                ],
                "columns": [
                    {
                        "name": f.name,
                        "code": f.code,
                        "type": TYPE_NAMES[f.type],
                        "note": f.note,
                        "example": d["examples"].get(f.name, ""),
                        "required": f.required,
                    }
                    for f in fields
                ],
            }
        )
    pages.page(
        "downloads/",
        ["opendata/downloads.html"],
        "-",
        datasets=shown,
        licence={"name": "", "url": "", **licence},
        data_date=cn_date(pages.today),
    )


def changelog_pages(
    pages: Shell, ledger: pl.DataFrame, names: dict[str, str], titles: pl.DataFrame
) -> list[str]:
    """/downloads/changelog/ and one page per build; returns their URLs.

    `titles`: dataset, id, title of every record public now: only those get a link and a
    name; a record withdrawn since shows its id alone.
    """
    totals = (
        ledger.group_by("build", "date")
        .agg(*((pl.col("event") == e).sum().alias(e) for e in EVENT_LABELS))
        .sort("build", descending=True)
    )
    builds = [
        {**row, "number": row["build"], "date": cn_date(row["date"])}
        for row in totals.iter_rows(named=True)
    ]
    pages.page("downloads/changelog/", ["opendata/changelog.html"], "-", builds=builds)
    urls = ["downloads/changelog/"]
    order = {ds: i for i, ds in enumerate(names)}
    for b in builds:
        events = ledger.filter(pl.col("build") == b["number"])
        urls.append(_build_page(pages, b, events, names, order, titles))
    return urls


def _build_page(
    pages: Shell,
    build: dict[str, Any],
    events: pl.DataFrame,
    names: dict[str, str],
    order: dict[str, int],
    titles: pl.DataFrame,
) -> str:
    summary, groups = [], []
    datasets = sorted(set(events.get_column("dataset").to_list()), key=lambda d: order.get(d, 99))
    for ds in datasets:
        mine = events.filter(pl.col("dataset") == ds)
        row = {"name": names.get(ds, ds)}
        for event, label in EVENT_LABELS.items():
            part = mine.filter(pl.col("event") == event)
            row[event] = part.height
            if part.height == 0:
                continue
            shown = (
                part.head(LIST_MAX)
                .join(titles.filter(pl.col("dataset") == ds), on=["dataset", "id"], how="left")
                .sort("id")
            )
            items = []
            for rid, reason, title in shown.select("id", "reason", "title").iter_rows():
                public = title is not None and event != WITHDRAWN
                items.append(
                    {
                        "id": rid,
                        "href": f"../../../{record_href(ds, rid)}" if public else "",
                        "title": title if public else "",
                        "reason": reason_text(reason, pages.chrome.config.reason_labels())
                        if event == WITHDRAWN
                        else "",
                    }
                )
            groups.append(
                {"name": names.get(ds, ds), "label": label, "total": part.height, "records": items}
            )
        summary.append(row)
    url = f"downloads/changelog/{build['number']}/"
    pages.page(
        url,
        ["opendata/changelog-build.html"],
        "-",
        number=build["number"],
        date=build["date"],
        summary=summary,
        groups=groups,
    )
    return url
