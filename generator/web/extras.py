"""Display keys of a kind's schema, as the display model reads them.

Per column: `public_label` (the short label the public reads; the standard name stays in
downloads and the data dictionary) and `future_label` (the label of a date that has not
come yet: 移出日期 → 计划移出日期). Per dataset: `repairable` (its records can be
repaired: the site offers 信用修复) and `alert` (a current entry is highlighted on the
subject's page and in its 信用报告). All are read by generator/config.py into `Column`
and `Schema`, for the packaged kinds and an office's own alike.
"""

from __future__ import annotations

from ..config import Schema

COLUMN_KEYS = ("public_label", "future_label")
FLAGS = ("repairable", "alert")


def column_keys(schema: Schema, name: str) -> dict[str, str]:
    """Column key -> the value of a per-column display key (public_label, future_label)."""
    if name not in COLUMN_KEYS:
        raise KeyError(name)
    return {c.key: str(v) for c in schema.columns if (v := getattr(c, name))}


def flag(schema: Schema, name: str) -> bool:
    """A per-dataset flag (repairable, alert); false when not set."""
    if name not in FLAGS:
        raise KeyError(name)
    return bool(getattr(schema, name))
