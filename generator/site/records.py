"""Record pages, `/<dataset>/<record-id>/`: the hot loop of the site build.

Everything that is the same for every record of a dataset (labels, shell, links) is
prepared once; a record costs one template render and one file write. Large builds split
the records into chunks rendered by worker processes that read their slice of the
prepared frame from an Arrow IPC file (no pickling of rows, no fork of polars).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..templating import template
from .model import Dataset, subject_slug
from .writer import Counts, TreeWriter

CHUNK = 25_000
PARALLEL_FROM = 20_000  # records; below this, worker start-up costs more than it saves


@dataclass(frozen=True)
class RecordJob:
    """What a worker needs to render one dataset's record pages (picklable)."""

    dataset: str
    labels: tuple[str, ...]
    context: dict[str, Any]  # shared template context: chrome, names, links
    site_url: str


def job_for(ds: Dataset, context: dict[str, Any], site_url: str) -> RecordJob:
    return RecordJob(ds.id, tuple(ds.labels), context, site_url)


def render_rows(job: RecordJob, rows: Iterable[tuple[Any, ...]], writer: TreeWriter) -> None:
    """Render and write the page of each row (columns as in Dataset.frame)."""
    tpl = template(f"site/record-{job.dataset}.html", "site/record.html")
    render = tpl.render
    base = job.context
    prefix = f"{job.site_url}{job.dataset}/"
    folder = f"{job.dataset}/"
    for rid, subject, until, _, t0, t1, _, _, html in rows:
        page = render(
            base,
            id=rid,
            until=until,
            fields_html=Markup(html),
            title=f"{t0}：{t1}" if t0 and t1 else (t0 or t1 or rid),
            url=f"{prefix}{rid}/",
            subject=subject_slug(subject) if subject else None,
        )
        writer.write(f"{folder}{rid}/index.html", page.encode())


def _chunk(args: tuple[RecordJob, str, str, str | None]) -> Counts:
    """Worker: render the rows of one chunk file."""
    import polars as pl

    start = time.process_time()
    job, ipc, new, prev = args
    writer = TreeWriter(Path(new), Path(prev) if prev else None)
    render_rows(job, pl.read_ipc(ipc).iter_rows(), writer)
    os.unlink(ipc)
    writer.counts.cpu = time.process_time() - start
    return writer.counts


def render_records(
    items: list[tuple[Dataset, RecordJob]],
    writer: TreeWriter,
    scratch: Path,
    workers: int | None = None,
) -> Counts:
    """Write every record page; in parallel when there are many.

    Drops each dataset's `_html` column once its pages are written: the other pages do
    not need it, and at a million records it is most of the memory.
    """
    total = sum(ds.count for ds, _ in items)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if total >= PARALLEL_FROM else 1
    counts = Counts()
    if workers <= 1:
        for ds, job in items:
            render_rows(job, ds.frame.iter_rows(), writer)
            ds.frame = ds.frame.drop("_html")
        return counts  # already counted by `writer`
    scratch.mkdir(parents=True, exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for part in pool.map(_chunk, _tasks(items, writer, scratch)):
            counts.add(part)
    return counts


def _tasks(
    items: list[tuple[Dataset, RecordJob]], writer: TreeWriter, scratch: Path
) -> Iterator[tuple[RecordJob, str, str, str | None]]:
    """One Arrow file per chunk of rows, so a worker reads only its own rows."""
    for ds, job in items:
        # Each worker creates its record directories; pre-create the dataset's one.
        os.makedirs(os.path.join(writer.new, ds.id), exist_ok=True)
        for start in range(0, ds.count, CHUNK):
            ipc = scratch / f"{ds.id}-{start}.arrow"
            ds.frame.slice(start, CHUNK).write_ipc(ipc, compression="uncompressed")
            yield job, str(ipc), writer.new, writer.prev
        ds.frame = ds.frame.drop("_html")
