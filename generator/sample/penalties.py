"""行政处罚: the market regulator's GBK CSV and the credit office's quarterly XLSX."""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable, Iterator
from pathlib import Path

from . import words as W
from .codes import LONG_TERM, add_months, add_years, cn_date, fullwidth, mangle_check, wan
from .drop import Drop, plan_defects
from .files import iso_dates, workbook, write_csv
from .layouts import CF_2016_COLUMNS, platform_2016
from .penalty_templates import PENALTIES
from .subjects import (
    DEPTS,
    PERSON,
    Subject,
    make_person,
    pick_category,
    project_name,
    subject_cells,
)
from .withdrawals import DECISION_REASONS

XZCF_COLUMNS = [
    "行政相对人名称",
    "行政相对人类别",
    "行政相对人代码_1(统一社会信用代码)",
    "行政相对人代码_2(工商注册号)",
    "行政相对人代码_3(组织机构代码)",
    "行政相对人代码_4(税务登记号)",
    "行政相对人代码_5(事业单位证书号)",
    "行政相对人代码_6(社会组织登记证号)",
    "法定代表人",
    "法定代表人证件类型",
    "法定代表人证件号码",
    "证件类型",
    "证件号码",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额(万元)",
    "没收违法所得、没收非法财物的金额(万元)",
    "暂扣或吊销证照名称及编号",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "处罚机关统一社会信用代码",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
]
CF = {name: i for i, name in enumerate(XZCF_COLUMNS)}
CF_DATES = (CF["处罚决定日期"], CF["处罚有效期"], CF["公示截止期"])
CF_MARKET_KINDS = [
    "uscc-bad-check",
    "uscc-lowercase",
    "uscc-fullwidth",
    "amount-with-unit",
    "bad-date",
    "future-date",
    "person-no-id",
    "unknown-category",
    "duplicate",
    "reexport",
    "warning-only",
    "old-penalty",
    "id-in-text",
    "mobile-in-text",
    "name-variant",
    "placeholder-no-regno",
]
CF_REMARKS = ["当事人已履行完毕", "已缴纳罚没款", "当事人申请延期缴纳罚款，已批准"]
MIN_ONE_YEAR = {"yjgl", "xfjy"}  # 安全生产, 消防 (and 特种设备, by 违法行为类型)


def fields_of(template: str) -> tuple[str, ...]:
    """Return the placeholder names of a template in order (never a set: order feeds the RNG)."""
    return tuple(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))


class PenaltyMaker:
    """Build 行政处罚 rows (date cells as dt.date) from the templates in penalty_templates."""

    def __init__(self, drop: Drop, r: random.Random) -> None:
        self.drop, self.rand = drop, r.random
        self.fine = 0
        self.fields = {t["wfxw"]: fields_of(t["fact"]) for t in PENALTIES}
        rand = self.rand

        def one_of(seq: list[str]) -> Callable[[], str]:
            """Return a filler that picks from seq."""
            return lambda: seq[int(rand() * len(seq))]

        self.fillers: dict[str, Callable[[], object]] = {
            "q": lambda: 2 + int(rand() * 40),
            "v": lambda: 50 + int(rand() * 4950),
            "addr": one_of(W.ADDRESSES),
            "eq": one_of(W.EQUIPMENT),
            "pol": one_of(W.POLLUTANTS),
            "wpol": one_of(W.WATER_POLLUTANTS),
            "fault": one_of(W.FIRE_FAULTS),
            "tax": one_of(W.TAXES),
            "m": lambda: 1 + int(rand() * 12),
            "x": lambda: f"{0.1 + int(rand() * 30) / 10:.1f}",
            "proj": lambda: project_name(rand),
            "plate": lambda: f"示A{int(rand() * 1e5):05d}",
        }

    def fill(self, fields: tuple[str, ...], dec: dt.date, gain: int) -> dict[str, object]:
        """Return values for the placeholders of a 违法事实 template."""
        rand, values = self.rand, dict[str, object]()
        for f in fields:
            if f == "d":
                values[f] = cn_date(dt.date.fromordinal(dec.toordinal() - 5 - int(rand() * 85)))
            elif f in ("food", "unit"):
                if f not in values:
                    values["food"], values["unit"] = W.FOODS[int(rand() * len(W.FOODS))]
            elif f == "g":
                values[f] = gain
            else:
                values[f] = self.fillers[f]()
        return values

    def row(
        self, tpl: dict, dec: dt.date, subject: Subject | None = None, category: str | None = None
    ) -> list:
        """Return one row for a template; the subject and category may be imposed."""
        rand, drop = self.rand, self.drop
        if category is None:
            category = subject.category if subject else pick_category(rand, tpl["targets"])
        cells = subject_cells(drop.pools, rand, category, tpl["sectors"], subject)
        dept, dept_code, prefix = DEPTS[tpl["dept"]]
        wsh = f"{prefix}〔{dec.year}〕{drop.serial(tpl['dept'], dec.year)}号"
        kinds = tpl["kinds"][int(rand() * len(tpl["kinds"]))]
        lo, hi, step = tpl["fine"]
        self.fine = fine = lo + step * int(rand() * ((hi - lo) // step + 1))
        gain = 10 * (10 + int(rand() * 2000))
        months = 1 + int(rand() * 6)
        parts, seized, valid = [], "", add_years(dec, 1)
        for k in kinds:
            if k == "警告":
                parts.append("警告")
            elif k == "没收违法所得":
                parts.append(f"没收违法所得人民币{gain}元")
            elif k == "罚款":
                parts.append(f"罚款人民币{fine}元")
            elif k == "责令停产停业":
                parts.append(f"责令停产停业{months}个月")
                valid = add_months(dec, months)
            elif k == "暂扣许可证件":
                parts.append(f"暂扣道路运输经营许可证{months}个月")
                seized = f"道路运输经营许可证（示交运管许可示字{int(rand() * 1e6):06d}号）"
                valid = add_months(dec, months)
            elif k == "吊销许可证件":
                parts.append("吊销医疗机构执业许可证")
                seized = f"医疗机构执业许可证（登记号PDY{int(rand() * 1e5):05d}）"
                valid = LONG_TERM
        until: dt.date | str = ""
        if rand() < 0.2:  # most drops leave 公示截止期 empty; some set it explicitly
            min_one_year = tpl["dept"] in MIN_ONE_YEAR or "特种设备" in tpl["wfxw"]
            choice = int(rand() * (2 if min_one_year else 3))
            until = [add_years(dec, 1), add_years(dec, 3), add_months(dec, 3)][choice]
        remark = CF_REMARKS[int(rand() * 3)] if rand() < 0.1 else ""
        fact = tpl["fact"].format(**self.fill(self.fields[tpl["wfxw"]], dec, gain))
        return cells + [
            wsh,
            tpl["wfxw"],
            fact,
            tpl["basis"],
            ";".join(kinds),
            "，并处".join(parts),
            wan(fine) if "罚款" in kinds else "",
            wan(gain) if "没收违法所得" in kinds else "",
            seized,
            dec,
            valid,
            until,
            dept,
            dept_code,
            dept,
            dept_code,
            remark,
        ]


def apply_penalty_defect(
    drop: Drop, rand: Callable[[], float], kind: str, row: list, fine: int
) -> None:
    """Damage a freshly built 行政处罚 row in the way `kind` names."""
    code = CF["行政相对人代码_1(统一社会信用代码)"]
    if kind == "uscc-bad-check":
        row[code] = mangle_check(row[code])
    elif kind == "uscc-lowercase":
        row[code] = row[code].lower()
    elif kind == "uscc-fullwidth":
        row[code] = fullwidth(row[code])
    elif kind == "amount-with-unit":
        row[CF["罚款金额(万元)"]] = f"{fine}元"
    elif kind == "bad-date":
        row[CF["处罚决定日期"]] = f"{drop.anchor.year - 3}-02-30"
    elif kind == "future-date":
        row[CF["处罚决定日期"]] = dt.date.fromordinal(drop.end + 1 + int(rand() * 60))
    elif kind == "person-no-id":
        row[CF["证件号码"]] = ""
    elif kind == "unknown-category":
        row[CF["行政相对人类别"]] = "企业法人"
    elif kind == "warning-only":
        row[CF["处罚类别"]] = row[CF["处罚内容"]] = "警告"
        for col in (
            "罚款金额(万元)",
            "没收违法所得、没收非法财物的金额(万元)",
            "暂扣或吊销证照名称及编号",
        ):
            row[CF[col]] = ""
    elif kind == "id-in-text":
        _, pid = make_person(rand)
        row[CF["违法事实"]] += f"（当事人身份证号码：{pid}）"
    elif kind == "mobile-in-text":
        mobile = f"1{3 + int(rand() * 7)}{int(rand() * 1e9):09d}"
        row[CF["违法事实"]] += f"现场负责人联系电话{mobile}。"
    elif kind == "name-variant":
        name = row[CF["行政相对人名称"]]
        row[CF["行政相对人名称"]] = " " + name.replace("（", " (").replace("）", ")") + " "
    elif kind == "placeholder-no-regno":
        row[CF["行政相对人代码_2(工商注册号)"]] = ""


def penalty_rows(
    drop: Drop, name: str, templates: list[dict], n: int, kinds: list[str]
) -> Iterator[list]:
    """Yield n 行政处罚 rows for `templates`, with defects and withdrawals of clean rows."""
    r = drop.rng(name)
    rand, pools = r.random, drop.pools
    maker = PenaltyMaker(drop, r)
    defects = plan_defects(drop.rng(name + "/defects"), n, kinds)
    wd = drop.rng(name + "/withdrawals").random
    person_templates = [t for t in templates if t["targets"][2]] or PENALTIES[2:3]
    old_span = drop.three_years_ago.toordinal() - drop.start
    last: list | None = None
    withdrawn = 0
    for i in range(n):
        kind = defects.get(i)
        if kind in ("duplicate", "reexport") and last is not None:
            copy = list(last)
            if kind == "reexport":
                copy[-1] = (
                    "重新报送：更正处罚内容" if copy[-1] != "重新报送：更正处罚内容" else "重新报送"
                )
            yield copy
            continue
        tpl = templates[int(rand() * len(templates))]
        dec = (
            dt.date.fromordinal(drop.start + int(rand() * old_span))
            if kind == "old-penalty"
            else drop.date(rand)
        )
        subject, category = None, None
        if kind in ("uscc-bad-check", "uscc-lowercase", "uscc-fullwidth"):
            subject = pools.pick(pools.ma_orgs)
        elif kind == "placeholder-no-regno":
            subject = pools.pick(pools.placeholder)
        elif kind == "name-variant":
            subject = pools.pick(pools.branches)
        elif kind == "rare-char":
            subject = pools.rare[int(rand() * 2)]
        elif kind == "person-no-id":
            tpl, category = person_templates[int(rand() * len(person_templates))], PERSON
        row = maker.row(tpl, dec, subject, category)
        if kind:
            apply_penalty_defect(drop, rand, kind, row, maker.fine)
        else:
            last = row
            identity = {
                "决定文书号": row[CF["行政处罚决定书文号"]],
                "决定机关统一社会信用代码": row[CF["处罚机关统一社会信用代码"]],
            }
            if drop.withdrawals.future_repair is None:
                # Reserved for the 修复 dated after anchor.
                drop.withdrawals.future_repair = identity
            elif wd() < 0.01 or (i == n - 1 and not withdrawn):
                drop.withdrawals.withdraw(wd, "行政处罚", dec, DECISION_REASONS, **identity)
                withdrawn += 1
        yield row


def write_xzcf(drop: Drop, out: Path, n: int, max_xlsx: int, max_2016: int = 300) -> dict[str, int]:
    """Write 行政处罚: the GBK CSV, a quarterly XLSX of at most max_xlsx rows, and at most
    max_2016 rows in the 2016 platform layout."""
    n_xlsx = min(max(n // 4, 4), max_xlsx) if n >= 8 else n // 2
    market = [t for t in PENALTIES if t["dept"] == "scjg"]
    others = [t for t in PENALTIES if t["dept"] != "scjg"]
    csv_name = "xzcf/行政处罚-市场监管.csv"
    n_2016 = min((n - n_xlsx) // 10, max_2016)
    rows = penalty_rows(drop, "xzcf-csv", market, n - n_xlsx - n_2016, CF_MARKET_KINDS)
    written = {csv_name: write_csv(out / csv_name, "gbk", XZCF_COLUMNS, iso_dates(rows, CF_DATES))}
    # Older offices still export the 2016 platform layout (generator/sample/layouts.py).
    old_name = "xzcf/行政处罚-2016平台.csv"
    old_rows = platform_2016(
        penalty_rows(drop, "xzcf-2016", others, n_2016, []), CF, drop.rng("xzcf-2016/layout")
    )
    written[old_name] = write_csv(out / old_name, "utf-8", CF_2016_COLUMNS, old_rows)
    quarter = "一二三四"[(drop.anchor.month - 1) // 3]
    xlsx_name = f"xzcf/行政处罚-{drop.anchor.year}年第{quarter}季度.xlsx"
    rows = penalty_rows(drop, "xzcf-xlsx", others, n_xlsx, ["rare-char"])
    written[xlsx_name] = write_penalty_xlsx(drop, out / xlsx_name, rows, n_xlsx)
    return written


def write_penalty_xlsx(drop: Drop, path: Path, rows: Iterator[list], n: int) -> int:
    """Write an office-style workbook: title rows, mixed date cells, two sheets, blank tail."""
    rand = drop.rng("xzcf-xlsx/dates").random
    wb = workbook(path, drop.anchor)
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    sub = wb.add_format({"align": "left"})
    head = wb.add_format({"bold": True, "border": 1, "text_wrap": True, "bg_color": "#DDEBF7"})
    cell = wb.add_format({"border": 1})
    day = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    cn_day = wb.add_format({"border": 1, "num_format": 'yyyy"年"m"月"d"日"'})
    stamp = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd hh:mm:ss"})
    amounts = {CF["罚款金额(万元)"], CF["没收违法所得、没收非法财物的金额(万元)"]}
    last_col = len(XZCF_COLUMNS) - 1
    first = n * 2 // 5
    written = 0
    for sheet_no, count in enumerate((first, n - first)):
        ws = wb.add_worksheet(f"行政处罚（{'一二'[sheet_no]}）")
        ws.set_column(0, last_col, 16)
        ws.set_column(CF["违法事实"], CF["违法事实"], 50)
        ws.merge_range(0, 0, 0, last_col, "示例市行政处罚信息公示表", title)
        ws.merge_range(
            1,
            0,
            1,
            last_col,
            f"填报单位：{W.CREDIT_OFFICE}　　　　填报日期：{cn_date(drop.anchor)}",
            sub,
        )
        ws.write_row(2, 0, XZCF_COLUMNS, head)
        for k in range(count):
            row, y, style = next(rows), 3 + k, rand()
            for c, v in enumerate(row):
                if isinstance(v, dt.date):
                    if style < 0.05:
                        ws.write_datetime(y, c, dt.datetime.combine(v, dt.time(9, 30)), stamp)
                    elif style < 0.5:
                        ws.write_datetime(y, c, v, cn_day if style < 0.15 else day)
                    elif style < 0.67:
                        ws.write_string(y, c, cn_date(v), cell)
                    elif style < 0.84:
                        ws.write_string(y, c, f"{v.year}/{v.month}/{v.day}", cell)
                    else:
                        ws.write_string(y, c, f"{v:%Y%m%d}", cell)
                elif v == "":
                    ws.write_blank(y, c, None, cell)
                elif c in amounts:
                    ws.write_number(y, c, float(v), cell)
                else:
                    ws.write_string(y, c, v, cell)
            written += 1
        for y in (3 + count, 4 + count):  # formatted but empty: the rows a reader must skip
            for c in range(last_col + 1):
                ws.write_blank(y, c, None, cell)
    wb.close()
    return written
