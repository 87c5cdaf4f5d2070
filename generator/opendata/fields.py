"""The data dictionary of a download: fields in schema order, their Chinese descriptions,
and the export frame (published rows, masked as on the site, no internal columns)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from ..columns import ID
from ..config import Config, Schema

ID_LABEL, URL_LABEL = "记录编号", "永久链接"
# A leading character that makes Excel, WPS or LibreOffice run a cell as a formula
# (OWASP "CSV injection"): =, +, -, @, tab and carriage return.
FORMULA_START = r"^[=+\-@\t\r]"
# National field codes look like CF_XDR_MC / XK_WSH / BZ: the first such alias is shown.
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
_SAMPLE_CHARS = 40

TYPE_NAMES = {
    "text": "文本",
    "longtext": "长文本",
    "name": "名称",
    "enum": "枚举",
    "multienum": "多选枚举",
    "date": "日期",
    "uscc": "统一社会信用代码",
    "code": "代码",
    "docno": "文书号",
    "idnum": "证件号码",
    "amount": "金额",
    "id": "记录编号",
    "url": "网址",
}
TYPE_NOTES = {
    "text": "文本。",
    "longtext": "较长的文本，可能含换行；其中的身份证号码、手机号码已遮盖。",
    "name": "名称；自然人姓名只保留姓氏，其余以“*”遮盖。",
    "enum": "取值为下列之一：{values}。",
    "multienum": "一项或多项，多项之间以“、”分隔，常见取值：{values}。",
    "date": "日期，格式为 YYYY-MM-DD（年-月-日）。",
    "uscc": "18位统一社会信用代码（GB 32100-2015），按文本存储，请勿转为数字。",
    "code": "代码或编号，按文本存储，请勿转为数字。",
    "docno": "决定文书的文号，按文本存储。",
    "idnum": "证件号码，已遮盖：只保留第1位和最后2位，其余以“*”代替。",
    "amount": "数值，单位为万元（例如罚款2000元记为 0.2）。",
    "id": "本站为每条记录生成的固定编号，多次更新数据后保持不变。",
    "url": "本条记录在本站的固定网址。",
}
# Frictionless Table Schema types.
FRICTIONLESS = {"date": "date", "amount": "number", "url": "string"}
# Stored as text in XLSX (Excel keeps only 15 significant digits of a number).
TEXT_TYPES = {"uscc", "code", "docno", "idnum", "id"}


@dataclass(frozen=True)
class Field:
    name: str  # column header in every file: the Chinese label
    key: str  # column in the published frame (ID and "_url" for the two added columns)
    type: str  # schema column type, or "id" / "url"
    code: str  # national field code when the schema knows one, else ""
    note: str  # Chinese description for the data dictionary
    required: bool = False

    @property
    def kind(self) -> str:
        """How spreadsheets store the value: "number", "date", "code" (text) or "text"."""
        if self.type == "amount":
            return "number"
        if self.type == "date":
            return "date"
        return "code" if self.type in TEXT_TYPES else "text"

    @property
    def table_type(self) -> str:
        return FRICTIONLESS.get(self.type, "string")


def _note(col_type: str, enum: str | None, hint: str | None, config: Config) -> str:
    values = "、".join(config.enums[enum].values) if enum in config.enums else ""
    note = TYPE_NOTES[col_type].format(values=values)
    return f"{note}格式：{hint}。" if hint else note


def fields_for(schema: Schema, config: Config) -> list[Field]:
    """Every schema column in dictionary order, then the record id and permanent URL."""
    out = [
        Field(
            c.label,
            c.key,
            c.type,
            next((a for a in c.aliases if _CODE.match(a)), ""),
            _note(c.type, c.enum, c.pattern_hint, config),
            c.required,
        )
        for c in schema.columns
        if c.public
    ]
    out.append(Field(ID_LABEL, ID, "id", "", TYPE_NOTES["id"], True))
    out.append(Field(URL_LABEL, "_url", "url", "", TYPE_NOTES["url"], True))
    return out


def export_frame(
    published: pl.DataFrame, schema: Schema, fields: list[Field], site_url: str
) -> pl.DataFrame:
    """Published rows as downloaded: labelled columns, newest first, plus a `_year` column.

    Only the listed fields leave: provenance and status columns (`_file`, `_row`,
    `_error` …) are never selected.
    """
    date = schema.role("date")
    cols = []
    for f in fields:
        if f.key == "_url":  # the record page, site/records.py record_href
            expr = pl.lit(f"{site_url}{schema.id}/") + pl.col(ID) + pl.lit(".html")
        else:
            expr = pl.col(f.key)
        cols.append(expr.alias(f.name))
    when = pl.col(date) if date else pl.lit(None, dtype=pl.Date)
    return (
        published.select(*cols, when.dt.year().alias("_year"), when.alias("_date"))
        .sort(["_date", ID_LABEL], descending=[True, False], nulls_last=True)
        .drop("_date")
    )


def spreadsheet_safe(frame: pl.DataFrame, fields: list[Field]) -> pl.DataFrame:
    """Prefix a single quote to text that a spreadsheet would run as a formula.

    Numbers and dates keep their types, so a negative amount stays a number.
    """
    text = [f.name for f in fields if f.kind in ("text", "code")]
    return frame.with_columns(
        pl.when(pl.col(n).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(n))
        .otherwise(pl.col(n))
        .alias(n)
        for n in text
    )


def examples(frame: pl.DataFrame, fields: list[Field]) -> dict[str, str]:
    """One published value per field (the newest non-empty one), shortened for the page."""
    out: dict[str, str] = {}
    for f in fields:
        col = frame.get_column(f.name)
        if col.dtype == pl.Utf8:
            col = col.filter(col.is_not_null() & (col != ""))
        else:
            col = col.drop_nulls()
        if col.len() == 0:
            out[f.name] = ""
            continue
        value = col[0]
        text = value.isoformat() if f.kind == "date" else _plain(value)
        out[f.name] = text if len(text) <= _SAMPLE_CHARS else text[:_SAMPLE_CHARS] + "…"
    return out


def _plain(value: object) -> str:
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)
