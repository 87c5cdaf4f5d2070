"""Stage 5 — personal data (spec §5): mask ID numbers and natural persons' names, and
scan free text for ID and mobile numbers.

Masking replaces values in place: once a frame leaves this stage it holds no full ID
number, so no later stage can leak one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import polars as pl

from .config import Config, Schema
from .issues import Issue, make_issue
from .validate import FILE, ROW, SHEET
from .values import idnum_valid_scalar

# Full-width digits and X map one-to-one, so match positions stay valid in the original.
_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＬ", "0123456789XxL")
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_PREFILTER = r"[0-9０-９]{11}"


def mask_text(value: str, head: int, tail: int, char: str = "*") -> str:
    if len(value) <= head + tail:
        return char * len(value)
    return value[:head] + char * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_expr(e: pl.Expr, config: Config) -> pl.Expr:
    """Vectorised ID mask: keep the first `id_keep_head` and last `id_keep_tail` characters."""
    m = config.masking
    head, tail, char = (
        int(m.get("id_keep_head", 1)),
        int(m.get("id_keep_tail", 2)),
        str(m.get("mask_char", "*")),
    )
    n = e.str.len_chars()
    stars = pl.lit(char).repeat_by(pl.max_horizontal(n - head - tail, 0)).list.join("")
    return (
        pl.when(n > head + tail)
        .then(
            pl.concat_str(
                [e.str.slice(0, head), stars, e.str.slice(-tail, tail) if tail else pl.lit("")]
            )
        )
        .otherwise(pl.lit(char).repeat_by(n).list.join(""))
    )


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
    compound = set(m.get("compound_surnames") or [])
    issues: list[Issue] = []
    ids = [c.key for c in schema.columns if c.type == "idnum"]
    frame = frame.with_columns([mask_id_expr(pl.col(k), config).alias(k) for k in ids])
    name, category = schema.role("subject_name"), schema.role("subject_category")
    texts = [c.key for c in schema.columns if c.type in ("longtext", "text")]
    person = (pl.col(category) == "自然人").fill_null(False) if category else pl.lit(False)
    full_name = pl.col(name) if name else pl.lit(None, dtype=pl.Utf8)
    # Free text: only rows with a long digit run (or a natural person) need the Python pass.
    suspect = pl.any_horizontal([pl.col(k).str.contains(_PREFILTER) for k in texts] + [person])
    frame = frame.with_columns(
        suspect.fill_null(False).alias("_suspect"), full_name.alias("_fullname")
    )
    if not frame.get_column("_suspect").any():
        return frame.drop("_suspect", "_fullname"), issues
    part = frame.filter(pl.col("_suspect"))
    rows: list[dict[str, Any]] = part.select(
        texts
        + ([name] if name else [])
        + ["_fullname", FILE, SHEET, ROW, category or pl.lit(None).alias("_cat")]
    ).to_dicts()
    headers = {c.key: c.label for c in schema.columns}
    for r in rows:
        is_person = category is not None and r.get(category) == "自然人"
        full = r["_fullname"] if is_person else None
        masked_name = mask_name(full, compound, char) if full else None
        for k in texts:
            v = r.get(k)
            if not v:
                continue
            new, n_id, n_mob = scan_text(v, config, today)
            if full and masked_name and len(full) >= 2 and full in new:
                new = new.replace(full, masked_name)
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
                        file=r[FILE],
                        sheet=r[SHEET],
                        row=r[ROW],
                        column=headers[k],
                        value=new,
                        detail=what,
                    )
                )
            r[k] = new
        if is_person and name and full:
            r[name] = masked_name
    cols = texts + ([name] if name else [])
    fixed = pl.DataFrame({k: [r[k] for r in rows] for k in cols}, schema={k: pl.Utf8 for k in cols})
    idx = frame.with_row_index("_i").filter(pl.col("_suspect")).get_column("_i")
    updated = frame.drop("_suspect", "_fullname").with_row_index("_i")
    patch = fixed.with_columns(idx.alias("_i"))
    updated = updated.update(patch, on="_i", include_nulls=True).drop("_i")
    return updated, issues
