"""Takedowns fail closed (spec §4): withdrawal rows that cannot be applied as written.

A withdrawal row whose dataset, identity, reason or date is missing, unknown or bad — or
whose identity names no record — is matched on what it does give. Columns of type docno,
code or name (文号, codes, the subject's name) and 记录编号 identify a record; department
codes and names and the original decision date only narrow the match. Every candidate
record is withheld (status 撤下, reason `withdrawal-withheld-review`) and the row is
reported for review with its candidates. A row that finds nothing is a takedown not
executed (撤下未执行): the build still publishes, and ends with exit code 5.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .columns import ERROR, FILE, ID, ROW, SEQ, SHEET
from .config import Column, Config, Schema, load_config
from .disclose import Withdrawal
from .issues import Issue, codes, make_issue
from .values import docno_key, name_key

IDENTIFYING_TYPES = frozenset({"docno", "code", "name"})
RECORD_ID = "record_id"  # the withdrawal column holding a record id as shown on the site
SHOWN, NAME = "_shown", "_name"
CANDIDATES_IN_MESSAGE = 10
# 行政处罚法 (2021) art. 48: a revoked penalty comes off within 3 (working) days.
REVOKED_WITHIN_WORKING_DAYS = 3


@dataclass(frozen=True)
class Candidate:
    """A record a withdrawal row may name, withheld until the row is corrected."""

    dataset: str
    id: str
    identity: str  # the record's identity values as written (文号, dates …)
    name: str | None  # the subject's name as written: internal report only

    def text(self, names: Mapping[str, str]) -> str:
        return f"{names.get(self.dataset, self.dataset)} {self.identity}（记录编号 {self.id}）"


@dataclass
class Takedowns:
    """What happens to each withdrawal row (by its index in the withdrawal list)."""

    exact: set[int] = field(default_factory=set)  # identity found: disclose applies it
    candidates: dict[int, list[Candidate]] = field(default_factory=dict)  # withheld for review
    nameless: set[int] = field(default_factory=set)  # names nothing a record is found by
    unmatched: set[int] = field(default_factory=set)  # finds nothing at all
    issues: list[Issue] = field(default_factory=list)

    def held(self, dataset: str) -> set[str]:
        """Ids of `dataset` withheld for review."""
        return {c.id for cs in self.candidates.values() for c in cs if c.dataset == dataset}


def _key(column_type: str, e: pl.Expr) -> pl.Expr:
    """Matching key: 文号 and names NFKC, brackets unified, spaces removed; codes as validated."""
    if column_type == "docno":
        return docno_key(e)
    if column_type in ("name", "text", "longtext"):
        return name_key(e)
    return e


def _identifying(c: Column) -> bool:
    return c.type in IDENTIFYING_TYPES or c.key == RECORD_ID


def keyed_records(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """The live records of one dataset with the keys a withdrawal row is compared with."""
    live = frame.filter(pl.col(ERROR).is_null() & pl.col(ID).is_not_null()).sort(SEQ)
    ident = [k for k in schema.identity + schema.identity_optional if k != "subject"]
    exprs = [pl.col(ID)]
    exprs += [_key(schema.by_key[k].type, pl.col(k)).alias(f"t:{k}") for k in ident]
    for role in ("subject_name", "department", "date"):
        k = schema.role(role)
        if k:
            exprs.append(_key(schema.by_key[k].type, pl.col(k)).alias(f"r:{role}"))
    code_cols = [
        c.key
        for c in schema.columns
        if c.role in ("subject_code", "subject_regno") or c.type == "idnum"
    ]
    if code_cols:
        exprs.append(pl.concat_list([pl.col(k) for k in code_cols]).alias("r:subject_code"))
    # Shown: the 文号 where the identity has one (it is what the office searches for).
    docnos = [k for k in ident if schema.by_key[k].type == "docno"]
    shown = [pl.col(k).cast(pl.Utf8) for k in docnos or ident]
    exprs.append(
        (pl.concat_str(shown, separator=" ", ignore_nulls=True) if shown else pl.lit("")).alias(
            SHOWN
        )
    )
    name = schema.role("subject_name")
    exprs.append((pl.col(name) if name else pl.lit(None, dtype=pl.Utf8)).alias(NAME))
    return live.select(exprs)


def _criteria(
    row: dict[str, object], ds: str, have: set[str], config: Config
) -> list[tuple[pl.Expr, bool]]:
    """(filter, identifying?) for each field the row gives that `ds` records can be compared on."""
    w = config.withdrawals
    out: list[tuple[pl.Expr, bool]] = []
    rid = row.get(RECORD_ID)
    if rid:
        out.append((pl.col(ID) == str(rid).strip().lower(), True))
    for target, source in w.match.get(ds, {}).items():
        value = row.get(source)
        if value not in (None, "") and f"t:{target}" in have:
            out.append((pl.col(f"t:{target}") == value, _identifying(w.by_key[source])))
    for c in w.columns:
        value = row.get(c.key)
        col = f"r:{c.role}"
        if c.role is None or value in (None, "") or col not in have:
            continue
        test = (
            pl.col(col).list.contains(value) if c.role == "subject_code" else pl.col(col) == value
        )
        out.append((test, _identifying(c)))
    return out


def _search(
    row: dict[str, object],
    scope: list[str],
    keyed: Callable[[str], pl.DataFrame],
    config: Config,
) -> list[Candidate] | None:
    """Records of `scope` the row may name; None when it gives nothing that identifies one.

    First every given field must agree; failing that, the identifying fields alone (a
    mistyped department code must not keep a revoked decision public).
    """
    crits = {ds: _criteria(row, ds, set(keyed(ds).columns), config) for ds in scope}
    usable = [ds for ds in scope if any(ident for _, ident in crits[ds])]
    if not usable:
        return None
    for strict in (True, False):
        found: list[Candidate] = []
        for ds in usable:
            use = [e for e, ident in crits[ds] if strict or ident]
            hits = keyed(ds).filter(pl.all_horizontal(use)).unique(ID, maintain_order=True)
            found += [Candidate(ds, *r) for r in hits.select(ID, SHOWN, NAME).iter_rows()]
        if found:
            return found
    return []


def exact_hits(withdrawals: list[Withdrawal], frames: Mapping[str, pl.DataFrame]) -> set[int]:
    """Withdrawal rows whose identity names a record of the drop (as disclose matches them)."""
    present = {ds: set(f.get_column(ID).drop_nulls().to_list()) for ds, f in frames.items()}
    return {
        w.seq
        for w in withdrawals
        if w.record_id in present.get(w.dataset, ())
        or (w.alt_id is not None and w.alt_id in present.get(w.dataset, ()))
    }


def given_fields(row: Mapping[str, object], config: Config) -> list[str]:
    """Labels of the fields a withdrawal row gives that can find a record."""
    w = config.withdrawals
    used = {s for m in w.match.values() for s in m.values()} | {RECORD_ID}
    used |= {c.key for c in w.columns if c.role}
    return [c.label for c in w.columns if c.key in used and row.get(c.key) not in (None, "")]


def plan_takedowns(
    wframe: pl.DataFrame,
    withdrawals: list[Withdrawal],
    frames: Mapping[str, pl.DataFrame],
    config: Config,
) -> Takedowns:
    """Decide, for every withdrawal row, exact application, review hold, or not executed."""
    plan = Takedowns(exact=exact_hits(withdrawals, frames))
    review = wframe.with_row_index("_i").filter(~pl.col("_i").is_in(sorted(plan.exact)))
    if review.height == 0:
        return plan
    cache: dict[str, pl.DataFrame] = {}

    def keyed(ds: str) -> pl.DataFrame:  # built only for the datasets a row is searched in
        if ds not in cache:
            cache[ds] = keyed_records(frames[ds], config.schemas[ds])
        return cache[ds]

    every = [s.id for s in config.datasets() if s.id in frames]
    names = {s.id: s.name for s in config.schemas.values()}
    w = config.withdrawals
    rows = review.select(
        pl.col("_i"),
        pl.col(FILE),
        pl.col(SHEET),
        pl.col(ROW),
        pl.col(ERROR),
        *[_key(c.type, pl.col(c.key)).alias(c.key) for c in w.columns],
    )
    for row in rows.iter_rows(named=True):
        seq, ds = int(row["_i"]), row["dataset"]
        scopes = [[ds], every] if ds in frames else [every]
        found: list[Candidate] | None = None
        for scope in scopes:
            found = _search(row, scope, keyed, config)
            if found:
                break
        if found:
            plan.candidates[seq] = found
        elif found is None:  # the last scope searched is every dataset
            plan.nameless.add(seq)
        else:
            plan.unmatched.add(seq)
        plan.issues += _issues(row, seq, plan, names, config)
    return plan


def _issues(
    row: Mapping[str, Any],
    seq: int,
    plan: Takedowns,
    names: Mapping[str, str],
    config: Config,
) -> list[Issue]:
    """The row's report line: withheld for review, names nothing, or finds nothing."""
    where: dict[str, Any] = {
        "dataset": config.withdrawals.id,
        "file": row[FILE],
        "sheet": row[SHEET],
        "row": row[ROW],
    }
    error = row[ERROR]
    cause = codes()[str(error)]["title"] if error else "按标识字段在数据中找不到记录"
    given = "、".join(given_fields(row, config)) or "（无）"
    if seq in plan.candidates:
        found = plan.candidates[seq]
        listed = "；".join(c.text(names) for c in found[:CANDIDATES_IN_MESSAGE])
        if len(found) > CANDIDATES_IN_MESSAGE:
            listed += f"；等共 {len(found)} 条（完整列表见 HTML 报告“撤下清单”一节）"
        return [
            make_issue(
                "withdrawal-withheld-review",
                **where,
                detail=f"{cause}；按{given}找到 {len(found)} 条：{listed}",
            )
        ]
    if seq in plan.nameless:
        if error == "withdrawal-identity":
            return []  # already reported by match_withdrawals
        return [
            make_issue(
                "withdrawal-identity", **where, detail="记录编号、决定文书号、主体代码或主体名称"
            )
        ]
    ds = row["dataset"]
    scope = names.get(str(ds)) if ds in names else "所有数据集"
    return [make_issue("withdrawal-unmatched", **where, detail=f"按{given}在{scope}数据中查找")]


def working_days_since(
    dates: Iterable[dt.date | None], today: dt.date
) -> list[tuple[int | None, bool]]:
    """Working days after each date up to `today` (State Council calendar, `chinesecalendar`).

    (count, exact): days outside the calendar's years count Monday to Friday, and the
    count is then marked inexact. A missing date gives (None, True); a future one 0.
    """
    import chinese_calendar

    # The package's own tables (is_workday per day costs ~0.2 ms: too slow for years).
    holidays, makeup = chinese_calendar.holidays, chinese_calendar.workdays
    years = range(min(holidays).year, max(holidays).year + 1)
    dates = list(dates)
    past = [d for d in dates if d is not None and d < today]
    if not past:
        return [(None if d is None else 0, True) for d in dates]
    total, last_guess = 0, None
    cumulative: dict[dt.date, int] = {}
    day = min(past)
    while day < today:
        cumulative[day] = total
        day += dt.timedelta(days=1)
        if day.year not in years:
            last_guess = day
        total += int(day in makeup or (day.weekday() < 5 and day not in holidays))
    out: list[tuple[int | None, bool]] = []
    for d in dates:
        if d is None:
            out.append((None, True))
        elif d >= today:
            out.append((0, True))
        else:
            out.append((total - cumulative[d], last_guess is None or last_guess <= d))
    return out


def revoked_reasons(config: Config | None = None) -> set[str]:
    """Withdrawal reasons (撤下原因 values) that revoke a decision (`revokes:` in withdrawals.yml).

    Without `config`, the packaged withdrawal list's: an office's schemas/ cannot change
    the reasons (generator/config.py), so both give the same set.
    """
    return (config or _packaged()).reason_codes("revokes")


@functools.cache
def _packaged() -> Config:
    return load_config()
