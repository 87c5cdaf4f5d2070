"""Stage 2 — validate and normalise one table against its dataset schema.

Each check is a boolean polars expression over the whole table; only rows that fail
become Issues. A row with any error is rejected (its first error code is its reason);
warnings leave it publishable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .columns import ERROR, FILE, LOAD_ERROR, ROW, SEQ, SHEET
from .config import Column, Config, Schema
from .derive import derivable, derive_table
from .issues import Issue, make_issue
from .load import Table
from .values import (
    EARLIEST,
    USCC_PATTERN,
    USCC_PLACEHOLDER,
    idnum_valid,
    nfkc_upper,
    parse_amount,
    parse_date,
    uscc_expected_check,
)

LARGE_AMOUNT = 10_000.0  # 万元: one hundred million yuan, almost always a unit mistake


@dataclass
class Check:
    code: str
    mask: pl.Expr
    key: str | None = None  # column checked (its header is quoted in the message)
    detail: pl.Expr | None = None
    value: pl.Expr | None = None  # value to quote; defaults to the raw cell
    fields: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None


def _norm(c: Column, config: Config) -> pl.Expr:
    """The normalised value of column `c` (raw cell in pl.col(c.key))."""
    raw = pl.col(c.key)
    if c.type in ("uscc", "code", "idnum"):
        return nfkc_upper(raw)
    if c.type == "date":
        return parse_date(raw)
    if c.type == "amount":
        return parse_amount(raw)[0]
    if c.type == "enum":
        enum = config.enums[c.enum or ""]
        return (
            raw.str.normalize("NFKC")
            .str.strip_chars()
            .replace_strict(enum.variants, default=None, return_dtype=pl.Utf8)
        )
    if c.type == "multienum":
        enum = config.enums[c.enum or ""]
        parts = raw.str.normalize("NFKC").str.replace_all(r"[;；,，、/\s]+", "、").str.split("、")
        # Map each part, then drop empty parts: `default` must see the unfiltered list.
        mapped = (
            parts.list.eval(pl.element().str.strip_chars())
            .list.eval(pl.element().replace_strict(enum.variants, default=pl.element()))
            .list.eval(pl.element().filter(pl.element() != ""))
        )
        return mapped.list.unique(maintain_order=True).list.join("、")
    return raw


def _amount_checks(c: Column) -> list[Check]:
    raw, norm = pl.col(c.key), pl.col(f"~{c.key}")
    present = raw.is_not_null()
    checks: list[Check] = []
    _, is_yuan, yuan = parse_amount(raw)
    suggestion = (yuan / 10_000).round(6).cast(pl.Utf8).str.replace(r"\.0$", "")
    checks.append(Check("amount-yuan", is_yuan, c.key, detail=suggestion))
    checks.append(
        Check("amount-invalid", present & ~is_yuan & (norm.is_null() | (norm < 0)), c.key)
    )
    checks.append(
        Check(
            "amount-large",
            norm > LARGE_AMOUNT,
            c.key,
            detail=(norm * 10_000).round(0).cast(pl.Int64, strict=False).cast(pl.Utf8),
        )
    )
    return checks


def _column_checks(
    c: Column, config: Config, today: dt.date, in_layout: bool = True
) -> list[Check]:
    """Checks of one column; `in_layout`: the table has (or derives) this column."""
    raw, norm = pl.col(c.key), pl.col(f"~{c.key}")
    present = raw.is_not_null()
    checks: list[Check] = []
    if c.required:
        checks.append(Check("required-missing", raw.is_null(), c.key, fields={"label": c.label}))
    elif c.standard and in_layout:
        checks.append(Check("standard-missing", raw.is_null(), c.key, fields={"label": c.label}))
    if c.type == "date":
        checks.append(Check("date-invalid", present & norm.is_null(), c.key))
        checks.append(Check("date-too-old", norm < EARLIEST, c.key, detail=norm.cast(pl.Utf8)))
        if c.role == "date":
            checks.append(Check("date-future", norm > today, c.key, detail=norm.cast(pl.Utf8)))
    elif c.type == "uscc":
        shaped = norm.str.contains(USCC_PATTERN)
        placeholder = norm == USCC_PLACEHOLDER
        checks.append(Check("uscc-format", present & ~shaped & ~placeholder, c.key))
        expected = uscc_expected_check(norm)
        checks.append(
            Check(
                "uscc-check",
                shaped & ~placeholder & (expected != norm.str.slice(17, 1)),
                c.key,
                detail=expected,
            )
        )
    elif c.type == "idnum":
        checks.append(
            Check(
                "idnum-invalid",
                present & ~idnum_valid(norm, today),
                c.key,
                value=pl.lit("（不在报告中显示）"),
            )
        )
    elif c.type == "code" and c.pattern:
        checks.append(
            Check(
                "code-format",
                present & ~norm.str.contains(c.pattern),
                c.key,
                detail=pl.lit(c.pattern_hint or c.pattern),
            )
        )
    elif c.type == "amount":
        checks += _amount_checks(c)
    elif c.type == "enum":
        enum = config.enums[c.enum or ""]
        if not enum.open:
            checks.append(
                Check(
                    "enum-invalid",
                    present & norm.is_null(),
                    c.key,
                    fields={"expected": enum.expected()},
                )
            )
    elif c.type == "multienum":
        enum = config.enums[c.enum or ""]
        unknown = (
            norm.str.split("、")
            .list.eval(pl.element().filter(~pl.element().is_in(enum.values)))
            .list.join("、")
        )
        code = "enum-unknown" if enum.open else "enum-invalid"
        checks.append(
            Check(
                code,
                present & (unknown != ""),
                c.key,
                detail=unknown,
                fields={"expected": enum.expected()},
            )
        )
    return checks


def _condition_checks(schema: Schema, config: Config) -> list[Check]:
    checks: list[Check] = []
    for cond in schema.conditions:
        code = cond.get("code", "conditional-missing")
        severity = cond.get("severity")
        when: pl.Expr = pl.lit(True)
        detail = ""
        if "when" in cond:
            w = cond["when"]
            col = pl.col(f"~{w['field']}")
            if w.get("is") == "placeholder":
                when = col == USCC_PLACEHOLDER
                detail = f"「{schema.label(w['field'])}」为占位代码"
            elif w.get("is") == "empty":
                when = col.is_null()
                detail = f"「{schema.label(w['field'])}」为空且无法推得"
            else:
                when = col.is_in(list(w.get("in") or []))
                detail = f"「{schema.label(w['field'])}」为“{'、'.join(w.get('in') or [])}”"
            if w.get("filled"):
                when = when & pl.col(w["filled"]).is_not_null()
                detail += f"且只填写了「{schema.label(w['filled'])}」"
        for key in cond.get("require") or []:
            checks.append(
                Check(
                    code,
                    when & pl.col(key).is_null(),
                    key,
                    severity=severity,
                    detail=pl.lit(detail),
                    fields={"label": schema.label(key)},
                )
            )
        if cond.get("require_any"):
            keys = list(cond["require_any"])
            labels = "或".join(schema.label(k) for k in keys)
            checks.append(
                Check(
                    code,
                    when & pl.all_horizontal([pl.col(k).is_null() for k in keys]),
                    keys[0],
                    severity=severity,
                    detail=pl.lit("（任填其一）"),
                    fields={"label": labels},
                )
            )
        if cond.get("require_in"):
            target = cond["require_in"]
            col = pl.col(f"~{target['field']}")
            allowed = "、".join(target["in"])
            checks.append(
                Check(
                    code,
                    when & ~col.is_in(list(target["in"])).fill_null(False),
                    target["field"],
                    severity=severity,
                    value=col,
                    detail=pl.lit(f"但「{schema.label(target['field'])}」不是“{allowed}”"),
                )
            )
        if cond.get("order"):
            first, second = cond["order"]
            checks.append(
                Check(
                    code,
                    pl.col(f"~{second}") < pl.col(f"~{first}"),
                    second,
                    value=pl.col(f"~{second}").cast(pl.Utf8),
                    severity=severity,
                    detail=pl.lit(schema.label(first)),
                )
            )
    return checks


# Column types whose normalisation and checks are pure functions of the cell: they are
# computed once per distinct value and joined back (dates and codes repeat a lot).
PER_VALUE_TYPES = {"date", "uscc", "code", "idnum", "amount", "enum", "multienum"}


def _per_value(
    frame: pl.DataFrame, c: Column, checks: list[tuple[int, Check]], config: Config
) -> tuple[pl.DataFrame, list[tuple[int, Check]]]:
    """Evaluate column `c`'s normalisation and checks on its distinct values, join back.

    Eager on purpose: one lazy plan with a lookup per column measured twice as slow.
    """
    lut = frame.select(pl.col(c.key).unique()).with_columns(_norm(c, config).alias(f"~{c.key}"))
    exprs: list[pl.Expr] = []
    rewired: list[tuple[int, Check]] = []
    for i, ch in checks:
        exprs.append(ch.mask.fill_null(False).alias(f"!{i}"))
        value = ch.value if ch.value is not None else pl.col(c.key)
        exprs.append(value.cast(pl.Utf8).alias(f"v{i}"))
        if ch.detail is not None:
            exprs.append(ch.detail.cast(pl.Utf8).alias(f"d{i}"))
        rewired.append(
            (
                i,
                Check(
                    ch.code,
                    pl.col(f"!{i}"),
                    ch.key,
                    detail=pl.col(f"d{i}") if ch.detail is not None else None,
                    value=pl.col(f"v{i}"),
                    fields=ch.fields,
                    severity=ch.severity,
                ),
            )
        )
    lut = lut.with_columns(exprs) if exprs else lut
    joined = frame.join(lut, on=c.key, how="left", nulls_equal=True, maintain_order="left")
    return joined, rewired


def _check_issues(ch: Check, failed: pl.DataFrame, table: Table, schema: Schema) -> list[Issue]:
    """One issue per row of `failed` (the rows where check `ch` fired)."""
    header = table.headers.get(ch.key or "", schema.label(ch.key or "")) if ch.key else None
    value = ch.value if ch.value is not None else (pl.col(ch.key) if ch.key else pl.lit(None))
    detail = ch.detail if ch.detail is not None else pl.lit(None)
    rows = failed.select(
        pl.col(ROW), value.cast(pl.Utf8).alias("v"), detail.cast(pl.Utf8).alias("d")
    )
    out: list[Issue] = []
    for row, v, d in rows.iter_rows():
        issue = make_issue(
            ch.code,
            dataset=schema.id,
            file=table.file,
            sheet=table.sheet,
            row=row,
            column=header,
            value=v,
            detail=d or "",
            **ch.fields,
        )
        if ch.severity and ch.severity != issue.severity:
            issue = Issue(**{**issue.to_dict(), "severity": ch.severity})
        out.append(issue)
    return out


def validate_table(
    table: Table, schema: Schema, config: Config, today: dt.date, seq_offset: int = 0
) -> tuple[pl.DataFrame, list[Issue]]:
    """Normalise `table` and check it; returns (frame, issues).

    The frame has every schema column normalised, plus _file, _sheet, _row, _seq and
    _error (the first error code of a rejected row, else null).
    """
    columns = schema.columns
    checks: list[tuple[int, Check]] = []
    n = 0
    skip_header = table.missing == ["header"]
    derived: list[Issue] = []
    frame = table.frame
    if not skip_header:
        where = {"dataset": schema.id, "file": table.file, "sheet": table.sheet}
        frame, derived = derive_table(frame, schema, config, where)
    layout = set(table.headers) | derivable(schema, set(table.headers))
    for c in columns:
        # An absent column is reported once for the table, not once per row; a table
        # without a header is reported once and its rows get no further checks.
        own = [
            ch
            for ch in _column_checks(c, config, today, c.key in layout)
            if not skip_header and not (ch.code == "required-missing" and c.key in table.missing)
        ]
        numbered = list(enumerate(own, n))
        n += len(own)
        if c.type in PER_VALUE_TYPES:
            frame, numbered = _per_value(frame, c, numbered, config)
        else:
            frame = frame.with_columns(_norm(c, config).alias(f"~{c.key}"))
        checks += numbered
    if not skip_header:
        checks += list(enumerate(_condition_checks(schema, config), n))
    issues: list[Issue] = derived
    codes = config.issue_codes
    masks = frame.select([ch.mask.fill_null(False).alias(f"!{i}") for i, ch in checks])
    hits = {i for (i, _), s in zip(checks, masks.iter_columns(), strict=True) if s.any()}
    error_order: list[pl.Expr] = []
    for i, ch in checks:
        severity = ch.severity or codes[ch.code]["severity"]
        if severity == "error":
            error_order.append(pl.when(masks.get_column(f"!{i}")).then(pl.lit(ch.code)))
        if i not in hits:
            continue
        issues += _check_issues(ch, frame.filter(masks.get_column(f"!{i}")), table, schema)
    # Rows of a table that lacks a required column are rejected for that reason alone.
    reason: pl.Expr
    if skip_header:
        reason = pl.lit("header-not-found")
    elif table.missing:
        reason = pl.lit("column-missing")
    else:
        reason = pl.coalesce(error_order) if error_order else pl.lit(None, dtype=pl.Utf8)
    if LOAD_ERROR in frame.columns:  # rows the loader could not read whole (reported there)
        reason = pl.coalesce(pl.col(LOAD_ERROR), reason)
    if ERROR in frame.columns:  # set before validation (text.py: cell-control-char)
        reason = pl.coalesce([reason, pl.col(ERROR)])
    out = frame.select(
        [pl.col(f"~{c.key}").alias(c.key) for c in columns]
        + [
            pl.lit(table.file).alias(FILE),
            pl.lit(table.sheet, dtype=pl.Utf8).alias(SHEET),
            pl.col(ROW),
            (pl.int_range(pl.len(), dtype=pl.Int64) + seq_offset).alias(SEQ),
            reason.cast(pl.Utf8).alias(ERROR),
        ]
    )
    return out, issues
