"""Stage: render — the public site from the published records and the narrative pages.

Steps: MkDocs builds the narrative pages into a scratch directory; their files, then the
generated pages (records, lists, subjects, home …) go through one TreeWriter into a
sibling of the public directory, re-using unchanged files of the previous build; the new
tree is exchanged with the old one in one atomic step (fsutil.swap_in), so a failed or
killed build leaves the old site served.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..columns import ID
from ..config import PACKAGE_DIR, Config, Schema
from ..fsutil import replace_dir
from ..pipeline import Result
from ..web.cache import site_cache
from ..web.chrome import Chrome
from ..web.model import Dataset, prepare, subjects
from ..web.urls import record_href
from ..web.writer import Counts, Scanner, TreeWriter, removed
from .narrative import REPLACED, NarrativeError, articles, build_narrative, material_css, page_urls
from .pages import Pages
from .records import job_for, render_records

__all__ = ["Extra", "SearchStage", "SiteStats", "SiteError", "build_site"]
SiteError = NarrativeError


class SearchStage(Protocol):
    """The index stage (generator/search): search bundles over subjects and narrative pages."""

    def write(
        self,
        writer: TreeWriter,
        datasets: list[Dataset],
        schemas: list[Schema],
        narrative: Path,
        narrative_urls: list[str],
        scratch: Path,
    ) -> None: ...


class Verify(Protocol):
    """The guard (generator/guard.py): scans files as written, then the finished tree."""

    @property
    def scanner(self) -> Scanner: ...

    def inherit(self, out: Path) -> bool: ...

    def __call__(self, root: Path, counts: Counts) -> None: ...

    def passed(self, out: Path) -> None: ...

    def forget(self) -> None: ...


class Extra(Protocol):
    """A later stage that adds files to the same tree (generator/opendata: downloads, feeds)."""

    def feed(self, dataset: str) -> str:
        """URL of the dataset's Atom feed, relative to the site root."""
        ...

    def write(self, writer: TreeWriter, chrome: Chrome) -> list[str]:
        """Write its files with `writer`; return its page URLs for the sitemap."""
        ...


@dataclass
class SiteStats:
    files: int
    changed: int
    removed: int
    records: int
    subjects: int

    def line(self) -> str:
        return f"site: {self.files} files, {self.changed} changed, {self.removed} removed"


def build_site(
    result: Result,
    config: Config,
    out: Path,
    work: Path,
    *,
    mkdocs_file: Path | None = None,
    content_dir: Path | None = None,
    site_file: Path | None = None,
    workers: int | None = None,
    extra: Extra | None = None,
    search: SearchStage | None = None,
    verify: Verify | None = None,
    monitor: Callable[[TreeWriter, Chrome], list[str]] | None = None,
) -> SiteStats:
    """Build the public site into `out` (atomically); `work` holds scratch files.

    `verify` checks each file as it is written and the finished new tree before it
    replaces `out`; if it raises, `out` is left as it was (the guard: generator/guard.py).
    """
    # mkdocs.yml and content/ sit next to site.yml, else in the generator's own checkout.
    root = config.root if (config.root / "mkdocs.yml").is_file() else PACKAGE_DIR.parent
    mkdocs_file = mkdocs_file or root / "mkdocs.yml"
    content_dir = content_dir or root / "content"
    site_file = site_file or config.root / "site.yml"
    scratch = work / "site-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    out = out.resolve()
    try:
        with replace_dir(out) as tmp:
            prev = out if out.is_dir() else None
            narrative = build_narrative(mkdocs_file, site_file, scratch / "mkdocs", result.today)
            if verify is None:
                writer = TreeWriter(tmp, prev, track=True)
            else:
                writer = TreeWriter(tmp, prev, verify.scanner, verify.inherit(out), track=True)
            writer.copy_tree(narrative, skip=REPLACED)
            chrome = Chrome(config, material_css(narrative))
            writer.cache = site_cache(work, config, chrome.material_css)
            datasets = [prepare(result.published(s.id), s, result.today) for s in config.datasets()]
            pages = Pages(chrome, writer, result.today, feed=extra.feed if extra else None)
            # Subject pages and 信用报告 first: a report prints every field of its records,
            # which the record pages' stage drops once written.
            n_subjects = pages.subjects(subjects(datasets), datasets)
            jobs = [(ds, job_for(ds, chrome)) for ds in datasets]
            writer.counts.add(render_records(jobs, writer, scratch / "records", workers))
            for ds in datasets:
                pages.dataset_lists(ds)
            pages.objection_form()
            pages.home(datasets, articles(content_dir, "news"), articles(content_dir, "cases"))
            pages.search(datasets)
            pages.not_found()
            if search is not None:
                schemas = config.datasets()
                search.write(writer, datasets, schemas, narrative, page_urls(narrative),
                             scratch / "search")  # fmt: skip
            extra_urls = extra.write(writer, chrome) if extra else []
            extra_urls += monitor(writer, chrome) if monitor else []  # 信用监测 (generator/monitor)
            record_urls = [
                record_href(ds.id, rid) for ds in datasets for rid in ds.frame.get_column(ID)
            ]
            pages.sitemap(page_urls(narrative) + record_urls + extra_urls)
            gone = removed(prev, tmp) if prev else 0
            # Last step before the swap: nothing written after this is checked.
            if verify is not None:
                verify(tmp, writer.finish())
                verify.forget()  # the swap below changes the live tree
        if verify is not None:
            verify.passed(out)
        if writer.cache is not None:
            writer.cache.save(writer.counts.stamps)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return SiteStats(
        writer.counts.files,
        writer.counts.changed,
        gone,
        sum(ds.count for ds in datasets),
        n_subjects,
    )
