"""The build, read top to bottom: one call per step, from the drop to the swapped-in site.

    load → validate → identity → disclose → mask      (generator/pipeline.py: `run`)
    report                                            the office's report, never public
    published view                                    the only input of the public stages
    render → index → export → 信用监测 → sitemap       into a new tree beside the live site
    guard → swap                                      the tree replaces the site, or nothing does

The CLI parses arguments, calls `build` and prints; progress and messages reach it through
the `Say` callbacks. A step that cannot go on raises `Stop` with the exit code and the
message; the staged report and tree are discarded and the live site is left as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from . import lastbuild
from .config import Config
from .executors import INLINE, executor
from .exits import EXIT_GUARD, EXIT_UNUSABLE
from .fsutil import lock_file, locked, recover, replace_dir
from .guard import GuardError, guard_for
from .memo import drop_key, run_cached
from .monitor import Monitor
from .opendata import LedgerError, OpenData
from .opendata.ledger import previous_ledger
from .pipeline import Progress, Result
from .published import Published
from .report import render_html, text_lines, write_json
from .search import SearchError, SearchIndex
from .site import SiteError, SiteStats, Sources, Verify, new_tree, render

Say = Callable[[str], None]


class Stop(Exception):
    """The build stops with exit `code`; nothing public or private was replaced."""

    def __init__(self, code: int, message: str, findings: list[Any] | None = None):
        super().__init__(message)
        self.code, self.message, self.findings = code, message, findings or []


@dataclass(frozen=True)
class Paths:
    data: Path  # the drop
    out: Path  # the public site
    work: Path  # private: report, records, caches, crash log
    site_file: Path  # site.yml


@dataclass(frozen=True)
class Options:
    today: dt.date
    ledger: str | None = None  # the previous ledger (path or URL), if not in `out`
    first_publication: bool = False
    workers: int | None = None
    search_timeout: int = 1800
    wait: bool = False
    executor: str = INLINE  # where partitions run (generator/executors.py)


def build(
    config: Config, paths: Paths, opts: Options, progress: Progress, say: Say, warn: Say
) -> Result | int:
    """Build the site from the drop; return the pipeline's result (its exit code: cli), or
    the last build's exit code when every input is unchanged and nothing is written.

    `say` prints a line of the build's account, `warn` one for the operator's attention.
    """
    with one_build_at_a_time(paths, opts.wait, warn):
        drop = drop_key(paths.data, config, opts.today)
        sources = Sources.beside(paths.site_file).paths()
        key = lastbuild.build_key(drop, paths.out, opts.ledger, opts.first_publication, sources)
        kept = lastbuild.unchanged(paths.out, paths.work, key)
        if kept is not None:  # the live site is what this build would write
            for line in kept.lines:
                say(line)
            return kept.code
        lastbuild.forget(paths.work)
        with executor(opts.executor, opts.workers) as pool:
            result, lines = _build(config, paths, opts, progress, say, pool, drop)
        lastbuild.remember(paths.out, paths.work, key, lines, result.exit_code())
    return result


def _build(
    config: Config,
    paths: Paths,
    opts: Options,
    progress: Progress,
    say: Say,
    pool: Executor | None,
    drop: str,
) -> tuple[Result, list[str]]:
    """The build itself; returns the pipeline's result and the account it printed."""
    result = run_cached(paths.work / "cache", paths.data, config, opts.today, progress, pool, drop)
    # ^ load → validate → identity → disclose → mask (kept while the inputs are unchanged)
    ledger, source = last_ledger(config, paths, opts)  # the last publication's ledger
    monitor = Monitor.compute(result, config, ledger)  # 信用监测, timed against it
    published = result.view(config)  # published, masked: all the public stages see
    lines = list(text_lines(result, config))
    lines.append(f"上次发布的台账：{source}" if source else "首次发布：发布台账从头开始")
    with ExitStack() as staged:
        report = staged.enter_context(replace_dir(paths.work / "report"))
        records = staged.enter_context(replace_dir(paths.work / "records"))
        write_report(report, result, config, monitor)  # the office's report
        write_records(records, published)  # the published rows, for the next tools
        for line in lines:
            say(line)
        public_site(published, ledger, monitor, paths, opts, say, pool)  # render … swap
    monitor.write_draft(paths.work)  # the month's 通报 draft, never published
    return result, lines


@contextmanager
def one_build_at_a_time(paths: Paths, wait: bool, say: Say) -> Iterator[None]:
    """Lock the work and output folders (LockHeld), and finish a swap a kill interrupted."""
    with locked(paths.work / ".lock", wait), locked(lock_file(paths.out), wait):
        for line in (
            recover(paths.out) + recover(paths.work / "report") + recover(paths.work / "records")
        ):
            say(line)
        yield


def last_ledger(config: Config, paths: Paths, opts: Options) -> tuple[pl.DataFrame, str | None]:
    """The previous publication's ledger (`--ledger`, the live site's, site.yml's URL) and
    where it came from; None for a first publication."""
    url = str((config.site.get("publish") or {}).get("ledger_url") or "")
    try:
        return previous_ledger(paths.out, opts.ledger, [url] if url else [], opts.first_publication)
    except LedgerError as exc:
        raise Stop(EXIT_UNUSABLE, f"{exc}；原网站 {paths.out} 保持不变") from exc


def write_report(folder: Path, result: Result, config: Config, monitor: Monitor) -> None:
    """report.json and index.html: every row accounted for, with 信用监测's figures."""
    with (folder / "report.json").open("w", encoding="utf-8") as fh:
        write_json(result, config, fh)
    html = render_html(result, config, monitor.office_html())
    (folder / "index.html").write_text(html, encoding="utf-8")


def write_records(folder: Path, published: Published) -> None:
    for kind, frame in published.frames.items():
        frame.write_parquet(folder / f"{kind}.parquet")


def public_site(
    published: Published,
    ledger: pl.DataFrame,
    monitor: Monitor | None,
    paths: Paths,
    opts: Options,
    say: Say,
    pool: Executor | None = None,
) -> None:
    """The public stages into a new tree, the guard, the swap; Stop if it is not replaced."""
    export = OpenData(published, ledger, pool=pool)
    index = SearchIndex(timeout=opts.search_timeout)
    try:
        stats = write_site(
            published,
            paths,
            export=export,
            index=index,
            monitor=monitor,
            guard=guard_for(published, paths.work),
            workers=opts.workers,
            pool=pool,
        )
    except (SiteError, LedgerError, SearchError) as exc:
        raise Stop(EXIT_UNUSABLE, f"{exc}；原网站 {paths.out} 保持不变") from exc
    except GuardError as exc:
        raise Stop(EXIT_GUARD, f"原网站 {paths.out} 保持不变，未替换", exc.findings) from exc
    for line in (stats.line(), export.line(), index.line()):
        say(line)
    if monitor is not None:
        say(monitor.line())


def write_site(
    published: Published,
    paths: Paths,
    *,
    export: OpenData | None = None,
    index: SearchIndex | None = None,
    monitor: Monitor | None = None,
    guard: Verify | None = None,
    workers: int | None = None,
    pool: Executor | None = None,
) -> SiteStats:
    """Every public stage writes into one new tree; the guard checks it; it is swapped in."""
    before = lastbuild.placed_files(paths.work)  # the live site's files, as last placed
    with new_tree(paths.out, paths.work, guard) as tree:
        sources = Sources.beside(paths.site_file)
        site = render(published, tree, sources, workers, export is not None, pool)
        if index is not None:
            index.write(tree.writer, site.datasets, published.kinds, site.narrative,
                        site.narrative_urls, tree.scratch / "search", pool)  # fmt: skip
        urls = export.write(tree.writer, site.chrome) if export is not None else []
        urls += monitor.write(tree.writer, site.chrome) if monitor is not None else []
        stats = site.finish(urls, [f[0] for f in before] if before is not None else None)
        tree.check(guard)  # last: nothing written after this is checked
    lastbuild.save_placed(paths.work, tree.writer.counts.stamps)  # the new live site's files
    return stats
