"""Stage 1½ — derive: fill what an older layout lacks from what the row itself gives.

Rules are data: each schema's `derive:` list (generator/schemas/*.yml) names a rule kind
interpreted here, applied after load and before validation. A rule only fills an empty
cell (never overwrites one), except that a department name is normalised to the name in
the office's 部门目录. Every rule that filled something is reported as one `value-derived`
info issue per file with its count; an unknown department is reported with the nearest
known one. Source-only columns (a combined code column, `有效期限`) are cleared at the end:
they are never published as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import polars as pl

from .config import Config, Schema
from .issues import Issue, make_issue
from .values import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, USCC_PATTERN, USCC_WEIGHTS

Where = dict[str, Any]  # dataset, file, sheet: where issues point
_RANGE = re.compile(r"^\s*(.+?)\s*(?:至|到|～|~|—|–|－－|--)\s*(.+?)\s*$")
_DATE = r"\d{4}(?:[./年-]\d{1,2}[./月-]\d{1,2}日?|\d{4})"
_DASH_RANGE = re.compile(rf"^\s*({_DATE})\s*[-－]\s*({_DATE}|长期|永久|长期有效)\s*$")
_OPEN_END = {"长期", "永久", "长期有效", "无期限"}


def _norm(v: str) -> str:
    return unicodedata.normalize("NFKC", v).strip().upper()


def uscc_ok(v: str) -> bool:
    """An 18-character 统一社会信用代码 with a correct check character."""
    if not re.fullmatch(USCC_PATTERN, v):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(v[:17], USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31] == v[17]


def id18_ok(v: str) -> bool:
    """An 18-character 居民身份证号码 with a correct ISO 7064 MOD 11-2 check character."""
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    total = sum(int(c) * w for c, w in zip(v[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == v[17]


def regno_ok(v: str) -> bool:
    """A 15-digit 工商注册号 with a correct GB/T 17710 (ISO 7064 MOD 11,10) check digit."""
    if not re.fullmatch(r"\d{15}", v):
        return False
    p = 10
    for c in v[:14]:
        s = (p + int(c)) % 10 or 10
        p = (2 * s) % 11
    return (11 - p) % 10 == int(v[14])


def code_kind(value: str, category: str | None, person: str) -> str:
    """Which column a value of a combined code column belongs in: uscc, idnum or regno."""
    v = _norm(value)
    if category == person:
        return "idnum"
    if uscc_ok(v):
        return "uscc"
    if category is not None:
        return "regno" if re.fullmatch(r"\d{15}", v) else "uscc"
    if id18_ok(v):
        return "idnum"
    if re.fullmatch(r"\d{15}", v):
        return "regno" if regno_ok(v) else "idnum"
    return "idnum" if re.fullmatch(r"\d{17}[\dX]", v) else "uscc"


def split_range(value: str) -> tuple[str | None, str | None]:
    """`A至B`, `A到B`, `A～B`, `A-B` -> (A, B); an open end (长期) gives None."""
    m = _DASH_RANGE.match(value) or _RANGE.match(value)
    if not m:
        return None, None
    start, end = m.group(1), m.group(2)
    return start, (None if end in _OPEN_END else end)


def derivable(schema: Schema, present: set[str]) -> set[str]:
    """Columns absent from a layout that its `derive:` rules can fill from present ones."""
    have, out = set(present), set()
    changed = True
    while changed:
        changed = False
        for rule in schema.derive:
            for target, sources in rule_targets(rule):
                if target not in have and any(s in have for s in sources):
                    have.add(target)
                    out.add(target)
                    changed = True
    return out


def rule_targets(rule: dict[str, Any]) -> list[tuple[str, list[str]]]:
    kind = rule.get("rule")
    if kind == "split_code":
        return [(rule[k], [rule["from"]]) for k in ("uscc", "idnum", "regno") if rule.get(k)]
    if kind == "split_range":
        return [(rule["start"], [rule["from"]]), (rule["end"], [rule["from"]])]
    if kind == "map":
        return [(rule["target"], [rule["from"]])]
    if kind == "first_filled":
        return [(rule["target"], [c["field"] for c in rule["cases"]])]
    if kind == "copy":
        return [(rule["target"], list(rule["from"]))]
    if kind == "department" and rule.get("code"):
        return [(rule["code"], [rule["name"]])]
    return []


def derive_table(
    frame: pl.DataFrame, schema: Schema, config: Config, where: Where
) -> tuple[pl.DataFrame, list[Issue]]:
    """Apply the schema's `derive:` rules to a loaded table; returns (frame, issues)."""
    issues: list[Issue] = []
    if frame.height:
        for rule in schema.derive:
            apply = _RULES.get(str(rule.get("rule")))
            if apply is not None:
                frame = apply(frame, rule, schema, config, where, issues)
    cleared = [c.key for c in schema.columns if c.source_only and c.key in frame.columns]
    if cleared:
        frame = frame.with_columns([pl.lit(None, dtype=pl.Utf8).alias(k) for k in cleared])
    return frame, issues


def _fill(
    frame: pl.DataFrame,
    target: str,
    value: pl.Expr,
    how: str,
    schema: Schema,
    where: Where,
    issues: list[Issue],
) -> pl.DataFrame:
    """Fill empty cells of `target` with `value`; report how many were filled."""
    filled = pl.col(target).is_null() & value.is_not_null()
    count = int(frame.select(filled.sum()).item() or 0)
    if not count:
        return frame
    frame = frame.with_columns(pl.coalesce(pl.col(target), value).alias(target))
    issues.append(
        make_issue(
            "value-derived", **where, column=schema.label(target), detail=str(count), how=how
        )
    )
    return frame


def _lookup(frame: pl.DataFrame, source: str, fn: Callable[[str], str | None]) -> pl.Expr:
    """`fn` applied to each distinct value of `source`, as an expression over the frame."""
    values = [v for v in frame.get_column(source).unique().to_list() if v is not None]
    table = {v: fn(v) for v in values}
    return pl.col(source).replace_strict(
        {k: v for k, v in table.items() if v is not None}, default=None, return_dtype=pl.Utf8
    )


def _category_of(config: Config, rule: dict[str, Any]) -> Callable[[str], str | None]:
    enum = config.enums.get(str(rule.get("values_from") or "id_type_category"))
    variants = enum.variants if enum else {}
    return lambda v: variants.get(unicodedata.normalize("NFKC", v).strip())


def _split_code(
    frame: pl.DataFrame,
    rule: dict[str, Any],
    schema: Schema,
    config: Config,
    where: Where,
    issues: list[Issue],
) -> pl.DataFrame:
    src, type_field = rule["from"], rule.get("type_field")
    category = _category_of(config, rule)
    person = str(rule.get("person") or "")
    if type_field and type_field in frame.columns:
        pairs = frame.select(src, type_field).unique().drop_nulls(src).iter_rows()
        kinds = {(v, t): code_kind(v, category(t) if t else None, person) for v, t in pairs}
        key = pl.concat_str([pl.col(src), pl.col(type_field).fill_null("")], separator="\x1f")
        table = {f"{v}\x1f{t or ''}": k for (v, t), k in kinds.items()}
        kind = key.replace_strict(table, default=None, return_dtype=pl.Utf8)
    else:
        kind = _lookup(frame, src, lambda v: code_kind(v, None, person))
    label = schema.label(src)
    how = f"由「{label}」按证件类型或代码形状拆分"
    for k in ("uscc", "idnum", "regno"):
        if rule.get(k):
            value = pl.when(kind == k).then(pl.col(src).str.strip_chars())
            frame = _fill(frame, rule[k], value, how, schema, where, issues)
    return frame


def _map(
    frame: pl.DataFrame,
    rule: dict[str, Any],
    schema: Schema,
    config: Config,
    where: Where,
    issues: list[Issue],
) -> pl.DataFrame:
    value = _lookup(frame, rule["from"], _category_of(config, rule))
    how = f"由「{schema.label(rule['from'])}」推得"
    return _fill(frame, rule["target"], value, how, schema, where, issues)


def _first_filled(
    frame: pl.DataFrame,
    rule: dict[str, Any],
    schema: Schema,
    config: Config,
    where: Where,
    issues: list[Issue],
) -> pl.DataFrame:
    chain: Any = None
    for case in rule["cases"]:
        cond = pl.col(case["field"]).is_not_null()
        if case.get("equals"):
            cond = cond & (pl.col(case["field"]).str.strip_chars() == str(case["equals"]))
        if case.get("prefix"):
            cond = cond & pl.col(case["field"]).str.strip_chars().str.starts_with(case["prefix"])
        chain = (chain.when(cond) if chain is not None else pl.when(cond)).then(
            pl.lit(case["value"])
        )
    if chain is None:
        return frame
    labels = "、".join(dict.fromkeys(schema.label(c["field"]) for c in rule["cases"]))
    how = f"由已填写的代码（{labels}）推得"
    return _fill(frame, rule["target"], chain, how, schema, where, issues)


def _copy(
    frame: pl.DataFrame,
    rule: dict[str, Any],
    schema: Schema,
    config: Config,
    where: Where,
    issues: list[Issue],
) -> pl.DataFrame:
    sources = [pl.col(s) for s in rule["from"]]
    how = "取自" + "或".join(f"「{schema.label(s)}」" for s in rule["from"])
    return _fill(frame, rule["target"], pl.coalesce(sources), how, schema, where, issues)


def _split_range(
    frame: pl.DataFrame,
    rule: dict[str, Any],
    schema: Schema,
    config: Config,
    where: Where,
    issues: list[Issue],
) -> pl.DataFrame:
    src = rule["from"]
    how = f"由「{schema.label(src)}」拆分"
    start = _lookup(frame, src, lambda v: split_range(v)[0])
    end = _lookup(frame, src, lambda v: split_range(v)[1])
    frame = _fill(frame, rule["start"], start, how, schema, where, issues)
    return _fill(frame, rule["end"], end, how, schema, where, issues)


def _department(
    frame: pl.DataFrame,
    rule: dict[str, Any],
    schema: Schema,
    config: Config,
    where: Where,
    issues: list[Issue],
) -> pl.DataFrame:
    directory = config.departments
    name, code = rule["name"], rule.get("code")
    if not directory:
        return frame
    found = {v: directory.find(v) for v in frame.get_column(name).unique().to_list() if v}
    renamed = {v: d.name for v, d in found.items() if d is not None and d.name != v}
    if renamed:
        count = int(frame.select(pl.col(name).is_in(list(renamed)).sum()).item())
        frame = frame.with_columns(pl.col(name).replace(renamed))
        issues.append(
            make_issue(
                "department-renamed",
                **where,
                column=schema.label(name),
                detail=str(count),
                names="、".join(f"{a}→{b}" for a, b in sorted(renamed.items())[:5]),
            )
        )
    for v, d in sorted(found.items()):
        if d is None:
            near = directory.nearest(v)
            issues.append(
                make_issue(
                    "department-unknown",
                    **where,
                    column=schema.label(name),
                    value=v,
                    detail=f"最接近的是“{near.name}”" if near else "目录中没有相近的部门",
                )
            )
    if code:
        codes = {d.name: d.code for d in found.values() if d is not None and d.code}
        value = pl.col(name).replace_strict(codes, default=None, return_dtype=pl.Utf8)
        frame = _fill(frame, code, value, "按部门目录补全", schema, where, issues)
    return frame


_RULES: dict[str, Callable[..., pl.DataFrame]] = {
    "split_code": _split_code,
    "map": _map,
    "first_filled": _first_filled,
    "copy": _copy,
    "split_range": _split_range,
    "department": _department,
}
