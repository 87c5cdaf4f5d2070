"""Write one dataset's download files, whole and per year: CSV, XLSX and JSON/NDJSON.

Files stream straight into the new site tree (a 1 M-record CSV is never held as bytes);
a file identical to the previous build's is replaced by a hard link to it, as the site's
TreeWriter does for pages, so an unchanged rebuild changes nothing on disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..web.cache import text_hash
from ..web.writer import TreeWriter, clear
from .fields import Field, spreadsheet_safe
from .xlsx import write_xlsx

BOM = b"\xef\xbb\xbf"
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel (XLSX)", "json": "JSON", "ndjson": "NDJSON"}
_CHUNK = 1 << 20
FAMILY = "downloads"  # render-cache family of the download files


@dataclass(frozen=True)
class FileInfo:
    rel: str  # path under the site root, e.g. "downloads/xzcf/xzcf-2026.csv"
    dataset: str
    year: int | None  # None: the whole dataset
    format: str  # csv | xlsx | json | ndjson
    rows: int
    bytes: int
    sha256: str

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]


class Placer:
    """Hands out paths inside the new tree and accounts each finished file like TreeWriter."""

    def __init__(self, writer: TreeWriter):
        self.writer = writer
        self._previous: tuple[dict[str, Any], dict[str, Any]] | None = None

    def path(self, rel: str) -> Path:
        """Where to write `rel`: nothing is there (a standby's file may be a hard link to
        the live site's: it is removed, never written into)."""
        path = Path(self.writer.new) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        clear(path)
        return path

    def done(self, rel: str) -> tuple[int, str]:
        """Size and SHA-256 of a written file; link the previous build's copy if identical."""
        size, digest = file_digest(Path(self.writer.new) / rel)
        self.placed(rel, size, digest)
        return size, digest

    def placed(self, rel: str, size: int, digest: str) -> None:
        """Account a file written at `rel` (its size and SHA-256): the previous build's copy
        is linked in its place when identical."""
        path = Path(self.writer.new) / rel
        self.writer.counts.files += 1
        old = Path(self.writer.prev) / rel if self.writer.prev else None
        same = old is not None and old.is_file() and old.stat().st_size == size
        if same and old is not None and file_digest(old)[1] == digest:
            os.unlink(path)
            try:
                os.link(old, path)
            except OSError:  # another filesystem: copy back, still unchanged
                path.write_bytes(old.read_bytes())
            self.writer.stamp(rel, os.stat(path))
            self.writer.scan(rel, linked=True)
            return
        self.writer.counts.changed += 1
        self.writer.stamp(rel, os.stat(path))
        self.writer.scan(rel)

    def keep(self, rel: str, key: tuple[int, int], rows: int) -> tuple[int, str] | None:
        """The previous build's file at `rel` when it was made from the same `key`: linked
        into the new tree, not written (size and SHA-256 from the render cache)."""
        cache = self.writer.cache
        if cache is None:
            return None
        cache.family(FAMILY)
        cache.add(FAMILY, rel, key)
        if not self._previous:
            self._previous = (cache.lookup(FAMILY), cache.previous_notes(FAMILY))
        old, notes = self._previous
        note = notes.get(rel)
        if (
            old.get(rel, (None, None))[:2] != key
            or not isinstance(note, list)
            or note[0] != rows
            or not self.writer.keep(rel, old[rel][2])
        ):
            return None
        cache.count(FAMILY, 1)
        cache.note(FAMILY, rel, note)
        return old[rel][2][1], str(note[1])

    def noted(self, rel: str, rows: int, digest: str) -> None:
        """Note a written file's rows and SHA-256 in the render cache (see keep)."""
        if self.writer.cache is not None:
            self.writer.cache.note(FAMILY, rel, [rows, digest])

    def write_bytes(self, rel: str, data: bytes) -> tuple[int, str]:
        self.path(rel).write_bytes(data)
        return self.done(rel)


def file_digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def file_stem(dataset: str, year: int | None) -> str:
    """Stable file names: xzcf, xzcf-2026."""
    return dataset if year is None else f"{dataset}-{year}"


def json_format(year: int | None) -> str:
    """The whole dataset is NDJSON (unbounded, streamable); one year is a JSON array.

    Decided by scope, never by row count, so a file's name never changes as data grows.
    """
    return "ndjson" if year is None else "json"


@dataclass
class Job:
    """One download file to write (on the build's executor): picklable."""

    path: str  # where in the new tree
    fmt: str
    frame: pl.DataFrame  # the rows as the format takes them (spreadsheet-safe or raw)
    meta: tuple[list[tuple[str, str]], dt.date, str, str]  # columns, created, scope, creator


@dataclass
class Plan:
    """One dataset's download files: those kept from the last build, and those to write."""

    files: list[FileInfo | None]  # None: written by the job of the same rel
    jobs: list[tuple[int, str, int | None, Job]]  # (index in files, rel, year, job)
    rows: list[int]  # rows of each file


def plan_dataset(
    frame: pl.DataFrame,
    dataset: str,
    title: str,
    fields: list[Field],
    placer: Placer,
    created: dt.date,
    creator: str,
) -> Plan:
    """The whole-dataset files, then each year's, from an export_frame(): a file made of
    the same content as the last build's is linked (Placer.keep), the others are jobs."""
    columns = [(f.name, f.kind) for f in fields]
    frame = frame.select(*(n for n, _ in columns), "_year")  # dictionary order in every format
    safe = spreadsheet_safe(frame, fields)
    years = sorted(frame.get_column("_year").drop_nulls().unique().to_list(), reverse=True)
    plan = Plan([], [], [])
    for year in [None, *years]:
        if year is None:
            raw, sheet = frame.drop("_year"), safe.drop("_year")
        else:
            keep = pl.col("_year") == year
            raw, sheet = frame.filter(keep).drop("_year"), safe.filter(keep).drop("_year")
        stem = f"downloads/{dataset}/{file_stem(dataset, year)}"
        scope = title if year is None else f"{title}（{year}年）"
        content = content_key(raw, columns) if placer.writer.cache is not None else ""
        for fmt in ("csv", "xlsx", json_format(year)):
            rel = f"{stem}.{fmt}"
            # What the file is made of: the rows, and for XLSX its metadata (dated).
            key = text_hash(rel, content, scope, creator, created if fmt == "xlsx" else None)
            kept = placer.keep(rel, key, raw.height)
            plan.rows.append(raw.height)
            if kept is not None:
                plan.files.append(FileInfo(rel, dataset, year, fmt, raw.height, *kept))
                continue
            data = sheet if fmt in ("csv", "xlsx") else raw
            job = Job(str(placer.path(rel)), fmt, data, (columns, created, scope, creator))
            plan.jobs.append((len(plan.files), rel, year, job))
            plan.files.append(None)
        del raw, sheet
    return plan


def finish_dataset(
    plan: Plan, dataset: str, placer: Placer, done: list[tuple[int, str, float]]
) -> list[FileInfo]:
    """The files of `plan` once its jobs are `done` (size, SHA-256, seconds each)."""
    files = list(plan.files)
    for (i, rel, year, job), (size, digest, _) in zip(plan.jobs, done, strict=True):
        placer.placed(rel, size, digest)
        placer.noted(rel, plan.rows[i], digest)
        files[i] = FileInfo(rel, dataset, year, job.fmt, plan.rows[i], size, digest)
    return [f for f in files if f is not None]


def export_dataset(
    frame: pl.DataFrame,
    dataset: str,
    title: str,
    fields: list[Field],
    placer: Placer,
    created: dt.date,
    creator: str,
) -> list[FileInfo]:
    """Write the whole-dataset files, then each year's, from an export_frame(), here."""
    plan = plan_dataset(frame, dataset, title, fields, placer, created, creator)
    done = [write_job(job) for *_, job in plan.jobs]
    return finish_dataset(plan, dataset, placer, done)


def content_key(frame: pl.DataFrame, columns: list[tuple[str, str]]) -> str:
    """A 128-bit hash of a frame's rows (in order), names and types: a file's content."""
    digest = hashlib.blake2b(repr((columns, frame.schema)).encode(), digest_size=16)
    for seed in (1, 2):
        digest.update(array("Q", frame.hash_rows(seed=seed).to_list()).tobytes())
    return digest.hexdigest()


def write_job(job: Job) -> tuple[int, str, float]:
    """Worker (or here): write one download file; its size, SHA-256 and the seconds taken."""
    start = time.perf_counter()
    path = Path(job.path)
    if job.fmt == "csv":
        with path.open("wb") as fh:
            fh.write(BOM)
            job.frame.write_csv(fh, line_terminator="\r\n")
    elif job.fmt == "xlsx":
        columns, created, scope, creator = job.meta
        write_xlsx(path, job.frame, columns, created, scope, creator)
    elif job.fmt == "json":
        job.frame.write_json(path)
    else:
        job.frame.write_ndjson(path)
    return (*file_digest(path), time.perf_counter() - start)
