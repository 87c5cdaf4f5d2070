"""Write the drop's files: streamed CSV in a given encoding, reproducible XLSX workbooks."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import xlsxwriter

from .words import CREDIT_OFFICE


def write_csv(path: Path, encoding: str, header: list[str], rows: Iterator[list[str]]) -> int:
    """Stream rows into a CSV file; return the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def workbook(path: Path, anchor: dt.date) -> xlsxwriter.Workbook:
    """Open an XLSX workbook whose bytes depend only on its content and anchor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties(
        {"created": dt.datetime.combine(anchor, dt.time(9, 0)), "author": CREDIT_OFFICE}
    )
    return wb


def iso_dates(rows: Iterator[list], date_cols: tuple[int, ...]) -> Iterator[list]:
    """Write dt.date cells as ISO text for CSV output."""
    for row in rows:
        for c in date_cols:
            if isinstance(row[c], dt.date):
                row[c] = row[c].isoformat()
        yield row
