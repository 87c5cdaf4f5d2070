"""Fuzzing the loaders (hypothesis): whatever arrives in data/, load never raises, every
non-blank row is accounted for (read, or rejected with its row number), and every issue
speaks Chinese. `make fuzz` runs these with the `fuzz` profile (many more examples)."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import polars as pl
from conftest import XZCF_HEADER
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from generator.columns import ROW
from generator.config import Config
from generator.load import Loaded, load

SUFFIXES = [".csv", ".tsv", ".txt", ".xlsx", ".xls"]
# Cell text: letters, digits, CJK, and what breaks CSV: quotes, separators, line breaks, NUL.
CELL = st.text(
    alphabet=st.sampled_from(list('ab1 \t\n\r",;\x00\u3000') + list("示例市甲乙公司罚款违法事实")),
    max_size=12,
)
BROKEN = "坏"  # placeholder for an undecodable byte (not in CELL's alphabet)
CJK = re.compile(r"[\u4e00-\u9fff]")


def run_load(files: dict[str, bytes], config: Config) -> Loaded:
    with tempfile.TemporaryDirectory(prefix="load-hardening-fuzz-") as tmp:
        for rel, data in files.items():
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return load(Path(tmp), config)


def assert_chinese(loaded: Loaded) -> None:
    for issue in loaded.issues:
        text = issue.message + issue.fix
        assert CJK.search(text), issue
        assert not re.search(r"Error|Exception|Traceback|field limit", text), issue


def rows_read(loaded: Loaded, rel: str) -> list[int]:
    frames = [t.frame for t in loaded.tables + loaded.rejected_tables if t.file == rel]
    return (
        sorted(pl.concat([f.select(ROW) for f in frames]).get_column(ROW).to_list())
        if frames
        else []
    )


def file_refused(loaded: Loaded, rel: str) -> bool:
    return any(i.file == rel and i.severity == "error" and i.row is None for i in loaded.issues)


@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_never_raise(config, data, suffix):
    rel = f"xzcf/a{suffix}"
    loaded = run_load({rel: data}, config)
    assert_chinese(loaded)
    # Read (its rows then counted downstream), refused with a reason, or plainly empty.
    assert rows_read(loaded, rel) or any(i.file == rel for i in loaded.issues)


@st.composite
def csv_drops(draw):
    """A penalty CSV: random cells, each line UTF-8 or GBK, some lines undecodable."""
    n = draw(st.integers(0, 12))
    rows = [[draw(CELL) for _ in XZCF_HEADER] for _ in range(n)]
    encodings = [draw(st.sampled_from(["utf-8", "gbk"])) for _ in range(n)]
    broken = [draw(st.integers(0, 20)) == 0 for _ in range(n)]
    return rows, encodings, broken, draw(st.sampled_from([",", "\t"]))


def encode(rows, encodings, broken, sep) -> tuple[bytes, list[int], set[int]]:
    """The file's bytes, each record's Excel row number, and the rows made undecodable."""
    out = [_record(XZCF_HEADER, sep).encode("utf-8")]
    numbers, bad = [], set()
    for i, (row, enc, brk) in enumerate(zip(rows, encodings, broken, strict=True)):
        numbers.append(i + 2)
        if brk:  # a byte no encoding reads, inside the (quoted) first cell
            row = [BROKEN + row[0], *row[1:]]
            bad.add(i + 2)
        out.append(_record(row, sep).encode(enc).replace(BROKEN.encode(enc), b"\xff"))
    return b"".join(out), numbers, bad


def _record(row: list[str], sep: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow(row)
    return buf.getvalue()


@given(drop=csv_drops())
def test_every_nonblank_csv_row_is_accounted(config, drop):
    rows, encodings, broken, sep = drop
    rel = "xzcf/a.csv" if sep == "," else "xzcf/a.tsv"
    data, numbers, bad = encode(rows, encodings, broken, sep)
    loaded = run_load({rel: data}, config)
    assert_chinese(loaded)
    if file_refused(loaded, rel):
        return  # accounted as a whole (e.g. too many control bytes: not a text table)
    expected = [
        n for n, row in zip(numbers, rows, strict=True) if n in bad or any(c.strip() for c in row)
    ]
    assert rows_read(loaded, rel) == expected
    if set(encodings) <= {"utf-8"} and not bad:
        # One encoding throughout (the header is UTF-8): every value comes through unchanged.
        # (A short GBK line can be valid UTF-8 too, 司 → ˾: only accounting is checked then.)
        names = [t.frame for t in loaded.tables if t.file == rel]
        got = pl.concat(names).get_column("xdr_mc").to_list() if names else []
        want = [r[0].strip() or None for r in rows if any(c.strip() for c in r)]
        assert got == want


@st.composite
def workbooks(draw):
    n = draw(st.integers(0, 8))
    safe = st.text(alphabet=st.sampled_from(list("ab1 ,\"'") + list("示例市公司罚款")), max_size=10)
    return [[draw(safe) for _ in XZCF_HEADER] for _ in range(n)]


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    wb.active.append(XZCF_HEADER)
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@given(rows=workbooks(), cut=st.floats(0, 1), flip=st.integers(0, 2**16))
def test_truncated_or_corrupted_xlsx_never_raises(config, rows, cut, flip):
    data = bytearray(xlsx_bytes(rows))
    whole = bytes(data)
    data[flip % len(data)] ^= 0x5A
    for rel, blob in (
        ("xzcf/cut.xlsx", whole[: int(len(whole) * cut)]),
        ("xzcf/flip.xlsx", bytes(data)),
    ):
        loaded = run_load({rel: blob}, config)
        assert_chinese(loaded)
        assert (
            rows_read(loaded, rel)
            or file_refused(loaded, rel)
            or any(i.file == rel for i in loaded.issues)
        )


@given(rows=workbooks())
def test_every_nonblank_xlsx_row_is_accounted(config, rows):
    loaded = run_load({"xzcf/a.xlsx": xlsx_bytes(rows)}, config)
    assert_chinese(loaded)
    expected = [i + 2 for i, row in enumerate(rows) if any(c.strip() for c in row)]
    assert rows_read(loaded, "xzcf/a.xlsx") == expected


@given(
    rows=st.integers(1, 5000),
    cols=st.integers(1, 60),
    limit_rows=st.integers(1, 4000),
    limit_cells=st.integers(1, 50_000),
)
def test_oversized_xlsx_is_refused_before_reading(config, rows, cols, limit_rows, limit_cells):
    sheet = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (r, r)
        for r in (1, rows)
    ) + b'<row r="%d"><c r="%s%d"><v>1</v></c></row>' % (rows + 1, _col(cols).encode(), rows + 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "xl/worksheets/sheet1.xml",
            b"<worksheet><sheetData>" + sheet + b"</sheetData></worksheet>",
        )
    limits = {"rows": limit_rows, "cells": limit_cells}
    cfg = replace(config, site={**config.site, "limits": limits})
    loaded = run_load({"xzcf/big.xlsx": buf.getvalue()}, cfg)
    assert_chinese(loaded)
    [issue] = loaded.issues
    if rows + 1 > limit_rows:
        assert issue.code == "file-too-many-rows"
    elif (rows + 1) * cols > limit_cells:
        assert issue.code == "sheet-too-many-cells"
    else:
        assert issue.code == "file-unreadable"  # no workbook.xml: not an XLSX after all


def _col(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters
