"""datapackage.json (Frictionless Data Package) and SHA256SUMS for /downloads/."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..config import Config, Schema
from .export import FileInfo
from .fields import ID_LABEL, Field

MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
}
PREFIX = "downloads/"


def table_schema(schema: Schema, fields: list[Field], config: Config) -> dict[str, Any]:
    """Frictionless Table Schema: names and titles are the Chinese column headers."""
    out = []
    for f in fields:
        desc: dict[str, Any] = {"name": f.name, "title": f.name, "type": f.table_type}
        if f.type == "url":
            desc["format"] = "uri"
        desc["description"] = f.note + (f"字段代码 {f.code}。" if f.code else "")
        constraints: dict[str, Any] = {}
        if f.required:
            constraints["required"] = True
        column = schema.by_key.get(f.key)
        enum = config.enums.get(column.enum or "") if column else None
        if column and column.type == "enum" and enum and not enum.open:
            constraints["enum"] = list(enum.values)
        if constraints:
            desc["constraints"] = constraints
        out.append(desc)
    return {"fields": out, "primaryKey": [ID_LABEL], "missingValues": [""]}


def kinds_text(config: Config) -> str:
    """The kinds the site publishes, in their order: `行政许可、行政处罚……和信用承诺`."""
    names = [s.name for s in config.datasets()]
    return "和".join(["、".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def datapackage(
    files: list[FileInfo],
    schemas: dict[str, tuple[Schema, list[Field]]],
    config: Config,
    site: dict[str, Any],
    today: dt.date,
) -> bytes:
    """The package descriptor: one resource per data file, with its schema, bytes and hash.

    An empty file (the NDJSON of a kind with no published record: zero lines, zero bytes)
    is not a resource: a tabular resource with no bytes cannot be read, and makes the
    whole package invalid. It is still published and listed in SHA256SUMS, and the
    kind's CSV and XLSX (a header row, no data) describe it in the package.
    """
    licence = dict(site.get("licence") or {})
    resources = []
    for f in files:
        if f.bytes == 0:
            continue
        schema, fields = schemas[f.dataset]
        scope = schema.name if f.year is None else f"{schema.name}（{f.year}年）"
        resources.append(
            {
                "name": f"{f.name.rsplit('.', 1)[0]}-{f.format}",
                "title": scope,
                "path": f.rel.removeprefix(PREFIX),
                "format": f.format,
                "mediatype": MEDIA[f.format],
                "encoding": "utf-8",
                "bytes": f.bytes,
                "hash": f"sha256:{f.sha256}",
                "schema": table_schema(schema, fields, config),
            }
        )
    package: dict[str, Any] = {
        "name": "xinyong-open-data",
        "title": f"{site['name']}公共信用信息开放数据",
        "description": (
            f"{site['region']}公开的{kinds_text(config)}；"
            f"数据截至 {today.isoformat()}。个人信息已按网站规则遮盖。"
        ),
        "homepage": f"{site['url']}downloads/",
        "created": f"{today.isoformat()}T00:00:00+08:00",
        "version": today.isoformat(),
        "resources": resources,
    }
    if licence.get("url"):
        package["licenses"] = [{"path": licence["url"], "title": licence.get("name", "")}]
    return (json.dumps(package, ensure_ascii=False, indent=1) + "\n").encode()


def sha256sums(entries: list[tuple[str, str]]) -> bytes:
    """`sha256sum -c` input, paths relative to /downloads/."""
    lines = [f"{digest}  {rel.removeprefix(PREFIX)}\n" for rel, digest in sorted(entries)]
    return "".join(lines).encode()
