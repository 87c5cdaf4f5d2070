"""Stage: render — the site's own pages from the published records and the narrative pages.

MkDocs builds the narrative pages into a scratch directory; their files, then the
generated pages (records, lists, subjects, home …) go through the new tree's writer
(generator/web/writer.py), which re-uses unchanged files of the previous build. The tree
itself — written beside the live site and exchanged with it in one atomic step — is
generator/build.py's; the other public stages (export, index, 信用监测) write into the
same tree, and `Site.finish` adds the sitemap of everything written.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..columns import ID
from ..config import PACKAGE_DIR
from ..fsutil import replace_dir
from ..published import Published
from ..web.cache import site_cache
from ..web.chrome import Chrome
from ..web.model import Dataset, prepare, subjects
from ..web.urls import feed_rel, record_href
from ..web.writer import Counts, Scanner, TreeWriter, removed
from .narrative import REPLACED, NarrativeError, articles, build_narrative, material_css, page_urls
from .pages import Pages
from .records import job_for, render_records

__all__ = ["Site", "SiteError", "SiteStats", "Sources", "Tree", "Verify", "new_tree", "render"]
SiteError = NarrativeError


class Verify(Protocol):
    """The guard (generator/guard.py): scans files as written, then the finished tree."""

    @property
    def scanner(self) -> Scanner: ...

    def inherit(self, out: Path) -> bool: ...

    def __call__(self, root: Path, counts: Counts) -> None: ...

    def passed(self, out: Path) -> None: ...

    def forget(self) -> None: ...


@dataclass
class Tree:
    """The new site tree, written beside the live one at `out` and swapped in on success."""

    out: Path
    root: Path  # where the new tree is being written
    prev: Path | None  # the live tree, whose unchanged files are re-used
    writer: TreeWriter
    scratch: Path  # private scratch space, removed after the build

    def check(self, guard: Verify | None) -> None:
        """The guard's verdict on the finished tree; the last step before the swap."""
        if guard is not None:
            guard(self.root, self.writer.finish())
            guard.forget()  # the swap changes the live tree


@contextmanager
def new_tree(out: Path, work: Path, guard: Verify | None = None) -> Iterator[Tree]:
    """A new tree for `out`; it replaces `out` atomically when the block ends normally.

    An exception in the block (a stage failed, the guard stopped the build) leaves `out`
    exactly as it was.
    """
    scratch = work / "site-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    out = out.resolve()
    try:
        with replace_dir(out, standby=True) as tmp:
            prev = out if out.is_dir() else None
            if guard is None:
                writer = TreeWriter(tmp, prev, track=True)
            else:
                writer = TreeWriter(tmp, prev, guard.scanner, guard.inherit(out), track=True)
            with os.scandir(tmp) as entries:
                writer.standby = any(True for _ in entries)
            yield Tree(out, tmp, prev, writer, scratch)
        if guard is not None:
            guard.passed(out)
        if writer.cache is not None:  # the render cache, once the new tree is live
            writer.cache.save(writer.counts.stamps)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass(frozen=True)
class Sources:
    """Where the narrative pages come from: mkdocs.yml, content/ and site.yml."""

    mkdocs_file: Path
    content_dir: Path
    site_file: Path

    @classmethod
    def beside(cls, site_file: Path) -> Sources:
        """mkdocs.yml and content/ next to site.yml, else the generator's own checkout's."""
        here = site_file.parent
        root = here if (here / "mkdocs.yml").is_file() else PACKAGE_DIR.parent
        return cls(root / "mkdocs.yml", root / "content", site_file)

    def paths(self) -> list[Path]:
        return [self.mkdocs_file, self.content_dir, self.site_file]


@dataclass
class SiteStats:
    files: int
    changed: int
    removed: int
    records: int
    subjects: int

    def line(self) -> str:
        return f"site: {self.files} files, {self.changed} changed, {self.removed} removed"


@dataclass
class Site:
    """The rendered site: what the later stages need of it (chrome, datasets, narrative)."""

    tree: Tree
    pages: Pages
    datasets: list[Dataset]
    narrative: Path  # the MkDocs output, for the search index
    narrative_urls: list[str]
    subjects: int
    urls: list[str] = field(default_factory=list)  # record pages, for the sitemap

    @property
    def chrome(self) -> Chrome:
        return self.pages.chrome

    def finish(self, more_urls: list[str], before: list[str] | None = None) -> SiteStats:
        """The sitemap of every page written (the site's and `more_urls`), and the counts;
        `before`: the files the previous build placed (else the live tree is walked)."""
        self.pages.sitemap(self.narrative_urls + self.urls + more_urls)
        tree = self.tree
        tree.writer.prune()  # what the standby held and this build did not place
        if not tree.prev:
            gone = 0
        elif before is not None:
            gone = len(set(before).difference(tree.writer.counts.stamps))
        else:
            gone = removed(tree.prev, tree.root)
        count = tree.writer.counts
        n = sum(ds.count for ds in self.datasets)
        return SiteStats(count.files, count.changed, gone, n, self.subjects)


def render(
    published: Published,
    tree: Tree,
    sources: Sources,
    workers: int | None = None,
    feeds: bool = False,
    pool: Executor | None = None,
) -> Site:
    """Narrative pages, subject pages and 信用报告, record pages, lists, home, search page, 404.

    `feeds`: the open-data stage runs, so list pages link each kind's Atom feed.
    """
    today, writer = published.today, tree.writer
    mkdocs_out = tree.scratch / "mkdocs"
    narrative = build_narrative(sources.mkdocs_file, sources.site_file, mkdocs_out, today)
    writer.copy_tree(narrative, skip=REPLACED)
    chrome = Chrome(published.config, material_css(narrative))
    writer.cache = site_cache(tree.scratch.parent, published.config, chrome.material_css)
    datasets = [prepare(published.frame(s.id), s, today) for s in published.kinds]
    pages = Pages(chrome, writer, today, feed=feed_rel if feeds else None)
    # Subject pages and 信用报告 first: a report prints every field of its records,
    # which the record pages' stage drops once written.
    n_subjects = pages.subjects(
        subjects(datasets), datasets, workers, pool, tree.scratch / "subjects"
    )
    jobs = [(ds, job_for(ds, chrome)) for ds in datasets]
    writer.counts.add(render_records(jobs, writer, tree.scratch / "records", workers, pool))
    for ds in datasets:
        pages.dataset_lists(ds, pool)
    content = sources.content_dir
    pages.objection_form()
    pages.home(datasets, articles(content, "news"), articles(content, "cases"))
    pages.search(datasets)
    pages.not_found()
    urls = [record_href(ds.id, rid) for ds in datasets for rid in ds.frame.get_column(ID)]
    return Site(tree, pages, datasets, narrative, page_urls(narrative), n_subjects, urls)
