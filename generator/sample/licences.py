"""行政许可: the field-code CSV and the small CSV in the older 2015–2017 layout."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

from . import words as W
from .codes import LONG_TERM, PLACEHOLDER, add_years, looks_like_id, mangle_check
from .drop import Drop, plan_defects
from .files import iso_dates, write_csv
from .layouts import XK_APPROVAL_COLUMNS, approval_system
from .licence_templates import LICENCES
from .subjects import DEPTS, Subject, pick_category, project_name, subject_cells

XZXK_CODES = [
    "XK_XDR_MC",
    "XK_XDR_LB",
    "XK_XDR_SHXYM",
    "XK_XDR_GSZC",
    "XK_XDR_ZZJG",
    "XK_XDR_SWDJ",
    "XK_XDR_SYDW",
    "XK_XDR_SHZZ",
    "XK_FRDB",
    "XK_FR_ZJLX",
    "XK_FR_ZJHM",
    "XK_XDR_ZJLX",
    "XK_XDR_ZJHM",
    "XK_XKWS",
    "XK_WSH",
    "XK_XKLB",
    "XK_XKZS",
    "XK_XKBH",
    "XK_NR",
    "XK_JDRQ",
    "XK_YXQZ",
    "XK_YXQZI",
    "XK_XKJG",
    "XK_XKJGDM",
    "XK_ZT",
    "XK_SJLY",
    "XK_SJLYDM",
    "BZ",
]
XK = {code: i for i, code in enumerate(XZXK_CODES)}
XK_DATES = (XK["XK_JDRQ"], XK["XK_YXQZ"], XK["XK_YXQZI"])
# The 2015–2017 layout: 项目名称/审批类别/身份证 columns, 地方编码 and 时间戳, fewer codes.
XZXK_OLD_CODES = [
    "XK_WSH",
    "XK_XMMC",
    "XK_SPLB",
    "XK_NR",
    "XK_XDR_MC",
    "XK_XDR_LB",
    "XK_XDR_SHXYM",
    "XK_XDR_GSZC",
    "XK_XDR_SFZ",
    "XK_FRDB",
    "XK_JDRQ",
    "XK_YXQZ",
    "XK_YXQZI",
    "XK_XKJG",
    "XK_XKJGDM",
    "XK_ZT",
    "DFBM",
    "SJC",
    "BZ",
]
XK_KINDS = ["revoked", "rare-char", "uscc-bad-check"]


class LicenceMaker:
    """Build 行政许可 rows (date cells as dt.date) from the templates in licence_templates."""

    def __init__(self, drop: Drop, r: random.Random) -> None:
        self.drop, self.rand = drop, r.random

    def number(self, style: str, code: str, dec: dt.date) -> str:
        """Return a 许可编号 in the style of the certificate; never an ID-number look-alike."""
        drop, n = self.drop, self.drop.serial("xkbh/" + style, 0)
        region = code[2:8] if code and code != PLACEHOLDER else W.CITY_REGION
        if style == "jy":
            return f"JY1{region}{n:07d}"
        if style == "yp":
            return f"示AA{region[:4]}{n:04d}"
        if style == "uscc":
            return code
        if style == "tz":
            return f"梯11示A{n:05d}({dec:%y})"
        if style == "pw":
            return f"{code}{n % 1000:03d}P" if code and code != PLACEHOLDER else f"{region}{n:06d}P"
        if style == "sg":
            number = f"{region}{dec:%Y%m%d}{n % 10000:04d}"
            while looks_like_id(number):
                n = drop.serial("xkbh/" + style, 0)
                number = f"{region}{dec:%Y%m%d}{n % 10000:04d}"
            return number
        return {
            "ys": f"示房预售证第{dec.year}{n:04d}号",
            "dl": f"示交运管许可示字{region}{n:06d}号",
            "cz": f"示交从{n:08d}",
            "ws": f"示卫公字〔{dec.year}〕第{n:04d}号",
            "ys2": f"1109901{n:08d}",
            "wh": f"示市危化经字〔{dec.year}〕{n:06d}",
            "xf": f"示消检字〔{dec.year}〕第{n:04d}号",
            "lj": f"示城管建垃核字〔{dec.year}〕{n:04d}号",
        }.get(style, "")

    def row(self, tpl: dict, dec: dt.date, subject: Subject | None = None) -> list:
        """Return one row for a template; the subject may be imposed."""
        rand, drop = self.rand, self.drop
        category = subject.category if subject else pick_category(rand, tpl["targets"])
        cells = subject_cells(drop.pools, rand, category, tpl["sectors"], subject)
        dept, dept_code, _ = DEPTS[tpl["dept"]]
        wsh = f"{tpl['ws']}〔{dec.year}〕{drop.serial(tpl['ws'], dec.year)}号"
        ws_name = "准予行政许可决定书" if rand() < 0.6 else f"准予{tpl['item']}决定书"
        content = tpl["content"].replace("{proj}", project_name(rand))
        until = add_years(dec, tpl["years"]) - dt.timedelta(days=1) if tpl["years"] else LONG_TERM
        state = "注销" if rand() < 0.04 else "有效"
        return cells + [
            ws_name,
            wsh,
            tpl["kind"],
            tpl["cert"],
            self.number(tpl["no"], cells[2], dec) if tpl["cert"] else "",
            content,
            dec,
            dec,
            until,
            dept,
            dept_code,
            state,
            dept,
            dept_code,
            "",
        ]


def licence_rows(drop: Drop, name: str, n: int, kinds: list[str]) -> Iterator[list]:
    """Yield n 行政许可 rows with defects; withdraw about 1 % of the clean ones."""
    r = drop.rng(name)
    rand, pools = r.random, drop.pools
    maker = LicenceMaker(drop, r)
    defects = plan_defects(drop.rng(name + "/defects"), n, kinds)
    wd = drop.rng(name + "/withdrawals").random
    org_templates = [t for t in LICENCES if t["targets"][0]]
    withdrawn = 0
    for i in range(n):
        kind = defects.get(i)
        tpl = LICENCES[int(rand() * len(LICENCES))]
        subject = None
        if kind == "rare-char":
            subject = pools.rare[int(rand() * 2)]
        elif kind == "uscc-bad-check":
            subject = pools.pick(pools.ma_orgs)
        if subject is not None and not tpl["targets"][0]:
            tpl = org_templates[int(rand() * len(org_templates))]
        dec = drop.date(rand)
        row = maker.row(tpl, dec, subject)
        if kind == "uscc-bad-check":
            row[XK["XK_XDR_SHXYM"]] = mangle_check(row[XK["XK_XDR_SHXYM"]])
        elif kind == "revoked":
            row[XK["XK_ZT"]] = "撤销"
            row[XK["BZ"]] = "因申请人以欺骗手段取得行政许可，依法予以撤销"
        elif kind is None and (wd() < 0.01 or (i == n - 1 and not withdrawn)):
            drop.withdrawals.withdraw(
                wd,
                "行政许可",
                dec,
                ["撤销", "变更", "变更", "确认违法或无效"],
                决定文书号=row[XK["XK_WSH"]],
                决定机关统一社会信用代码=row[XK["XK_XKJGDM"]],
                许可编号=row[XK["XK_XKBH"]],
            )
            withdrawn += 1
        yield row


ITEM_BY_WS = {t["ws"]: t["item"] for t in LICENCES}  # 文书号 prefix -> 许可事项


def old_layout(drop: Drop, rows: Iterator[list]) -> Iterator[list]:
    """Reshape 行政许可 rows into the 2015–2017 layout (slash dates, 地方编码, 时间戳)."""
    rand = drop.rng("xzxk-old/stamps").random
    for row in rows:
        dec, start, until = (row[c] for c in XK_DATES)
        stamp = dt.datetime.combine(dec, dt.time()) + dt.timedelta(
            days=1 + int(rand() * 5), seconds=8 * 3600 + int(rand() * 36000)
        )
        yield [
            row[XK["XK_WSH"]],
            ITEM_BY_WS[row[XK["XK_WSH"]].split("〔")[0]],
            row[XK["XK_XKLB"]],
            row[XK["XK_NR"]],
            row[XK["XK_XDR_MC"]],
            row[XK["XK_XDR_LB"]],
            row[XK["XK_XDR_SHXYM"]],
            row[XK["XK_XDR_GSZC"]],
            row[XK["XK_XDR_ZJHM"]],
            row[XK["XK_FRDB"]],
            f"{dec:%Y/%m/%d}",
            f"{start:%Y/%m/%d}",
            f"{until:%Y/%m/%d}",
            row[XK["XK_XKJG"]],
            row[XK["XK_XKJGDM"]],
            row[XK["XK_ZT"]],
            W.CITY_REGION,
            f"{stamp:%Y-%m-%d %H:%M:%S}",
            row[XK["BZ"]],
        ]


def write_xzxk(drop: Drop, out: Path, n: int, max_old: int) -> dict[str, int]:
    """Write 行政许可: the field-code CSV (UTF-8 BOM), at most max_old rows in the old layout."""
    n_old = min(n // 10, max_old)
    n_appr = min(n // 20, max_old)
    main, old = "xzxk/行政许可.csv", "xzxk/行政许可-旧格式.csv"
    rows = licence_rows(drop, "xzxk", n - n_old - n_appr, XK_KINDS)
    written = {main: write_csv(out / main, "utf-8-sig", XZXK_CODES, iso_dates(rows, XK_DATES))}
    old_rows = old_layout(drop, licence_rows(drop, "xzxk-old", n_old, []))
    written[old] = write_csv(out / old, "utf-8", XZXK_OLD_CODES, old_rows)
    # An approval system's export (generator/sample/layouts.py).
    appr = "xzxk/行政许可-审批系统.csv"
    rand = drop.rng("xzxk-approval/layout")
    appr_rows = approval_system(licence_rows(drop, "xzxk-approval", n_appr, []), XK, rand)
    written[appr] = write_csv(out / appr, "gb18030", XK_APPROVAL_COLUMNS, appr_rows)
    return written
