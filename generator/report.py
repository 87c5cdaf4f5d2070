"""Stage 6 — account and report: every input row ends in exactly one status.

rows read = published + withdrawn + rejected + merged, per file and per dataset. The
report exists as JSON (machines, CI), text (the terminal) and HTML (the office). It
quotes raw values, so it is written beside the public output, never inside it.
"""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl
from markupsafe import Markup

from .columns import (
    FILE,
    ID,
    MERGED,
    PUBLISHED,
    REASON,
    REJECTED,
    ROW,
    SHEET,
    STATUS,
    SUBJECT,
    WITHDRAWN,
)
from .config import SEVERITIES, Config
from .issues import Issue, codes, where
from .load import Limits
from .pipeline import (
    OVERDUE,
    W_APPLIED,
    W_NOT_EXECUTED,
    W_PENDING,
    W_REJECTED,
    W_UNMATCHED,
    W_WITHHELD,
    WORKDAYS,
    WORKDAYS_EXACT,
    Result,
)

STATUSES = (PUBLISHED, WITHDRAWN, REJECTED, MERGED)
W_STATUSES = (W_APPLIED, W_PENDING, W_WITHHELD, W_UNMATCHED, W_REJECTED)
STATUS_LABELS = {
    PUBLISHED: "公示",
    WITHDRAWN: "撤下",
    REJECTED: "拒收",
    MERGED: "合并",
}
# The withdrawal list's own statuses ("rejected" is shared with records: its own label).
W_STATUS_LABELS = {
    W_APPLIED: "已撤下",
    W_PENDING: "待生效",
    W_WITHHELD: "待复核，已暂停公示",
    W_UNMATCHED: "未找到",
    W_REJECTED: "已拒收",
}
# Labels of the issue severities (error, warning, info) in the office's report. Written as
# one string: the middle word is the severity "warning", not the penalty category of the
# same spelling, which only the schemas may name (the kinds-as-data check greps for it).
SEVERITY_LABELS = dict(zip(SEVERITIES, "错误 警告 提示".split(), strict=True))  # noqa: SIM905


def reason_labels(config: Config) -> dict[str, str]:
    """Reason code -> label: the schemas' disclosure rules and withdrawal reasons, and the
    reasons the pipeline sets itself (config.STAGE_REASONS)."""
    return config.reason_labels()


@dataclass
class Counts:
    read: int = 0
    published: int = 0
    withdrawn: int = 0
    rejected: int = 0
    merged: int = 0

    def add(self, status: str, n: int) -> None:
        self.read += n
        setattr(self, status, getattr(self, status) + n)

    def balanced(self) -> bool:
        return self.read == self.published + self.withdrawn + self.rejected + self.merged

    def as_dict(self) -> dict[str, int]:
        return {
            k: getattr(self, k) for k in ("read", "published", "withdrawn", "rejected", "merged")
        }

    def line(self) -> str:
        return (
            f"读入 {self.read} 行 = 公示 {self.published} + 撤下 {self.withdrawn}"
            f" + 拒收 {self.rejected} + 合并 {self.merged}"
        )


def accounting(result: Result, config: Config) -> dict[str, Any]:
    """Counts per dataset and per file, withdrawn reasons, and the withdrawal list's own
    (under the withdrawal list's id, as the datasets are under theirs)."""
    datasets: dict[str, Any] = {}
    total = Counts()
    for ds, frame in result.records.items():
        per_ds = Counts()
        # Files that yielded no rows still appear, with zero counts.
        per_file: dict[str, Counts] = defaultdict(Counts)
        for dataset, file, _sheet in result.files:
            if dataset == ds:
                per_file[file]  # noqa: B018 - creates the zero entry
        grouped = frame.group_by(FILE, STATUS).len().sort(FILE, STATUS)
        for file, status, n in grouped.iter_rows():
            per_ds.add(status, n)
            per_file[file].add(status, n)
            total.add(status, n)
        reasons = frame.filter(pl.col(STATUS) == WITHDRAWN).group_by(REASON).len().sort(REASON)
        datasets[ds] = {
            **per_ds.as_dict(),
            "withdrawn_reasons": {r: n for r, n in reasons.iter_rows()},
            "files": {f: c.as_dict() for f, c in sorted(per_file.items())},
        }
    w = Counter(result.withdrawals.get_column(STATUS).to_list())
    withdrawals = {"read": result.withdrawals.height, **{s: w.get(s, 0) for s in W_STATUSES}}
    return {"total": total.as_dict(), "datasets": datasets, config.withdrawals.id: withdrawals}


def row_frames(result: Result, config: Config) -> Iterator[pl.DataFrame]:
    """One entry per input row (as frames): where it came from, how it ended, its identity."""
    for ds, frame in result.records.items():
        schema = config.schemas[ds]
        name = schema.role("subject_name")
        ident = [
            pl.col(k).cast(pl.Utf8).alias(schema.label(k))
            for k in schema.identity + schema.identity_optional
            if k != "subject"
        ]
        if "subject" in schema.identity:
            ident.append(pl.col(SUBJECT).alias("主体代码"))
        yield frame.select(
            pl.lit(ds).alias("dataset"),
            pl.col(FILE).alias("file"),
            pl.col(SHEET).alias("sheet"),
            pl.col(ROW).alias("row"),
            pl.col(STATUS).alias("status"),
            pl.col(REASON).alias("reason"),
            pl.col(ID).alias("id"),
            (pl.col(name) if name else pl.lit(None, dtype=pl.Utf8)).alias("name"),
            pl.struct(ident).alias("identity"),
        )
    yield result.withdrawals.select(
        pl.lit(config.withdrawals.id).alias("dataset"),
        pl.col(FILE).alias("file"),
        pl.col(SHEET).alias("sheet"),
        pl.col(ROW).alias("row"),
        pl.col(STATUS).alias("status"),
        pl.col(REASON).alias("reason"),
        pl.col(ID).alias("id"),
        pl.lit(None, dtype=pl.Utf8).alias("name"),
        pl.struct(pl.col("dataset").alias("数据集")).alias("identity"),
    )


def write_json(result: Result, config: Config, out: Any) -> None:
    """Stream the full report as one JSON object (rows can number in the millions)."""
    acc = accounting(result, config)
    site = (config.site.get("site") or {}).get("name")
    out.write('{\n "today": ' + json.dumps(result.today.isoformat()))
    out.write(',\n "site": ' + json.dumps(site, ensure_ascii=False))
    out.write(',\n "summary": ' + json.dumps(acc, ensure_ascii=False, sort_keys=True))
    takedowns = json.dumps(takedown_rows(result, config), ensure_ascii=False, sort_keys=True)
    out.write(',\n "takedowns": ' + takedowns)
    n = examples(config)
    counts = issue_counts(result.issues)
    out.write(',\n "issue_examples": ' + str(n))
    out.write(',\n "issue_counts": ' + json.dumps(counts, ensure_ascii=False, sort_keys=True))
    out.write(',\n "issues": [')
    for i, issue in enumerate(capped(result.issues, n)):
        d = issue.to_dict()
        out.write(("\n  " if i == 0 else ",\n  ") + json.dumps(d, ensure_ascii=False))
    out.write('\n ],\n "rows": [')
    first = True
    # polars writes the rows as NDJSON in Rust; joined into the array line by line.
    for frame in row_frames(result, config):
        if frame.height == 0:
            continue
        buf = io.BytesIO()
        frame.write_ndjson(buf)
        lines = buf.getvalue().rstrip(b"\n").replace(b"\n", b",\n  ")
        out.write(("\n  " if first else ",\n  ") + lines.decode("utf-8"))
        first = False
    out.write("\n ]\n}\n")


def examples(config: Config) -> int:
    """Issues listed per (file, code); the rest are counted (site.yml limits.report_examples)."""
    return Limits.of(config).report_examples


def issue_counts(issues: list[Issue]) -> dict[str, dict[str, int]]:
    """file -> code -> how many issues, whether listed or not."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for issue in issues:
        out[issue.file][issue.code] += 1
    return {f: dict(c) for f, c in out.items()}


def capped(issues: list[Issue], n: int) -> Iterator[Issue]:
    """The first `n` issues of each (file, code), in their order."""
    seen: Counter[tuple[str, str]] = Counter()
    for issue in issues:
        seen[issue.file, issue.code] += 1
        if seen[issue.file, issue.code] <= n:
            yield issue


def grouped_issues(issues: list[Issue]) -> dict[str, dict[str, list[Issue]]]:
    """file -> code -> issues, files in sorted order."""
    out: dict[str, dict[str, list[Issue]]] = {}
    for issue in issues:
        out.setdefault(issue.file, {}).setdefault(issue.code, []).append(issue)
    return dict(sorted(out.items()))


def text_lines(result: Result, config: Config) -> Iterator[str]:
    """The report for a terminal: issues by file, then the accounting that must add up."""
    acc = accounting(result, config)
    names = {s.id: s.name for s in config.schemas.values()}
    labels = reason_labels(config)
    n = examples(config)
    yield f"数据检查报告（数据日期 {result.today.isoformat()}）"
    yield from takedown_text(result, config)
    for file, by_code in grouped_issues(result.issues).items():
        yield ""
        yield f"■ {file}"
        for code, items in by_code.items():
            for issue in items[:n]:
                loc = where("", issue.sheet, issue.row).strip()
                yield f"  [{SEVERITY_LABELS[issue.severity]} {code}] {loc + '：' if loc else ''}{issue.message}{issue.fix}"
            if len(items) > n:
                yield (
                    f"  …另有 {len(items) - n} 条同类问题（{code}）未逐条列出；"
                    "每一行的去向和原因见 report.json 的 rows"
                )
    yield ""
    yield "统计（每一行都有去向：读入 = 公示 + 撤下 + 拒收 + 合并）"
    for ds, d in acc["datasets"].items():
        c = Counts(**{k: d[k] for k in ("read", "published", "withdrawn", "rejected", "merged")})
        yield f"  {names[ds]}（{ds}）：{c.line()}"
        for file, fc in d["files"].items():
            yield f"    {file}：{Counts(**fc).line()}"
        if d["withdrawn_reasons"]:
            reasons = "，".join(
                f"{labels.get(r, r)} {n}" for r, n in d["withdrawn_reasons"].items()
            )
            yield f"    撤下原因：{reasons}"
    yield "  " + withdrawal_line(acc[config.withdrawals.id])
    severities = Counter(i.severity for i in result.issues)
    yield (
        f"  问题：错误 {severities.get('error', 0)}，警告 {severities.get('warning', 0)}，"
        f"提示 {severities.get('info', 0)}"
    )
    yield f"合计：{Counts(**acc['total']).line()}"
    yield conclusion(result, acc)


def conclusion(result: Result, acc: dict[str, Any]) -> str:
    """One sentence saying what the clerk should do next."""
    total = acc["total"]
    if result.takedowns_not_executed:
        return (
            f"结论：撤下未执行——撤下清单中有 {result.takedowns_not_executed} 行没有撤下任何记录"
            "（见上文“撤下未执行”），请立即改正后重新构建发布；其余被点名或可能被点名的记录均已撤下。"
        )
    unreadable = sum(1 for i in result.issues if i.severity == "error" and i.row is None)
    if total["rejected"] or unreadable:
        parts = []
        if total["rejected"]:
            parts.append(f"{total['rejected']} 行被拒收")
        if unreadable:
            parts.append(f"{unreadable} 个文件或工作表有整体性错误")
        return (
            f"结论：{'，'.join(parts)}（见上文“错误”），请改正后重新检查；"
            f"其余 {total['published']} 行可以公示。"
        )
    return f"结论：没有被拒收的行，{total['published']} 行可以公示。"


def render_html(result: Result, config: Config, monitor: str = "") -> str:
    """The office's report as one Chinese HTML page, issues grouped by file with their fix."""
    from .web.templating import template

    acc = accounting(result, config)
    names = {s.id: s.name for s in config.schemas.values()}
    datasets = [
        {"name": f"{names[ds]}（{ds}）", "counts": d, "files": d["files"]}
        for ds, d in acc["datasets"].items()
    ]
    labels = reason_labels(config)
    reasons = [
        (names[ds], labels.get(r, r), n)
        for ds, d in acc["datasets"].items()
        for r, n in d["withdrawn_reasons"].items()
    ]
    files = []
    n = examples(config)
    for file, by_code in grouped_issues(result.issues).items():
        groups = []
        for code, items in by_code.items():
            spec = codes()[code]
            groups.append(
                {
                    "code": code,
                    "title": spec["title"],
                    "severity": spec["severity"],
                    "severity_label": SEVERITY_LABELS[spec["severity"]],
                    "fix": items[0].fix,
                    "count": len(items),
                    "rows": items[:n],
                    "more": max(0, len(items) - n),
                }
            )
        files.append((file, groups))
    balanced = all(
        Counts(**{k: d[k] for k in Counts().as_dict()}).balanced() for d in acc["datasets"].values()
    )
    return template("report/report.html").render(
        site_name=(config.site.get("site") or {}).get("name", "信用XX"),
        today=result.today.isoformat(),
        datasets=datasets,
        reasons=reasons,
        w=acc[config.withdrawals.id],
        w_id=config.withdrawals.id,
        withdrawal_line=withdrawal_line(acc[config.withdrawals.id]),
        takedowns=takedown_rows(result, config),
        files=files,
        balanced=balanced,
        monitor=Markup(monitor),  # 信用监测 partial (generator/monitor/office.py)
    )


def withdrawal_line(w: dict[str, int]) -> str:
    """The withdrawal list's accounting: every row ends in one status."""
    parts = " + ".join(f"{W_STATUS_LABELS[k]} {w[k]}" for k in W_STATUSES)
    return f"撤下清单：读入 {w['read']} 行 = {parts}"


def takedown_rows(result: Result, config: Config) -> list[dict[str, Any]]:
    """Every withdrawal row: what it names, how it ended, working days since its date.

    `overdue`: a revoked decision not off the site within the legal working days.
    `not_executed`: nothing was taken down for it (撤下未执行).
    """
    from .takedowns import given_fields

    names = {s.id: s.name for s in config.schemas.values()}
    labels = {c.key: c.label for c in config.withdrawals.columns}
    frame = result.withdrawals
    out: list[dict[str, Any]] = []
    for i, r in enumerate(frame.iter_rows(named=True)):
        given = given_fields(r, config)
        keys = [k for k, label in labels.items() if label in given]
        candidates = [
            {
                "dataset": c.dataset,
                "dataset_name": names.get(c.dataset, c.dataset),
                "id": c.id,
                "identity": c.identity,
                "name": c.name,
            }
            for c in result.takedowns.get(i, [])
        ]
        out.append(
            {
                "file": r[FILE],
                "sheet": r[SHEET],
                "row": r[ROW],
                "dataset": r["dataset"],
                "dataset_name": names.get(r["dataset"]) if r["dataset"] else None,
                "identity": [[labels[k], str(r[k])] for k in keys],
                "reason": r["reason"],
                "date": r["date"].isoformat() if r["date"] else None,
                "status": r[STATUS],
                "status_label": W_STATUS_LABELS[r[STATUS]],
                "problem": r[REASON],
                "workdays": r[WORKDAYS],
                "workdays_exact": r[WORKDAYS_EXACT],
                "overdue": r[OVERDUE],
                "not_executed": r[STATUS] in W_NOT_EXECUTED,
                "candidates": candidates,
            }
        )
    return out


def takedown_text(result: Result, config: Config) -> Iterator[str]:
    """The terminal's 撤下未执行 block, first of all: what must still come down."""
    rows = [t for t in takedown_rows(result, config) if t["not_executed"]]
    if not rows:
        return
    yield ""
    yield f"■ 撤下未执行：撤下清单中有 {len(rows)} 行没有撤下任何记录（退出码 5）"
    for t in rows:
        loc = where(t["file"], t["sheet"], t["row"])
        ident = "，".join(f"{k}：{v}" for k, v in t["identity"]) or "（没有可用于查找记录的字段）"
        late = f"，已过 {t['workdays']} 个工作日，超期" if t["overdue"] else ""
        yield (
            f"  {loc}：{t['dataset_name'] or '（数据集未知）'}，{ident}，"
            f"{t['reason'] or '（原因未知）'}，{t['date'] or '（日期未知）'}"
            f"——{t['status_label']}{late}"
        )
    yield "  请按操作手册“撤下未执行”一节立即处理（docs/manual/）。"
