"""Subject pages, `/subject/<key>/`, and their 信用报告, `/subject/<key>/credit-report/`.

A subject page opens with a summary (records per column, the latest date of each, any
current entry of an `alert` column highlighted) and lists the records grouped by column,
without repeating the subject. The 信用报告 is the print-ready page (A4 print stylesheet
in site.css): report number, dates, identity, every published field of every record,
the disclosure rules that applied, the page's permanent address, and what the report is
and is not. Its QR code is drawn in the reader's browser from that address (qr-code.js
with the vendored qrcode-generator): at a city's 250 000 subjects, encoding it at build
time cost minutes of CPU. Natural persons have no subject key, so no page and no report
(spec §5).

Large builds render the subjects in chunks on worker processes (or the build's executor),
each reading its rows from an Arrow IPC file, as record pages do (records.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import polars as pl
from markupsafe import Markup, escape

from ..columns import ID, SUBJECT, UNTIL
from ..web.chrome import Chrome
from ..web.kinds import rule_texts
from ..web.model import Dataset
from ..web.templating import cn_date, environment, template
from ..web.urls import subject_slug
from ..web.writer import Counts, Scanner, TreeWriter

Esc = Callable[[str], str]
REPORT_PREFIX = "XYBG"
# The 信用报告's folder under its subject's. Never "report…": that is the office's own
# internal report, which must not appear in the public tree.
REPORT_DIR = "credit-report"
SUBJECT_FILES = ("index.html", f"{REPORT_DIR}/index.html")
_ROOTS = ("../../", "../../../")  # a subject page's and its report's way back to the root


@dataclass(frozen=True)
class Kind:
    """What the subject pages show of a dataset (picklable: no frame)."""

    id: str
    name: str
    description: str
    alert: bool
    repairable: bool
    rules: tuple[str, ...]


@dataclass
class Group:
    """One column's records of a subject, newest first."""

    ds: Kind
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # rid t0 t1 dept date until html

    @property
    def latest(self) -> str:
        return next((r[4] for r in self.rows if r[4]), "")


_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O: read aloud and typed back without doubt


def report_number(key: str, today: dt.date) -> str:
    """Deterministic: the same subject on the same build date has the same number.

    The part after the date is letters only: digits there would join the date's eight
    into a run that can read as an ID number (XYBG-20261122-1031823E did)."""
    digest = hashlib.sha256(f"{key}|{today.isoformat()}".encode()).digest()[:8]
    return f"{REPORT_PREFIX}-{today:%Y%m%d}-{''.join(_LETTERS[b % 24] for b in digest)}"


def subject_dir(key: Any) -> str:
    return f"subject/{subject_slug(str(key))}/"


@dataclass(frozen=True)
class SubjectJob:
    """What a worker needs to render subject pages and 信用报告 (picklable)."""

    kinds: tuple[Kind, ...]  # the datasets, in the site's order
    today: dt.date
    site_url: str
    site_name: str
    chrome: tuple[dict[str, Markup], ...]  # per root of _ROOTS


def subject_job(datasets: list[Dataset], chrome: Chrome, today: dt.date) -> SubjectJob:
    rules = chrome.config.rules
    kinds = tuple(
        Kind(
            ds.id,
            ds.name,
            ds.description,
            ds.alert,
            ds.repairable,
            tuple(rule_texts(ds.schema, rules)) if ds.schema else (),
        )
        for ds in datasets
    )
    site = chrome.xy["site"]
    pieces = tuple(dict(chrome.get(root, "-")) for root in _ROOTS)
    return SubjectJob(kinds, today, str(site["url"]), str(site["name"]), pieces)


def subject_context(
    key: str, name: str, groups: list[Group], job: SubjectJob, esc: Esc = str
) -> dict[str, Any]:
    """What the subject page and its report show (`esc`: how a value is printed)."""
    url = f"{job.site_url}{subject_dir(key)}{REPORT_DIR}/"
    return {
        "name": esc(name),
        "key": esc(key),
        "groups": groups,
        "alerts": [g for g in groups if g.ds.alert],
        "total": sum(len(g.rows) for g in groups),
        "repairable": any(g.ds.repairable for g in groups),
        "report_no": esc(report_number(key, job.today)),
        "report_url": esc(url),
        "rules": [(g.ds.name, g.ds.description, g.ds.rules) for g in groups],
    }


# The columns of a subject table as render_subjects reads them, in this order.
COLUMNS = (SUBJECT, "_ds", ID, "_t0", "_t1", "_dept", "_date", UNTIL, "_html", "_name")
_TEXT = (ID, "_t0", "_t1", "_dept", "_date", UNTIL)  # a record's printed values (not _html)
_HTML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;"))
_PROBE = "甲<b>&\"'：乙"  # every character Jinja escapes


class Renderer:
    """Renders a subject's two pages, the fast way when it gives Jinja's own bytes.

    Jinja's autoescape costs an escape() and a Markup per printed value: a third of
    the rendering time. The fast way renders the same templates without autoescape from
    values escaped beforehand (the rows in one vectorised pass, the rest once). A probe
    subject whose every value holds every character that needs escaping is rendered
    both ways first; if the bytes differ (a template that filters or tests a value),
    every page is rendered by autoescaping Jinja: slower, never different."""

    def __init__(self, job: SubjectJob):
        self.job = job
        names = ("site/subject.html", "site/report.html")
        self.safe = tuple(template(n) for n in names)
        raw = environment().overlay(autoescape=False)
        self.raw = tuple(raw.get_template(n) for n in names)
        common = {"site_name": job.site_name, "data_date": cn_date(job.today)}
        self.shells = [
            {**common, "root": root, "chrome": c}
            for root, c in zip(_ROOTS, job.chrome, strict=True)
        ]
        self.kinds = {k.id: k for k in job.kinds}
        e = _escape
        self.raw_kinds = {
            k.id: replace(
                k,
                id=e(k.id),
                name=e(k.name),
                description=e(k.description),
                rules=tuple(e(t) for t in k.rules),
            )
            for k in job.kinds
        }
        self.raw_shells = [
            {**s, "site_name": e(job.site_name), "data_date": e(common["data_date"])}
            for s in self.shells
        ]
        self.fast = self._agrees()

    def _agrees(self) -> bool:
        probe = pl.DataFrame(
            [
                [_PROBE] + [k.id] + [_PROBE] * 6 + ["<dt>甲</dt><dd>&amp;</dd>", _PROBE]
                for k in self.job.kinds
            ],
            schema=list(COLUMNS),
            orient="row",
        )
        slow = [p for _, p in self._pages(probe, fast=False)]
        return slow == [p for _, p in self._pages(probe, fast=True)]

    def pages(self, frame: pl.DataFrame) -> Iterator[tuple[str, list[bytes]]]:
        """(subject folder, [page, 信用报告]) of each subject of `frame`."""
        return self._pages(frame, self.fast)

    def _pages(self, frame: pl.DataFrame, fast: bool) -> Iterator[tuple[str, list[bytes]]]:
        esc: Esc = _escape if fast else str
        mark: Esc = str if fast else Markup
        if fast:
            frame = frame.with_columns(_escaped(pl.col(list(_TEXT))))
            kinds, shells, tpls = self.raw_kinds, self.raw_shells, self.raw
        else:
            kinds, shells, tpls = self.kinds, self.shells, self.safe
        # One pass over rows sorted by subject: no per-group frames.
        for key, recs in groupby(frame.iter_rows(), key=itemgetter(0)):
            groups = {d: Group(k) for d, k in kinds.items()}
            name = ""
            for _, d, rid, t0, t1, dept, date, until, html, nm in recs:
                groups[d].rows.append((rid, t0, t1, dept, date, until, mark(html)))
                name = name or nm
            shown = [g for g in groups.values() if g.rows]
            ctx = subject_context(str(key), name or str(key), shown, self.job, esc)
            pages = [t.render(ctx, **sh).encode() for t, sh in zip(tpls, shells, strict=True)]
            yield subject_dir(key), pages


def _escape(value: str) -> str:
    return str(escape(value))


def _escaped(col: pl.Expr) -> pl.Expr:
    for char, entity in _HTML_ESCAPES:
        col = col.str.replace_all(char, entity, literal=True)
    return col


def render_subjects(
    job: SubjectJob, frame: pl.DataFrame, writer: TreeWriter, kept: set[str]
) -> None:
    """Write the page and the 信用报告 of each subject of `frame` (COLUMNS, sorted by
    subject, newest first), but the files in `kept` (the render cache's)."""
    write = writer.write
    for base, pages in Renderer(job).pages(frame):
        for rel, page in zip(SUBJECT_FILES, pages, strict=True):
            if f"{base}{rel}" not in kept:
                write(f"{base}{rel}", page)


Task = tuple[SubjectJob, str, list[str], str, str | None, Scanner | None, bool, bool]


def subject_chunk(task: Task) -> Counts:
    """Worker: the subjects of one chunk file (checked by the scanner as they are written)."""
    start = time.process_time()
    job, ipc, kept, new, prev, scanner, inherit, track = task
    writer = TreeWriter(Path(new), Path(prev) if prev else None, scanner, inherit, track)
    render_subjects(job, pl.read_ipc(ipc), writer, set(kept))
    os.unlink(ipc)
    counts = writer.finish()
    counts.cpu = time.process_time() - start
    return counts


def subject_tasks(
    job: SubjectJob,
    table: pl.DataFrame,
    kept: set[str],
    writer: TreeWriter,
    scratch: Path,
    size: int,
) -> Iterator[Task]:
    """One Arrow file per chunk of `size` subjects (a subject's rows never cut in two),
    with the files of its subjects that the render cache keeps."""
    scratch.mkdir(parents=True, exist_ok=True)
    w = writer
    runs = table.get_column(SUBJECT).rle_id()  # sorted by subject: 0, 0, 1, 1, 1, 2, …
    firsts = pl.Series(range(0, int(runs[-1]) + 1, size), dtype=runs.dtype)
    starts = runs.search_sorted(firsts).to_list()
    for i, (lo, hi) in enumerate(zip(starts, [*starts[1:], table.height], strict=True)):
        part = table.slice(lo, hi - lo)
        ipc = scratch / f"subjects-{i}.arrow"
        part.write_ipc(ipc, compression="uncompressed")
        mine = [
            rel
            for key in part.get_column(SUBJECT).unique().to_list()
            for f in SUBJECT_FILES
            if (rel := f"{subject_dir(key)}{f}") in kept
        ]
        yield job, str(ipc), mine, w.new, w.prev, w.scanner, w.inherit, w.track
