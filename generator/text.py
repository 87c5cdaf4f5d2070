"""One text normaliser, applied once right after loading (spec §3, §5).

Every cell of every loaded table gets NFKC (full-width digits and letters become ASCII),
with Chinese full-width punctuation kept as written (，：；！？（）), and loses its
zero-width and bidirectional control characters, so every later stage — validation,
identity, masking, the guard — sees the same text. A cell holding NUL or another C0/C1
control character (tab, newline and carriage return excepted) gets its row rejected with
`cell-control-char`, naming the column; the character itself is removed so no later
stage (XML feeds, HTML) ever meets it.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from .columns import ERROR, ROW
from .issues import Issue, make_issue
from .load import Loaded, Table

# Zero-width and bidi characters: removed (they hide digits and reorder text).
INVISIBLE = r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u180e]"
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# Full-width punctuation Chinese text uses: kept as written through NFKC (private-use
# stand-ins while normalising).
_KEEP = ["，", "：", "；", "！", "？", "（", "）", "…"]
_STAND_IN = [chr(0xF8F0 + i) for i in range(len(_KEEP))]
# Only cells with a character outside ASCII, CJK ideographs, CJK punctuation and the kept
# marks can change: the others are not touched at all.
_UNUSUAL = (
    r"[^\x09\x0a\x0d\x20-\x7e\u4e00-\u9fff\u3001-\u3011\u3014-\u301f"
    r"\u2014\u2018-\u201d\u00b7\u00d7\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f\u2026]"
)
CODE = "cell-control-char"


def normalise_expr(e: pl.Expr) -> pl.Expr:
    """The normalised text of a cell (vectorised)."""
    return (
        e.str.replace_many(_KEEP, _STAND_IN)
        .str.normalize("NFKC")
        .str.replace_many(_STAND_IN, _KEEP)
        .str.replace_all(INVISIBLE, "")
        .str.replace_all(CONTROL, "")
    )


def normalise(loaded: Loaded) -> Loaded:
    """Normalise every cell of every table; rows with control characters are rejected."""
    issues = list(loaded.issues)
    tables = [_table(t, issues) for t in loaded.tables]
    rejected = [_table(t, issues) for t in loaded.rejected_tables]
    return replace(loaded, tables=tables, issues=issues, rejected_tables=rejected)


def _table(table: Table, issues: list[Issue]) -> Table:
    frame = table.frame
    keys = [k for k, d in frame.schema.items() if d == pl.Utf8 and not k.startswith("_")]
    if not keys:
        return table
    # One regex pass per column (in parallel) finds the few cells that can change; only
    # those are normalised and checked for control characters.
    unusual = frame.select([pl.col(k).str.contains(_UNUSUAL).fill_null(False) for k in keys])
    changed: list[pl.Series] = []
    flags: dict[str, pl.Series] = {}
    for k, mask in zip(keys, unusual.iter_columns(), strict=True):
        if not mask.any():
            continue
        where = mask.arg_true()
        cells = frame.get_column(k).gather(where).to_frame()
        control = cells.select(pl.col(k).str.contains(CONTROL)).to_series()
        if control.any():
            flags[k] = pl.Series(k, [False] * frame.height).scatter(where.filter(control), True)
        changed.append(
            frame.get_column(k).scatter(where, cells.select(normalise_expr(pl.col(k))).to_series())
        )
    frame = frame.with_columns(changed) if changed else frame
    bad = list(flags)
    if bad:
        first = pl.coalesce([pl.when(flags[k]).then(pl.lit(CODE)) for k in bad]).alias(ERROR)
        if ERROR in frame.columns:
            first = pl.coalesce([pl.col(ERROR), first]).alias(ERROR)
        frame = frame.with_columns(first)
        rows = table.frame.get_column(ROW)
        for k in bad:
            mask = flags[k]
            for row, value in zip(
                rows.filter(mask).to_list(),
                table.frame.get_column(k).filter(mask).to_list(),
                strict=True,
            ):
                issues.append(
                    make_issue(
                        CODE,
                        dataset=table.dataset,
                        file=table.file,
                        sheet=table.sheet,
                        row=row,
                        column=table.headers.get(k, k),
                        detail=_names(value),
                    )
                )
    return replace(table, frame=frame)


def _names(value: str) -> str:
    """The control characters of a cell, written as code points (U+0000)."""
    found = sorted({c for c in value if (ord(c) < 32 and c not in "\t\n\r") or 127 <= ord(c) < 160})
    return "、".join(f"U+{ord(c):04X}" for c in found)
