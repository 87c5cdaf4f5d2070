"""Stage 1 — load: read a drop's files as they really arrive.

CSV in any common Chinese encoding (detected, never assumed; mixed encodings line by
line), TSV, XLSX and XLS with title rows, merged cells, trailing blank rows, Excel dates
and several sheets. Every cell becomes text; every row keeps its provenance (file, sheet,
the row number Excel shows). Headers are matched to schema columns through the aliases in
the schema YAML.

Every file and folder under data/ is accounted for: read, or reported with a reason.
Input is bounded (site.yml `limits:`): oversized files, zip bombs and sheets with a huge
used range are refused before they are read; a cell over the limit or a line that does
not decode rejects its row (column LOAD_ERROR), never its file.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import polars as pl
from charset_normalizer import from_bytes

from .columns import LOAD_ERROR, ROW
from .config import Config, Schema, header_key
from .issues import Issue, make_issue

DATA_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SEPARATORS = {".tsv": "\t"}  # any other text suffix is comma-separated
HEADER_SCAN_ROWS = 30
COLUMNS_FILE = "columns.yml"  # an office's own header mapping, one per dataset folder
# Optional Utf8 column of Table.frame: the issue code that rejects the row at load
# (cell-too-long, line-undecodable); validate rejects such rows with that code.
# Names that are never data: Office lock files, notes, the desktop's own files.
SKIPPED_NAMES = re.compile(r"^(~\$.*|readme(\..*)?|\.ds_store|thumbs\.db|desktop\.ini)$", re.I)
MIB = 1 << 20
csv.field_size_limit(2**31 - 1)  # cell length is checked per cell (limits.cell_chars)


@dataclass(frozen=True)
class Limits:
    """Bounds on input (site.yml `limits:`); over a limit a file or row is refused."""

    file_mb: float = 200  # size of any one data file
    xlsx_unzipped_mb: float = 1024  # an XLSX's content once unzipped
    xlsx_ratio: float = 100  # unzipped size : zipped size of any part over 1 MB
    rows: int = 2_000_000  # rows per file (per sheet's used range for XLSX)
    cells: int = 5_000_000  # rows x columns of one sheet's used range (memory, time)
    cell_chars: int = 32_767  # characters in one cell (Excel's own limit)
    report_examples: int = 20  # examples per issue code and file in the report

    @classmethod
    def of(cls, config: Config | None) -> Limits:
        """The limits from site.yml, defaults for what is missing or not a positive number."""
        raw = (config.site.get("limits") if config else None) or {}
        given: dict[str, Any] = {}
        for f in fields(cls):
            value = raw.get(f.name) if isinstance(raw, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                given[f.name] = float(value) if f.type == "float" else int(value)
        return cls(**given)

    def problems(self, config: Config) -> list[Issue]:
        """Issues for site.yml limits that are not positive numbers (the default is used)."""
        raw = config.site.get("limits") or {}
        if not isinstance(raw, dict):
            raw = {"limits": raw}
        return [
            make_issue(
                "limits-invalid", dataset="", file="site.yml", column=k, value=v,
                detail=str(getattr(self, k, "")),
            )
            for k, v in raw.items()
            if k not in {f.name for f in fields(self)} or getattr(self, k) != v
        ]  # fmt: skip


class FileRejected(Exception):
    """A file that is not read as a whole; carries the issue that says why."""

    def __init__(self, issue: Issue):
        super().__init__(issue.message)
        self.issue = issue


@dataclass
class Table:
    """One sheet (or CSV file) of one dataset, all cells as text, columns renamed to keys."""

    dataset: str
    file: str
    sheet: str | None
    frame: pl.DataFrame  # key columns (Utf8) + _row (Int64: the row number Excel shows)
    headers: dict[str, str] = field(default_factory=dict)  # key -> header as written
    missing: list[str] = field(default_factory=list)  # required keys absent from the header
    encoding: str | None = None


@dataclass
class Loaded:
    tables: list[Table]
    issues: list[Issue]
    rejected_tables: list[Table]  # sheets whose rows cannot be mapped (no header found)


def cell_text(value: Any) -> str:
    """Render a spreadsheet cell as the text a clerk would read."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return str(value)


def to_utf8(data: bytes, trust_prefix: bool = False) -> tuple[bytes, str]:
    """CSV bytes as UTF-8 bytes, with the encoding found. Raises UnicodeError when hopeless.

    UTF-8 input passes through untouched. With `trust_prefix`, only the first 64 KiB are
    checked: polars validates the rest while parsing, and the caller retries on failure.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "UTF-8（带 BOM）"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode("utf-8"), "UTF-16"
    try:
        if trust_prefix and len(data) > 1 << 16:
            _utf8_cut_ok(data)
        else:
            data.decode("utf-8")
        return data, "UTF-8"
    except UnicodeDecodeError:
        pass
    if _mixed(data):
        # Some lines UTF-8, others not: a whole-file GBK decode would garble the UTF-8 ones.
        raise UnicodeError("混合编码")
    # GBK, then its superset GB18030: a strict decode that succeeds is reliable for
    # Chinese office exports; charset-normalizer covers anything else (Big5 …).
    for encoding, name in (("gbk", "GBK"), ("gb18030", "GB18030")):
        try:
            return data.decode(encoding).encode("utf-8"), name
        except UnicodeDecodeError:
            continue
    best = from_bytes(data[: 1 << 20]).best()
    if best is None:
        raise UnicodeError("无法识别文件编码")
    return data.decode(best.encoding).encode("utf-8"), best.encoding


LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _lines(data: bytes) -> list[bytes]:
    """Physical lines without their breaks, split as io.StringIO(newline="") splits them."""
    return LINE_BREAK.split(data)


def _mixed(data: bytes) -> bool:
    """True when some non-ASCII lines are valid UTF-8 and others are not."""
    utf8 = other = False
    for line in _lines(data):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            other = True
        if utf8 and other:
            return True
    return False


def decode_lines(data: bytes) -> tuple[bytes, str, set[int]]:
    """Decode line by line (UTF-8, else GB18030): UTF-8 bytes, encodings, bad line numbers.

    The fallback for files no single encoding reads. A line neither encoding reads is
    kept with replacement characters (so it still counts as a row) and its 1-based line
    number returned: the row it belongs to is rejected.
    """
    out: list[bytes] = []
    seen: set[str] = set()
    bad: set[int] = set()
    pos = n = 0
    for n, m in enumerate(LINE_BREAK.finditer(data), 1):
        out.append(_decode_line(data[pos : m.start()], n, seen, bad) + m.group())
        pos = m.end()
    if pos < len(data):
        out.append(_decode_line(data[pos:], n + 1, seen, bad))
    return b"".join(out), "、".join(sorted(seen)) or "UTF-8", bad


def _decode_line(line: bytes, n: int, seen: set[str], bad: set[int]) -> bytes:
    if line.isascii():
        return line
    for encoding, name in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" and max(text) < "\u0800" and _gb_cjk(line):
            continue  # GBK bytes that happen to read as UTF-8 Latin/IPA letters (实 → ʵ)
        seen.add(name)
        return line if encoding == "utf-8" else text.encode("utf-8")
    bad.add(n)
    return line.decode("utf-8", errors="replace").encode("utf-8")


def _gb_cjk(line: bytes) -> bool:
    """True when `line` reads as GB18030 and every non-ASCII character is CJK."""
    try:
        text = line.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return all(c.isascii() or "\u3000" <= c <= "\u9fff" or c >= "\uff00" for c in text)


def _utf8_cut_ok(data: bytes) -> None:
    """Check the first 64 KiB as UTF-8, forgiving a character cut at the boundary."""
    try:
        data[: 1 << 16].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < (1 << 16) - 4:
            raise


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, returning (text, encoding name)."""
    utf8, encoding = to_utf8(data)
    return utf8.decode("utf-8"), encoding


def find_header(rows: list[list[str]], schema: Schema) -> int | None:
    """Index of the first row that reads as this schema's header, if any."""
    best, best_hits = None, 1
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(1 for c in row if str(c).strip() and schema.resolve(str(c)) is not None)
        # A header names several known columns; a title row names one thing at most.
        if hits > best_hits or (hits == best_hits and best is None and hits >= 2):
            best, best_hits = i, hits
            if hits >= 3:
                break
    return best


def map_headers(
    header: list[str], schema: Schema, *, dataset: str, file: str, sheet: str | None, row: int
) -> tuple[dict[int, str], dict[str, str], list[Issue]]:
    """Column index -> key; key -> header text; issues for unknown/duplicate columns."""
    by_index: dict[int, str] = {}
    written: dict[str, str] = {}
    issues: list[Issue] = []
    for i, raw in enumerate(header):
        text = str(raw).strip()
        if not text:
            continue
        k = header_key(text)
        key = schema.resolve(text)
        if key is None:
            code = "column-ignored" if k in schema.ignored_headers else "column-unknown"
            issues.append(
                make_issue(code, dataset=dataset, file=file, sheet=sheet, row=row, column=text)
            )
        elif key in written:
            issues.append(
                make_issue(
                    "column-duplicate",
                    dataset=dataset,
                    file=file,
                    sheet=sheet,
                    row=row,
                    column=written[key],
                    detail=text,
                    label=schema.label(key),
                )
            )
        else:
            by_index[i] = key
            written[key] = text
    return by_index, written, issues


def _frame(
    rows: list[list[str]], row_numbers: list[int], by_index: dict[int, str], schema: Schema
) -> pl.DataFrame:
    cols: dict[str, Any] = {}
    for i, key in by_index.items():
        cols[key] = [(r[i] if i < len(r) else "").strip() or None for r in rows]
    cols[ROW] = row_numbers
    frame = pl.DataFrame(cols, schema={**{k: pl.Utf8 for k in by_index.values()}, ROW: pl.Int64})
    return _ensure_columns(frame, schema)


def _ensure_columns(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    absent = [c.key for c in schema.columns if c.key not in frame.columns]
    if absent:
        frame = frame.with_columns([pl.lit(None, dtype=pl.Utf8).alias(k) for k in absent])
    return frame.select([c.key for c in schema.columns] + [ROW])


def _drop_blank(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    if not keys:
        return frame.clear()
    return frame.filter(~pl.all_horizontal([pl.col(k).is_null() for k in keys]))


def _table(
    rows: list[list[str]],
    first_row: int,
    schema: Schema,
    *,
    dataset: str,
    file: str,
    sheet: str | None,
    issues: list[Issue],
) -> Table:
    """Build a table from text rows whose first element is Excel row `first_row`."""
    header_at = find_header(rows, schema)
    if header_at is None:
        # No header: every non-blank row is still read and accounted for (rejected).
        data = [r for r in rows if any(str(c).strip() for c in r)]
        nums = [first_row + i for i, r in enumerate(rows) if any(str(c).strip() for c in r)]
        issues.append(
            make_issue(
                "header-not-found",
                dataset=dataset,
                file=file,
                sheet=sheet,
                detail=str(HEADER_SCAN_ROWS),
            )
        )
        frame = pl.DataFrame({ROW: nums}, schema={ROW: pl.Int64})
        t = Table(dataset, file, sheet, _ensure_columns(frame, schema))
        t.missing = ["header"] if data else []
        return t
    header_row = first_row + header_at
    by_index, written, found = map_headers(
        rows[header_at], schema, dataset=dataset, file=file, sheet=sheet, row=header_row
    )
    issues.extend(found)
    body = rows[header_at + 1 :]
    frame = _frame(body, list(range(header_row + 1, header_row + 1 + len(body))), by_index, schema)
    frame = _drop_blank(frame, list(by_index.values()))
    return _table_checked(Table(dataset, file, sheet, frame, written), schema, header_row, issues)


def _table_checked(t: Table, schema: Schema, header_row: int, issues: list[Issue]) -> Table:
    """Record what the layout lacks: publish-required columns it neither has nor can derive
    (one file-level error naming them all, every row rejected), and standard columns (one
    warning, rows published)."""
    from .derive import derivable

    present = set(t.headers)
    have = present | derivable(schema, present)
    t.missing = [c.key for c in schema.columns if c.required and c.key not in have]
    labels = [f"「{schema.label(k)}」" for k in t.missing]
    for group in schema.require_any_columns:
        if not any(k in have for k in group.get("columns") or []):
            t.missing.append(str((group.get("columns") or ["subject"])[0]))
            labels.append(f"「{group.get('label')}」")
    where: dict[str, Any] = {
        "dataset": t.dataset,
        "file": t.file,
        "sheet": t.sheet,
        "row": header_row,
    }
    if t.missing:
        issues.append(make_issue("column-missing", **where, label="".join(labels)))
    standard = [f"「{c.label}」" for c in schema.columns if c.standard and c.key not in have]
    if standard and t.headers:
        issues.append(make_issue("column-standard-missing", **where, label="".join(standard)))
    if t.frame.height == 0:
        issues.append(make_issue("file-empty", dataset=t.dataset, file=t.file, sheet=t.sheet))
    return t


def office_headers(data_dir: Path, dataset: str, schema: Schema) -> tuple[Schema, list[Issue]]:
    """The schema with the office's own mapping `data/<dataset>/columns.yml`, if any.

    The file maps a header as written to a standard column (its label, a known alias or
    its key): `处罚决定书号码: 行政处罚决定书文号`. Targets that name no column are reported.
    """
    import yaml

    path = data_dir / dataset / COLUMNS_FILE
    if not path.is_file():
        return schema, []
    rel = f"{dataset}/{COLUMNS_FILE}"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeError, yaml.YAMLError) as exc:
        return schema, [make_issue("file-unreadable", dataset=dataset, file=rel, detail=str(exc))]
    if not isinstance(raw, dict):
        detail = "应为“表中列名: 标准列名”的映射"
        return schema, [make_issue("file-unreadable", dataset=dataset, file=rel, detail=detail)]
    mapping: dict[str, str] = {}
    issues: list[Issue] = []
    for header, target in raw.items():
        key = schema.resolve(str(target)) if target else None
        if key is None or key not in schema.by_key:
            issues.append(
                make_issue(
                    "columns-map-invalid", dataset=dataset, file=rel, value=header, detail=target
                )
            )
            continue
        mapping[str(header)] = key
    return schema.with_office_headers(mapping), issues


# Control bytes that never occur in a text table (NUL and the C0 controls but tab, LF, CR).
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f]")


@dataclass
class Text:
    """A CSV file's bytes as UTF-8, the encoding found and the lines that did not decode."""

    data: bytes
    encoding: str
    bad_lines: set[int] = field(default_factory=set)


def decode_csv(raw: bytes, trust_prefix: bool, rel: str, dataset: str) -> tuple[Text, list[Issue]]:
    """Decode a CSV file, whole or line by line. Raises FileRejected when it is not text."""
    head = raw[: 1 << 16]
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")) and len(CONTROL_BYTES.findall(head)) > max(
        2, len(head) // 50
    ):
        raise FileRejected(make_issue("file-not-text", dataset=dataset, file=rel))
    try:
        data, encoding = to_utf8(raw, trust_prefix)
    except UnicodeError:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRejected(
                make_issue("file-unreadable", dataset=dataset, file=rel, detail="UTF-16 编码不完整")
            ) from None
        data, encoding, bad = decode_lines(raw)
        lines = sum(1 for line in _lines(raw) if line.strip())
        if len(bad) * 2 > lines:
            raise FileRejected(make_issue("file-not-text", dataset=dataset, file=rel)) from None
        issue = make_issue("file-encoding-mixed", dataset=dataset, file=rel, detail=encoding)
        return Text(data, encoding, bad), [issue]
    issues = []
    if encoding not in ("UTF-8", "UTF-8（带 BOM）"):
        issues.append(make_issue("file-encoding", dataset=dataset, file=rel, detail=encoding))
    return Text(data, encoding), issues


def read_csv(
    path: Path,
    rel: str,
    schema: Schema,
    dataset: str,
    issues: list[Issue],
    limits: Limits | None = None,
    sep: str = ",",
) -> list[Table]:
    """Read one CSV (or TSV) file. Raises FileRejected when it cannot be read at all."""
    raw = path.read_bytes()
    found: list[Issue] = []
    limits = limits or Limits()
    try:
        tables = _read_csv(raw, True, rel, schema, dataset, found, limits, sep)
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc):
            raise
        # UTF-8 at the start, something else further on: detect on the whole file.
        found = []
        tables = _read_csv(raw, False, rel, schema, dataset, found, limits, sep)
    issues.extend(found)
    return tables


def _read_csv(
    raw: bytes,
    trust_prefix: bool,
    rel: str,
    schema: Schema,
    dataset: str,
    issues: list[Issue],
    limits: Limits | None = None,
    sep: str = ",",
) -> list[Table]:
    limits = limits or Limits()
    text, found = decode_csv(raw, trust_prefix, rel, dataset)
    issues.extend(found)
    data = text.data
    head = list(
        csv.reader(io.StringIO(_first_lines(data, HEADER_SCAN_ROWS), newline=""), delimiter=sep)
    )
    header_at = find_header(head, schema)
    # Trailing blank lines shift no row numbers; blank lines inside do, and polars skips them.
    if data.endswith((b"\n\n", b"\n\r\n", b"\r\n\r\n")):
        data = data.rstrip(b"\r\n") + b"\n"
    header_only = data.count(b"\n", 0, 1 << 16) <= header_at + 1 if header_at is not None else False
    exact = header_at is None or header_only or b"\n\n" in data or b"\n\r\n" in data
    if not exact and not text.bad_lines and b"\r" not in data.replace(b"\r\n", b""):
        own: list[Issue] = []
        try:
            table = _read_csv_fast(
                data, head, header_at or 0, rel, schema, dataset, own, limits, sep
            )
        except pl.exceptions.ComputeError as exc:
            if trust_prefix and "utf-8" in str(exc):
                raise
        except pl.exceptions.PolarsError:
            pass  # quoting polars refuses: the csv module below reads it as Excel would
        else:
            table.encoding = text.encoding
            issues.extend(own)
            return [table]
    # Slow but exact path: Python's csv module keeps blank lines in the numbering.
    return [_read_csv_exact(text, data, rel, schema, dataset, issues, limits, sep)]


def _read_csv_fast(
    data: bytes,
    head: list[list[str]],
    header_at: int,
    rel: str,
    schema: Schema,
    dataset: str,
    issues: list[Issue],
    limits: Limits,
    sep: str,
) -> Table:
    """Polars parses a file without blank lines; record i is Excel row header+2+i."""
    by_index, written, found = map_headers(
        head[header_at], schema, dataset=dataset, file=rel, sheet=None, row=header_at + 1
    )
    issues.extend(found)
    ncols = len(head[header_at])
    frame = pl.read_csv(
        data,
        has_header=False,
        skip_rows=header_at + 1,
        infer_schema=False,
        truncate_ragged_lines=True,
        new_columns=[f"c{i}" for i in range(ncols)],
        quote_char='"',
        separator=sep,
    )
    if frame.height + header_at + 1 > limits.rows:
        raise FileRejected(_too_many_rows(rel, dataset, frame.height + header_at + 1, limits))
    frame = frame.with_row_index(ROW, offset=header_at + 2).with_columns(pl.col(ROW).cast(pl.Int64))
    frame = frame.select(
        [
            pl.col(f"c{i}").str.strip_chars().replace("", None).alias(k)
            for i, k in by_index.items()
            if f"c{i}" in frame.columns
        ]
        + [pl.col(ROW)]
    )
    frame = _drop_blank(_ensure_columns(frame, schema), list(by_index.values()))
    frame = _clip_frame(frame, written, limits, dataset, rel, issues)
    return _table_checked(Table(dataset, rel, None, frame, written), schema, header_at + 1, issues)


def _clip_frame(
    frame: pl.DataFrame,
    written: dict[str, str],
    limits: Limits,
    dataset: str,
    rel: str,
    issues: list[Issue],
) -> pl.DataFrame:
    """Cells over limits.cell_chars: cut, and their rows rejected (cell-too-long)."""
    keys = [k for k in written if k in frame.columns]
    over = frame.select(
        pl.col(ROW), *[pl.col(k).str.len_chars().fill_null(0).alias(k) for k in keys]
    ).filter(pl.any_horizontal([pl.col(k) > limits.cell_chars for k in keys]) if keys else False)
    if over.height == 0:
        return frame
    marks: dict[int, str] = {}
    for rec in over.iter_rows(named=True):
        for k in keys:
            if rec[k] > limits.cell_chars:
                marks.setdefault(rec[ROW], "cell-too-long")
                issues.append(_too_long(rel, dataset, None, rec[ROW], written[k], rec[k], limits))
    frame = frame.with_columns([pl.col(k).str.slice(0, limits.cell_chars) for k in keys])
    return _with_marks(frame, marks)


def _too_long(
    rel: str, dataset: str, sheet: str | None, row: int, column: str, n: int, limits: Limits
) -> Issue:
    return make_issue(
        "cell-too-long",
        dataset=dataset,
        file=rel,
        sheet=sheet,
        row=row,
        column=column,
        detail=str(n),
        expected=str(limits.cell_chars),
    )


def _too_many_rows(rel: str, dataset: str, n: int, limits: Limits) -> Issue:
    return make_issue(
        "file-too-many-rows", dataset=dataset, file=rel, detail=str(n), expected=str(limits.rows)
    )


def _with_marks(frame: pl.DataFrame, marks: dict[int, str]) -> pl.DataFrame:
    """Add (or extend) LOAD_ERROR: the load issue code of each marked row, else null."""
    if not marks:
        return frame
    mark = pl.col(ROW).replace_strict(marks, default=None, return_dtype=pl.Utf8)
    if LOAD_ERROR in frame.columns:
        mark = pl.coalesce(pl.col(LOAD_ERROR), mark)
    return frame.with_columns(mark.alias(LOAD_ERROR))


def _csv_records(text: str, sep: str) -> tuple[list[list[str]], list[int]]:
    """Every CSV record and the physical line it ends on (1-based)."""
    rows: list[list[str]] = []
    ends: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    for record in reader:
        rows.append(record)
        ends.append(reader.line_num)
    return rows, ends


def _read_csv_exact(
    text: Text,
    data: bytes,
    rel: str,
    schema: Schema,
    dataset: str,
    issues: list[Issue],
    limits: Limits,
    sep: str,
) -> Table:
    rows, ends = _csv_records(data.decode("utf-8"), sep)
    if len(rows) > limits.rows:
        raise FileRejected(_too_many_rows(rel, dataset, len(rows), limits))
    marks: dict[int, str] = {}
    bad = sorted(text.bad_lines)
    start = 1
    for i, end in enumerate(ends):
        k = bisect.bisect_left(bad, start)
        if k < len(bad) and bad[k] <= end:
            marks[i + 1] = "line-undecodable"
        start = end + 1
    table = _table(rows, 1, schema, dataset=dataset, file=rel, sheet=None, issues=issues)
    table.encoding = text.encoding
    return _mark_rows(table, rows, marks, schema, issues, limits)


def _mark_rows(
    table: Table,
    rows: list[list[str]],
    marks: dict[int, str],
    schema: Schema,
    issues: list[Issue],
    limits: Limits,
) -> Table:
    """Reject rows of `table` that did not load whole: undecodable lines, cells too long.

    `rows` are the text rows the table was made of (first row = Excel row 1).
    """
    if table.missing == ["header"]:
        return table  # every row is rejected already, for want of a header
    header_at = find_header(rows, schema)
    header = rows[header_at] if header_at is not None else []
    present = set(table.frame.get_column(ROW).to_list())
    marks = {r: c for r, c in marks.items() if r in present}
    for row in sorted(marks):
        issues.append(
            make_issue("line-undecodable", dataset=table.dataset, file=table.file, row=row)
        )
    by_index, _, _ = map_headers(
        header, schema, dataset=table.dataset, file=table.file, sheet=table.sheet, row=0
    )
    clipped = False
    for row in sorted(present):
        cells = rows[row - 1]
        if max(map(len, cells), default=0) <= limits.cell_chars:
            continue
        for i, cell in enumerate(cells):
            if len(cell) > limits.cell_chars and i in by_index:
                marks.setdefault(row, "cell-too-long")
                clipped = True
                issues.append(
                    _too_long(table.file, table.dataset, table.sheet, row, header[i].strip(),
                              len(cell), limits)
                )  # fmt: skip
    frame = table.frame
    if clipped:
        keys_ = [k for k in table.headers if k in frame.columns]
        frame = frame.with_columns([pl.col(k).str.slice(0, limits.cell_chars) for k in keys_])
    table.frame = _with_marks(frame, marks)
    return table


def _first_lines(data: bytes, n: int) -> str:
    """The first `n` lines of UTF-8 `data`, decoded."""
    end = 0
    for _ in range(n):
        nxt = data.find(b"\n", end)
        if nxt < 0:
            return data.decode("utf-8", errors="replace")
        end = nxt + 1
    return data[:end].decode("utf-8", errors="replace")


# A worksheet's <row> and <c> start tags (any namespace prefix) and a cell reference.
XML_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*)>")
CELL_REF = re.compile(rb'\br\s*=\s*["\']([A-Za-z]*)(\d*)["\']')
WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


@dataclass
class Extent:
    """The used range of a worksheet, as calamine will allocate it (valued cells only)."""

    rows: int = 0
    first_row: int = 0
    cols: int = 0
    first_col: int = 0
    _row: int = 0
    _col: int = 0

    def cells(self) -> int:
        if not self.rows:
            return 0
        return (self.rows - self.first_row + 1) * (self.cols - self.first_col + 1)

    def feed(self, chunk: bytes) -> None:
        for m in XML_TAG.finditer(chunk):
            ref = CELL_REF.search(m.group(2))
            if m.group(1) == b"row":
                self._row = int(ref.group(2)) if ref and ref.group(2) else self._row + 1
                self._col = 0
                continue
            if ref and ref.group(1):
                self._col = _col_number(ref.group(1))
                self._row = int(ref.group(2)) if ref.group(2) else self._row
            else:
                self._col += 1
            if not m.group(2).rstrip().endswith(b"/"):  # <c …/> holds no value
                self.rows = max(self.rows, self._row)
                self.cols = max(self.cols, self._col)
                self.first_row = min(self.first_row or self._row, self._row)
                self.first_col = min(self.first_col or self._col, self._col)


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper()[:8]:
        n = n * 26 + ch - 64
    return n


def sheet_extent(stream: Any, chunk_size: int = 4 * MIB) -> Extent:
    """The used range of a worksheet XML stream, read in chunks (memory stays flat)."""
    extent = Extent()
    rest = b""
    while chunk := stream.read(chunk_size):
        buf = rest + chunk
        cut = buf.rfind(b"<")
        if cut < 0 or buf.find(b">", cut) >= 0:
            cut = len(buf)
        extent.feed(buf[:cut])
        rest = buf[cut:]
        if len(rest) > MIB:
            raise ValueError("worksheet tag longer than 1 MiB")
    extent.feed(rest)
    return extent


def check_xlsx(path: Path, rel: str, dataset: str, limits: Limits) -> None:
    """Refuse an XLSX before reading it: damaged, zip bomb, too many rows or cells."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_zip_sizes(infos, path.stat().st_size, rel, dataset, limits)
            for info in infos:
                if info.filename.lower().endswith("sharedstrings.xml"):
                    with zf.open(info) as stream:
                        _check_declared(stream.read(4096), rel, dataset, limits)
                if WORKSHEET.match(info.filename):
                    with zf.open(info) as stream:
                        extent = sheet_extent(stream)
                    _check_extent(extent, rel, dataset, limits)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError,
            EOFError, RuntimeError) as exc:  # fmt: skip
        raise FileRejected(_damaged(rel, dataset, "XLSX", exc)) from None


DECLARED_COUNT = re.compile(rb'\b(?:count|uniqueCount)\s*=\s*["\'](\d+)["\']')


def _check_declared(head: bytes, rel: str, dataset: str, limits: Limits) -> None:
    """The shared-string count an XLSX declares: calamine reserves memory for it up front."""
    declared = max((int(m.group(1)) for m in DECLARED_COUNT.finditer(head)), default=0)
    if declared > limits.cells:
        raise FileRejected(
            make_issue(
                "file-unreadable",
                dataset=dataset,
                file=rel,
                detail=f"共享字符串表声明了 {declared} 项，超过单元格上限 {limits.cells}",
                value=f"sharedStrings count={declared}",
            )
        )


def _check_zip_sizes(
    infos: list[zipfile.ZipInfo], size: int, rel: str, dataset: str, limits: Limits
) -> None:
    unzipped = sum(i.file_size for i in infos)
    if unzipped > limits.xlsx_unzipped_mb * MIB:
        raise FileRejected(
            make_issue(
                "xlsx-too-large",
                dataset=dataset,
                file=rel,
                detail=_mb(unzipped),
                expected=_mb(limits.xlsx_unzipped_mb * MIB),
            )
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MIB and ratio > limits.xlsx_ratio:
            raise FileRejected(
                make_issue(
                    "xlsx-bomb",
                    dataset=dataset,
                    file=rel,
                    value=info.filename,
                    detail=f"{_mb(info.compress_size)} 解压后为 {_mb(info.file_size)}"
                    f"（{ratio:.0f} 倍）",
                    expected=f"{limits.xlsx_ratio:g} 倍",
                )
            )


def _check_extent(extent: Extent, rel: str, dataset: str, limits: Limits) -> None:
    if extent.rows > limits.rows:
        raise FileRejected(_too_many_rows(rel, dataset, extent.rows, limits))
    if extent.cells() > limits.cells:
        raise FileRejected(
            make_issue(
                "sheet-too-many-cells",
                dataset=dataset,
                file=rel,
                detail=f"{extent.rows - extent.first_row + 1} 行 × "
                f"{extent.cols - extent.first_col + 1} 列 = {extent.cells()}",
                expected=str(limits.cells),
            )
        )


def _mb(n: float) -> str:
    return f"{n / MIB:.1f} MB" if n < 1 << 30 else f"{n / (1 << 30):.1f} GB"


def _damaged(rel: str, dataset: str, kind: str, exc: BaseException) -> Issue:
    """file-unreadable in Chinese; the library's own words only as the quoted value."""
    return make_issue(
        "file-unreadable",
        dataset=dataset,
        file=rel,
        detail=f"不是完整有效的 {kind} 文件",
        value=f"{type(exc).__name__}: {exc}",
    )


def _fill_merged(rows: list[list[Any]], ranges: list[Any]) -> None:
    width = max((len(r) for r in rows), default=0)  # a merge never widens the used range
    for (r0, c0), (r1, c1) in ranges or []:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                while c >= len(rows[r]):
                    rows[r].append("")
                rows[r][c] = value


def _open_sheets(path: Path, rel: str, dataset: str, limits: Limits) -> Iterator[tuple[str, Any]]:
    """Each sheet of a workbook (name, calamine sheet); FileRejected when unreadable."""
    from python_calamine import CalamineWorkbook

    kind = path.suffix.lower().lstrip(".").upper()
    if kind != "XLS":
        check_xlsx(path, rel, dataset, limits)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
    except Exception as exc:  # noqa: BLE001 - calamine's errors: a damaged or encrypted file
        raise FileRejected(_damaged(rel, dataset, kind, exc)) from None
    for name in names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except Exception as exc:  # noqa: BLE001
            raise FileRejected(_damaged(rel, dataset, kind, exc)) from None
        if sheet.height > limits.rows:
            raise FileRejected(_too_many_rows(rel, dataset, sheet.height, limits))
        if sheet.height * sheet.width > limits.cells:
            raise FileRejected(
                make_issue(
                    "sheet-too-many-cells", dataset=dataset, file=rel, sheet=name,
                    detail=f"{sheet.height} 行 × {sheet.width} 列 = {sheet.height * sheet.width}",
                    expected=str(limits.cells),
                )
            )  # fmt: skip
        yield name, sheet


def read_excel(
    path: Path,
    rel: str,
    schema: Schema,
    dataset: str,
    issues: list[Issue],
    limits: Limits | None = None,
) -> list[Table]:
    """Read every sheet of an XLSX/XLS file. Raises FileRejected when it cannot be read."""
    limits = limits or Limits()
    tables: list[Table] = []
    found: list[Issue] = []
    for name, sheet in _open_sheets(path, rel, dataset, limits):
        rows: list[list[Any]] = [list(r) for r in sheet.to_python(skip_empty_area=False)]
        if not any(any(cell_text(c).strip() for c in r) for r in rows):
            continue  # an empty sheet (Sheet2, Sheet3 of a template) holds no rows to account for
        _fill_merged(rows, list(getattr(sheet, "merged_cell_ranges", None) or []))
        text_rows = [[cell_text(c) for c in r] for r in rows]
        del rows
        table = _table(text_rows, 1, schema, dataset=dataset, file=rel, sheet=name, issues=found)
        tables.append(_mark_rows(table, text_rows, {}, schema, found, limits))
    if not tables:
        found.append(make_issue("file-empty", dataset=dataset, file=rel))
    issues.extend(found)
    return tables


@dataclass(frozen=True)
class Entry:
    """A data file to read: where it is, the dataset it is read as, and, for a withdrawal
    list, the reason it is one (quoted when it cannot be read: the run then fails)."""

    path: Path
    rel: str
    dataset: str
    withdrawal: str | None = None


def withdrawal_hints(config: Config) -> list[str]:
    """Words that make a file or folder name look like a withdrawal list.

    From configuration: the withdrawal list's id and name and the withdrawal reasons,
    with their short forms (withdrawals → withdrawal, withdraw; 撤下清单 → 撤下).
    """
    ws = config.withdrawals
    words = {ws.id, ws.name, *(str(r) for r in config.rules.get("withdrawal_reasons") or [])}
    words |= {w.removesuffix(s) for w in words if w.isascii() for s in ("s", "als")}
    words |= {w.removesuffix("清单") for w in words}
    return sorted({_fold(w) for w in words if len(w) >= 2}, key=lambda w: (-len(w), w))


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name).lower()


def _hint(name: str, hints: list[str]) -> str | None:
    folded = _fold(name)
    return next((h for h in hints if h in folded), None)


def _kind(path: Path, root: Path) -> tuple[str, str]:
    """('file' | 'dir' | 'outside' | 'dirlink' | 'special', detail) without following links
    out of `root` (the resolved data folder)."""
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.exists():
            return "outside", "链接目标不存在"
        if target != root and root not in target.parents:
            return "outside", "链接指向数据目录以外"
        if target.is_dir():
            return "dirlink", target.relative_to(root).as_posix() or "."
        return ("file", "") if target.is_file() else ("special", "")
    if path.is_dir():
        return "dir", ""
    return ("file", "") if path.is_file() else ("special", "")


def _data_count(folder: Path) -> int:
    """Files under `folder` (links not followed)."""
    return sum(len(files) for _, _, files in os.walk(folder))


class _Scan:
    """Walks data/: every file and folder becomes an Entry to read or an Issue."""

    def __init__(self, data_dir: Path, config: Config):
        self.data_dir = data_dir
        self.root = data_dir.resolve()
        self.known = {*config.schemas, config.withdrawals.id}
        self.withdrawals = config.withdrawals.id
        ids = [s.id for s in config.datasets()]  # the folder names, for `{expected}` in fixes
        self.folders = f"{'、'.join(ids)} 或 {self.withdrawals}"
        self.hints = withdrawal_hints(config)
        self.entries: list[Entry] = []
        self.issues: list[Issue] = []

    def issue(self, code: str, rel: str, dataset: str = "", **fields: Any) -> None:
        fields.setdefault("expected", self.folders)
        self.issues.append(make_issue(code, dataset=dataset, file=rel, **fields))

    def lost(self, rel: str, withdrawal: str | None) -> None:
        """A withdrawal list that is not read: its takedowns are not executed."""
        if withdrawal:
            self.issue("withdrawal-file-lost", rel, self.withdrawals, detail=withdrawal)

    def top(self) -> None:
        for path in sorted(self.data_dir.iterdir()):
            name = path.name
            hint = _hint(name, self.hints)
            kind = self.skipped(path, name, name, "", hint)
            if kind is None:
                continue
            if kind == "dir" and name in self.known:
                self.folder(path, name, name, self.wlabel(name, None))
            elif kind == "dir" and hint:
                self.issue("withdrawal-file-misplaced", name + "/", self.withdrawals, detail=hint)
                self.folder(path, name, self.withdrawals, hint)
            elif kind == "dir":
                self.issue("folder-unknown", name + "/", detail=str(_data_count(path)))
                for sub in sorted(path.rglob("*")):
                    if sub_hint := _hint(sub.name, self.hints):
                        self.lost(sub.relative_to(self.data_dir).as_posix(), sub_hint)
            elif hint and path.suffix.lower() in DATA_SUFFIXES:
                self.issue("withdrawal-file-misplaced", name, self.withdrawals, detail=hint)
                self.entries.append(Entry(path, name, self.withdrawals, hint))
            else:
                self.issue("file-misplaced", name)
                self.lost(name, hint)

    def wlabel(self, dataset: str, hint: str | None) -> str | None:
        return hint or (f"{dataset}/" if dataset == self.withdrawals else None)

    def folder(self, folder: Path, rel: str, dataset: str, withdrawal: str | None) -> None:
        for path in sorted(folder.iterdir()):
            crel = f"{rel}/{path.name}"
            hint = withdrawal or (
                _hint(path.name, self.hints) if dataset == self.withdrawals else None
            )
            kind = self.skipped(path, path.name, crel, dataset, hint)
            if kind == "dir":
                self.folder(path, crel, dataset, withdrawal)
            elif kind == "file" and crel == f"{dataset}/{COLUMNS_FILE}":
                continue  # the office's header mapping, read with its dataset (office_headers)
            elif kind == "file" and path.suffix.lower() in DATA_SUFFIXES:
                self.entries.append(Entry(path, crel, dataset, hint))
            elif kind == "file":
                self.issue("file-type-unsupported", crel, dataset, detail=path.suffix or "（无）")
                self.lost(crel, hint)

    def skipped(
        self, path: Path, name: str, rel: str, dataset: str, hint: str | None
    ) -> str | None:
        """Report links, special files, hidden and system files; else 'file' or 'dir'."""
        kind, detail = _kind(path, self.root)
        if kind in ("outside", "special"):
            code = "symlink-outside" if kind == "outside" else "file-special"
            self.issue(code, rel, dataset, detail=detail)
            self.lost(rel, hint)
            return None
        if kind == "dirlink":
            self.issue("folder-symlink", rel + "/", dataset, detail=detail)
            return None
        if SKIPPED_NAMES.match(name):
            self.issue("file-skipped", rel, dataset)
            return None
        if name.startswith("."):
            count = _data_count(path) if kind == "dir" else 1
            if kind == "file" and path.suffix.lower() not in DATA_SUFFIXES or not count:
                self.issue("file-skipped", rel + ("/" if kind == "dir" else ""), dataset)
            else:
                code = "folder-hidden" if kind == "dir" else "file-hidden"
                self.issue(code, rel + ("/" if kind == "dir" else ""), dataset, detail=str(count))
                self.lost(rel, hint)
            return None
        return kind


def scan(data_dir: Path, config: Config) -> tuple[list[Entry], list[Issue]]:
    """The files of a drop to read, in path order, and an issue for everything else."""
    walk = _Scan(data_dir, config)
    walk.top()
    return walk.entries, walk.issues


def data_files(data_dir: Path) -> Iterator[Path]:
    """Every regular file under `data_dir` (folder links not followed), sorted by path."""
    found = []
    for folder, dirs, files in os.walk(data_dir):
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]
        found += [Path(folder) / f for f in files if (Path(folder) / f).is_file()]
    yield from sorted(found)


def read_entry(entry: Entry, schema: Schema, limits: Limits, issues: list[Issue]) -> list[Table]:
    """Read one data file into tables; a file that cannot be read becomes issues."""
    found: list[Issue] = []
    try:
        size = entry.path.stat().st_size
        if size == 0:
            issues.append(make_issue("file-empty", dataset=entry.dataset, file=entry.rel))
            return []
        if size > limits.file_mb * MIB:
            raise FileRejected(
                make_issue(
                    "file-too-large",
                    dataset=entry.dataset,
                    file=entry.rel,
                    detail=_mb(size),
                    expected=_mb(limits.file_mb * MIB),
                )
            )
        suffix = entry.path.suffix.lower()
        if suffix in EXCEL_SUFFIXES:
            tables = read_excel(entry.path, entry.rel, schema, entry.dataset, found, limits)
        else:
            sep = SEPARATORS.get(suffix, ",")
            tables = read_csv(entry.path, entry.rel, schema, entry.dataset, found, limits, sep)
    except FileRejected as exc:
        issues.append(exc.issue)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a report line, not a crash
        issues.append(
            _damaged(entry.rel, entry.dataset, entry.path.suffix.lstrip(".").upper(), exc)
        )
    else:
        issues.extend(found)
        return tables
    if entry.withdrawal:
        issues.append(
            make_issue(
                "withdrawal-file-lost", dataset=entry.dataset, file=entry.rel,
                detail=entry.withdrawal,
            )
        )  # fmt: skip
    return []


def load(data_dir: Path, config: Config) -> Loaded:
    """Read every file of a drop into tables; unreadable files become issues, never exceptions."""
    limits = Limits.of(config)
    entries, issues = scan(data_dir, config)
    issues += limits.problems(config)
    tables: list[Table] = []
    rejected: list[Table] = []
    known = {**config.schemas, config.withdrawals.id: config.withdrawals}
    mapped: dict[str, Schema] = {}  # dataset -> schema with the office's columns.yml
    for entry in entries:
        if entry.dataset not in mapped:
            mapped[entry.dataset], found_map = office_headers(
                data_dir, entry.dataset, known[entry.dataset]
            )
            issues.extend(found_map)
        for t in read_entry(entry, mapped[entry.dataset], limits, issues):
            (rejected if t.missing == ["header"] else tables).append(t)
    return Loaded(tables, issues, rejected)
