"""Write the generated parts of the office's manual (docs/manual/) from the schemas.

    python scripts/manual_tables.py          # rewrite docs/manual/columns.md and codes.md
    python scripts/manual_tables.py --check  # exit 1 when they are out of date (tests)
    python scripts/manual_tables.py --config 本单位/site.yml  # with an office's schemas/

Column tables come from the schemas (generator/schemas/*.yml, and the office's schemas/
beside the --config site.yml), report codes from generator/issue_codes.yml, so the manual
cannot drift from what the generator accepts. In docs/manual/README.md the blocks between
`<!-- manual_tables:NAME -->` and `<!-- /manual_tables:NAME -->` are generated too: the
data folders (`datasets`) and the withdrawal list's columns (`withdrawal-columns`).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.config import DATASET_ENUM, Config, load_config  # noqa: E402
from generator.derive import rule_targets  # noqa: E402

OUT = ROOT / "docs" / "manual"
SEVERITY = {
    "error": "错误：该行（或该文件）不能公示，改正后重新提交",
    "warning": "警告：照常公示，但请核对",
    "info": "提示：仅作记录，无需处理",
}
TYPE = {
    "text": "文本",
    "longtext": "长文本（将检查其中的证件号码、手机号码）",
    "name": "名称",
    "enum": "固定取值",
    "multienum": "固定取值，可多个（用、或;分隔）",
    "date": "日期",
    "uscc": "18位统一社会信用代码",
    "code": "编码",
    "docno": "文书号",
    "idnum": "身份证件号码（公示时遮盖）",
    "amount": "数字，单位万元",
}
PLACEHOLDERS = {
    "{column}": "〈列名〉",
    "{label}": "〈列名〉",
    "{value}": "〈填写的值〉",
    "{detail}": "〈具体情况〉",
    "{expected}": "〈允许的取值〉",
    "{dataset}": "〈数据集〉",
}
HEADER = "<!-- 本文件由 scripts/manual_tables.py 生成，请勿手工修改。 -->\n\n"


def _fill(text: str) -> str:
    for key, hint in PLACEHOLDERS.items():
        text = text.replace(key, hint)
    return text


def columns_md(config: Config) -> str:
    lines = [HEADER + "# 各类数据的列名\n",
             "列名可以用下表“列名”一栏的国家标准中文名称，也可以用“也可写作”一栏中的任一写法"
             "（字段代码或常见别名）。“必填”一栏：**公示必需**的列缺了，该行（整列缺则整个表）不能公示；"
             "**标准要求**的列缺了只是警告，照常公示；标“可推得”的列缺了，会按下文“推得的值”自动补上。"
             "表中其他写法的列名可以在 `data/<数据集>/columns.yml` 中自行映射，见操作手册"
             "“映射新的表格格式”。\n"]  # fmt: skip
    for schema in [*config.datasets(), config.withdrawals]:
        lines.append(f"## {schema.name}（`data/{schema.id}/`）\n")
        if schema.description:
            lines.append(schema.description + "\n")
        lines.append("| 列名 | 必填 | 内容 | 也可写作 |\n|---|---|---|---|")
        targets = {t for rule in schema.derive for t, _ in rule_targets(rule)}
        for c in schema.columns:
            kind = TYPE[c.type]
            if c.enum and c.enum in config.enums:
                kind += "：" + config.enums[c.enum].expected()
            if c.source_only:
                kind += "（仅用于拆分，不单独公示）"
            aliases = "、".join(f"`{a}`" for a in c.aliases)
            need = "公示必需" if c.required else "标准要求" if c.standard else ""
            if c.key in targets and need:
                need += "，可推得"
            lines.append(f"| {c.label} | {need} | {kind} | {aliases} |")
        lines.append("")
    return "\n".join(lines)


def codes_md(config: Config) -> str:
    lines = [HEADER + "# 报告中的问题代码\n",
             "检查报告的每个问题都带一个代码（如 `date-invalid`）。下面按代码说明它的含义和改法。"
             "〈 〉中的内容在报告里会换成具体的列名和取值。\n"]  # fmt: skip
    for code, spec in config.issue_codes.items():
        lines.append(f"## `{code}` {spec['title']}\n")
        lines.append(f"- 级别：{SEVERITY[spec['severity']]}")
        lines.append(f"- 报告写法：{_fill(spec['message'])}")
        lines.append(f"- 怎么改：{_fill(spec['fix'])}\n")
    return "\n".join(lines)


def datasets_block(config: Config) -> str:
    """The data folders: one row per kind, then the withdrawal list (README, section 1)."""
    rows = ["| 子目录 | 数据 |", "|---|---|"]
    rows += [f"| `data/{s.id}/` | {s.name} |" for s in config.datasets()]
    rows.append(f"| `data/{config.withdrawals.id}/` | {config.withdrawals.name}（见第五节） |")
    return "\n".join("   " + r for r in rows)


def _and(names: list[str]) -> str:
    return "、".join(names)


def withdrawal_block(config: Config) -> str:
    """The withdrawal list's columns; which of them find a record of each kind (README, 5)."""
    w = config.withdrawals
    names = {s.id: s.name for s in config.datasets()}
    by_sources: dict[tuple[str, ...], list[str]] = {}
    for ds in names:
        sources = set(w.match.get(ds, {}).values())
        key = tuple(c.label for c in w.columns if c.key in sources)
        by_sources.setdefault(key, []).append(names[ds])
    used = {src for m in w.match.values() for src in m.values()}
    rows = ["| 列名 | 说明 |", "|---|---|"]
    for c in w.columns:
        if c.key in used:
            if c.key == next(k.key for k in w.columns if k.key in used):
                rows += [f"| {_and(list(k))} | {_and(v)}用来找到记录 |" for k, v in by_sources.items() if k]
            continue
        need = "必填：" if c.required else ""
        if c.enum == DATASET_ENUM:
            text = f"{_and(list(names.values()))}（或其目录名）"
        elif c.enum in config.enums:
            text = " / ".join(config.enums[c.enum].values)
        else:
            text = c.note or ""
        rows.append(f"| {c.label} | {need}{text} |")
    alone = by_sources.get((), [])
    if alone:
        rows.append(f"| （无） | {_and(alone)}只能按记录编号找到记录 |")
    return "\n".join(rows)


BLOCKS: dict[str, Callable[[Config], str]] = {
    "datasets": datasets_block,
    "withdrawal-columns": withdrawal_block,
}


def readme_md(config: Config, text: str) -> str:
    """README.md with every generated block rewritten (indentation of the marker kept)."""
    for name, make in BLOCKS.items():
        pattern = re.compile(
            rf"(?P<indent>[ ]*)<!-- manual_tables:{name} -->\n.*?(?P=indent)<!-- /manual_tables:{name} -->",
            re.S,
        )
        indent = pattern.search(text)
        if indent is None:
            raise SystemExit(f"docs/manual/README.md: 缺少 <!-- manual_tables:{name} --> 标记")
        pad = indent.group("indent")
        body = f"{pad}<!-- manual_tables:{name} -->\n{make(config)}\n{pad}<!-- /manual_tables:{name} -->"
        text = pattern.sub(lambda _m, body=body: body, text, count=1)
    return text


def generated(config: Config | None = None) -> dict[Path, str]:
    config = config or load_config(ROOT / "site.yml")
    readme = (OUT / "README.md").read_text(encoding="utf-8")
    return {
        OUT / "columns.md": columns_md(config),
        OUT / "codes.md": codes_md(config),
        OUT / "README.md": readme_md(config, readme),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--check", action="store_true")
    p.add_argument("--config", type=Path, default=ROOT / "site.yml")
    args = p.parse_args()
    tables = generated(load_config(args.config))
    stale = [path for path, text in tables.items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]  # fmt: skip
    if args.check:
        for path in stale:
            print(f"{path} 已过期：请运行 python scripts/manual_tables.py")
        return 1 if stale else 0
    for path, text in tables.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
