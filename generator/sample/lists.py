"""红名单 and 黑名单: one XLSX per list with a title row, overflow rows in a CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import words as W
from .codes import add_years
from .drop import Drop
from .files import iso_dates, workbook, write_csv
from .subjects import DEPTS

RED_COLUMNS = [
    "主体名称",
    "主体类别",
    "统一社会信用代码",
    "法定代表人",
    "列入原因",
    "认定依据",
    "认定部门",
    "列入日期",
    "有效期至",
]
BLACK_COLUMNS = [
    "主体名称",
    "主体类别",
    "统一社会信用代码",
    "法定代表人",
    "列入原因",
    "认定依据",
    "认定部门",
    "列入日期",
    "移出日期",
    "移出原因",
    "移出决定机关",
]
LISTS = {
    "hongmingdan": ("红名单", "示例市红名单（守信激励对象）信息公示", RED_COLUMNS),
    "heimingdan": ("黑名单", "示例市严重失信主体名单信息公示", BLACK_COLUMNS),
}


def _pick(pools: Any, red: bool) -> Any:
    """A firm for the red or the black list: the two draw from disjoint halves of the
    firms (by their code), so no company is on both lists at once."""
    while True:
        s = pools.pick(pools.firms)
        if (sum(map(ord, s.code)) % 2 == 0) == red:
            return s


def list_rows(drop: Drop, which: str, n: int) -> Iterator[list]:
    """Yield red- or black-list rows (dates as dt.date); the first row is expired/removed."""
    rand, pools = drop.rng(which).random, drop.pools
    wd = drop.rng(which + "/withdrawals").random
    red = which == "hongmingdan"
    reasons: list[tuple[Any, ...]] = [*(W.RED_REASONS if red else W.BLACK_REASONS)]
    seen: set[tuple[str, str, int]] = set()
    withdrawn = 0
    for i in range(n):
        reason = reasons[int(rand() * len(reasons))]
        dept = DEPTS[reason[0]][0]
        s = _pick(pools, red)
        # The first row is old enough to be expired (red) or removed (black).
        hi_cap = drop.end - 2 * 366 if i == 0 else drop.end
        day = drop.start + int(rand() * (hi_cap - drop.start + 1))
        while (dept, s.code, day) in seen:
            s = _pick(pools, red)
        seen.add((dept, s.code, day))
        listed = dt.date.fromordinal(day)
        head: list[str | dt.date] = [s.name, s.category, s.code, s.rep, *reason[1:3], dept, listed]
        if red:
            row = [*head, add_years(listed, reason[3]) - dt.timedelta(days=1)]
        else:
            u, why, organ = rand(), "", ""
            removed: str | dt.date = ""
            if (i == 0 or u < 0.35) and day + 365 <= drop.end:
                removed = dt.date.fromordinal(day + 365 + int(rand() * (drop.end - day - 364)))
                why, organ = W.BLACK_REMOVALS[int(rand() * 3)], dept
            elif u > 0.97:  # removal already decided, effective after anchor
                removed = dt.date.fromordinal(drop.end + 1 + int(rand() * 90))
                why, organ = W.BLACK_REMOVALS[2], dept
            row = [*head, removed, why, organ]
        if wd() < 0.01 or (i == n - 1 and not withdrawn):
            drop.withdrawals.withdraw(
                wd,
                LISTS[which][0],
                listed,
                ["修复", "撤销"] if not red else ["撤销"],
                认定部门=dept,
                主体代码=s.code,
                列入日期=listed.isoformat(),
            )
            withdrawn += 1
        yield row


def write_list(drop: Drop, out: Path, which: str, n: int, max_xlsx: int) -> dict[str, int]:
    """Write one list: an XLSX with a title row, rows beyond max_xlsx in a CSV."""
    label, title, columns = LISTS[which]
    date_cols = tuple(i for i, c in enumerate(columns) if c in ("列入日期", "有效期至", "移出日期"))
    rows = list_rows(drop, which, n)
    n_xlsx = min(n, max_xlsx)
    xlsx_name, csv_name = f"{which}/{label}.xlsx", f"{which}/{label}-续.csv"
    wb = workbook(out / xlsx_name, drop.anchor)
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = wb.add_format({"bold": True, "border": 1})
    cell = wb.add_format({"border": 1})
    day = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet(label)
    ws.set_column(0, len(columns) - 1, 18)
    ws.merge_range(0, 0, 0, len(columns) - 1, title, title_fmt)
    ws.write_row(1, 0, columns, head)
    for y in range(2, 2 + n_xlsx):
        for c, v in enumerate(next(rows)):
            if isinstance(v, dt.date):
                ws.write_datetime(y, c, v, day)
            elif v == "":
                ws.write_blank(y, c, None, cell)
            else:
                ws.write_string(y, c, v, cell)
    wb.close()
    written = {xlsx_name: n_xlsx}
    if n > n_xlsx:
        written[csv_name] = write_csv(out / csv_name, "utf-8", columns, iso_dates(rows, date_cols))
    else:
        (out / csv_name).unlink(missing_ok=True)  # a leftover from a larger earlier run
    return written
