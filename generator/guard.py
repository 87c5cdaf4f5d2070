"""Stage: guard — the last line of defence before anything is published (spec §5).

Scans the whole output tree — HTML, JSON, CSV, XML, feeds, search index fragments
(gzip) and XLSX (zip) — for check-digit-valid ID numbers, for pages of records that are
not public, and for the office's private report. Any finding fails the build, and the
previous site stays in place.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

import polars as pl

from .scan import Batch, Hit
from .values import idnum_valid_scalar

_ID = re.compile(rb"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
_DIGITS = re.compile(rb"\d{15}")
_HEX = frozenset(b"0123456789abcdefABCDEF")
# The office report carries this sentence; it must never be found in public output.
REPORT_MARK = "不得上传到公开网站".encode()
Opener = Callable[[], IO[bytes]]
BINARY_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".ico",
    ".woff",
    ".woff2",
    ".ttf",
    ".wasm",
    ".pdf",
}


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the scanned root (inside an archive: "a.xlsx!xl/sharedStrings.xml")
    offset: int
    kind: str  # "idnum" | "withheld-page" | "report"
    detail: str

    def text(self) -> str:
        what = {
            "idnum": "未遮盖的身份证号码",
            "withheld-page": "不应公开的记录页面",
            "report": "内部检查报告",
        }[self.kind]
        return f"{self.path}（第 {self.offset} 字节）：发现{what} {self.detail}"


def _masked(value: bytes) -> str:
    text = value.decode("ascii", "replace")
    return text[:1] + "*" * (len(text) - 3) + text[-2:]


CHUNK = 1 << 22  # files are read in 4 MiB blocks: a 1 GB download never sits in memory
OVERLAP = 256  # bytes carried between blocks: longer than any token plus its context


def scan_bytes(name: str, data: bytes, today: dt.date) -> Iterator[Finding]:
    """Findings in one file's bytes (archives and gzip members are opened)."""
    yield from scan_stream(name, lambda: io.BytesIO(data), today)


def scan_stream(name: str, opener: Opener, today: dt.date) -> Iterator[Finding]:
    """Findings in a file read block by block; gzip and zip are opened and scanned inside."""
    with opener() as probe:
        magic = probe.read(4)
    if magic[:2] == b"\x1f\x8b":
        yield from scan_stream(name, _gunzip(opener), today)
        return
    if magic == b"PK\x03\x04":
        yield from _scan_zip(name, opener, today)
        return
    with opener() as stream:
        yield from _scan_blocks(name, stream, today)


def _scan_blocks(name: str, stream: IO[bytes], today: dt.date) -> Iterator[Finding]:
    carried = b""  # the last OVERLAP bytes of the previous block, scanned again for context
    start = 0  # absolute offset of `carried`'s first byte
    done = 0  # absolute offset up to which matches have been reported
    try:
        block = stream.read(CHUNK)
    except (OSError, EOFError):
        return
    while block or carried:
        try:
            following = stream.read(CHUNK) if block else b""
        except (OSError, EOFError):
            following = b""
        data = carried + block
        final = not following
        # Report only what lies before the overlap; the rest is scanned with the next block.
        limit = len(data) if final else len(data) - OVERLAP // 2
        mark = data.find(REPORT_MARK)
        if 0 <= mark < limit and start + mark >= done:
            yield Finding(name, start + mark, "report", "")
        if _DIGITS.search(data):
            for match in _ID.finditer(data):
                at = match.start(1)
                if at >= limit or start + at < done:
                    continue
                if _in_hex_token(data, at, match.end(1)):
                    continue
                if idnum_valid_scalar(match.group(1).decode("ascii"), today):
                    yield Finding(name, start + at, "idnum", _masked(match.group(1)))
        done = start + limit
        if final:
            return
        keep = len(data) - OVERLAP
        carried, start, block = data[keep:], start + keep, following


def _in_hex_token(data: bytes, start: int, end: int) -> bool:
    """True when the digits lie inside a SHA-256 digest or a record id, not free text.

    A 64-hex SHA-256 (downloads, SHA256SUMS) or a 16-hex record id can hold a run of 15
    digits with a valid date inside, which passes the legacy ID check: a hex run of exactly
    16 or 64 characters with a letter a–f is such a token (an ID number's own letter, X,
    is not hex; digits glued to other text, as in search fragments, are still checked).
    """
    while start > 0 and data[start - 1] in _HEX:
        start -= 1
    while end < len(data) and data[end] in _HEX:
        end += 1
    token = data[start:end]
    return len(token) in (16, 64) and any(c not in b"0123456789" for c in token)


def _file(path: Path) -> Opener:
    def open_file() -> IO[bytes]:
        return path.open("rb")

    return open_file


def _gunzip(opener: Opener) -> Opener:
    def open_gzip() -> IO[bytes]:
        return cast(IO[bytes], gzip.GzipFile(fileobj=opener()))

    return open_gzip


def _scan_zip(name: str, opener: Opener, today: dt.date) -> Iterator[Finding]:
    with opener() as raw:
        try:
            archive = zipfile.ZipFile(raw)
        except zipfile.BadZipFile:
            return
        with archive:
            for member in sorted(archive.namelist()):
                data_name = f"{name}!{member}"
                yield from scan_stream(data_name, partial(archive.open, member), today)


def scan_tree(root: Path, today: dt.date, withheld: Iterable[str] = ()) -> list[Finding]:
    """Every finding under `root`; `withheld` are 'dataset/id' records that must have no page.

    A record's page is `dataset/id.html`; a `dataset/id/` folder (where earlier versions
    put it) counts too.
    """
    scanner = Scanner(today)
    findings: list[Finding] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        findings += scanner.path(path.relative_to(root).as_posix(), str(path))
    findings += scanner.flush()
    findings.sort(key=lambda f: (f.path, f.offset))
    for page in sorted(set(withheld)):
        for rel in (f"{page}.html", f"{page}/"):
            if (root / rel).exists():
                findings.append(Finding(rel, 0, "withheld-page", page))
    return findings


class GuardError(Exception):
    """The output holds something that must not be public; nothing was replaced."""

    def __init__(self, findings: list[Finding]):
        super().__init__(f"{len(findings)} finding(s)")
        self.findings = findings


def withheld_pages(records: Mapping[str, pl.DataFrame]) -> list[str]:
    """'dataset/id' of every record in the drop that is not published (and not also published).

    `records` is `Result.records`: every input row with `_status` and `_id`.
    """
    pages: list[str] = []
    for ds, frame in records.items():
        ids = frame.filter(pl.col("_id").is_not_null())
        public = ids.filter(pl.col("_status") == "published").get_column("_id")
        hidden = ids.filter(pl.col("_status") != "published").get_column("_id")
        pages += [f"{ds}/{i}" for i in sorted(set(hidden.to_list()) - set(public.to_list()))]
    return pages


_ID_TEXT = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
_HEX_TEXT = frozenset("0123456789abcdefABCDEF")


class IdDetector:
    """The guard's rules in the form generator/scan.py runs them (see scan.Detector)."""

    # Every check-digit-valid ID number lies in such a token (its hex neighbours kept, so
    # that a SHA-256 or a record id is recognised as a whole, as `_in_hex_token` does).
    pattern = r"[0-9A-Fa-f]*[0-9]{15}[0-9A-Fa-fXx]*"
    mark = REPORT_MARK

    def __init__(self, today: dt.date):
        self.today = today
        self._seen: dict[str, list[tuple[int, str, str]]] = {}

    def check(self, token: str) -> list[tuple[int, str, str]]:
        """Findings in one token; a value repeated across pages is checked once."""
        found = self._seen.get(token)
        if found is None:
            if len(self._seen) > 1 << 18:
                self._seen.clear()
            found = self._seen[token] = self._check(token)
        return found

    def _check(self, token: str) -> list[tuple[int, str, str]]:
        out = []
        for m in _ID_TEXT.finditer(token):
            start, end = m.span(1)
            while start > 0 and token[start - 1] in _HEX_TEXT:
                start -= 1
            while end < len(token) and token[end] in _HEX_TEXT:
                end += 1
            hexed = token[start:end]
            if len(hexed) in (16, 64) and not hexed.isdigit():
                continue
            if idnum_valid_scalar(m.group(1), self.today):
                out.append((m.start(1), "idnum", _masked(m.group(1).encode())))
        return out

    def scan_text(self, data: bytes) -> list[tuple[int, str, str]]:
        found = _scan_blocks("", io.BytesIO(data), self.today)
        return [(f.offset, f.kind, f.detail) for f in found]


class Scanner:
    """The guard's first pass: files checked as the build writes them, many at a time
    (generator/scan.py). Picklable: each record-page worker checks its own pages."""

    def __init__(self, today: dt.date):
        self.today = today
        self._batch: Batch | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"today": self.today, "_batch": None}

    @property
    def batch(self) -> Batch:
        if self._batch is None:
            self._batch = Batch(IdDetector(self.today))
        return self._batch

    def bytes(self, rel: str, data: bytes) -> list[Finding]:
        if Path(rel).suffix.lower() in BINARY_SUFFIXES:
            return []
        return _findings(self.batch.add(rel, data))

    def path(self, rel: str, path: str) -> list[Finding]:
        if Path(rel).suffix.lower() in BINARY_SUFFIXES:
            return []
        return _findings(self.batch.add_file(rel, _file(Path(path)), os.path.getsize(path)))

    def flush(self) -> list[Finding]:
        return _findings(self.batch.flush())


def _findings(hits: list[Hit]) -> list[Finding]:
    return [Finding(h.path, h.offset, h.kind, h.detail) for h in hits]


def detector_stamp() -> str:
    """Identifies the detector: a verdict is inherited only from a build that used the same."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        if module.stem in _DETECTOR_MODULES:
            digest.update(module.read_bytes())
    return digest.hexdigest()


_DETECTOR_MODULES = {"guard", "pii", "scan", "values", "text"}


class Guard:
    """The `verify` hook of build_site: scan as written, then check the finished tree.

    The tree writer hands each file's bytes to `scanner` as it writes them; files identical
    to the previous build's inherit its verdict when `work/guard.json` says that build was
    checked by the same detector (`detector_stamp`). The final check counts the tree's files
    against the writer's: any file written behind the writer's back makes the guard re-read
    the whole tree. Pages of withheld records are looked for by name.
    """

    def __init__(self, today: dt.date, withheld: Iterable[str] = (), work: Path | None = None):
        self.today = today
        self.scanner = Scanner(today)
        self.pages = list(withheld)
        self.state = work / "guard.json" if work is not None else None

    def inherit(self, out: Path) -> bool:
        """True when the live tree at `out` passed this same detector."""
        if self.state is None or not self.state.is_file():
            return False
        try:
            state = json.loads(self.state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return state == {"stamp": detector_stamp(), "site": str(out.resolve())}

    def __call__(self, root: Path, counts: Any = None) -> None:
        from .site.writer import count_files

        if counts is not None and count_files(root) == counts.files:
            findings = list(counts.findings)
        else:
            findings = scan_tree(root, self.today)
        for page in sorted(set(self.pages)):
            for rel in (f"{page}.html", f"{page}/"):
                if (root / rel).exists():
                    findings.append(Finding(rel, 0, "withheld-page", page))
        if findings:
            raise GuardError(findings)

    def passed(self, out: Path) -> None:
        """Record that the tree now at `out` passed (read by the next build's `inherit`)."""
        if self.state is not None:
            self.state.parent.mkdir(parents=True, exist_ok=True)
            body = {"stamp": detector_stamp(), "site": str(out.resolve())}
            self.state.write_text(json.dumps(body), encoding="utf-8")

    def forget(self) -> None:
        """The live tree is about to change: no verdict may be inherited from it."""
        if self.state is not None:
            self.state.unlink(missing_ok=True)


def verifier(today: dt.date, withheld: Iterable[str] = (), work: Path | None = None) -> Guard:
    """The guard for one build (see Guard)."""
    return Guard(today, withheld, work)
