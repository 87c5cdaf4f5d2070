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

from .issues import Issue, make_issue
from .load import Loaded, Table
from .validate import ERROR, ROW

# Zero-width and bidi characters: removed (they hide digits and reorder text).
INVISIBLE = r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u180e]"
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# Only cells with a character outside ASCII, common CJK and CJK punctuation need work.
_UNUSUAL = r"[^\x09\x0a\x0d\x20-\x7e\u4e00-\u9fff\u3001-\u3011\u3014-\u301f]"
# Full-width punctuation Chinese text uses: kept as written through NFKC (private-use
# stand-ins while normalising).
_KEEP = ["，", "：", "；", "！", "？", "（", "）"]
_STAND_IN = [chr(0xF8F0 + i) for i in range(len(_KEEP))]
CODE = "cell-control-char"


def normalise_expr(e: pl.Expr) -> pl.Expr:
    """The normalised text of a cell (vectorised; plain cells pass through untouched)."""
    clean = (
        e.str.replace_many(_KEEP, _STAND_IN)
        .str.normalize("NFKC")
        .str.replace_many(_STAND_IN, _KEEP)
        .str.replace_all(INVISIBLE, "")
        .str.replace_all(CONTROL, "")
    )
    return pl.when(e.str.contains(_UNUSUAL)).then(clean).otherwise(e)


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
    flags = frame.select([pl.col(k).str.contains(CONTROL).fill_null(False) for k in keys])
    bad = [k for k, s in zip(keys, flags.iter_columns(), strict=True) if s.any()]
    frame = frame.with_columns([normalise_expr(pl.col(k)).alias(k) for k in keys])
    if bad:
        first = pl.coalesce([pl.when(flags.get_column(k)).then(pl.lit(CODE)) for k in bad]).alias(
            ERROR
        )
        if ERROR in frame.columns:
            first = pl.coalesce([pl.col(ERROR), first]).alias(ERROR)
        frame = frame.with_columns(first)
        rows = table.frame.get_column(ROW)
        for k in bad:
            mask = flags.get_column(k)
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
