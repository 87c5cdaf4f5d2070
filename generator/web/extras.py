"""Display keys of the schema YAML that generator/config.py does not keep, read here.

Per column: `public_label` (the short label the public reads; the standard name stays in
downloads and the data dictionary) and `future_label` (the label of a date that has not
come yet: 移出日期 → 计划移出日期). Per dataset: `repairable` (its records can be
repaired: the site offers 信用修复) and `alert` (a current entry is highlighted on the
subject's page and in its 信用报告). Schemas that are not in the package's schema folder
(a test's own) simply have none of these keys.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from ..config import SCHEMA_DIR, Schema


@functools.cache
def _raw(folder: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and not path.name.startswith("_"):
            out[str(raw.get("id") or path.stem)] = raw
    return out


def raw_schema(schema: Schema) -> dict[str, Any]:
    """The schema's YAML as written (an empty mapping when it is not a packaged schema)."""
    raw = _raw(SCHEMA_DIR).get(schema.id, {})
    keys = [c.get("key") for c in raw.get("columns") or []]
    return raw if keys == [c.key for c in schema.columns] else {}


def column_keys(schema: Schema, name: str) -> dict[str, str]:
    """Column key -> the value of a per-column display key (public_label, future_label)."""
    return {
        str(c["key"]): str(c[name]) for c in raw_schema(schema).get("columns") or [] if c.get(name)
    }


def flag(schema: Schema, name: str) -> bool:
    """A per-dataset flag (repairable, alert); false when not set."""
    return bool(raw_schema(schema).get(name))
