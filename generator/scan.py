"""Batched scanning for the guard: many files searched at once by polars' (Rust) regex engine.

Python's `re` reads output at 10–40 MB/s and a city's site is gigabytes, so the guard was
most of a build. Here the text of many files (pages as they are written, gzip members,
XLSX parts, blocks of large downloads) is gathered into one polars column; one
`extract_all` with the detector's candidate pattern finds the few places worth a look, and
only those go to the detector's Python check (check digits, dates). Text that is not UTF-8
is checked by the detector's Python path instead.

The detector decides what a finding is (generator/guard.py: `Detector`); this module only
decides how fast the output is read, and keeps byte offsets exact.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Protocol

import polars as pl

BLOCK = 1 << 22  # large files are read in 4 MiB blocks, cut at a line end
OVERLAP = 256  # bytes a block repeats of the one before: longer than any token with context
BATCH_BYTES = 32 << 20  # text gathered before one polars pass
BATCH_FILES = 4096
MAX_MEMBER = 256 << 20  # a zip member larger than this is read in blocks too


class Detector(Protocol):
    """What the guard looks for (see generator/guard.py)."""

    pattern: str  # Rust-regex syntax (no look-around): every hit contains a candidate
    mark: bytes  # a literal that must never appear (the private report's sentence)

    def check(self, token: str) -> list[tuple[int, str, str]]:
        """Findings inside one candidate: (character offset in token, kind, detail)."""
        ...

    def scan_text(self, text: bytes) -> list[tuple[int, str, str]]:
        """Findings in bytes that are not UTF-8: (byte offset, kind, detail)."""
        ...


@dataclass
class Hit:
    path: str
    offset: int
    kind: str
    detail: str


@dataclass
class _Item:
    path: str  # as reported (archive members: "a.xlsx!xl/sharedStrings.xml")
    base: int  # byte offset of `data` in the file
    data: bytes
    lo: int  # report only hits starting in [lo, hi) of `data`: blocks overlap for context
    hi: int


Opener = Callable[[], IO[bytes]]


@dataclass
class Batch:
    """Gathers text and scans it in polars passes; `add`/`add_file` return what was found."""

    detector: Detector
    items: list[_Item] = field(default_factory=list)
    size: int = 0

    def add(self, path: str, data: bytes) -> list[Hit]:
        if len(data) <= BLOCK and data[:2] != b"\x1f\x8b" and data[:4] != b"PK\x03\x04":
            self._push(_Item(path, 0, data, 0, len(data)))  # a page: the usual case, no opener
            return self.flush() if self._full() else []
        return self.add_file(path, partial(io.BytesIO, data), len(data))

    def add_file(self, path: str, opener: Opener, size: int) -> list[Hit]:
        hits: list[Hit] = []
        for item in _expand(path, opener, size):
            self._push(item)
            if self._full():
                hits += self.flush()
        return hits

    def _push(self, item: _Item) -> None:
        self.items.append(item)
        self.size += len(item.data)

    def _full(self) -> bool:
        return self.size >= BATCH_BYTES or len(self.items) >= BATCH_FILES

    def flush(self) -> list[Hit]:
        items, self.items, self.size = self.items, [], 0
        if not items:
            return []
        texts = _utf8([i.data for i in items])  # null: not UTF-8, read by the Python path
        hits: list[Hit] = []
        for i in texts.is_null().arg_true().to_list():
            hits += _keep(items[i], self.detector.scan_text(items[i].data))
        mark = self.detector.mark.decode()
        found = (
            pl.DataFrame({"t": texts})
            .with_row_index("i")
            .filter(pl.col("t").is_not_null())
            .select(
                "i",
                pl.col("t").str.contains(mark, literal=True).alias("mark"),
                pl.col("t").str.extract_all(self.detector.pattern).alias("c"),
            )
            .filter(pl.col("mark") | (pl.col("c").list.len() > 0))
        )
        # Most candidates are the same few values on every page (a department's code, the
        # footer's telephone): each distinct one is checked once, and only the files holding
        # one with a finding (or the report's mark) are located byte by byte.
        distinct = found.get_column("c").explode().drop_nulls().unique().to_list()
        bad = [t for t in distinct if self.detector.check(t)]
        flagged = pl.col("c").list.eval(pl.element().is_in(bad)).list.any()
        for i, has_mark, candidates in found.filter(pl.col("mark") | flagged).iter_rows():
            item = items[i]
            if has_mark:
                hits += _keep(item, [(item.data.find(self.detector.mark), "report", "")])
            hits += _keep(item, list(_candidates(item.data, candidates, self.detector)))
        return hits


def _utf8(datas: list[bytes]) -> pl.Series:
    """The texts as a polars column, null where not UTF-8. Polars validates a whole batch
    at once; only a batch that fails is decoded item by item."""
    try:
        return pl.Series(datas, dtype=pl.Binary).cast(pl.Utf8)
    except pl.exceptions.ComputeError:
        return pl.Series([_decoded(d) for d in datas], dtype=pl.Utf8)


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _candidates(
    data: bytes, candidates: list[str], detector: Detector
) -> Iterator[tuple[int, str, str]]:
    """Byte offsets of the detector's findings inside each candidate.

    `extract_all` returns non-overlapping matches in order, so each is found by searching
    on from the end of the one before: one pass over the bytes.
    """
    cursor = 0
    for token in candidates:
        raw = token.encode()
        at = data.find(raw, cursor)
        if at < 0:
            continue
        cursor = at + len(raw)
        for char_at, kind, detail in detector.check(token):
            yield at + len(token[:char_at].encode()), kind, detail


def _keep(item: _Item, found: list[tuple[int, str, str]]) -> list[Hit]:
    return [
        Hit(item.path, item.base + at, kind, detail)
        for at, kind, detail in found
        if item.lo <= at < item.hi
    ]


def _expand(path: str, opener: Opener, size: int) -> Iterator[_Item]:
    """The text items of one file: gzip and zip members opened, large files in blocks."""
    with opener() as probe:
        magic = probe.read(4)
    if magic[:2] == b"\x1f\x8b":
        with opener() as raw:
            try:
                data = gzip.decompress(raw.read())
            except (OSError, EOFError, zlib.error):
                return
        yield from _blocks(path, partial(io.BytesIO, data), len(data))
        return
    if magic == b"PK\x03\x04":
        yield from _zip(path, opener)
        return
    yield from _blocks(path, opener, size)


def _zip(path: str, opener: Opener) -> Iterator[_Item]:
    with opener() as raw:
        try:
            archive = zipfile.ZipFile(raw)
        except zipfile.BadZipFile:
            return
        with archive:
            for member in sorted(archive.namelist()):
                info = archive.getinfo(member)
                name = f"{path}!{member}"
                if info.file_size > MAX_MEMBER:
                    yield from _blocks(name, partial(archive.open, member), info.file_size)
                    continue
                with archive.open(member) as fh:
                    data = fh.read()
                yield from _expand(name, partial(io.BytesIO, data), len(data))


def _boundary(data: bytes, at: int) -> int:
    """The nearest character start at or before `at` (UTF-8 continuation bytes skipped)."""
    at = max(0, min(at, len(data)))
    while 0 < at < len(data) and 0x80 <= data[at] <= 0xBF:
        at -= 1
    return at


def _blocks(path: str, opener: Opener, size: int) -> Iterator[_Item]:
    """One item for a small file; 4 MiB blocks for a large one, each repeating OVERLAP
    bytes of the one before (context), cut at character boundaries, each hit reported once."""
    with opener() as stream:
        if size <= BLOCK:
            data = stream.read()
            yield _Item(path, 0, data, 0, len(data))
            return
        pos, lo, data = 0, 0, b""
        while True:
            block = stream.read(BLOCK)
            data += block
            if not block:
                yield _Item(path, pos, data, lo, len(data))
                return
            cut = _boundary(data, len(data) - OVERLAP)
            tail = _boundary(data, len(data) - 4)  # a character cut by the read ends the item
            yield _Item(path, pos, data[:tail], lo, cut)
            keep = _boundary(data, cut - OVERLAP)
            data, pos, lo = data[keep:], pos + keep, cut - keep
