"""Home, list, facet, subject, search, 404, sitemap and robots pages (all but records)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any
from urllib.parse import quote, urlsplit

import polars as pl
from markupsafe import Markup

from ..columns import ID, SUBJECT, UNTIL
from ..web.chrome import FAVICON, SITE_CSS, SITE_JS, Chrome, read_asset
from ..web.model import Dataset
from ..web.nav import search_filters
from ..web.shell import Shell
from ..web.templating import cn_date, template
from ..web.urls import root_for, subject_slug
from ..web.writer import TreeWriter
from .narrative import Article
from .subject import REPORT_DIR, Group, qr_svg, subject_context

PAGE_SIZE = 50
HOME_LATEST = 5
SITEMAP_MAX = 50_000  # URLs per sitemap file (sitemaps.org limit)


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

    # ---------------------------------------------------------------- lists

    def dataset_lists(self, ds: Dataset) -> None:
        """The list of a dataset and one list per facet value, paginated."""
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
            self.page(
                url,
                [f"site/list-{ds.id}.html", "site/list.html"],
                f"{ds.id}/",
                ds_id=ds.id,
                ds_name=ds.name,
                feed=self.feed(ds.id) if self.feed else "",
                heading=heading,
                facet=facet,
                description=ds.description,
                total=len(rows),
                show_ds=False,
                rows=rows[(n - 1) * PAGE_SIZE : n * PAGE_SIZE],
                facets_html=facet_html[root],
                pager=Pager(n, pages, base, root),
            )

    # ---------------------------------------------------------------- subjects

    def subjects(self, table: pl.DataFrame, datasets: list[Dataset]) -> int:
        """One page and one 信用报告 per subject key (never for natural persons: their
        key is null)."""
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
        count = 0
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
            base = f"subject/{subject_slug(str(key))}/"
            self.page(base, ["site/subject.html"], "-", **ctx)
            self.page(
                f"{base}{REPORT_DIR}/",
                ["site/report.html"],
                "-",
                data_date=cn_date(self.today),
                qr=qr_svg(ctx["report_url"]),
                **ctx,
            )
            count += 1
        return count

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
