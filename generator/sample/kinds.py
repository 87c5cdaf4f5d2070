"""Demo rows for a kind without a hand-written generator, from its schema alone.

Every column gets a value from its type and role: the subject's name, code, 注册号 and
category from the drop's fictional companies (so subject pages join the kinds up), a
department of the city, an enum value, a date in the four years before the anchor
(--today). A column with no hint is filled only when it is required, asked for by the
standard or plays a role; other optional columns stay empty. A schema's optional
`sample:` mapping refines this (all keys optional)::

    sample:
      per_1000: 30          # rows per 1,000 records of the drop (default 20; at least 1)
      file: 名称.csv        # file in data/<id>/ (default <name>.csv), UTF-8 with BOM
      subjects: firms       # firms (default) | coded | all: which companies rows name
      off_share: 0.2        # share of rows off the site (expired, moved out); the first
                            #   row is one of them whenever the share is above 0
      columns:              # per column key, any of:
        k: {values: [...]}              # drawn from this pool
        k: {days: [lo, hi]}             # a date lo..hi days from the anchor
        k: {after: other, days: [lo, hi], min: d, max: d}
                                        # lo..hi days after another date column, then
                                        #   kept within anchor+min .. anchor+max
        k: {year_of: other, add: -1}    # the year of another date column, as text
        k: {by_code_prefix: {"91": 企业}}  # by the first characters of the subject code
        k: {departments: [scjg]}        # one of these departments (sample words keys)
        k: {blank: true}                # always empty
        k: {..., off_site: {...}}       # another hint on off-site rows; alone:
                                        #   empty on the rows that stay on the site
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import INTERNAL_ROLES, Column, Config, Schema
from . import words as W
from .codes import make_uscc
from .drop import Drop
from .files import write_csv
from .subjects import DEPTS, Subject, make_person

DEFAULT_PER_1000 = 20
SUBJECT_ROLES = {
    "subject_name": 0,  # Subject field index
    "subject_category": 1,
    "subject_code": 2,
    "subject_regno": 3,
}
DEPENDENT = ("after", "year_of")
OFF = "off_site"  # the hint on off-site rows (not `off`: YAML 1.1 reads that as false)
TRIES = 20  # draws of a subject before a repeated identity is accepted (merged)


def row_count(schema: Schema, records: int) -> int:
    """Rows of `schema` in a drop of `records` records: `per_1000`, at least 1."""
    per = float(schema.sample.get("per_1000", DEFAULT_PER_1000))
    return max(1, round(records * per / 1000))


def sample_columns(schema: Schema) -> list[Column]:
    """The columns an office file of this kind carries: every public column."""
    return [c for c in schema.columns if not c.source_only and c.role not in INTERNAL_ROLES]


def _hint(schema: Schema, key: str, off: bool) -> dict[str, Any] | None:
    """The hint for column `key` on an on-site or off-site row; None: leave empty."""
    spec = dict((schema.sample.get("columns") or {}).get(key) or {})
    if off and OFF in spec:
        return dict(spec[OFF] or {})
    base = {k: v for k, v in spec.items() if k != OFF}
    if not base and OFF in spec:
        return None
    return base


def _subjects(drop: Drop, schema: Schema) -> list[Subject]:
    which = str(schema.sample.get("subjects", "firms"))
    pools = drop.pools
    return {"firms": pools.firms, "coded": pools.coded, "all": pools.all}.get(which) or pools.all


def _department(rand: random.Random, hint: dict[str, Any]) -> tuple[str, str]:
    keys = [str(k) for k in hint.get("departments") or DEPTS]
    name, code, _ = DEPTS[keys[int(rand.random() * len(keys))]]
    return name, code


def _date(anchor: dt.date, rand: random.Random, hint: dict[str, Any], base: Any) -> str:
    lo, hi = (int(d) for d in hint.get("days") or (-1460, 0))
    start = dt.date.fromisoformat(base) if isinstance(base, str) and base else anchor
    day = start + dt.timedelta(days=lo + int(rand.random() * (hi - lo + 1)))
    if "max" in hint:
        day = min(day, anchor + dt.timedelta(days=int(hint["max"])))
    if "min" in hint:
        day = max(day, anchor + dt.timedelta(days=int(hint["min"])))
    return day.isoformat()


def _by_type(c: Column, rand: random.Random, config: Config, n: int) -> str:
    """A value from the column's type alone (columns without a hint)."""
    r = rand.random
    if c.type in ("enum", "multienum") and c.enum in config.enums:
        values = config.enums[c.enum].values
        return values[int(r() * len(values))]
    if c.type == "uscc":
        return make_uscc(r, "91", W.CITY_REGION)
    if c.type == "idnum":
        return make_person(r)[1]
    if c.type == "amount":
        return f"{1 + int(r() * 999) / 100:.2f}"
    if c.type == "code":
        return f"{int(r() * 1e10):010d}"
    return f"{c.label}{n}"


def _value(
    c: Column, hint: dict[str, Any], row: dict[str, str], ctx: dict[str, Any], n: int
) -> str:
    """One cell of column `c` under `hint`; `row` holds the cells filled so far."""
    rand, s, dept = ctx["rand"], ctx["subject"], ctx["dept"]
    if hint.get("blank") or not (hint or c.required or c.standard or c.role):
        return ""
    if "values" in hint:
        values = [str(v) for v in hint["values"]]
        return values[int(rand.random() * len(values))]
    if "by_code_prefix" in hint:
        table = {str(k): str(v) for k, v in hint["by_code_prefix"].items()}
        found = [
            v for k, v in sorted(table.items(), key=lambda kv: -len(kv[0])) if s.code.startswith(k)
        ]
        return found[0] if found else ""
    if "year_of" in hint:
        base = row.get(str(hint["year_of"]), "")
        return str(int(base[:4]) + int(hint.get("add", 0))) if base else ""
    if c.type == "date":
        return _date(ctx["anchor"], rand, hint, row.get(str(hint.get("after", ""))))
    if c.role in SUBJECT_ROLES:
        return str(s[SUBJECT_ROLES[c.role]])
    if c.role == "department":
        return dept[0]
    if "departments" in hint:
        return _department(rand, hint)[0]
    if c.type == "uscc" and ctx["dept_column"]:
        return dept[1]
    if c.type == "name":
        return s.name
    return _by_type(c, rand, ctx["config"], n)


def _identity(schema: Schema, row: dict[str, str], s: Subject) -> tuple[str, ...]:
    return tuple(s.code if k == "subject" else row.get(k, "") for k in schema.identity)


def kind_rows(drop: Drop, schema: Schema, config: Config, n: int) -> Iterator[list[str]]:
    """Yield `n` rows of `schema` (cells in `sample_columns` order)."""
    rand = drop.rng(f"kind/{schema.id}")
    subjects = _subjects(drop, schema)
    columns = sample_columns(schema)
    ordered = [c for c in columns if not _depends(schema, c.key)]
    ordered += [c for c in columns if _depends(schema, c.key)]
    share = float(schema.sample.get("off_share", 0))
    dept_hint = next((_hint(schema, c.key, False) for c in columns if c.role == "department"), {})
    dept_column = any(c.role == "department" for c in columns)
    seen: set[tuple[str, ...]] = set()
    for i in range(n):
        off = share > 0 and (i == 0 or rand.random() < share)
        for _ in range(TRIES):
            s = subjects[int(rand.random() ** 2 * len(subjects))]
            ctx = {"rand": rand, "subject": s, "anchor": drop.anchor, "config": config}
            ctx |= {"dept": _department(rand, dept_hint or {}), "dept_column": dept_column}
            row: dict[str, str] = {}
            for c in ordered:
                hint = _hint(schema, c.key, off)
                row[c.key] = "" if hint is None else _value(c, hint, row, ctx, i + 1)
            if _identity(schema, row, s) not in seen:
                break
        seen.add(_identity(schema, row, s))
        yield [row[c.key] for c in columns]


def _depends(schema: Schema, key: str) -> bool:
    spec = (schema.sample.get("columns") or {}).get(key) or {}
    return any(k in spec or k in (spec.get(OFF) or {}) for k in DEPENDENT)


def write_kind(
    drop: Drop, out: Path, schema: Schema, config: Config, records: int
) -> dict[str, int]:
    """Write one kind's demo file into out/<id>/; return {relative path: rows}."""
    name = f"{schema.id}/{schema.sample.get('file') or schema.name + '.csv'}"
    header = [c.label for c in sample_columns(schema)]
    n = write_csv(
        out / name, "utf-8-sig", header, kind_rows(drop, schema, config, row_count(schema, records))
    )
    return {name: n}


def write_kinds(
    drop: Drop, out: Path, config: Config, records: int, hand_written: set[str]
) -> dict[str, int]:
    """Write every kind of `config` that has no hand-written generator."""
    written: dict[str, int] = {}
    for schema in config.datasets():
        if schema.id not in hand_written:
            written |= write_kind(drop, out, schema, config, records)
    return written
