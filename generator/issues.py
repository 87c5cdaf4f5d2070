"""Issues: every problem found in a drop, with a stable code and a Chinese message.

Codes, severities and message templates live in ``issue_codes.yml``; this module only
formats them. Bad data never raises: it becomes an Issue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import yaml

from .config import ISSUE_CODES_FILE


@cache
def codes() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load(ISSUE_CODES_FILE.read_text(encoding="utf-8"))
    return data


class _Blank(dict[str, Any]):
    """Format mapping that leaves unknown fields empty instead of raising."""

    def __missing__(self, key: str) -> str:
        return ""


def where(file: str, sheet: str | None, row: int | None) -> str:
    """Human location: `行政处罚.xlsx「Sheet1」第12行`."""
    text = file
    if sheet:
        text += f"「{sheet}」"
    if row is not None:
        text += f" 第{row}行"
    return text


@dataclass(frozen=True)
class Issue:
    code: str
    severity: str
    dataset: str
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def text(self) -> str:
        """One line a clerk can act on: where, what, how to fix."""
        return f"{where(self.file, self.sheet, self.row)}：{self.message}{self.fix}"


def make_issue(
    code: str,
    *,
    dataset: str,
    file: str,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: Any = None,
    **fields: Any,
) -> Issue:
    spec = codes()[code]
    shown = None if value is None else str(value)
    if shown is not None and len(shown) > 80:
        shown = shown[:80] + "…"
    ctx = _Blank(column=column or "", value=shown or "", dataset=dataset, **fields)
    message = spec["message"].format_map(ctx)
    fix = spec["fix"].format_map(ctx)
    if not message.endswith(("。", "；", "！")):
        message += "。"
    return Issue(
        code=code,
        severity=spec["severity"],
        dataset=dataset,
        file=file,
        sheet=sheet,
        row=row,
        column=column,
        value=shown,
        message=message,
        fix=fix,
    )
