"""The 撤下清单: withdrawals collected while the datasets are written, and the file itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from .files import write_csv
from .subjects import DEPTS
from .words import weighted

WD_COLUMNS = [
    "数据集",
    "决定文书号",
    "决定机关统一社会信用代码",
    "许可编号",
    "主体代码",
    "认定部门",
    "列入日期",
    "抽查任务编号",
    "承诺编码",
    "撤下原因",
    "撤下日期",
    "备注",
]
DECISION_REASONS = weighted([("修复", 5), ("撤销", 2), ("变更", 2), ("确认违法或无效", 1)])
WD_NOTES = {
    "修复": "当事人已履行相关义务并提交信用修复申请，经审核同意修复",
    "撤销": "原决定经行政复议被撤销",
    "变更": "原决定内容已变更，原信息撤下后重新报送",
    "确认违法或无效": "经人民法院判决确认原行政行为违法",
}


class Withdrawals:
    """Rows of the 撤下清单, in the order the dataset writers add them."""

    def __init__(self, anchor: dt.date) -> None:
        self.anchor, self.end = anchor, anchor.toordinal()
        self.rows: list[list[str]] = []
        self.future_repair: dict[str, str] | None = None  # identity for the future 修复 row

    def withdraw(
        self,
        rand: Callable[[], float],
        dataset: str,
        decided: dt.date,
        reasons: list[str],
        **identity: str,
    ) -> None:
        """Add a withdrawal of a real record, dated between decision + 30 days and anchor."""
        reason = reasons[int(rand() * len(reasons))]
        lo = min(decided.toordinal() + 30, self.end)
        when = dt.date.fromordinal(lo + int(rand() * (self.end - lo + 1)))
        self.add(dataset, reason, when, WD_NOTES[reason], **identity)

    def add(self, dataset: str, reason: str, when: dt.date, note: str, **identity: str) -> None:
        """Add one row naming the record by `identity` (columns of WD_COLUMNS)."""
        row = dict.fromkeys(WD_COLUMNS, "")
        row.update(identity, 数据集=dataset, 撤下原因=reason, 撤下日期=when.isoformat(), 备注=note)
        self.rows.append([row[c] for c in WD_COLUMNS])


def write_withdrawals(withdrawals: Withdrawals, out: Path) -> dict[str, int]:
    """Write the withdrawals, plus one unknown record and one 修复 dated after anchor.

    The unknown record is a penalty of the drop under a mistyped 决定机关统一社会信用代码 (a
    real department's code, not the deciding one): the row cannot be applied as written,
    so the build withholds the penalty its 文号 names and reports the row for review.
    """
    name, anchor = "withdrawals/撤下清单.csv", withdrawals.anchor
    wsh, jgdm = WD_COLUMNS.index("决定文书号"), WD_COLUMNS.index("决定机关统一社会信用代码")
    named = next((r for r in withdrawals.rows if r[0] == "行政处罚"), None)
    if withdrawals.future_repair:
        withdrawals.add(
            "行政处罚",
            "修复",
            anchor + dt.timedelta(days=15),
            "信用修复申请已受理，按计划日期撤下",
            **withdrawals.future_repair,
        )
    codes = sorted({code for _, code, _ in DEPTS.values()})
    typo = next(c for c in codes if named is None or c != named[jgdm])
    withdrawals.add(
        "行政处罚",
        "撤销",
        anchor - dt.timedelta(days=5),
        "原决定已撤销",
        决定文书号=named[wsh] if named else f"{DEPTS['scjg'][2]}〔{anchor.year - 6}〕9999号",
        决定机关统一社会信用代码=typo,
    )
    return {name: write_csv(out / name, "utf-8-sig", WD_COLUMNS, iter(withdrawals.rows))}
