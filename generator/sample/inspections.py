"""双随机抽查结果: inspection results task by task, written as GB18030 CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from . import words as W
from .drop import Drop, plan_defects
from .files import write_csv
from .subjects import DEPTS

SSJ_COLUMNS = [
    "抽查计划编号",
    "抽查计划名称",
    "抽查任务编号",
    "抽查任务名称",
    "抽查类型",
    "抽查事项",
    "检查实施机关",
    "检查日期",
    "主体名称",
    "统一社会信用代码",
    "检查结果",
]
SSJ_RESULTS = W.weighted(W.INSPECTION_RESULTS)
DEPT_NUMBER = {k: i + 1 for i, k in enumerate(W.DEPARTMENTS)}


def inspection_rows(drop: Drop, n: int) -> Iterator[list[str]]:
    """Yield 双随机 results task by task (5–60 distinct subjects per task)."""
    rand, pools = drop.rng("shuangsuiji").random, drop.pools
    wd = drop.rng("shuangsuiji/withdrawals").random
    defects = plan_defects(drop.rng("shuangsuiji/defects"), n, ["rare-char"])
    i = withdrawn = 0
    while i < n:
        dept_key, item, stem = W.INSPECTIONS[int(rand() * len(W.INSPECTIONS))]
        dept = DEPTS[dept_key][0]
        start = drop.date(rand)
        year = start.year
        plan = f"{W.CITY_REGION}{year}{DEPT_NUMBER[dept_key]:02d}"
        plan_name = f"{dept}{year}年度“双随机、一公开”抽查工作计划"
        t = drop.serial("ssj/" + dept_key, year)
        task, task_name = f"{plan}{t:04d}", f"{year}年{stem}（第{t}批）"
        check_type = "定向" if rand() < 0.3 else "不定向"
        seen: set[str] = set()
        for _ in range(min(n - i, 5 + int(rand() * 56), len(pools.coded) // 2)):
            if defects.get(i) == "rare-char" and (
                rare := [s for s in pools.rare if s.code not in seen]
            ):
                s = rare[int(rand() * len(rare))]
            else:
                s = pools.pick(pools.coded)
                while s.code in seen:
                    s = pools.coded[int(rand() * len(pools.coded))]
            seen.add(s.code)
            checked = dt.date.fromordinal(min(start.toordinal() + int(rand() * 45), drop.end))
            result = SSJ_RESULTS[int(rand() * len(SSJ_RESULTS))]
            if defects.get(i) is None and (wd() < 0.003 or (i == n - 1 and not withdrawn)):
                drop.withdrawals.withdraw(
                    wd,
                    "双随机抽查结果",
                    checked,
                    ["撤销", "变更"],
                    抽查任务编号=task,
                    主体代码=s.code,
                )
                withdrawn += 1
            yield [
                plan,
                plan_name,
                task,
                task_name,
                check_type,
                item,
                dept,
                checked.isoformat(),
                s.name,
                s.code,
                result,
            ]
            i += 1


def write_inspections(drop: Drop, out: Path, n: int) -> dict[str, int]:
    """Write n 双随机 results as a GB18030 CSV."""
    name = "shuangsuiji/双随机抽查结果.csv"
    return {name: write_csv(out / name, "gb18030", SSJ_COLUMNS, inspection_rows(drop, n))}
