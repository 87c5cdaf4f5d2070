"""Write one dataset's download files, whole and per year: CSV, XLSX and JSON/NDJSON.

Files stream straight into the new site tree (a 1 M-record CSV is never held as bytes);
a file identical to the previous build's is replaced by a hard link to it, as the site's
TreeWriter does for pages, so an unchanged rebuild changes nothing on disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..web.cache import text_hash
from ..web.writer import TreeWriter
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
        path = Path(self.writer.new) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def done(self, rel: str) -> tuple[int, str]:
        """Size and SHA-256 of a written file; link the previous build's copy if identical."""
        path = Path(self.writer.new) / rel
        size, digest = file_digest(path)
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
            return size, digest
        self.writer.counts.changed += 1
        self.writer.stamp(rel, os.stat(path))
        self.writer.scan(rel)
        return size, digest

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


def export_dataset(
    frame: pl.DataFrame,
    dataset: str,
    title: str,
    fields: list[Field],
    placer: Placer,
    created: dt.date,
    creator: str,
    timings: dict[str, float] | None = None,
) -> list[FileInfo]:
    """Write the whole-dataset files, then each year's, from an export_frame()."""
    import time

    columns = [(f.name, f.kind) for f in fields]
    frame = frame.select(*(n for n, _ in columns), "_year")  # dictionary order in every format
    safe = spreadsheet_safe(frame, fields)
    years = sorted(frame.get_column("_year").drop_nulls().unique().to_list(), reverse=True)
    out: list[FileInfo] = []
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
            start = time.perf_counter()
            rel = f"{stem}.{fmt}"
            # What the file is made of: the rows, and for XLSX its metadata (dated).
            key = text_hash(rel, content, scope, creator, created if fmt == "xlsx" else None)
            kept = placer.keep(rel, key, raw.height)
            if kept is None:
                kept = _write(placer, rel, fmt, raw, sheet, (columns, created, scope, creator))
                placer.noted(rel, raw.height, kept[1])
            out.append(FileInfo(rel, dataset, year, fmt, raw.height, *kept))
            if timings is not None:
                timings[fmt] = timings.get(fmt, 0.0) + time.perf_counter() - start
        del raw, sheet
    return out


def content_key(frame: pl.DataFrame, columns: list[tuple[str, str]]) -> str:
    """A 128-bit hash of a frame's rows (in order), names and types: a file's content."""
    digest = hashlib.blake2b(repr((columns, frame.schema)).encode(), digest_size=16)
    for seed in (1, 2):
        digest.update(array("Q", frame.hash_rows(seed=seed).to_list()).tobytes())
    return digest.hexdigest()


def _write(
    placer: Placer,
    rel: str,
    fmt: str,
    raw: pl.DataFrame,
    sheet: pl.DataFrame,
    meta: tuple[list[tuple[str, str]], dt.date, str, str],
) -> tuple[int, str]:
    """Write one download file in `fmt`; its size and SHA-256."""
    path = placer.path(rel)
    if fmt == "csv":
        with path.open("wb") as fh:
            fh.write(BOM)
            sheet.write_csv(fh, line_terminator="\r\n")
    elif fmt == "xlsx":
        columns, created, scope, creator = meta
        write_xlsx(path, sheet, columns, created, scope, creator)
    elif fmt == "json":
        raw.write_json(path)
    else:
        raw.write_ndjson(path)
    return placer.done(rel)
