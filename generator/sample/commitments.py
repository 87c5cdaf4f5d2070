"""信用承诺: commitments with 承诺编码 = 区划 + date + per-day serial, written as UTF-8 CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from . import words as W
from .codes import add_years
from .drop import Drop
from .files import write_csv
from .licence_templates import LICENCES
from .subjects import DEPTS

CN_COLUMNS = [
    "承诺编码",
    "承诺人名称",
    "承诺人类别",
    "承诺人代码",
    "承诺类型",
    "承诺事由",
    "承诺内容",
    "违诺责任",
    "承诺作出日期",
    "承诺有效期",
    "履行状态",
    "受理单位",
    "受理单位代码",
    "公开类型",
]
PLEDGE_TYPES = W.weighted(W.PLEDGE_WEIGHTS)


def commitment_rows(drop: Drop, n: int) -> Iterator[list[str]]:
    """Yield 信用承诺 rows; 承诺编码 = 区划 + date + per-day serial."""
    rand, pools = drop.rng("xinyongchengnuo").random, drop.pools
    wd = drop.rng("xinyongchengnuo/withdrawals").random
    withdrawn = 0
    for i in range(n):
        kind = PLEDGE_TYPES[int(rand() * len(PLEDGE_TYPES))]
        reason, content, liability = W.PLEDGES[kind]
        licence = LICENCES[int(rand() * len(LICENCES))]
        dept, dept_code, _ = DEPTS[licence["dept"]]
        s = pools.pick(pools.firms)
        made = drop.date(rand)
        code = f"{W.CITY_REGION}{made:%Y%m%d}{drop.serial('cn', made.toordinal()):06d}"
        valid = (
            made + dt.timedelta(days=30)
            if kind == "容缺受理型"
            else add_years(made, 1 + 2 * (rand() < 0.3))
        )
        state = (
            "履约中" if valid.toordinal() >= drop.end else "未履约" if rand() < 0.08 else "已履约"
        )
        text = {"item": licence["item"], "q": 5 + int(rand() * 26)}
        if wd() < 0.003 or (i == n - 1 and not withdrawn):
            drop.withdrawals.withdraw(wd, "信用承诺", made, ["撤销", "变更"], 承诺编码=code)
            withdrawn += 1
        yield [
            code,
            s.name,
            s.category,
            s.code,
            kind,
            reason.format(**text),
            content.format(**text),
            liability,
            made.isoformat(),
            valid.isoformat(),
            state,
            dept,
            dept_code,
            "不予公开" if rand() < 0.05 else "可向社会公开",
        ]


def write_commitments(drop: Drop, out: Path, n: int) -> dict[str, int]:
    """Write n 信用承诺 rows as a UTF-8 CSV."""
    name = "xinyongchengnuo/信用承诺.csv"
    return {name: write_csv(out / name, "utf-8", CN_COLUMNS, commitment_rows(drop, n))}
