"""Search documents: one small HTML file per thing the public looks for.

A subject (legal person or 个体工商户, never a natural person) is one document: its name,
its codes, the titles and departments of its published records, and as filters the
columns, departments, years and categories of those records. Narrative pages (政策法规,
典型案例, 信用动态, guides) are one document each. Record pages are not indexed one by one:
a million of them cannot be indexed on one machine in minutes, and every record is listed
on its subject's page (natural persons' records stay reachable through the column lists).

The searchable text is written as index words (generator/search/tokens.py: Han text as
overlapping character pairs spelled in ASCII), so that what Pagefind indexes and what the
page searches for are split the same way; titles, dates and summaries travel as metadata
in clear, and the page turns Pagefind's excerpt back into text.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import polars as pl
from markupsafe import escape

from .. import pii
from ..columns import ID, SUBJECT
from ..config import Schema
from ..web.model import Dataset, subjects
from ..web.urls import subject_slug
from .tokens import EVERY, encode, filter_word

TITLES_PER_SUBJECT = 30  # distinct record titles written into a subject's document
NOS_PER_SUBJECT = 60  # record numbers (文号) written into a subject's document
FILTERS = ("栏目", "部门", "年份", "类别")
RANK_TOP = 1_000_000  # a document's rank sort value: RANK_TOP minus its index words


@dataclass
class Doc:
    """One search document: its page URL (relative to the root) and its HTML."""

    url: str
    html: str
    date: str = ""  # ISO date of the newest record, for sharding and sorting
    kind: str = "subject"
    filters: dict[str, list[str]] = field(default_factory=dict)
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    digest: bytes = b""  # SHA-256 of url and HTML (bundles.pack)
    packed: bytes = b""  # the HTML, zlib-compressed, once packed (bundles.pack)
    words: int = 0  # index words in its body: Pagefind ranks shorter documents higher
    titles: list[str] = field(default_factory=list)  # a subject's record titles, as written


def _attr(value: str) -> str:
    return str(escape(value))


def render(
    url: str,
    title: str,
    body: list[tuple[str, int]],
    meta: dict[str, str],
    filters: dict[str, list[str]],
    date: str,
    kind: str,
) -> Doc:
    """A document Pagefind reads: weighted body text, metadata, filters and a sort key.

    Metadata and filters sit outside data-pagefind-body, so they are not searched as text;
    metadata values are element text (a value may hold any character, commas included).
    """
    parts = [f'<html lang="zh"><head><title>{_attr(title)}</title></head><body>']
    parts.append(f'<span data-pagefind-meta="title">{_attr(title)}</span>')
    # The page's address (documents are indexed as flat files whose names mean nothing).
    parts.append(f'<span data-pagefind-meta="href">{_attr(unglued(url))}</span>')
    for key, value in meta.items():
        if value:
            parts.append(f'<span data-pagefind-meta="{key}">{_attr(unglued(value))}</span>')
    for name, values in filters.items():
        for v in values:
            parts.append(f'<span data-pagefind-filter="{name}">{_attr(v)}</span>')
    if date:
        parts.append(f'<span data-pagefind-sort="date">{date}</span>')
    marks = [EVERY] + [filter_word(k, v) for k, values in filters.items() for v in values]
    words = len(marks)
    text = [f"<main data-pagefind-body><p>{' '.join(marks)}</p>"]
    for value, weight in body:
        if value:
            w = f' data-pagefind-weight="{weight}"' if weight != 1 else ""
            encoded = encode(value)
            text.append(f"<p{w}>{encoded}</p>")
            words += encoded.count(" ") + 1 if encoded else 0
    # Pagefind gives every match of a phrase the same score: the page orders them by this,
    # shorter documents first, as Pagefind's own ranking does for words.
    parts.append(f'<span data-pagefind-sort="rank">{max(RANK_TOP - words, 0)}</span>')
    parts.extend(text)
    parts.append("</main></body></html>")
    return Doc(url, "".join(parts), date, kind, filters, title, meta, words=words)


def _categories(ds: Dataset, schema: Schema) -> pl.DataFrame:
    """(record id, category) for the dataset's category facet (处罚类别, 许可类别 …)."""
    dept, ids = schema.role("department"), ds.frame.get_column(ID)
    rows: list[tuple[str, str]] = []
    for f in ds.facets:
        if f.key in ("year", dept):
            continue
        for _, value, positions in f.values:
            rows.extend((ids[p], value) for p in positions)
    return pl.DataFrame(rows, schema={ID: pl.Utf8, "_cat": pl.Utf8}, orient="row")


def subject_docs(datasets: list[Dataset], schemas: list[Schema]) -> Iterator[Doc]:
    """One document per subject key (natural persons have none), newest record first."""
    table = subjects(datasets)
    if table.is_empty():
        return
    cats = pl.concat([_categories(ds, s) for ds, s in zip(datasets, schemas, strict=True)])
    cats = cats.group_by(ID).agg(pl.col("_cat").sort())
    names = {ds.id: ds.name for ds in datasets}
    table = table.join(cats, on=ID, how="left", maintain_order="left").select(
        SUBJECT,
        "_ds",
        "_date",
        "_t1",
        "_dept",
        "_name",
        pl.col("_cat").fill_null([]),
        "_nos",
    )
    for key, group in groupby(table.iter_rows(), key=itemgetter(0)):
        recs = list(group)
        # Its records' numbers (文号 …), weighted above narrative text: a query that is
        # part of a number (示环罚) finds the subjects before articles that mention it.
        nos = list(dict.fromkeys(n for r in recs for n in r[7]))[:NOS_PER_SUBJECT]
        name = next((r[5] for r in recs if r[5]), str(key))
        newest: dt.date | None = next((r[2] for r in recs if r[2]), None)
        per: dict[str, int] = {}
        for r in recs:
            per[r[1]] = per.get(r[1], 0) + 1
        titles = list(dict.fromkeys(r[3] for r in recs if r[3]))[:TITLES_PER_SUBJECT]
        depts = sorted({r[4] for r in recs if r[4]})
        filters = {
            "栏目": [names[d] for d in per],
            "部门": depts,
            "年份": sorted({str(r[2].year) for r in recs if r[2]}, reverse=True),
            "类别": sorted({c for r in recs for c in r[6]}),
        }
        summary = "；".join(f"{names[d]}{n}条" for d, n in per.items())
        doc = render(
            f"subject/{subject_slug(str(key))}/",
            name,
            [
                (name, 10),
                (
                    indexed_code(str(key)),
                    10,
                ),  # Pagefind lower-cases words; the page upper-cases codes
                ("；".join(nos), 5),
                ("；".join(titles), 1),
                ("；".join(depts), 1),
            ],
            {
                "kind": "主体",
                "code": str(key),
                "summary": summary,
                "date": f"{newest:%Y年%-m月%-d日}" if newest else "",
            },
            {k: v for k, v in filters.items() if v},
            newest.isoformat() if newest else "",
            "subject",
        )
        doc.titles = titles
        yield doc


_DIGIT_RUN = re.compile(r"[0-9]{11,}")


def _number(run: str) -> bool:
    """Whether digits read, on their own, as an ID or mobile number (any birth date: when
    in doubt, a number)."""
    return bool(pii.find(run, dt.date.max))


def indexed_code(code: str) -> str:
    """The subject's code as an index word, or "" when Pagefind would make a number of it.

    Pagefind also indexes the digits between a word's letters as a word of their own, so
    `Y199010020312963X0` gives the word 199010020312963, which reads as an old ID number
    out of its code (generator/pii.py): such a code is left out of the indexed text. The
    page still finds it — a code is looked up directly, never through the index."""
    return "" if any(_number(r) for r in _DIGIT_RUN.findall(code)) else code


def unglued(value: str) -> str:
    """A metadata value with "~" after every tenth digit of a run that would read as a
    number on its own: Pagefind indexes metadata words too, digits apart (indexed_code);
    the page removes the "~" (search.js)."""
    return _DIGIT_RUN.sub(
        lambda m: re.sub(r"(\d{10})(?=\d)", r"\1~", m[0]) if _number(m[0]) else m[0], value
    )


_TAGS = re.compile(r"<[^>]+>")
_MAIN = re.compile(r'<div id="xy-main"[^>]*>(.*?)</article>', re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
_DATE = re.compile(r"<dt>(?:成文日期|发布日期)</dt><dd>(\d{4})年(\d{1,2})月(\d{1,2})日</dd>")
_SPACE = re.compile(r"\s+")
SECTIONS = {"policies": "政策法规", "cases": "典型案例", "news": "信用动态", "guide": "办事指南"}


def _text(fragment: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", fragment))).strip()


def article_docs(narrative: Path, urls: list[str]) -> Iterator[Doc]:
    """One document per page MkDocs built (政策法规, 典型案例, 信用动态, guides, about)."""
    for url in urls:
        if not url:
            continue  # MkDocs' own home page is replaced by the generated one
        page = (narrative / url / "index.html").read_text(encoding="utf-8")
        m = _MAIN.search(page)
        if m is None:
            continue
        title_m = _H1.search(m.group(1))
        title = _text(title_m.group(1)) if title_m else url
        date_m = _DATE.search(m.group(1))
        date = dt.date(*map(int, date_m.groups())) if date_m else None
        section = SECTIONS.get(url.split("/", 1)[0], "本站信息")
        yield render(
            url,
            title,
            [(title, 10), (_text(m.group(1)), 1)],
            {"kind": section, "date": f"{date:%Y年%-m月%-d日}" if date else ""},
            {"栏目": [section]},
            date.isoformat() if date else "",
            "article",
        )


def number_entries(datasets: list[Dataset]) -> Iterator[tuple[str, list[str]]]:
    """(number, [record URL, title, how it matched, date]) for each document number (文号,
    许可编号 …) of each record of a subject: the search page looks a typed number up
    exactly, as it looks up full names. Natural persons' records are never looked up."""
    for ds in datasets:
        frame = ds.frame.filter(pl.col(SUBJECT).is_not_null()).select(
            ID,
            "_t0",
            "_t1",
            pl.col("_date").dt.strftime("%Y年%-m月%-d日").fill_null(""),
            "_nos",
        )
        for rid, t0, t1, date, nos in frame.iter_rows():
            title = f"{t0}：{t1}" if t0 and t1 else (t0 or t1 or rid)
            for no in nos:
                yield no, [f"{ds.id}/{rid}.html", title, ds.name, date, "文号完全一致"]
