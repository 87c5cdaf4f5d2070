"""Home, list, facet, subject, search, 404, sitemap and robots pages (all but records)."""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any
from urllib.parse import quote, urlsplit

import polars as pl
from markupsafe import Markup

from ..columns import ID, SUBJECT, UNTIL
from ..executors import map_ordered
from ..web.cache import Ident, RenderCache, row_hashes, text_hash
from ..web.chrome import FAVICON, SITE_CSS, SITE_JS, Chrome, read_asset
from ..web.model import Dataset, escape_expr
from ..web.nav import search_filters
from ..web.shell import Shell
from ..web.templating import cn_date, template
from ..web.urls import root_for, subject_slug
from ..web.writer import TreeWriter
from .narrative import Article
from .subject import REPORT_DIR, Group, qr_svg, subject_context

# A list page holds 20 to 100 records, about 50 (see _starts); a page begins at a record
# whose id, read as a number, is a multiple of PAGE_CUT.
PAGE_MIN, PAGE_MAX, PAGE_CUT = 20, 100, 32
BATCH = 250  # list pages per task on the build's executor
HOME_LATEST = 5
SITEMAP_MAX = 50_000  # URLs per sitemap file (sitemaps.org limit)
_LISTS = "lists"
_ROW = '<tr><td class="xy-name-cell"><a href="{}'  # a list row, up to its link's target
_DATE = (pl.col("_date").dt.strftime("%Y年%-m月%-d日").fill_null("").alias("_date"),)
_FAMILIES = ("subjects", "reports")  # render-cache families of a subject's two pages
_SUBJECT_FILES = ("index.html", f"{REPORT_DIR}/index.html")


def _slug_dir(key: Any) -> str:
    return f"subject/{subject_slug(str(key))}/"


@dataclass(frozen=True)
class Pager:
    """Links of a list page to its neighbours and to both ends ("" where there is none)."""

    first: str
    prev: str
    next: str
    last: str


@dataclass
class _Shown:
    """What every list page of a dataset draws on: per row (in the dataset's order) its id,
    whether a page may start at it, and the hash of what a list shows of it."""

    ids: list[str]
    marks: list[bool]
    hashes: list[int]
    # Made for a first render: each row's table row from its link's target on (_ROW),
    # and its date as shown.
    tails: list[str] | None = None
    dates: list[str] | None = None


def _starts(marks: list[bool]) -> list[int]:
    """Where each page of a list begins: content-defined, so that a record added or taken
    out moves no page boundary but the nearest ones. A page begins at a marked record
    (one in PAGE_CUT, by its id) at least PAGE_MIN rows after the previous beginning, or
    after PAGE_MAX rows without one."""
    starts = [0]
    for i, marked in enumerate(marks):
        while i - starts[-1] > PAGE_MAX:
            starts.append(starts[-1] + PAGE_MAX)
        if marked and i - starts[-1] >= PAGE_MIN:
            starts.append(i)
    while len(marks) - starts[-1] > PAGE_MAX:
        starts.append(starts[-1] + PAGE_MAX)
    return starts


def _span(newest: str, oldest: str) -> str:
    """The dates of a page's first and last rows: 2026年11月3日至2026年10月28日."""
    if newest and oldest and newest != oldest:
        return f"{newest}至{oldest}"
    return newest or oldest or "日期不详"


def _render_lists(
    task: tuple[list[str], str, dict[str, Any], list[dict[str, Any]]],
) -> list[bytes]:
    """Worker (or here): render a batch of list pages; `chromes`: page chrome per root."""
    names, site_name, chromes, pages = task
    tpl = template(*names)
    return [
        tpl.render(ctx, chrome=chromes[ctx["root"]], site_name=site_name).encode() for ctx in pages
    ]


class Pages(Shell):
    """The site's own pages: lists, subjects, home, search, 404 and the sitemap."""

    def __init__(
        self,
        chrome: Chrome,
        writer: TreeWriter,
        today: dt.date,
        feed: Callable[[str], str] | None = None,
    ):
        super().__init__(chrome, writer, today)
        self.feed = feed  # dataset -> its Atom feed URL, when the open-data stage runs
        self.cache: RenderCache | None = None  # list pages' render cache (dataset_lists)
        self._lists: dict[str, tuple[int, int, Ident]] = {}  # its previous pages
        self._facet_keys: dict[int, tuple[Any, tuple[int, int]]] = {}

    # ---------------------------------------------------------------- lists

    def dataset_lists(self, ds: Dataset, pool: Executor | None = None) -> None:
        """The list of a dataset and one list per facet value, paginated; with a render
        cache, a page whose every shown value is unchanged is kept, not rendered. Pages
        are rendered on `pool` (the build's executor) when it is given.

        What changes with every drop is printed on few pages: the first page of a list
        carries its count and the facet counts; the others show their rows, their dates
        and links to their neighbours (never a page number or a count), and their
        boundaries depend on the records near them only (_starts)."""
        cache = self.writer.cache
        if cache is not None and cache is not self.cache:
            self.cache = cache
            cache.family(_LISTS)
            self._lists = cache.lookup(_LISTS)
        shown = self._shown(ds)
        facets = [
            {"key": f.key, "label": f.label, "values": [(s, v, len(p)) for s, v, p in f.values]}
            for f in ds.facets
        ]
        uncounted = [{**f, "values": [(s, v, None) for s, v, _ in f["values"]]} for f in facets]
        panels = (facets, uncounted)  # the facet panel of first pages, and of the others
        self._facet_keys.clear()
        todo = self._list(ds, shown, f"{ds.id}/", ds.name, None, range(ds.count), panels, None)
        for f in ds.facets:
            for slug, value, positions in f.values:
                shown_as = f"{value}年" if f.key == "year" else value
                todo += self._list(
                    ds,
                    shown,
                    f"{ds.id}/{f.key}/{slug}/",
                    f"{ds.name}：{shown_as}",
                    f"{f.label}：{shown_as}",
                    positions,
                    panels,
                    (f.key, slug),
                )
        self._render_lists(ds, shown, todo, pool)

    @staticmethod
    def _shown(ds: Dataset) -> _Shown:
        """Ids, page marks and shown-row hashes of a dataset's rows (see _Shown)."""
        rid = pl.col(ID).cast(pl.Utf8)
        mark = rid.str.slice(0, 8).str.to_integer(base=16, strict=False) % PAGE_CUT == 0
        frame = ds.frame.select(rid, mark.fill_null(False).alias("_mark"))
        ids, marks = (frame.to_series(i).to_list() for i in range(2))
        hashes = row_hashes(ds.frame, [ID, "_t0", "_t1", "_dept", *_DATE])["h1"].to_list()
        return _Shown(ids, marks, hashes)

    @staticmethod
    def _tails(ds: Dataset) -> tuple[list[str], list[str]]:
        """Each row of the list table, escaped by polars for all rows at once (per-value
        escaping in the template was most of a list page's time), from the record link's
        target on: a page puts its root before each (_ROW); and each row's date."""
        t0 = pl.col("_t0").fill_null("")
        cells = [
            pl.lit(f"{ds.id}/"),
            escape_expr(pl.col(ID).cast(pl.Utf8)),
            pl.lit('.html">'),
            escape_expr(pl.when(t0 == "").then(pl.lit("（无名称）")).otherwise(t0)),
            pl.lit('</a></td><td data-label="事项">'),
            escape_expr(pl.col("_t1").fill_null("")),
            pl.lit('</td><td data-label="部门">'),
            escape_expr(pl.col("_dept").fill_null("")),
            pl.lit('</td><td data-label="日期" class="xy-date">'),
            escape_expr(_DATE[0]),
            pl.lit("</td></tr>\n"),
        ]
        frame = ds.frame.select(pl.concat_str(cells).alias("_tail"), *_DATE)
        return frame.to_series(0).to_list(), frame.to_series(1).to_list()

    def _list(
        self,
        ds: Dataset,
        shown: _Shown,
        base: str,
        heading: str,
        facet: str | None,
        positions: Sequence[int],
        panels: tuple[list[dict[str, Any]], list[dict[str, Any]]],
        current: tuple[str, str] | None,
    ) -> list[dict[str, Any]]:
        """One list's pages: those kept from the last build are placed; the others are
        returned, each as its context without rows (`_rows`: their positions)."""
        marks = shown.marks
        starts = _starts([marks[p] for p in positions])
        ends = [*starts[1:], len(positions)]
        urls = [base, *(f"{base}p/{shown.ids[positions[i]]}/" for i in starts[1:])]
        feed = self.feed(ds.id) if self.feed else ""
        todo = []
        for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
            url = urls[k]
            root = root_for(url)
            ctx = {
                "ds_id": ds.id,
                "ds_name": ds.name,
                "feed": feed,
                "heading": heading,
                "facet": facet,
                "description": ds.description,
                "total": len(positions) if k == 0 else None,
                "facets": panels[0] if k == 0 else panels[1],
                "current": current,
                "root": root,
                "pager": Pager(
                    f"{root}{base}" if k else "",
                    f"{root}{urls[k - 1]}" if k else "",
                    f"{root}{urls[k + 1]}" if k + 1 < len(urls) else "",
                    f"{root}{urls[-1]}" if k + 1 < len(urls) else "",
                ),
            }
            page = positions[a:b]
            if not self._kept_list(url, ctx, [shown.hashes[p] for p in page]):
                todo.append({**ctx, "_url": url, "_rows": page})
        return todo

    def _render_lists(
        self, ds: Dataset, shown: _Shown, todo: list[dict[str, Any]], pool: Executor | None
    ) -> None:
        """Render the pages `todo` (in batches, on `pool` when given) and write them."""
        if not todo:
            return
        if shown.tails is None or shown.dates is None:
            shown.tails, shown.dates = self._tails(ds)
        tails, dates = shown.tails, shown.dates
        facet_html: dict[tuple[str, Any, bool], Markup] = {}
        chromes: dict[str, Any] = {}
        for ctx in todo:
            page, root = ctx.pop("_rows"), ctx["root"]
            lead = _ROW.format(root)
            ctx["rows_html"] = Markup(lead + lead.join([tails[p] for p in page]) if page else "")
            ctx["span"] = _span(dates[page[0]], dates[page[-1]]) if page else ""
            key = (root, ctx["current"], ctx["total"] is None)
            if key not in facet_html:
                facet_html[key] = Markup(
                    template("site/_facets.html").render(
                        facets=ctx["facets"], root=root, ds_id=ds.id, current=ctx["current"]
                    )
                )
            ctx["facets_html"] = facet_html[key]
            del ctx["facets"]
            chromes.setdefault(root, self.chrome.get(root, f"{ds.id}/"))
        names = [f"site/list-{ds.id}.html", "site/list.html"]
        tasks = [
            (names, self.site_name, chromes, todo[i : i + BATCH])
            for i in range(0, len(todo), BATCH)
        ]
        for task, done in zip(tasks, map_ordered(pool, _render_lists, tasks), strict=True):
            for ctx, html in zip(task[3], done, strict=True):
                self.writer.write(f"{ctx['_url']}index.html", html)
                self.urls.append(ctx["_url"])

    def _facets_key(self, facets: list[dict[str, Any]]) -> tuple[int, int]:
        """The hash of a facet panel's data (the same few lists on every page)."""
        key = id(facets)
        if key not in self._facet_keys or self._facet_keys[key][0] is not facets:
            self._facet_keys[key] = (facets, text_hash(facets))
        return self._facet_keys[key][1]

    def _kept_list(self, url: str, ctx: dict[str, Any], hashes: list[int]) -> bool:
        """Keep the previous build's list page at `url` if it showed the same `ctx` and
        rows (`hashes`: the 64-bit hash of each row as shown)."""
        if self.cache is None:
            return False
        rel = f"{url}index.html"
        shown = sorted((k, v) for k, v in ctx.items() if k != "facets")
        facets = self._facets_key(ctx["facets"])
        h = text_hash(url, shown, facets, array("Q", hashes).tobytes())
        self.cache.add(_LISTS, rel, h)
        old = self._lists.get(rel)
        if old is None or old[:2] != h or not self.writer.keep(rel, old[2]):
            return False
        self.cache.count(_LISTS, 1)
        self.urls.append(url)
        return True

    # ---------------------------------------------------------------- subjects

    def subjects(self, table: pl.DataFrame, datasets: list[Dataset]) -> int:
        """One page and one 信用报告 per subject key (never for natural persons: their
        key is null); with a render cache, only those whose records changed."""
        if table.is_empty():
            return 0
        by_id = {ds.id: ds for ds in datasets}
        table = table.select(
            SUBJECT,
            "_ds",
            ID,
            "_t0",
            "_t1",
            "_dept",
            pl.col("_date").dt.strftime("%Y年%-m月%-d日").fill_null(""),
            pl.col(UNTIL).fill_null(""),
            "_html",
            "_name",
        )
        keys, kept = self._reuse_subjects(table, self.writer.cache)
        for key in keys:
            base = f"subject/{subject_slug(str(key))}/"
            self.urls += [base, f"{base}{REPORT_DIR}/"]
        done = [k for k in keys if all(f"{_slug_dir(k)}{p}" in kept for p in _SUBJECT_FILES)]
        if done:
            table = table.filter(~pl.col(SUBJECT).is_in(done))
        rules = self.chrome.config.rules
        # The table is sorted by subject, then newest first: one pass, no per-group frames.
        for key, recs in groupby(table.iter_rows(), key=itemgetter(0)):
            groups = {ds.id: Group(ds) for ds in datasets}
            name = ""
            for _, d, rid, t0, t1, dept, date, until, html, nm in recs:
                groups[d].rows.append((rid, t0, t1, dept, date, until, Markup(html)))
                name = name or nm
            shown = [g for g in groups.values() if g.rows and g.ds.id in by_id]
            ctx = subject_context(
                str(key), name or str(key), shown, self.today, self.site_url, rules
            )
            base = _slug_dir(key)
            if f"{base}index.html" not in kept:
                self._render(base, ["site/subject.html"], **ctx)
            if f"{base}{REPORT_DIR}/index.html" not in kept:
                self._render(
                    f"{base}{REPORT_DIR}/",
                    ["site/report.html"],
                    data_date=cn_date(self.today),
                    qr=qr_svg(ctx["report_url"]),
                    **ctx,
                )
        return len(keys)

    def _render(self, url: str, names: list[str], **ctx: Any) -> None:
        """A subject's page, its URL already listed for the sitemap."""
        self.page(url, names, "-", **ctx)
        self.urls.pop()

    def _reuse_subjects(
        self, table: pl.DataFrame, cache: RenderCache | None
    ) -> tuple[list[Any], set[str]]:
        """Every subject key, and the files (page, 信用报告) kept from the previous build:
        those whose subject's records (every value the pages show) did not change. The
        信用报告 prints the build date: its family is keyed by it."""
        keys = table.get_column(SUBJECT).unique(maintain_order=True).to_list()
        if cache is None:
            return keys, set()
        row = pl.concat_str(
            [pl.col(c).cast(pl.Utf8).fill_null("\x00") for c in table.columns[1:]],
            separator="\x1f",
        )
        per = (
            table.select(SUBJECT, row.alias("_row"))
            .group_by(SUBJECT, maintain_order=True)
            .agg(pl.col("_row").str.join("\x1e"))
        )
        hashes = row_hashes(per, ["_row"])
        dirs = [_slug_dir(k) for k in per.get_column(SUBJECT).to_list()]
        kept: set[str] = set()
        for family, suffix, parts in zip(
            _FAMILIES, _SUBJECT_FILES, ((), (self.today,)), strict=True
        ):
            cache.family(family, *parts)
            pages = pl.DataFrame({"rel": [f"{d}{suffix}" for d in dirs]}).hstack(hashes)
            mine = {r for r, i in cache.candidates(family, pages).items() if self.writer.keep(r, i)}
            cache.count(family, len(mine))
            kept |= mine
        return keys, kept

    def objection_form(self) -> None:
        """The printable 异议申请表, filled in from the query string of a record's link."""
        office = self.chrome.xy["office"]
        self.page(
            "objection/",
            ["site/objection.html"],
            "-",
            email=office["email"],
            office_name=office["name"],
            site_url=self.site_url,
        )

    # ---------------------------------------------------------------- the rest

    def home(self, datasets: list[Dataset], news: list[Article], cases: list[Article]) -> None:
        cols = []
        for ds in datasets:
            latest = ds.frame.head(HOME_LATEST).select(
                ID, "_t0", "_t1", pl.col("_date").dt.strftime("%Y年%-m月%-d日").fill_null("")
            )
            cols.append({"id": ds.id, "name": ds.name, "count": ds.count, "latest": latest.rows()})
        articles = [
            (title, href, items[:HOME_LATEST])
            for title, href, items in (("信用动态", "news/", news), ("典型案例", "cases/", cases))
            if items
        ]
        self.page(
            "",
            ["site/home.html"],
            "",
            search=False,
            datasets=cols,
            data_date=cn_date(self.today),
            region=self.chrome.xy["site"]["region"],
            articles=articles,
        )

    def search(self, datasets: list[Dataset]) -> None:
        cols = [{"id": d.id, "name": d.name, "count": d.count} for d in datasets]
        filters = search_filters(d.schema for d in datasets if d.schema)
        self.page(
            "search/", ["site/search.html"], "-", search=False, datasets=cols, filters=filters
        )
        self.urls.remove("search/")

    def not_found(self) -> None:
        """404.html: a host serves it at any missing URL, at any depth and under any host
        name, so it links no asset (its stylesheet and script are inline) and its links
        start from the path of site.url ("/", or "/credit/" for a site in a folder)."""
        root = urlsplit(self.site_url).path or "/"
        chrome = dict(self.chrome.get(root, "-"))
        chrome["head"] = Markup(
            '<link rel="icon" href="data:image/svg+xml,{}"><style>{}</style><script>{}</script>'
        ).format(
            quote(read_asset(FAVICON), safe=""),
            Markup(read_asset(SITE_CSS)),
            Markup(read_asset(SITE_JS)),
        )
        html = template("site/404.html").render(chrome=chrome, root=root, site_name=self.site_name)
        self.writer.write("404.html", html.encode())

    def sitemap(self, extra_urls: list[str]) -> None:
        urls = sorted(set(self.urls) | set(extra_urls))
        absolute = [f"{self.site_url}{u}" for u in urls]
        if len(absolute) <= SITEMAP_MAX:
            self._xml("sitemap.xml", "site/sitemap.xml", absolute)
        else:
            parts = [absolute[i : i + SITEMAP_MAX] for i in range(0, len(absolute), SITEMAP_MAX)]
            for i, part in enumerate(parts, 1):
                self._xml(f"sitemap-{i}.xml", "site/sitemap.xml", part)
            self._xml(
                "sitemap.xml",
                "site/sitemap-index.xml",
                [f"{self.site_url}sitemap-{i}.xml" for i in range(1, len(parts) + 1)],
            )
        self.writer.write(
            "robots.txt", template("site/robots.txt").render(site_url=self.site_url).encode()
        )

    def _xml(self, rel: str, name: str, urls: list[str]) -> None:
        self.writer.write(rel, template(name).render(urls=urls).encode())
