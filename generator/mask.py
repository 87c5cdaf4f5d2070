"""Stage 5 — personal data (spec §5): mask ID numbers and natural persons' names, and
scan free text for ID and mobile numbers.

Masking replaces values in place: once a frame leaves this stage it holds no full ID
number, so no later stage can leak one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from . import pii
from .columns import FILE, ROW, SHEET
from .config import Config, Schema
from .issues import Issue, make_issue

# Column types that hold text as written (dates, amounts and enums are normalised values).
TEXT_TYPES = ("text", "longtext", "name", "docno", "code", "uscc")


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


def _keep(config: Config) -> dict[str, tuple[int, int]]:
    m = config.masking
    return {
        pii.IDNUM: (int(m.get("id_keep_head", 1)), int(m.get("id_keep_tail", 2))),
        pii.MOBILE: (3, 4),
    }


def scan_text(text: str, config: Config, today: dt.date) -> tuple[str, int, int]:
    """Mask ID numbers and mobile numbers inside text; returns (text, ids, mobiles).

    The detector is `pii`'s, the guard's own: whatever it finds here is masked, so the
    guard finds nothing. Mobiles are masked unless `masking.scan_mobile` is false.
    """
    m = config.masking
    char = str(m.get("mask_char", "*"))
    keep = _keep(config)
    if not m.get("scan_mobile", True):
        keep[pii.MOBILE] = (11, 0)  # keep all: nothing masked
    new, ids, mobiles = pii.mask(text, today, keep, char)
    return new, ids, mobiles if m.get("scan_mobile", True) else 0


def _person_names(name: str | None, compound: list[str]) -> tuple[str | None, str | None]:
    """(full name, given name of two characters or more) of a natural person."""
    if not name or len(name.strip()) < 2:
        return None, None
    full = name.strip()
    keep = 2 if full[:2] in compound and len(full) > 2 else 1
    given = full[keep:]
    return full, given if len(given) >= 2 else None


def _person(schema: Schema) -> pl.Expr:
    """True on rows whose subject is a natural person (the schema's `person_value`)."""
    category = schema.role("subject_category")
    column = schema.by_key[category] if category else None
    if column is None or not column.person_value:
        return pl.lit(False)
    return (pl.col(column.key) == column.person_value).fill_null(False)


def mask_frame(
    frame: pl.DataFrame, schema: Schema, config: Config, today: dt.date
) -> tuple[pl.DataFrame, list[Issue]]:
    """Mask every personal value of `frame` (all rows, whatever their status)."""
    m = config.masking
    char = str(m.get("mask_char", "*"))
    compound = list(m.get("compound_surnames") or [])
    name = schema.role("subject_name")
    texts = [c.key for c in schema.columns if c.type in TEXT_TYPES]
    person = _person(schema)
    full = pl.col(name).str.strip_chars() if name else pl.lit(None, dtype=pl.Utf8)
    n = full.str.len_chars()
    keep = pl.when(full.str.slice(0, 2).is_in(compound) & (n > 2)).then(2).otherwise(1)
    given = full.str.slice(keep)
    masked_name = mask_name_expr(full, compound, char)
    # Per text cell: a number the detector finds (checked once per distinct token, see
    # _numbers), or this natural person's name.
    named = person & (n >= 2)
    numbers = _numbers(frame, texts, today)
    flags = [
        (
            numbers(k)
            | (
                named
                & pl.lit(k != name)
                & (
                    pl.col(k).str.contains(full, literal=True)
                    | ((given.str.len_chars() >= 2) & pl.col(k).str.contains(given, literal=True))
                )
            )
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


def _numbers(frame: pl.DataFrame, texts: list[str], today: dt.date) -> Callable[[str], pl.Expr]:
    """Per text column, True on cells holding a token in which pii.find finds a number.

    Most cells with long digit runs hold the same few values (a department's code, a
    licence number format): polars extracts the detector's tokens (pii.candidates, the
    guard's own), each distinct token is checked once in Python, and only the cells with a
    finding go to the Python pass that masks them in context."""
    pattern = pii.runs()
    distinct: set[str] = set()
    for k in texts:
        column = frame.get_column(k)
        tokens = column.filter(column.str.contains(pii.PREFILTER).fill_null(False))
        distinct.update(tokens.str.extract_all(pattern).explode().drop_nulls().unique().to_list())
    bad = sorted(t for t in distinct if pii.find(t, today))

    def flag(k: str) -> pl.Expr:
        if not bad:
            return pl.lit(False)
        found = pl.col(k).str.extract_all(pattern).list.eval(pl.element().is_in(bad))
        return pl.col(k).str.contains(pii.PREFILTER) & found.list.any()

    return flag


def _scan_cells(
    frame: pl.DataFrame,
    schema: Schema,
    config: Config,
    today: dt.date,
    texts: list[str],
    suspect: pl.Series,
) -> tuple[pl.DataFrame, list[Issue]]:
    """The Python pass over the few flagged cells: find and mask ID and mobile numbers,
    and the natural person's name (full, and the given name alone)."""
    labels = {c.key: c.label for c in schema.columns}
    regno = schema.role("subject_regno")
    compound = list(config.masking.get("compound_surnames") or [])
    char = str(config.masking.get("mask_char", "*"))
    issues: list[Issue] = []
    index = frame.with_row_index("_i").filter(suspect)
    updates: dict[str, list[str | None]] = {}
    for k in texts:
        rows = index.filter(pl.col(f"?{k}")).select("_i", k, FILE, SHEET, ROW, "_full", "_masked")
        if rows.height == 0:
            continue
        column = frame.get_column(k).to_list()
        for i, value, file, sheet, row, person, masked in rows.iter_rows():
            if not value:
                continue
            new, n_id, n_mob = scan_text(value, config, today)
            full, given = _person_names(person, compound)
            if full:
                new = new.replace(full, masked)
            if given:
                new = new.replace(given, char * len(given))
            if n_id or n_mob:
                where = dict(dataset=schema.id, file=file, sheet=sheet, row=row, column=labels[k])
                if k == regno and n_id:
                    issues.append(make_issue("regno-masked-as-id", value=new, **where))
                else:
                    issues.append(
                        make_issue("pii-in-text", value=new, detail=_what(n_id, n_mob), **where)
                    )
            column[i] = new
        updates[k] = column
    frame = frame.with_columns([pl.Series(k, v, dtype=pl.Utf8) for k, v in updates.items()])
    return frame, issues


def _what(ids: int, mobiles: int) -> str:
    parts = [f"身份证号码{ids}处" if ids else "", f"手机号码{mobiles}处" if mobiles else ""]
    return "、".join(x for x in parts if x)
