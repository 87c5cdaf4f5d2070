"""Turn published record frames into display-ready rows: labels, dates, amounts, facets.

Formatting is vectorised in polars where it can be; the renderers then only loop over
plain Python tuples. Internal provenance columns never leave this module.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
from markupsafe import escape

from ..columns import ID, SUBJECT, UNTIL
from ..config import Schema
from .extras import column_keys, flag
from .urls import slug

CN_DATE = "%Y年%-m月%-d日"
_WAN = re.compile(r"[(（]万元[)）]$")


@dataclass
class Facet:
    key: str  # column key, or "year"
    label: str
    values: list[tuple[str, str, list[int]]]  # (slug, value shown, row positions, newest first)


@dataclass
class Dataset:
    """One dataset, sorted newest first, with everything the pages need."""

    id: str
    name: str
    description: str
    labels: list[str]  # display labels, parallel to the field columns in `frame`
    frame: pl.DataFrame  # _id _subject _until _date _t0 _t1 _dept _name _html _nos
    facets: list[Facet] = field(default_factory=list)
    repairable: bool = False  # its records can be repaired (信用修复)
    alert: bool = False  # a current entry is highlighted (黑名单, 经营异常)
    schema: Schema | None = None

    @property
    def count(self) -> int:
        return self.frame.height


def _num(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def amount(value: float) -> str:
    """0.5 (万元) → 0.5万元（5000元）."""
    wan = Decimal(repr(float(value)))
    return f"{_num(wan)}万元（{_num((wan * 10000).quantize(Decimal('0.01')))}元）"


def display_columns(schema: Schema) -> list[tuple[str, str, str]]:
    """(key, label, type) of each published column, in schema order.

    The penalty's own 公示截止期 column is left out: the computed `_until` shows it.
    """
    deadlines = {r.get("deadline") for r in schema.disclosure if r.get("rule") == "penalty_period"}
    public = column_keys(schema, "public_label")
    out = []
    for c in schema.columns:
        if c.key in deadlines or not c.public:
            continue
        label = public.get(c.key, c.label)
        label = _WAN.sub("", label) if c.type == "amount" else label
        out.append((c.key, label, c.type))
    return out


def _fmt(key: str, kind: str) -> pl.Expr:
    col = pl.col(key)
    if kind == "date":
        return col.dt.strftime(CN_DATE)
    if kind == "amount":
        return col.map_elements(amount, return_dtype=pl.Utf8, skip_nulls=True)
    return col.cast(pl.Utf8)


def escape_expr(e: pl.Expr) -> pl.Expr:
    """HTML-escape a string column exactly as markupsafe does, in one vectorised pass."""
    for char, entity in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&#34;"),
        ("'", "&#39;"),
    ):
        e = e.str.replace_all(char, entity, literal=True)
    return e


def fields_html(
    cols: list[tuple[str, str, str]],
    future: dict[str, str] | None = None,
    today: dt.date | None = None,
) -> pl.Expr:
    """`<dt>label</dt><dd>value</dd>` for every non-empty field, escaped, as one string.

    A date column with a `future` label (移出日期 → 计划移出日期) shows that label, and says
    the entry is still published, when its date is after `today`.
    Built by polars for all records at once: per-value escaping in the template loop was
    most of a record page's rendering time.
    """
    parts = []
    for key, label, kind in cols:
        value = _fmt(key, kind)
        cell = pl.lit(f"<dt>{escape(label)}</dt><dd>") + escape_expr(value) + pl.lit("</dd>")
        if future and key in future and today is not None and kind == "date":
            ahead = f"<dt>{escape(future[key])}</dt><dd>"
            cell = (
                pl.when(pl.col(key) > pl.lit(today))
                .then(
                    pl.lit(ahead) + escape_expr(value) + pl.lit("（尚未移出，目前仍在公示）</dd>")
                )
                .otherwise(cell)
            )
        parts.append(pl.when(value.is_not_null() & (value != "")).then(cell).otherwise(pl.lit("")))
    return pl.concat_str(parts, separator="") if parts else pl.lit("")


def prepare(frame: pl.DataFrame, schema: Schema, today: dt.date | None = None) -> Dataset:
    """Sort newest first (by the `role: date` column, then id) and format every field;
    `today` (the build date) tells a scheduled date from a past one."""
    cols = display_columns(schema)
    date = schema.role("date")
    dept = schema.role("department")
    name = schema.role("subject_name")
    titles = [k for k in schema.title if k in schema.by_key][:2]
    kinds = {k: t for k, _, t in cols}
    nos = [k for k, _, t in cols if t == "docno"]
    date_expr = pl.col(date) if date else pl.lit(None, dtype=pl.Date)
    out = frame.select(
        pl.col(ID),
        pl.col(SUBJECT).cast(pl.Utf8),
        (pl.col(UNTIL) if UNTIL in frame.columns else pl.lit(None, dtype=pl.Date))
        .dt.strftime(CN_DATE)
        .alias(UNTIL),
        date_expr.alias("_date"),
        *(
            (_fmt(k, kinds.get(k, "text")) if k else pl.lit("")).fill_null("").alias(f"_t{i}")
            for i, k in enumerate((titles + ["", ""])[:2])
        ),
        (pl.col(dept) if dept else pl.lit(None, dtype=pl.Utf8)).alias("_dept"),
        (pl.col(name) if name else pl.lit(None, dtype=pl.Utf8)).alias("_name"),
        fields_html(cols, column_keys(schema, "future_label"), today).alias("_html"),
        # Document numbers (文号, 许可编号 …): looked up exactly by the search page.
        pl.concat_list([pl.col(k).cast(pl.Utf8) for k in nos] or [pl.lit(None, pl.Utf8)])
        .list.drop_nulls()
        .alias("_nos"),
        *(pl.col(k).alias(f"_facet_{k}") for k in schema.facets if k in schema.by_key),
    ).sort(["_date", ID], descending=[True, False], nulls_last=True)
    ds = Dataset(schema.id, schema.name, schema.description, [lbl for _, lbl, _ in cols], out)
    ds.repairable, ds.alert, ds.schema = flag(schema, "repairable"), flag(schema, "alert"), schema
    ds.facets = [f for k in schema.facets if (f := _facet(out, schema, k, date)) is not None]
    ds.frame = out.drop([c for c in out.columns if c.startswith("_facet_")])
    return ds


def _facet(frame: pl.DataFrame, schema: Schema, key: str, date: str | None) -> Facet | None:
    """Positions of the rows under each value of one facet (year, department, category)."""
    pos = frame.select(pl.int_range(pl.len()).alias("_pos"), pl.all())
    if key == "year":
        if not date:
            return None
        vals = pos.select("_pos", pl.col("_date").dt.year().cast(pl.Utf8).alias("_v"))
        label = "年份"
    elif key in schema.by_key:
        col = pl.col(f"_facet_{key}").cast(pl.Utf8)
        if schema.by_key[key].type == "multienum":
            col = col.str.split("、")
        vals = pos.select("_pos", col.alias("_v"))
        if schema.by_key[key].type == "multienum":
            vals = vals.explode("_v")
        label = schema.by_key[key].label
    else:
        return None
    groups = (
        vals.filter(pl.col("_v").is_not_null() & (pl.col("_v") != ""))
        .group_by("_v")
        .agg(pl.col("_pos").sort())
    )
    if key == "year":
        groups = groups.sort("_v", descending=True)
    else:
        groups = groups.with_columns(pl.col("_pos").list.len().alias("_n")).sort(
            ["_n", "_v"], descending=[True, False]
        )
    values = [
        (v if key == "year" else slug(v), v, p) for v, p in groups.select("_v", "_pos").iter_rows()
    ]
    return Facet(key, label, values)


def subjects(datasets: list[Dataset]) -> pl.DataFrame:
    """One row per (subject, record), newest first within a subject; natural persons never."""
    parts = [
        d.frame.filter(pl.col(SUBJECT).is_not_null()).select(
            pl.col(SUBJECT),
            pl.lit(d.id).alias("_ds"),
            pl.lit(i).alias("_order"),
            pl.col(ID),
            pl.col("_date"),
            pl.col("_t0"),
            pl.col("_t1"),
            pl.col("_dept"),
            pl.col("_name"),
            pl.col(UNTIL),
            (pl.col("_html") if "_html" in d.frame.columns else pl.lit("")).alias("_html"),
            pl.col("_nos"),
        )
        for i, d in enumerate(datasets)
    ]
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts).sort(
        [SUBJECT, "_date", "_order", ID], descending=[False, True, False, False], nulls_last=True
    )
