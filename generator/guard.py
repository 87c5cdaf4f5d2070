"""Stage: guard — the last line of defence before anything is published (spec §5).

Scans the whole output tree — HTML, JSON, CSV, XML, feeds, search index fragments
(gzip), XLSX (zip) and PDF text — with masking's own detector (generator/pii.py) for ID
and mobile numbers however they are written, for pages of records that are not public,
and for the office's private report. It also reads the Markdown sources and attachments
in content/: a number there is named by file and line, and a file it cannot read (an
image …) is refused unless site.yml lists it under `guard: checked_attachments`. Any
finding fails the build, and the previous site stays in place. A finding on a record's
page names the input row behind it.
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
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, cast

import polars as pl

from . import pii
from .columns import FILE, ID, ROW, SHEET
from .scan import BLOCK, Batch, Hit

if TYPE_CHECKING:
    from .published import Published

_HEX = frozenset("0123456789abcdefABCDEF")
_RECORD_PAGE = re.compile(r"^([^/!]+)/([0-9a-f]{16})(?:\.html|/)")
# content/ files read as text; PDFs are read with pypdf; anything else must be listed.
# Style sheets and scripts are the theme's code, never data: their decimals and coordinates
# are not read as separated numbers (numbers written in one block are still found).
CODE_SUFFIXES = {".css", ".js", ".mjs", ".map", ".svg"}
TEXT_SUFFIXES = {
    ".md",
    ".markdown",
    ".txt",
    ".html",
    ".htm",
    ".csv",
    ".json",
    ".xml",
    ".yml",
    ".yaml",
}
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
}


WHAT = {
    pii.IDNUM: "未遮盖的身份证号码",
    pii.MOBILE: "未遮盖的手机号码",
    "withheld-page": "不应公开的记录页面",
    "report": "内部检查报告",
    "unchecked-file": "无法检查的文件（请删除，或人工核对后列入 site.yml 的 guard.checked_attachments）",
}


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the scanned root (inside an archive: "a.xlsx!xl/sharedStrings.xml")
    offset: int
    kind: str  # pii.IDNUM | pii.MOBILE | "withheld-page" | "report" | "unchecked-file"
    detail: str
    unit: str = "字节"  # what `offset` counts: 字节 (output), 行 (content/ sources), 页 (PDF)
    source: str = ""  # the input row behind a record page's finding

    def text(self) -> str:
        where = f"{self.path}（第 {self.offset} {self.unit}）" if self.offset else self.path
        line = f"{where}：发现{WHAT[self.kind]} {self.detail}".rstrip()
        return f"{line}；来源：{self.source}" if self.source else line


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
    separated = PurePosixPath(name.split("!")[-1]).suffix.lower() not in CODE_SUFFIXES
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
        for at, kind, shown in _numbers(data, today, separated):
            if at < limit and start + at >= done:
                yield Finding(name, start + at, kind, shown)
        done = start + limit
        if final:
            return
        keep = len(data) - OVERLAP
        carried, start, block = data[keep:], start + keep, following


def _numbers(data: bytes, today: dt.date, separated: bool) -> Iterator[tuple[int, str, str]]:
    """(byte offset, kind, masked number) of every ID or mobile number in `data`."""
    # surrogateescape: a block cut inside a character (or a binary byte) keeps its length,
    # so offsets stay exact.
    text = data.decode("utf-8", "surrogateescape")
    for hit in pii.find(text, today, separated):
        if _in_hex_token(text, hit.start, hit.end):
            continue
        at = len(text[: hit.start].encode("utf-8", "surrogateescape"))
        keep = (1, 2) if hit.kind == pii.IDNUM else (3, 4)
        yield at, hit.kind, pii.shown(text, hit, keep)


def _in_hex_token(text: str, start: int, end: int) -> bool:
    """True when the digits lie inside a SHA-256 digest or a record id, not free text.

    A 64-hex SHA-256 (downloads, SHA256SUMS) or a 16-hex record id can hold a run of
    digits that passes as a number: a hex run of exactly 16, 32, 40 or 64 characters with
    a letter a–f is such a token (an ID number's own letter, X, is not hex; digits glued
    to other text, as in search fragments, are still checked). In a URL the two hex digits
    of a percent-escape before it (`%9A74a1…`: an id after encoded text) are not part of it.
    """
    while start > 0 and text[start - 1] in _HEX:
        start -= 1
    while end < len(text) and text[end] in _HEX:
        end += 1
    if start > 0 and text[start - 1] == "%" and end - start > 2:
        start += 2
    token = text[start:end]
    return len(token) in (16, 32, 40, 64) and any(c not in "0123456789" for c in token)


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
    put it) counts too. Read in batches (see Scanner).
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


def scan_pdf(name: str, path: Path | IO[bytes], today: dt.date) -> list[Finding]:
    """Findings in a PDF's text, page by page; a PDF that cannot be read is a finding."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    found: list[Finding] = []
    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        return [Finding(name, 0, "unchecked-file", f"（PDF 无法读取：{type(exc).__name__}）")]
    for number, text in enumerate(pages, 1):
        found += [_text_finding(name, number, "页", text, hit) for hit in pii.find(text, today)]
    return found


def _text_finding(name: str, at: int, unit: str, text: str, hit: pii.Hit) -> Finding:
    keep = (1, 2) if hit.kind == pii.IDNUM else (3, 4)
    return Finding(name, at, hit.kind, pii.shown(text, hit, keep), unit)


def scan_content(content: Path, today: dt.date, checked: Iterable[str] = ()) -> list[Finding]:
    """Findings in the site's sources: Markdown and text by line, PDFs by page.

    Any other file (an image, a Word file …) cannot be read for personal data: it is a
    finding unless its path (relative to the site root, e.g. `content/news/a.png`) is
    listed as checked by a person.
    """
    if not content.is_dir():
        return []
    allowed = {str(c).strip("/") for c in checked}
    findings: list[Finding] = []
    for path in sorted(p for p in content.rglob("*") if p.is_file()):
        rel = f"{content.name}/{path.relative_to(content).as_posix()}"
        suffix = path.suffix.lower()
        if suffix in TEXT_SUFFIXES:
            text = path.read_bytes().decode("utf-8", "replace")
            for number, line in enumerate(text.splitlines(), 1):
                findings += [
                    _text_finding(rel, number, "行", line, hit) for hit in pii.find(line, today)
                ]
        elif suffix == ".pdf":
            findings.extend(scan_pdf(rel, path, today))
        elif rel not in allowed:
            findings.append(Finding(rel, 0, "unchecked-file", ""))
    return findings


def _with_sources(findings: list[Finding], records: Mapping[str, pl.DataFrame]) -> list[Finding]:
    """Name the input row (dataset, file, sheet, row) behind each finding on a record page."""
    out: list[Finding] = []
    for f in findings:
        match = _RECORD_PAGE.match(f.path)
        frame = records.get(match.group(1)) if match else None
        if match is None or frame is None or ID not in frame.columns:
            out.append(f)
            continue
        rows = frame.filter(pl.col(ID) == match.group(2)).select(FILE, SHEET, ROW)
        where = "、".join(
            f"{match.group(1)} 数据 {file}{f' 工作表 {sheet}' if sheet else ''} 第 {row} 行"
            for file, sheet, row in rows.iter_rows()
        )
        out.append(replace(f, source=where) if where else f)
    return out


class GuardError(Exception):
    """The output holds something that must not be public; nothing was replaced."""

    def __init__(self, findings: list[Finding]):
        super().__init__(f"{len(findings)} finding(s)")
        self.findings = findings


class PiiDetector:
    """The detector of generator/pii.py in the form generator/scan.py runs it.

    `pattern` (Rust regex, no look-around) holds every run pii.find looks at, widened by
    the hex characters around it and the letters after it, so that `check` sees what
    pii.find's look-arounds and `_in_hex_token` need: a SHA-256 or a record id is still
    recognised as a whole, an X glued to letters is still not a check character.
    """

    mark = REPORT_MARK

    def __init__(self, today: dt.date, separated: bool = True):
        self.today, self.separated = today, separated
        # `%?`: a percent-escape right before a hex token is seen as one (see _in_hex_token).
        self.pattern = pii.candidates(separated)
        self._seen: dict[str, list[tuple[int, str, str]]] = {}

    def check(self, token: str) -> list[tuple[int, str, str]]:
        """Findings in one token; a value repeated across pages is checked once."""
        found = self._seen.get(token)
        if found is None:
            if len(self._seen) > 1 << 18:
                self._seen.clear()
            found = self._seen[token] = [
                (hit.start, hit.kind, pii.shown(token, hit, _KEEP[hit.kind]))
                for hit in pii.find(token, self.today, self.separated)
                if not _in_hex_token(token, hit.start, hit.end)
            ]
        return found

    def scan_text(self, data: bytes) -> list[tuple[int, str, str]]:
        """Bytes that are not UTF-8 (a GBK file in content/, a binary part): the Python path."""
        stream = io.BytesIO(data)
        name = "x" if self.separated else "x.css"
        return [(f.offset, f.kind, f.detail) for f in _scan_blocks(name, stream, self.today)]


_KEEP = {pii.IDNUM: (1, 2), pii.MOBILE: (3, 4)}


class Scanner:
    """The guard's first pass: files checked as the build writes them, many at a time
    (generator/scan.py). Picklable: each record-page worker checks its own pages."""

    def __init__(self, today: dt.date):
        self.today = today
        self._batches: dict[bool, Batch] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"today": self.today, "_batches": {}}

    def _batch(self, rel: str) -> Batch:
        separated = _suffix(rel) not in CODE_SUFFIXES
        if separated not in self._batches:
            self._batches[separated] = Batch(PiiDetector(self.today, separated))
        return self._batches[separated]

    def bytes(self, rel: str, data: bytes) -> list[Finding]:
        suffix = _suffix(rel)
        if suffix in BINARY_SUFFIXES:
            return []
        if suffix == ".pdf":
            return scan_pdf(rel, io.BytesIO(data), self.today)
        return _findings(self._batch(rel).add(rel, data))

    def path(self, rel: str, path: str) -> list[Finding]:
        suffix = _suffix(rel)
        if suffix in BINARY_SUFFIXES:
            return []
        if suffix == ".pdf":
            return scan_pdf(rel, Path(path), self.today)
        batch = self._batch(rel)
        size = os.path.getsize(path)
        if size <= BLOCK:  # read once (a search fragment, a page): the bytes go to the batch
            with open(path, "rb") as fh:
                return _findings(batch.add(rel, fh.read()))
        return _findings(batch.add_file(rel, _file(Path(path)), size))

    def flush(self) -> list[Finding]:
        return [f for b in self._batches.values() for f in _findings(b.flush())]


def _suffix(rel: str) -> str:
    """PurePosixPath(rel).suffix.lower(), at a fraction of its cost (once per file written)."""
    name = rel.rpartition("/")[2]
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _findings(hits: list[Hit]) -> list[Finding]:
    return [Finding(h.path, h.offset, h.kind, h.detail) for h in hits]


_DETECTOR_MODULES = {"guard", "pii", "scan", "values", "text"}


def detector_stamp() -> str:
    """Identifies the detector: a verdict is inherited only from a build that used the same."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        if module.stem in _DETECTOR_MODULES:
            digest.update(module.read_bytes())
    return digest.hexdigest()


class Guard:
    """The `verify` hook of build_site: scan as written, then check the finished tree.

    The tree writer hands each file's bytes to `scanner` as it writes them; files identical
    to the previous build's inherit its verdict when `work/guard.json` says that build was
    checked by the same detector (`detector_stamp`). The final check counts the tree's files
    against the writer's: any file written behind the writer's back makes the guard re-read
    the whole tree. Pages of withheld records are looked for by name, content/ sources are
    read (`checked`: attachments a person checked), and a finding on a record page names
    the input row behind it (`records`: the published rows, with their provenance).
    """

    def __init__(
        self,
        today: dt.date,
        withheld: Iterable[str] = (),
        work: Path | None = None,
        *,
        records: Mapping[str, pl.DataFrame] | None = None,
        content: Path | None = None,
        checked: Iterable[str] = (),
    ):
        self.today = today
        self.scanner = Scanner(today)
        self.pages = list(withheld)
        self.state = work / "guard.json" if work is not None else None
        self.records = records or {}
        self.content, self.checked = content, list(checked)

    def inherit(self, out: Path) -> bool:
        """True when the live tree at `out` passed this same detector."""
        if self.state is None or not self.state.is_file():
            return False
        try:
            state = json.loads(self.state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return bool(state == {"stamp": detector_stamp(), "site": str(out.resolve())})

    def __call__(self, root: Path, counts: Any = None) -> None:
        from .web.writer import count_files

        findings = []
        if self.content is not None:
            findings += scan_content(self.content, self.today, self.checked)
        if counts is not None and count_files(root) == counts.files:
            findings += counts.findings
        else:
            findings += scan_tree(root, self.today)
        for page in sorted(set(self.pages)):
            for rel in (f"{page}.html", f"{page}/"):
                if (root / rel).exists():
                    findings.append(Finding(rel, 0, "withheld-page", page))
        if findings:
            raise GuardError(_with_sources(findings, self.records))

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


verifier = Guard  # the guard for one build (the name build code and tests use)


def guard_for(published: Published, work: Path | None = None) -> Guard:
    """The build's guard: output tree, withheld pages, content/ sources, input rows named."""
    config = published.config
    root = config.root if (config.root / "mkdocs.yml").is_file() else Path(__file__).parents[1]
    guard = config.site.get("guard") or {}
    return verifier(
        published.today,
        published.withheld,
        work,
        records=published.frames,
        content=root / "content",
        checked=[str(p) for p in guard.get("checked_attachments") or []],
    )
