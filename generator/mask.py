"""Stage 5 — personal data (spec §5): mask ID numbers and natural persons' names, and
scan free text for ID and mobile numbers.

Masking replaces values in place: once a frame leaves this stage it holds no full ID
number, so no later stage can leak one.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from .config import Config, Schema
from .issues import Issue, make_issue
from .validate import FILE, ROW, SHEET
from .values import idnum_valid_scalar

# Full-width digits and X map one-to-one, so match positions stay valid in the original.
_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＬ", "0123456789XxL")
_ID_RE = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
_MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_PREFILTER = r"[0-9０-９]{11}"


def mask_text(value: str, head: int, tail: int, char: str = "*") -> str:
    if len(value) <= head + tail:
        return char * len(value)
    return value[:head] + char * (len(value) - head - tail) + value[len(value) - tail :]


def _stars(n: pl.Expr, char: str) -> pl.Expr:
    return pl.lit("").str.pad_end(pl.max_horizontal(n, 0), char)


def mask_id_expr(e: pl.Expr, config: Config) -> pl.Expr:
    """Vectorised ID mask: keep the first `id_keep_head` and last `id_keep_tail` characters."""
    m = config.masking
    head, tail = int(m.get("id_keep_head", 1)), int(m.get("id_keep_tail", 2))
    char = str(m.get("mask_char", "*"))
    n = e.str.len_chars()
    kept_tail = e.str.slice(-tail, tail) if tail else pl.lit("")
    return (
        pl.when(n > head + tail)
        .then(pl.concat_str([e.str.slice(0, head), _stars(n - head - tail, char), kept_tail]))
        .otherwise(_stars(n, char))
    )


def mask_name_expr(e: pl.Expr, compound: list[str], char: str = "*") -> pl.Expr:
    """Vectorised `mask_name`: the surname (compound ones whole), then one mask per character."""
    name = e.str.strip_chars()
    n = name.str.len_chars()
    keep = pl.when(name.str.slice(0, 2).is_in(compound) & (n > 2)).then(2).otherwise(1)
    return pl.concat_str([name.str.slice(0, keep), _stars(n - keep, char)])


def mask_name(name: str, compound: set[str], char: str = "*") -> str:
    """Keep the surname (compound surnames whole): 张三 → 张*, 欧阳娜娜 → 欧阳**."""
    name = name.strip()
    keep = 2 if name[:2] in compound and len(name) > 2 else 1
    return name[:keep] + char * (len(name) - keep)


def scan_text(text: str, config: Config, today: dt.date) -> tuple[str, int, int]:
    """Mask ID numbers and mobile numbers inside free text; returns (text, ids, mobiles)."""
    m = config.masking
    head, tail, char = (
        int(m.get("id_keep_head", 1)),
        int(m.get("id_keep_tail", 2)),
        str(m.get("mask_char", "*")),
    )
    probe = text.translate(_WIDTH)
    out = list(text)
    ids = mobiles = 0
    for match in _ID_RE.finditer(probe):
        if idnum_valid_scalar(match.group(1), today):
            ids += 1
            a, b = match.span(1)
            out[a:b] = list(mask_text(text[a:b], head, tail, char))
    if m.get("scan_mobile", True):
        for match in _MOBILE_RE.finditer(probe):
            mobiles += 1
            a, b = match.span(1)
            out[a:b] = list(mask_text(text[a:b], 3, 4, char))
    return "".join(out), ids, mobiles


def mask_frame(
    frame: pl.DataFrame, schema: Schema, config: Config, today: dt.date
) -> tuple[pl.DataFrame, list[Issue]]:
    """Mask every personal value of `frame` (all rows, whatever their status)."""
    m = config.masking
    char = str(m.get("mask_char", "*"))
    compound = list(m.get("compound_surnames") or [])
    name, category = schema.role("subject_name"), schema.role("subject_category")
    texts = [c.key for c in schema.columns if c.type in ("longtext", "text")]
    person = (pl.col(category) == "自然人").fill_null(False) if category else pl.lit(False)
    full = pl.col(name) if name else pl.lit(None, dtype=pl.Utf8)
    masked_name = mask_name_expr(full, compound, char)
    # Per text cell: does it hold a long digit run, or this natural person's full name?
    flags = [
        (
            pl.col(k).str.contains(_PREFILTER)
            | (person & (full.str.len_chars() >= 2) & pl.col(k).str.contains(full, literal=True))
        )
        .fill_null(False)
        .alias(f"?{k}")
        for k in texts
    ]
    frame = frame.with_columns(
        flags + [pl.when(person).then(full).alias("_full"), masked_name.alias("_masked")]
    )
    frame = frame.with_columns(
        [
            mask_id_expr(pl.col(c.key), config).alias(c.key)
            for c in schema.columns
            if c.type == "idnum"
        ]
        + ([pl.when(person).then(pl.col("_masked")).otherwise(full).alias(name)] if name else [])
    )
    issues: list[Issue] = []
    suspect = (
        frame.select(pl.any_horizontal([pl.col(f"?{k}") for k in texts])).to_series()
        if texts
        else None
    )
    if suspect is not None and suspect.any():
        frame, issues = _scan_cells(frame, schema, config, today, texts, suspect)
    return frame.drop([f"?{k}" for k in texts] + ["_full", "_masked"]), issues


def _scan_cells(
    frame: pl.DataFrame,
    schema: Schema,
    config: Config,
    today: dt.date,
    texts: list[str],
    suspect: pl.Series,
) -> tuple[pl.DataFrame, list[Issue]]:
    """The Python pass over the few flagged cells: find and mask ID and mobile numbers."""
    labels = {c.key: c.label for c in schema.columns}
    issues: list[Issue] = []
    index = frame.with_row_index("_i").filter(suspect)
    updates: dict[str, list[str | None]] = {}
    for k in texts:
        rows = index.filter(pl.col(f"?{k}")).select("_i", k, FILE, SHEET, ROW, "_full", "_masked")
        if rows.height == 0:
            continue
        column = frame.get_column(k).to_list()
        for i, value, file, sheet, row, full, masked in rows.iter_rows():
            if not value:
                continue
            new, n_id, n_mob = scan_text(value, config, today)
            if full and len(full) >= 2:
                # A natural person's name inside free text is masked like the name itself.
                new = new.replace(full, masked)
            if n_id or n_mob:
                what = "、".join(
                    x
                    for x in (
                        f"身份证号码{n_id}处" if n_id else "",
                        f"手机号码{n_mob}处" if n_mob else "",
                    )
                    if x
                )
                issues.append(
                    make_issue(
                        "pii-in-text",
                        dataset=schema.id,
                        file=file,
                        sheet=sheet,
                        row=row,
                        column=labels[k],
                        value=new,
                        detail=what,
                    )
                )
            column[i] = new
        updates[k] = column
    frame = frame.with_columns([pl.Series(k, v, dtype=pl.Utf8) for k, v in updates.items()])
    return frame, issues
