"""Record pages, `/<dataset>/<record-id>.html`: the hot loop of the site build.

A record page is one flat file beside its dataset's list page (`<dataset>/index.html`):
no folder per record, so a record costs one file create, not a mkdir and a create.
Everything that is the same for every record of a dataset (labels, shell, links) is
rendered once: Jinja renders the template once per page shape with markers in place of
the record's values, and a record's page is the constant bytes between the markers joined
with its own escaped values (RecordPage). Large builds split the records into chunks
rendered by worker processes that read their slice of the prepared frame from an Arrow
IPC file (no pickling of rows, no fork of polars).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Template
from markupsafe import Markup, escape

from ..columns import ID, SUBJECT, UNTIL
from ..executors import map_ordered
from ..web.cache import RenderCache, row_hashes
from ..web.chrome import Chrome
from ..web.model import Dataset
from ..web.templating import template
from ..web.urls import subject_slug
from ..web.writer import Counts, Scanner, TreeWriter

CHUNK = 25_000
PARALLEL_FROM = 20_000  # records; below this, worker start-up costs more than it saves
# The values that differ between the record pages of one dataset, as the template names
# them; the template tests `until` and `subject` (optional), and only prints the others.
SLOTS = ("title", "id", "until", "fields_html", "url", "subject")
_MARK = "\ue000{}\ue001"  # private-use characters: in no template, never escaped
_MARKS = re.compile("\ue000([0-9])\ue001")
# Values that need escaping, to check a template's cut against Jinja's own rendering.
_PROBE = {
    "title": "甲<b>&\"'：乙",
    "id": "0123456789abcdef",
    "until": "2027年1月1日<",
    "fields_html": "<dt>名称</dt><dd>甲&amp;乙</dd>",
    "url": "https://x.example/?a=1&b=2/xzcf/0123456789abcdef.html",
    "subject": "k0123456789",
}
Fill = Callable[[tuple[bytes, ...]], bytes]


@dataclass(frozen=True)
class RecordJob:
    """What a worker needs to render one dataset's record pages (picklable)."""

    dataset: str
    labels: tuple[str, ...]
    context: dict[str, Any]  # shared template context: chrome, names, links
    site_url: str


def job_for(ds: Dataset, chrome: Chrome) -> RecordJob:
    """The job of a dataset's record pages: flat files at depth 1, like its list page."""
    context = {
        "chrome": chrome.get("../", f"{ds.id}/"),
        "root": "../",
        "site_name": chrome.xy["site"]["name"],
        "ds_name": ds.name,
        "ds_id": ds.id,
        "repairable": ds.repairable,
        "email": chrome.xy["office"]["email"],
    }
    return RecordJob(ds.id, tuple(ds.labels), context, str(chrome.xy["site"]["url"]))


class RecordPage:
    """One dataset's record template, cut into constant bytes and value slots.

    For each shape (with or without 公示截止期, with or without a subject link) Jinja
    renders the template once with a marker in place of every value of SLOTS; the text
    between the markers is the same for every record of that shape. A page is then those
    constant bytes joined with the record's values, escaped as Jinja escapes them
    (fields_html is markup, escaped already). A shape whose cut does not give Jinja's own
    rendering of probe values (a template that filters or tests a value) is rendered by
    Jinja instead: slower, never different.
    """

    def __init__(self, tpl: Template, context: dict[str, Any]):
        self.tpl = tpl
        self.context = context
        self.shapes: dict[tuple[bool, bool], Fill | None] = {
            (until, subject): self._cut(until, subject)
            for until in (False, True)
            for subject in (False, True)
        }

    def _jinja(self, values: dict[str, Any]) -> bytes:
        fields = Markup(values["fields_html"])
        return self.tpl.render(self.context, **{**values, "fields_html": fields}).encode()

    def _cut(self, until: bool, subject: bool) -> Fill | None:
        def shaped(values: dict[str, str]) -> dict[str, str | None]:
            return {
                **values,
                "until": values["until"] if until else None,
                "subject": values["subject"] if subject else None,
            }

        marks = {name: _MARK.format(i) for i, name in enumerate(SLOTS)}
        pieces = _MARKS.split(self._jinja(shaped(marks)).decode())
        # pieces: text, slot, text, …, slot, text. A page picks, in that order, from the
        # texts then the values; a last empty text keeps the pick a tuple.
        consts = (*(p.encode() for p in pieces[0::2]), b"")
        n = len(consts)
        order = [i // 2 if i % 2 == 0 else n + int(p) for i, p in enumerate(pieces)] + [n - 1]
        pick = itemgetter(*order)

        def fill(values: tuple[bytes, ...]) -> bytes:
            return b"".join(pick(consts + values))

        probe = shaped(_PROBE)
        escaped = tuple(
            b"" if (v := probe[k]) is None else v.encode() if k == "fields_html" else _esc(v)
            for k in SLOTS
        )
        return fill if fill(escaped) == self._jinja(probe) else None

    def render(
        self, rid: str, title: str, until: str | None, html: bytes, url: str, subject: str | None
    ) -> bytes:
        """The page's bytes; `html` is the fields' escaped markup, UTF-8."""
        fill = self.shapes[bool(until), bool(subject)]
        if fill is None:
            values = {"title": title, "id": rid, "until": until, "fields_html": html.decode()}
            return self._jinja({**values, "url": url, "subject": subject})
        return fill(
            (
                _esc(title),
                _esc(rid),
                _esc(until) if until else b"",
                html,
                _esc(url),
                _esc(subject) if subject else b"",
            )
        )


def _esc(value: str) -> bytes:
    """A value as Jinja prints it (autoescape), UTF-8."""
    return escape(value).encode()


def render_rows(job: RecordJob, frame: pl.DataFrame, writer: TreeWriter) -> None:
    """Render and write the page of each row of `frame` (columns as in Dataset.frame)."""
    tpl = template(f"site/record-{job.dataset}.html", "site/record.html")
    render = RecordPage(tpl, job.context).render
    write = writer.write
    prefix = f"{job.site_url}{job.dataset}/"
    folder = f"{job.dataset}/"
    # The fields markup as UTF-8 bytes straight from Arrow: most of a page, never decoded.
    rows = frame.select(
        ID, SUBJECT, UNTIL, "_t0", "_t1", pl.col("_html").cast(pl.Binary)
    ).iter_rows()
    for rid, subject, until, t0, t1, html in rows:
        page = render(
            rid,
            f"{t0}：{t1}" if t0 and t1 else (t0 or t1 or rid),
            until,
            html,
            f"{prefix}{rid}.html",
            subject_slug(subject) if subject else None,
        )
        write(f"{folder}{rid}.html", page)


Task = tuple[RecordJob, str, str, str | None, Scanner | None, bool, bool]


def _chunk(args: Task) -> Counts:
    """Worker: render the rows of one chunk file (checked by the scanner as they are written)."""
    start = time.process_time()
    job, ipc, new, prev, scanner, inherit, track = args
    writer = TreeWriter(Path(new), Path(prev) if prev else None, scanner, inherit, track)
    render_rows(job, pl.read_ipc(ipc), writer)
    os.unlink(ipc)
    counts = writer.finish()
    counts.cpu = time.process_time() - start
    return counts


# What a record page shows of its record (with the dataset's template, chrome and config,
# which the render cache's family key covers).
PAGE_INPUTS = (ID, SUBJECT, UNTIL, "_t0", "_t1", "_html")
FAMILY = "records"


def reuse(ds: Dataset, writer: TreeWriter, cache: RenderCache | None) -> pl.DataFrame:
    """Keep the previous build's page of every record whose inputs did not change;
    return the rows whose pages must be rendered."""
    if cache is None:
        return ds.frame
    cache.family(FAMILY)
    pages = pl.concat(
        [
            ds.frame.select((pl.lit(f"{ds.id}/") + pl.col(ID) + pl.lit(".html")).alias("rel")),
            row_hashes(ds.frame, PAGE_INPUTS),
        ],
        how="horizontal",
    )
    candidates = cache.candidates(FAMILY, pages)
    if not candidates:
        return ds.frame
    keep = writer.keep
    kept = [rel[len(ds.id) + 1 : -5] for rel, ident in candidates.items() if keep(rel, ident)]
    cache.count(FAMILY, len(kept))
    return ds.frame.filter(~pl.col(ID).is_in(kept))


def render_records(
    items: list[tuple[Dataset, RecordJob]],
    writer: TreeWriter,
    scratch: Path,
    workers: int | None = None,
    pool: Executor | None = None,
) -> Counts:
    """Write every record page (but those the render cache keeps); in parallel when
    there are many, or on `pool` (the build's executor: a Dask cluster) when it has one.

    Drops each dataset's `_html` column once its pages are written: the other pages do
    not need it, and at a million records it is most of the memory.
    """
    todo = [(ds, job, reuse(ds, writer, writer.cache)) for ds, job in items]
    total = sum(frame.height for _, _, frame in todo)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if total >= PARALLEL_FROM else 1
    counts = Counts()
    if pool is not None and total:
        scratch.mkdir(parents=True, exist_ok=True)
        for part in map_ordered(pool, _chunk, _tasks(todo, writer, scratch)):
            counts.add(part)
        return counts
    if workers <= 1:
        for ds, job, frame in todo:
            render_rows(job, frame, writer)
            ds.frame = ds.frame.drop("_html")
        return counts  # already counted by `writer`
    scratch.mkdir(parents=True, exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for part in pool.map(_chunk, _tasks(todo, writer, scratch)):
            counts.add(part)
    return counts


def _tasks(
    todo: list[tuple[Dataset, RecordJob, pl.DataFrame]], writer: TreeWriter, scratch: Path
) -> Iterator[Task]:
    """One Arrow file per chunk of rows, so a worker reads only its own rows."""
    w = writer
    for ds, job, frame in todo:
        # Record pages are flat files in the dataset's folder: the one directory they need.
        os.makedirs(os.path.join(writer.new, ds.id), exist_ok=True)
        for start in range(0, frame.height, CHUNK):
            ipc = scratch / f"{ds.id}-{start}.arrow"
            frame.slice(start, CHUNK).write_ipc(ipc, compression="uncompressed")
            yield job, str(ipc), w.new, w.prev, w.scanner, w.inherit, w.track
        ds.frame = ds.frame.drop("_html")
