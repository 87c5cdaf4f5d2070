"""Stage 4 — disclosure at a build date (spec §4): which records may be public today.

Rules are named in each schema's `disclosure:` list and parameterised there, so a new
dataset kind reuses them without code. Withdrawals (撤下清单) are applied first: an
explicit decision by the office outranks the calendar. A withdrawal row that cannot be
applied as written fails closed (spec §4): `plan_takedowns` matches it on what it does
give and every candidate record is withheld for review.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import polars as pl

from .columns import (  # the statuses are re-exported: disclose is the stage that sets them
    DUPLICATE,
    ERROR,
    FILE,
    ID,
    IDKEY,
    MERGED,
    MIN_UNTIL,
    PUBLISHED,
    REASON,
    REJECTED,
    REVIEW,
    ROW,
    SHEET,
    STATUS,
    UNTIL,
    WITHDRAWN,
)
from .config import Config, Schema
from .identity import hash_ids, identity_key
from .issues import Issue, make_issue

# A withdrawal reason (撤下原因) with this flag in withdrawals.yml `reasons:` takes effect only
# once the record's minimum disclosure period is over (信用修复).
AFTER_MIN_PERIOD = "after_min_period"


def withdrawal_codes(config: Config) -> dict[str, str]:
    """撤下原因 value -> the reason code a withdrawn record carries (withdrawals.yml)."""
    return {value: str(r["code"]) for value, r in config.withdrawals.reasons.items()}


@dataclass
class Withdrawal:
    """One row of the withdrawal list, after matching."""

    dataset: str
    record_id: str
    reason: str
    date: dt.date
    file: str
    sheet: str | None
    row: int
    seq: int  # index of the row in the withdrawal list
    alt_id: str | None = None  # id without optional identity parts (许可编号 absent in the data)


def _months(e: pl.Expr, months: int) -> pl.Expr:
    return e.dt.offset_by(f"{months}mo")


def penalty_window(schema: Schema, rule: dict[str, Any], config: Config) -> tuple[pl.Expr, pl.Expr]:
    """(end of disclosure, end of the minimum period) for a penalty row.

    国家发展改革委令2023年第58号: at least 3 months, at most 3 years from the decision;
    at least 1 year for 特种设备, 安全生产 and 消防. A 公示截止期 in the data rules.
    """
    p = dict(config.rules.get("penalty") or {})
    date = pl.col(rule["date"])
    max_m, min_m = int(p.get("max_months", 36)), int(p.get("min_months", 3))
    special_m = int(p.get("special_min_months", 12))
    keywords = [str(k) for k in p.get("special_keywords") or []]
    fields = [pl.col(f).fill_null("") for f in rule.get("special_fields") or []]
    special = (
        pl.concat_str(fields).str.contains("|".join(keywords))
        if keywords and fields
        else pl.lit(False)
    )
    # With several penalty kinds the longest minimum counts.
    per_category = dict(p.get("category_min_months") or {})
    cats = pl.col(rule["categories"]).fill_null("") if rule.get("categories") else pl.lit("")
    months = pl.max_horizontal(
        [pl.lit(min_m), pl.when(special).then(special_m).otherwise(min_m)]
        + [pl.when(cats.str.contains(k)).then(int(v)).otherwise(0) for k, v in per_category.items()]
    )
    min_until = pl.coalesce(
        [
            pl.when(months == m).then(_months(date, m))
            for m in sorted({min_m, special_m, *map(int, per_category.values())})
        ]
    )
    # A given deadline rules, but never beyond the legal maximum (reported as a warning).
    max_until = _months(date, max_m)
    deadline = pl.col(rule["deadline"]) if rule.get("deadline") else pl.lit(None, dtype=pl.Date)
    end = pl.min_horizontal(pl.coalesce([deadline, max_until]), max_until)
    return end, min_until


def rule_masks(schema: Schema, config: Config, today: dt.date) -> list[tuple[str, pl.Expr]]:
    """(reason, withdrawn-mask) per disclosure rule of `schema`, in order."""
    out: list[tuple[str, pl.Expr]] = []
    rules = config.rules
    for rule in schema.disclosure:
        kind, reason = rule["rule"], rule.get("reason", rule["rule"])
        col = pl.col(rule["field"]) if "field" in rule else None
        if kind == "exclude_warning_only" and rules.get("exclude_warning_only", True):
            assert col is not None
            out.append((reason, col == str(rule["value"])))
        elif kind == "penalty_period":
            end, _ = penalty_window(schema, rule, config)
            out.append((reason, end < today))
        elif kind == "state_not_in":
            assert col is not None
            values = rule.get("values") or rules.get(rule.get("values_from", ""), [])
            out.append((reason, col.is_in(list(values))))
        elif kind == "until_date":
            assert col is not None
            out.append((reason, col < today if rule.get("inclusive", True) else col <= today))
        elif kind == "value_in":
            assert col is not None
            out.append((reason, ~col.is_in(list(rule["values"]))))
    return out


def period_issues(frame: pl.DataFrame, schema: Schema, config: Config) -> list[Issue]:
    """Warn where a given 公示截止期 lies outside the legal 3-month..3-year window."""
    issues: list[Issue] = []
    for rule in schema.disclosure:
        if rule["rule"] != "penalty_period" or not rule.get("deadline"):
            continue
        p = dict(config.rules.get("penalty") or {})
        deadline, date = pl.col(rule["deadline"]), pl.col(rule["date"])
        _, min_until = penalty_window(schema, rule, config)
        max_until = _months(date, int(p.get("max_months", 36)))
        bad = frame.filter(
            pl.col(ERROR).is_null() & ((deadline > max_until) | (deadline < min_until))
        )
        header = schema.label(rule["deadline"])
        for row in bad.select(
            FILE, SHEET, ROW, deadline.cast(pl.Utf8), (deadline > max_until).alias("late")
        ).iter_rows():
            detail = (
                "超过最长公示期（处罚决定日期起3年），网站按最长公示期撤下"
                if row[4]
                else "短于最短公示期，网站按所填日期撤下"
            )
            issues.append(
                make_issue(
                    "period-deadline",
                    dataset=schema.id,
                    file=row[0],
                    sheet=row[1],
                    row=row[2],
                    column=header,
                    value=row[3],
                    detail=detail,
                )
            )
    return issues


def _join_withdrawals(
    frame: pl.DataFrame, schema: Schema, withdrawals: list[Withdrawal], present: set[str]
) -> tuple[pl.DataFrame, list[Withdrawal]]:
    """Join each record with the earliest withdrawal naming it (_wreason, _wdate, _widx)."""
    mine = [
        w
        if w.record_id in present or w.alt_id is None or w.alt_id not in present
        else dataclasses.replace(w, record_id=w.alt_id)
        for w in withdrawals
        if w.dataset == schema.id
    ]
    wd = pl.DataFrame(
        {
            ID: [w.record_id for w in mine],
            "_wreason": [w.reason for w in mine],
            "_wdate": [w.date for w in mine],
            "_widx": [w.seq for w in mine],
        },
        schema={ID: pl.Utf8, "_wreason": pl.Utf8, "_wdate": pl.Date, "_widx": pl.Int64},
    )
    wd = wd.sort("_wdate", "_widx").unique(ID, keep="first", maintain_order=True)
    frame = (
        frame.join(wd, on=ID, how="left", coalesce=True)
        if mine
        else frame.with_columns(
            pl.lit(None, dtype=pl.Utf8).alias("_wreason"),
            pl.lit(None, dtype=pl.Date).alias("_wdate"),
            pl.lit(None, dtype=pl.Int64).alias("_widx"),
        )
    )
    return frame, mine


def _pending_issues(
    pending: pl.DataFrame, mine: list[Withdrawal], today: dt.date, control: str
) -> list[Issue]:
    """Say when each named, still public record will come off."""
    by_seq = {w.seq: w for w in mine}
    issues: list[Issue] = []
    rows = pending.select(ID, "_wreason", "_wdate", MIN_UNTIL, "_widx").iter_rows()
    for rid, wreason, wdate, min_until, widx in rows:
        w = by_seq[widx]
        if wdate > today:
            detail = f"{rid} 的撤下日期 {wdate} 尚未到，届时重新构建即撤下"
        else:
            detail = f"{rid} 已{wreason}，但最短公示期至 {min_until} 才届满，届时自动撤下"
        issues.append(
            make_issue(
                "withdrawal-pending",
                dataset=control,
                file=w.file,
                sheet=w.sheet,
                row=w.row,
                detail=detail,
            )
        )
    return issues


def disclose(
    frame: pl.DataFrame,
    schema: Schema,
    config: Config,
    today: dt.date,
    withdrawals: list[Withdrawal],
    held: Collection[str] = (),
) -> tuple[pl.DataFrame, list[Issue], set[int], set[int]]:
    """Set _status/_reason/_until on every row.

    Returns (frame, issues, seqs of withdrawals applied, seqs of withdrawals that matched).
    `held`: ids of records withheld for review (plan_takedowns), off whatever their dates.

    A 修复 withdrawal takes effect only once the minimum period is over; until then the
    record stays public and the report says when it will come off.
    """
    issues: list[Issue] = []
    ends: list[pl.Expr] = []
    mins: list[pl.Expr] = []
    for rule in schema.disclosure:
        if rule["rule"] == "penalty_period":
            end, min_until = penalty_window(schema, rule, config)
            ends.append(end)
            mins.append(min_until)
    frame = frame.with_columns(
        (ends[0] if ends else pl.lit(None, dtype=pl.Date)).alias(UNTIL),
        (mins[0] if mins else pl.lit(None, dtype=pl.Date)).alias(MIN_UNTIL),
    )
    # Withdrawals: explicit office decisions.
    present = set(frame.get_column(ID).drop_nulls().to_list())
    frame, mine = _join_withdrawals(frame, schema, withdrawals, present)
    due = pl.col("_wdate") <= today
    early = (
        pl.col("_wreason").is_in(sorted(config.reason_codes(AFTER_MIN_PERIOD)))
        & pl.col(MIN_UNTIL).is_not_null()
        & (pl.col(MIN_UNTIL) > today)
    )
    applies = pl.col("_wreason").is_not_null() & due & ~early.fill_null(False)
    reason_exprs = [
        pl.when(applies).then(
            pl.col("_wreason").replace_strict(withdrawal_codes(config), default="withdrawn")
        )
    ]
    if held:
        reason_exprs.append(pl.when(pl.col(ID).is_in(sorted(held))).then(pl.lit(REVIEW)))
    reason_exprs += [pl.when(mask).then(pl.lit(r)) for r, mask in rule_masks(schema, config, today)]
    frame = frame.with_columns(
        pl.coalesce(reason_exprs).alias("_withdraw"),
        applies.fill_null(False).alias("_wapplied"),
        (pl.col("_wreason").is_not_null() & ~applies.fill_null(False)).alias("_wpending"),
    )
    live = pl.col(ERROR).is_null() & ~pl.col(DUPLICATE)
    status = (
        pl.when(pl.col(ERROR).is_not_null())
        .then(pl.lit(REJECTED))
        .when(pl.col(DUPLICATE))
        .then(pl.lit(MERGED))
        .when(pl.col("_withdraw").is_not_null())
        .then(pl.lit(WITHDRAWN))
        .otherwise(pl.lit(PUBLISHED))
    )
    reason = (
        pl.when(pl.col(ERROR).is_not_null())
        .then(pl.col(ERROR))
        .when(pl.col(DUPLICATE))
        .then(pl.lit("duplicate"))
        .otherwise(pl.col("_withdraw"))
    )
    frame = frame.with_columns(status.alias(STATUS), reason.alias(REASON))
    # Every row naming a record counts, also a second row naming a record already named.
    applied_ids = set(frame.filter(pl.col("_wapplied")).get_column(ID).to_list())
    applied = {w.seq for w in mine if w.record_id in applied_ids}
    pending = frame.filter(live & pl.col("_wpending"))
    issues += _pending_issues(pending, mine, today, config.withdrawals.id)
    issues += period_issues(frame, schema, config)
    matched = {w.seq for w in mine if w.record_id in present}
    frame = frame.drop("_wreason", "_wdate", "_widx", "_withdraw", "_wapplied", "_wpending")
    return frame, issues, applied, matched


def match_withdrawals(
    frame: pl.DataFrame, config: Config, today: dt.date
) -> tuple[list[Withdrawal], pl.DataFrame, list[Issue]]:
    """Turn validated withdrawal rows into Withdrawals keyed by record id.

    A row names its record by 记录编号 or by the dataset's identity fields (mapped in
    withdrawals.yml). Rows that cannot name one are rejected with withdrawal-identity.
    Every kind is matched: one with no mapping (an office's own kind) by 记录编号 only.
    """
    ws = config.withdrawals
    issues: list[Issue] = []
    ids: list[str | None] = [None] * frame.height
    alts: list[str | None] = [None] * frame.height
    errors: list[str | None] = frame.get_column(ERROR).to_list()
    for schema in config.datasets():
        ds, mapping = schema.id, ws.match.get(schema.id, {})
        sel = pl.col("dataset") == ds
        part = frame.with_row_index("_i").filter(sel & pl.col(ERROR).is_null())
        if part.height == 0:
            continue
        values = {target: pl.col(source) for target, source in mapping.items()}
        need = list(schema.identity)
        complete = all(k in values for k in need)
        key = identity_key(schema, values) if complete else pl.lit(None, dtype=pl.Utf8)
        base = (
            identity_key(schema, {k: values[k] for k in need})
            if complete
            else pl.lit(None, dtype=pl.Utf8)
        )
        keys = part.select(pl.col("_i"), pl.col("record_id"), key.alias(IDKEY), base.alias("_base"))
        hashed = hash_ids(ds, keys.get_column(IDKEY))
        for i, alt in zip(
            keys.get_column("_i").to_list(),
            hash_ids(ds, keys.get_column("_base")).to_list(),
            strict=True,
        ):
            alts[i] = alt
        missing_label = "、".join(schema.label(k) if k != "subject" else "主体代码" for k in need)
        for i, rid, h in zip(
            keys.get_column("_i").to_list(),
            keys.get_column("record_id").to_list(),
            hashed.to_list(),
            strict=True,
        ):
            rid = (rid or "").strip().lower() or h
            if rid is None:
                errors[i] = "withdrawal-identity"
                r = frame.row(i, named=True)
                issues.append(
                    make_issue(
                        "withdrawal-identity",
                        dataset=config.withdrawals.id,
                        file=r[FILE],
                        sheet=r[SHEET],
                        row=r[ROW],
                        detail=f"记录编号，或{missing_label}",
                    )
                )
            ids[i] = rid
    frame = frame.with_columns(
        pl.Series(ID, ids, dtype=pl.Utf8), pl.Series(ERROR, errors, dtype=pl.Utf8)
    )
    live = frame.with_row_index("_i").filter(pl.col(ERROR).is_null() & pl.col(ID).is_not_null())
    out = [
        Withdrawal(ds, rid, reason, date, file, sheet, row, seq, alt_id=alts[seq])
        for ds, rid, reason, date, file, sheet, row, seq in live.select(
            "dataset", ID, "reason", "date", FILE, SHEET, ROW, pl.col("_i").cast(pl.Int64)
        ).iter_rows()
    ]
    return out, frame, issues
