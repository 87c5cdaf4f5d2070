"""Stage 1 — load: read a drop's files as they really arrive.

CSV in any common Chinese encoding (detected, never assumed), XLSX and XLS with title
rows, merged cells, trailing blank rows, Excel dates and several sheets. Every cell
becomes text; every row keeps its provenance (file, sheet, the row number Excel shows).
Headers are matched to schema columns through the aliases in the schema YAML.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from charset_normalizer import from_bytes

from .config import Config, Schema, header_key
from .issues import Issue, make_issue

DATA_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}
HEADER_SCAN_ROWS = 30
COLUMNS_FILE = "columns.yml"  # an office's own header mapping, one per dataset folder
ROW = "_row"


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


def read_csv(
    path: Path, rel: str, schema: Schema, dataset: str, issues: list[Issue]
) -> list[Table]:
    raw = path.read_bytes()
    found: list[Issue] = []
    try:
        tables = _read_csv(raw, True, rel, schema, dataset, found)
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc):
            raise
        # UTF-8 at the start, something else further on: detect on the whole file.
        found = []
        tables = _read_csv(raw, False, rel, schema, dataset, found)
    issues.extend(found)
    return tables


def _read_csv(
    raw: bytes, trust_prefix: bool, rel: str, schema: Schema, dataset: str, issues: list[Issue]
) -> list[Table]:
    data, encoding = to_utf8(raw, trust_prefix)
    if encoding not in ("UTF-8", "UTF-8（带 BOM）"):
        issues.append(make_issue("file-encoding", dataset=dataset, file=rel, detail=encoding))
    head = list(csv.reader(io.StringIO(_first_lines(data, HEADER_SCAN_ROWS))))
    header_at = find_header(head, schema)
    # Trailing blank lines shift no row numbers; blank lines inside do, and polars skips them.
    if data.endswith((b"\n\n", b"\n\r\n", b"\r\n\r\n")):
        data = data.rstrip(b"\r\n") + b"\n"
    header_only = data.count(b"\n", 0, 1 << 16) <= header_at + 1 if header_at is not None else False
    if header_at is None or header_only or b"\n\n" in data or b"\n\r\n" in data:
        # Slow but exact path: Python's csv module keeps blank lines in the numbering.
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        return [_table(rows, 1, schema, dataset=dataset, file=rel, sheet=None, issues=issues)]
    # Fast path (no blank lines): polars parses; record i is Excel row header+2+i.
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
    )
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
    table = Table(dataset, rel, None, frame, written, encoding=encoding)
    return [_table_checked(table, schema, header_at + 1, issues)]


def _first_lines(data: bytes, n: int) -> str:
    """The first `n` lines of UTF-8 `data`, decoded."""
    end = 0
    for _ in range(n):
        nxt = data.find(b"\n", end)
        if nxt < 0:
            return data.decode("utf-8", errors="replace")
        end = nxt + 1
    return data[:end].decode("utf-8", errors="replace")


def _fill_merged(rows: list[list[Any]], ranges: list[Any]) -> None:
    for (r0, c0), (r1, c1) in ranges or []:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, c1 + 1):
                while c >= len(rows[r]):
                    rows[r].append("")
                rows[r][c] = value


def read_excel(
    path: Path, rel: str, schema: Schema, dataset: str, issues: list[Issue]
) -> list[Table]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    tables: list[Table] = []
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        rows: list[list[Any]] = [list(r) for r in sheet.to_python(skip_empty_area=False)]
        if not any(any(cell_text(c).strip() for c in r) for r in rows):
            continue  # an empty sheet (Sheet2, Sheet3 of a template) holds no rows to account for
        _fill_merged(rows, list(getattr(sheet, "merged_cell_ranges", None) or []))
        text_rows = [[cell_text(c) for c in r] for r in rows]
        tables.append(
            _table(text_rows, 1, schema, dataset=dataset, file=rel, sheet=name, issues=issues)
        )
    if not tables:
        issues.append(make_issue("file-empty", dataset=dataset, file=rel))
    return tables


def data_files(data_dir: Path) -> Iterator[Path]:
    """Every file under `data_dir`, sorted by path so that runs are reproducible."""
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            yield path


def load(data_dir: Path, config: Config) -> Loaded:
    """Read every file of a drop into tables; unreadable files become issues, never exceptions."""
    issues: list[Issue] = []
    tables: list[Table] = []
    rejected: list[Table] = []
    known = {**config.schemas, "withdrawals": config.withdrawals}
    stray: dict[str, int] = {}  # unknown folder -> files in it, reported once per folder
    mapped: dict[str, Schema] = {}  # dataset -> schema with the office's columns.yml
    for path in data_files(data_dir):
        rel = path.relative_to(data_dir).as_posix()
        if path.name.startswith((".", "~$")) or path.name.lower() in ("readme.md", "readme.txt"):
            continue
        parts = Path(rel).parts
        dataset = parts[0] if len(parts) > 1 else ""
        if dataset in known and parts[1:] == (COLUMNS_FILE,):
            continue  # the office's header mapping, read with its dataset
        if dataset not in known:
            stray[dataset or rel] = stray.get(dataset or rel, 0) + 1
            continue
        if path.suffix.lower() not in DATA_SUFFIXES:
            issues.append(
                make_issue(
                    "file-ignored",
                    dataset=dataset,
                    file=rel,
                    detail=f"不支持的文件类型 {path.suffix}",
                )
            )
            continue
        if dataset not in mapped:
            mapped[dataset], found_map = office_headers(data_dir, dataset, known[dataset])
            issues.extend(found_map)
        schema = mapped[dataset]
        try:
            if path.suffix.lower() in (".csv", ".txt"):
                found = read_csv(path, rel, schema, dataset, issues)
            else:
                found = read_excel(path, rel, schema, dataset, issues)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a report line, not a crash
            issues.append(
                make_issue(
                    "file-unreadable",
                    dataset=dataset,
                    file=rel,
                    detail=f"{type(exc).__name__}: {exc}",
                )
            )
            continue
        for t in found:
            (rejected if t.missing == ["header"] else tables).append(t)
    for name, count in sorted(stray.items()):
        where_ = f"目录 {name}/ 中的 {count} 个文件" if (data_dir / name).is_dir() else name
        issues.append(
            make_issue(
                "file-ignored", dataset="", file=name, detail=f"{where_}不在已知数据集目录中"
            )
        )
    return Loaded(tables, issues, rejected)
