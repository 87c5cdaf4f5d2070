"""Stage 3 — identity: stable record ids, subject keys and duplicate merging.

A record's id is derived from its identity fields (spec §1), normalised, never from
row order: the same decision keeps its id — and its URL — across rebuilds, re-ordered
files and re-exported drops. Personal ID numbers never enter an id unmasked.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl

from .columns import DUPLICATE, ERROR, FILE, ID, IDKEY, ROW, SEQ, SHEET, SUBJECT
from .config import Config, Schema
from .issues import Issue, make_issue, where
from .mask import mask_id_expr
from .values import (
    USCC_PATTERN,
    USCC_PLACEHOLDER,
    docno_key,
    idnum_valid,
    name_key,
    regno_valid,
)


def subject_expr(schema: Schema) -> pl.Expr:
    """Subject-page key: a valid 统一社会信用代码, else 工商注册号; never for 自然人."""
    code, regno = schema.role("subject_code"), schema.role("subject_regno")
    category = schema.role("subject_category")
    parts: list[pl.Expr] = []
    if code:
        c = pl.col(code)
        usable = c.str.contains(USCC_PATTERN) & (c != USCC_PLACEHOLDER) & _no_id_number(c)
        parts.append(pl.when(usable).then(c))
    if regno:
        r = pl.col(regno)
        parts.append(pl.when(_no_id_number(r)).then(r))
    key = pl.coalesce(parts) if parts else pl.lit(None, dtype=pl.Utf8)
    person = schema.by_key[category].person_value if category else None
    if category and person:  # a natural person has no subject key (spec §5: no profile)
        key = pl.when(pl.col(category) == person).then(None).otherwise(key)
    return key.cast(pl.Utf8)


# Any birth date up to this reads as one (when in doubt, an ID number: never a key).
_LATEST = dt.date(2199, 12, 31)


def _no_id_number(e: pl.Expr) -> pl.Expr:
    """False where the value reads as a resident ID number (as pii.classify reads it: an
    18-digit number with its check digit and a birth date, a 15-digit one with a birth date
    that is no 工商注册号). Such a value is masked in its column; as a key it would be
    published whole (the subject's address and page), so it is none. An ID number passes
    the 统一社会信用代码 check by chance 1 time in 31, and 个体工商户 rows often hold one."""
    upper = e.cast(pl.Utf8).str.to_uppercase()
    return ~(idnum_valid(upper, _LATEST) & ~regno_valid(upper)).fill_null(False)


def _person_key(schema: Schema, config: Config) -> pl.Expr:
    """Identity stand-in for a natural person: masked ID number + name, as published."""
    idcol = schema.role("subject_id")  # the person's own ID number, not a representative's
    name = schema.role("subject_name")
    parts = [
        mask_id_expr(pl.col(idcol), config) if idcol else pl.lit(""),
        name_key(pl.col(name)) if name else pl.lit(""),
    ]
    return pl.concat_str(parts, separator="~", ignore_nulls=True)


def field_key(schema: Schema, key: str, e: pl.Expr) -> pl.Expr:
    """Normalise one identity field value for matching."""
    # Codes (and the subject key built from them) were normalised by validation.
    if key == "subject":
        return e
    col = schema.by_key[key]
    if col.type == "docno":
        return docno_key(e)
    if col.type in ("uscc", "code"):
        return e
    if col.type == "date":
        return e.cast(pl.Utf8)
    return name_key(e)


def identity_key(schema: Schema, values: dict[str, pl.Expr]) -> pl.Expr:
    """Joined identity key; null when a required identity field is missing."""
    base = [field_key(schema, k, values[k]) for k in schema.identity]
    key = pl.concat_str(base, separator="|")
    for k in schema.identity_optional:
        if k in values:
            extra = field_key(schema, k, values[k])
            key = (
                pl.when(extra.is_not_null())
                .then(pl.concat_str([key, extra], separator="|#"))
                .otherwise(key)
            )
    return key


def hash_ids(dataset: str, keys: pl.Series) -> pl.Series:
    """16 hex characters of BLAKE2b over dataset and identity key (64 bits)."""
    # A hash primed with the prefix and copied per key: same digest, half the time.
    primed = hashlib.blake2b((dataset + "\x1f").encode(), digest_size=8)

    def digest(key: str) -> str:
        h = primed.copy()
        h.update(key.encode())
        return h.hexdigest()

    out = [None if k is None else digest(k) for k in keys.to_list()]
    return pl.Series(ID, out, dtype=pl.Utf8)


def assign_ids(frame: pl.DataFrame, schema: Schema, config: Config) -> pl.DataFrame:
    # The subject key first, as a column: its expression is large (the ID-number check),
    # and polars expands it once per use.
    frame = frame.with_columns(subject_expr(schema).alias(SUBJECT))
    values = {k: pl.col(k) for k in schema.identity + schema.identity_optional if k != "subject"}
    if "subject" in schema.identity:
        values["subject"] = pl.coalesce([pl.col(SUBJECT), _person_key(schema, config)])
    frame = frame.with_columns(identity_key(schema, values).alias(IDKEY))
    return frame.with_columns(hash_ids(schema.id, frame.get_column(IDKEY)))


def merge_duplicates(frame: pl.DataFrame, schema: Schema) -> tuple[pl.DataFrame, list[Issue]]:
    """Mark all but the last row (in file order) of each identity as merged.

    Files are read in sorted path order, so "last" is deterministic: a later export
    corrects an earlier one. Identical duplicates are info; differing ones a warning.
    """
    content = [c.key for c in schema.columns]
    live = frame.filter(pl.col(ERROR).is_null() & pl.col(ID).is_not_null())
    live = live.with_columns(pl.struct(content).hash(seed=0).alias("_h"))
    is_dup = live.select(pl.col(ID).is_duplicated()).to_series()
    issues: list[Issue] = []
    if not is_dup.any():
        return frame.with_columns(pl.lit(False).alias(DUPLICATE)), issues
    dups = live.filter(is_dup).sort(SEQ)
    kept = dups.group_by(ID, maintain_order=True).agg(
        pl.col(SEQ).last().alias("_kseq"),
        pl.col(FILE).last().alias("_kfile"),
        pl.col(SHEET).last().alias("_ksheet"),
        pl.col(ROW).last().alias("_krow"),
        pl.col("_h").last().alias("_kh"),
    )
    merged = dups.join(kept, on=ID).filter(pl.col(SEQ) != pl.col("_kseq"))
    ident = "、".join(schema.label(k) for k in schema.identity)
    for r in merged.select(FILE, SHEET, ROW, "_kfile", "_ksheet", "_krow", "_h", "_kh").iter_rows():
        file, sheet, row, kfile, ksheet, krow, h, kh = r
        code = "duplicate-identical" if h == kh else "duplicate-conflict"
        issues.append(
            make_issue(
                code,
                dataset=schema.id,
                file=file,
                sheet=sheet,
                row=row,
                detail=where(kfile, ksheet, krow),
                expected=ident,
            )
        )
    merged_seq = merged.get_column(SEQ)
    return frame.with_columns(pl.col(SEQ).is_in(merged_seq.implode()).alias(DUPLICATE)), issues
