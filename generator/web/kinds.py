"""What the public reads about a kind: its disclosure rules and its fields, in words.

Written from the schema, so the 信用报告, the 数据说明 page and any page that explains a
kind say the same thing, and a kind added as YAML is explained like the built-in ones.
"""

from __future__ import annotations

from typing import Any

from ..config import Config, Schema

NO_END = "本站不设统一的公示截止日期；报送部门撤回或更正的，随数据更新撤下或更正。"


def _join(values: list[str]) -> str:
    return "、".join(str(v) for v in values)


def rule_texts(schema: Schema, rules: dict[str, Any]) -> list[str]:
    """The disclosure rules of a dataset, as the public reads them."""
    out = []
    penalty = rules.get("penalty") or {}
    for r in schema.disclosure:
        name, col = r.get("rule"), schema.label(str(r.get("field") or r.get("date") or ""))
        if name == "penalty_period":
            out.append(
                f"自{col}起公示，最短{penalty.get('min_months', 3)}个月、最长"
                f"{penalty.get('max_months', 36)}个月（涉及{_join(penalty.get('special_keywords') or [])}"
                f"的最短{penalty.get('special_min_months', 12)}个月）；公示期满即撤下。"
            )
        elif name == "exclude_warning_only":
            out.append("仅受警告处罚、按简易程序作出的决定不公示。")
        elif name == "until_date":
            out.append(f"公示至「{col}」{'当日' if r.get('inclusive') else '前一日'}，到期即撤下。")
        elif name == "value_in":
            out.append(f"只公示「{col}」为{_join(r.get('values') or [])}的记录。")
        elif name == "state_not_in":
            values = r.get("values") or rules.get(str(r.get("values_from")), [])
            out.append(f"「{col}」为{_join(values)}的不公示。")
    return out


def explained(config: Config) -> list[dict[str, Any]]:
    """Each kind as the 数据说明 page describes it: name, id, description, fields, period."""
    return [
        {
            "id": s.id,
            "name": s.name,
            "description": s.description,
            "fields": "、".join(c.public_label or c.label for c in s.columns if c.public),
            "period": "".join(rule_texts(s, config.rules)) or NO_END,
        }
        for s in config.datasets()
    ]
