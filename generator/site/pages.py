"""Home, list, facet, subject, search, 404, sitemap and robots pages (all but records)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import polars as pl
from markupsafe import Markup

from ..columns import ID, SUBJECT, UNTIL
from ..executors import map_ordered
from ..web.cache import Ident, RenderCache, row_hashes, text_hash
from ..web.chrome import FAVICON, SITE_CSS, SITE_JS, Chrome, read_asset
from ..web.model import Dataset
from ..web.nav import search_filters
from ..web.shell import Shell
from ..web.templating import cn_date, template
from ..web.urls import root_for
from ..web.writer import TreeWriter
from .narrative import Article
from .subject import (
    COLUMNS,
    REPORT_DIR,
    SUBJECT_FILES,
    render_subjects,
    subject_chunk,
    subject_dir,
    subject_job,
    subject_tasks,
)

PAGE_SIZE = 50
HOME_LATEST = 5
SITEMAP_MAX = 50_000  # URLs per sitemap file (sitemaps.org limit)
_LISTS = "lists"
_FAMILIES = ("subjects", "reports")  # render-cache families of a subject's two pages
SUBJECTS_CHUNK = 10_000  # subjects per worker task, at most
SUBJECTS_PARALLEL_FROM = 5_000  # subjects; below this, worker start-up costs more than it saves


_slug_dir = subject_dir


@dataclass
class Pager:
    n: int
    pages: int
    base: str  # URL of page 1, relative to the root
    root: str

    def href(self, k: int) -> str:
        return f"{self.root}{self.base}" + ("" if k == 1 else f"p/{k}/")

    def window(self) -> range:
        return range(max(1, self.n - 2), min(self.pages, self.n + 2) + 1)


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

    # ---------------------------------------------------------------- lists

    def dataset_lists(self, ds: Dataset) -> None:
        """The list of a dataset and one list per facet value, paginated; with a render
        cache, a page whose every shown value is unchanged is kept, not rendered."""
        cache = self.writer.cache
        if cache is not None and cache is not self.cache:
            self.cache = cache
            cache.family(_LISTS)
            self._lists = cache.lookup(_LISTS)
        rows = self._rows(ds)
        facets = [
            {"key": f.key, "label": f.label, "values": [(s, v, len(p)) for s, v, p in f.values]}
            for f in ds.facets
        ]
        self._paged(ds, f"{ds.id}/", ds.name, None, rows, facets, None)
        for f in ds.facets:
            for slug, value, positions in f.values:
                shown = f"{value}年" if f.key == "year" else value
                self._paged(
                    ds,
                    f"{ds.id}/{f.key}/{slug}/",
                    f"{ds.name}：{shown}",
                    f"{f.label}：{shown}",
                    [rows[i] for i in positions],
                    facets,
                    (f.key, slug),
                )

    @staticmethod
    def _rows(ds: Dataset) -> list[tuple[Any, ...]]:
        frame = ds.frame.select(
            pl.lit(ds.id).alias("_ds"),
            pl.lit(ds.name).alias("_dn"),
            ID,
            "_t0",
            "_t1",
            "_dept",
            pl.col("_date").dt.strftime("%Y年%-m月%-d日").fill_null(""),
        )
        return frame.rows()

    def _paged(
        self,
        ds: Dataset,
        base: str,
        heading: str,
        facet: str | None,
        rows: list[tuple[Any, ...]],
        facets: list[dict[str, Any]],
        current: tuple[str, str] | None,
    ) -> None:
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        facet_html: dict[str, Any] = {}
        for n in range(1, pages + 1):
            url = base if n == 1 else f"{base}p/{n}/"
            root = root_for(url)
            if root not in facet_html:
                facet_html[root] = Markup(
                    template("site/_facets.html").render(
                        facets=facets, root=root, ds_id=ds.id, current=current
                    )
                )
            ctx = {
                "ds_id": ds.id,
                "ds_name": ds.name,
                "feed": self.feed(ds.id) if self.feed else "",
                "heading": heading,
                "facet": facet,
                "description": ds.description,
                "total": len(rows),
                "show_ds": False,
                "rows": rows[(n - 1) * PAGE_SIZE : n * PAGE_SIZE],
                "facets_html": facet_html[root],
                "pager": Pager(n, pages, base, root),
            }
            if not self._kept_list(url, ctx):
                self.page(url, [f"site/list-{ds.id}.html", "site/list.html"], f"{ds.id}/", **ctx)

    def _kept_list(self, url: str, ctx: dict[str, Any]) -> bool:
        """Keep the previous build's list page at `url` if it showed the same `ctx`."""
        if self.cache is None:
            return False
        rel = f"{url}index.html"
        h = text_hash(url, sorted(ctx.items()))
        self.cache.add(_LISTS, rel, h)
        old = self._lists.get(rel)
        if old is None or old[:2] != h or not self.writer.keep(rel, old[2]):
            return False
        self.cache.count(_LISTS, 1)
        self.urls.append(url)
        return True

    # ---------------------------------------------------------------- subjects

    def subjects(
        self,
        table: pl.DataFrame,
        datasets: list[Dataset],
        workers: int | None = None,
        pool: Executor | None = None,
        scratch: Path | None = None,
    ) -> int:
        """One page and one 信用报告 per subject key (never for natural persons: their
        key is null); with a render cache, only those whose records changed. Many
        subjects are rendered in chunks by `workers` processes, or on `pool` (the build's
        executor) when it has one; the pages are the same bytes either way."""
        if table.is_empty():
            return 0
        table = table.select(
            *COLUMNS[:6],
            pl.col("_date").dt.strftime("%Y年%-m月%-d日").fill_null(""),
            pl.col(UNTIL).fill_null(""),
            "_html",
            "_name",
        )
        keys, kept = self._reuse_subjects(table, self.writer.cache)
        self.urls += [u for k in keys for u in (_slug_dir(k), f"{_slug_dir(k)}{REPORT_DIR}/")]
        done = [k for k in keys if all(f"{_slug_dir(k)}{p}" in kept for p in SUBJECT_FILES)]
        if done:
            table = table.filter(~pl.col(SUBJECT).is_in(done))
        if table.is_empty():
            return len(keys)
        job = subject_job(datasets, self.chrome, self.today)
        todo = len(keys) - len(done)
        if workers is None:
            workers = min(2, os.cpu_count() or 1) if todo >= SUBJECTS_PARALLEL_FROM else 1
        if pool is None and workers <= 1:
            render_subjects(job, table, self.writer, kept)
            return len(keys)
        size = max(1, min(SUBJECTS_CHUNK, -(-todo // (2 * workers))))
        with tempfile.TemporaryDirectory(prefix="xy-subjects-") as tmp:
            folder = scratch or Path(tmp)
            tasks = subject_tasks(job, table, kept, self.writer, folder, size)
            if pool is not None:
                parts = map_ordered(pool, subject_chunk, tasks)
            else:
                ctx = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as procs:
                    parts = list(procs.map(subject_chunk, tasks))
        for part in parts:
            self.writer.counts.add(part)
        return len(keys)

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
            _FAMILIES, SUBJECT_FILES, ((), (self.today,)), strict=True
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
