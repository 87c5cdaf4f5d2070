"""Generate a deterministic, fictional data drop for the demo city 示例市 (site 信用示例).

`write_sample(out, records, seed, anchor)` writes the six dataset kinds of the data standard
plus a withdrawals list into `out`, streaming rows so that a million records fit in memory.
Everything depends only on (records, seed, anchor): no clock, no global random state, and
XLSX files carry a creation time derived from `anchor`.

Files (relative to `out`):
  xzcf/行政处罚-市场监管.csv          GBK, national-standard Chinese headers (bulk, 市场监管 only)
  xzcf/行政处罚-<year>年第<q>季度.xlsx  two title rows, mixed date cells, two sheets, blank tail
  xzxk/行政许可.csv                   UTF-8 with BOM, field-code headers (XK_…)
  xzxk/行政许可-旧格式.csv            UTF-8, older 2015–2017 layout (XK_XMMC, XK_SPLB, DFBM, SJC)
  hongmingdan/红名单.xlsx, heimingdan/黑名单.xlsx  one title row; overflow in *-续.csv (UTF-8)
  shuangsuiji/双随机抽查结果.csv       GB18030
  xinyongchengnuo/信用承诺.csv         UTF-8
  withdrawals/撤下清单.csv             UTF-8 with BOM

Deliberate defects (about 1–3 % of rows; every kind at least once when records >= 200):
  xzcf CSV:  uscc-bad-check (wrong check character), uscc-lowercase, uscc-fullwidth,
             amount-with-unit (罚款金额(万元) = "2000元"), bad-date (yyyy-02-30),
             future-date (decision after anchor), person-no-id (自然人 without 证件号码),
             unknown-category (行政相对人类别 = 企业法人), duplicate (exact copy of a row),
             reexport (same decision again with a changed 备注), warning-only (处罚类别 = 警告),
             old-penalty (decided more than 3 years before anchor), id-in-text and
             mobile-in-text (in 违法事实), name-variant (branch name with half-width brackets
             and stray spaces), placeholder-no-regno (个体工商户 with 00000000000000000X and
             no 工商注册号)
  xzcf XLSX: rare-char (trade name with a character outside the BMP)
  xzxk CSV:  revoked (当前状态 撤销), rare-char, uscc-bad-check
  双随机:     rare-char
  撤下清单:   one row naming no record of the drop, one 修复 row dated after anchor
Natural, not defects: penalties past the 3-year maximum, expired red-list rows, removed
black-list rows, 不予公开 commitments, expired licences.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import random
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import xlsxwriter

from . import sample_words as W

DEFAULT_ANCHOR = dt.date(2026, 9, 30)
SPLIT = {
    "xzxk": 0.35,
    "xzcf": 0.30,
    "shuangsuiji": 0.15,
    "xinyongchengnuo": 0.12,
    "hongmingdan": 0.04,
    "heimingdan": 0.04,
}
XLSX_MAX_ROWS = 3000  # office spreadsheets are small; the bulk goes to CSV
LIST_XLSX_MAX_ROWS = 2000
OLD_LAYOUT_MAX_ROWS = 300
DEFECT_RATE = 0.0015  # per kind and row
PLACEHOLDER = "00000000000000000X"
ORG, IND, PERSON = "法人及非法人组织", "个体工商户", "自然人"

# --- codes -------------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def uscc_check_char(body17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a code."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code(body8: str) -> str:
    """Append the GB 11714 check character to an 8-character organisation code body."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body8, _ORG_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return body8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def id_check_char(body17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of a resident ID number."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def looks_like_id(s: str) -> bool:
    """Tell whether an 18-character string would pass as a resident ID number."""
    return len(s) == 18 and s[:17].isdigit() and id_check_char(s[:17]) == s[17]


def regno_check_digit(digits: str) -> str:
    """Return the ISO 7064 MOD 11,10 check digit of a 工商注册号."""
    p = 10
    for c in digits:
        s = (p + int(c)) % 10 or 10
        p = s * 2 % 11
    return str((11 - p) % 10)


def make_uscc(rand: Callable[[], float], prefix2: str, region: str) -> str:
    """Return a valid code that can never be mistaken for an ID number."""
    while True:
        if rand() < 0.6:  # codes issued since 2015 carry an "MA" organisation code
            body = "MA" + "".join(USCC_ALPHABET[int(rand() * 31)] for _ in range(6))
        else:
            body = f"{int(rand() * 1e8):08d}"
        code = prefix2 + region + org_code(body)
        code += uscc_check_char(code)
        if not looks_like_id(code):
            return code


_BIRTH_LO = dt.date(1955, 1, 1).toordinal()
_BIRTH_HI = dt.date(2003, 12, 31).toordinal()


def make_person(rand: Callable[[], float]) -> tuple[str, str]:
    """Return a fictional (name, 18-digit ID number) with a 99xxxx area code."""
    surname = (
        W.DOUBLE_SURNAMES[int(rand() * 4)]
        if rand() < 0.03
        else W.SURNAMES[int(rand() * len(W.SURNAMES))]
    )
    given = "".join(W.GIVEN[int(rand() * len(W.GIVEN))] for _ in range(1 + (rand() < 0.6)))
    birth = dt.date.fromordinal(_BIRTH_LO + int(rand() * (_BIRTH_HI - _BIRTH_LO)))
    body = f"{W.PLACES[int(rand() * 5)][1]}{birth:%Y%m%d}{int(rand() * 1000):03d}"
    return surname + given, body + id_check_char(body)


def mangle_check(code: str) -> str:
    """Return the code with a wrong (but well-formed) check character."""
    right = _USCC_VALUE[code[17]]
    return code[:17] + USCC_ALPHABET[(right + 7) % 31]


def fullwidth(s: str) -> str:
    """Turn ASCII letters and digits into their full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() and c.isascii() else c for c in s)


# --- dates and amounts -------------------------------------------------------------------


def add_years(d: dt.date, n: int) -> dt.date:
    """Add calendar years; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def add_months(d: dt.date, n: int) -> dt.date:
    """Add calendar months, clamping the day to the end of the month."""
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return d.replace(year=y, month=m, day=min(d.day, calendar.monthrange(y, m)[1]))


def cn_date(d: dt.date) -> str:
    """Write a date as 2024年3月5日."""
    return f"{d.year}年{d.month}月{d.day}日"


def wan(yuan: int) -> str:
    """Convert an amount in 元 to the 万元 text the standard asks for (5000 → 0.5)."""
    whole, rest = divmod(yuan, 10000)
    return f"{whole}.{rest:04d}".rstrip("0").rstrip(".")


LONG_TERM = dt.date(2099, 12, 31)  # "长期" in the national standard

# --- subjects ----------------------------------------------------------------------------


class Subject(NamedTuple):
    name: str
    category: str  # ORG or IND
    code: str  # USCC, or PLACEHOLDER for 个体工商户 without one
    regno: str  # 15-digit 工商注册号 when the code is the placeholder
    rep: str  # 法定代表人 / 经营者
    rep_id: str
    sector: str


def _weighted(pairs: list[tuple[str, int]]) -> list[str]:
    return [v for v, w in pairs for _ in range(w)]


_FORMS = _weighted(W.FORMS)


def build_subjects(r: random.Random, n: int) -> list[Subject]:
    """Return n subjects with unique names and codes; the first six cover every code style."""
    rand = r.random
    names: set[str] = set()
    codes: set[str] = set()
    out: list[Subject] = []
    forced = ["ma", "placeholder", "92", "n2", "y1", "branch"]
    regno_serial = 0
    while len(out) < n:
        style = forced[len(out)] if len(out) < len(forced) else None
        u = rand()
        place, region = W.PLACES[int(rand() * 5)]
        trade = W.TRADE_FIRST[int(rand() * 30)] + W.TRADE_SECOND[int(rand() * 30)]
        regno = ""
        if style in ("placeholder", "92") or (style is None and 0.82 <= u < 0.96):
            shop, sector = W.SHOPS[int(rand() * len(W.SHOPS))]
            if place == "示例市":
                place = "示例市东城区"
            owner = W.SURNAMES[int(rand() * len(W.SURNAMES))] + "记" if rand() < 0.4 else trade
            name, category = place + owner + shop, IND
            if style == "placeholder" or (style is None and rand() < 0.5):
                regno_serial += 1
                body = f"{region}{int(rand() * 1e4):04d}{regno_serial:04d}"
                code, regno = PLACEHOLDER, body + regno_check_digit(body)
            else:
                code = make_uscc(rand, "92", region)
        elif style == "n2" or (style is None and 0.96 <= u < 0.98):
            name, category, sector = "临江县" + trade + W.COOP_KINDS[int(rand() * 4)], ORG, "coop"
            code = make_uscc(rand, "N2" if rand() < 0.5 or style else "93", "990121")
        elif style == "y1" or (style is None and u >= 0.98):
            name, category, sector = place + trade + "花园小区业主委员会", ORG, "community"
            code = make_uscc(rand, "Y1", region)
        else:
            industry, sector = W.INDUSTRIES[int(rand() * len(W.INDUSTRIES))]
            name = place + trade + industry + _FORMS[int(rand() * len(_FORMS))]
            if style == "branch" or rand() < 0.03:
                name += f"（{W.BRANCHES[int(rand() * 4)]}）"
            category = ORG
            code = make_uscc(rand, "91", region)
            while style == "ma" and code[8:10] != "MA":
                code = make_uscc(rand, "91", region)
        if name in names or (code != PLACEHOLDER and code in codes):
            continue
        names.add(name)
        codes.add(code)
        rep, rep_id = make_person(rand)
        out.append(Subject(name, category, code, regno, rep, rep_id, sector))
    return out


class Pools:
    """Subjects indexed by category and sector, with skewed picks (some subjects recur)."""

    def __init__(self, r: random.Random, subjects: list[Subject]) -> None:
        self.rand = r.random
        self.all = subjects
        self.orgs = [s for s in subjects if s.category == ORG]
        self.inds = [s for s in subjects if s.category == IND]
        self.coded = [s for s in subjects if s.code != PLACEHOLDER]
        # Firms: coded subjects other than co-operatives and owners' committees.
        self.firms = [s for s in self.coded if s.sector not in ("coop", "community")]
        self.placeholder = [s for s in subjects if s.code == PLACEHOLDER]
        self.ma_orgs = [s for s in self.orgs if s.code[8:10] == "MA"]
        self.branches = [s for s in self.orgs if "分公司）" in s.name]
        self._by_sector: dict[tuple[str, tuple[str, ...] | None], list[Subject]] = {}
        self.rare = [
            Subject(
                name,
                IND if "面馆" in name else ORG,
                make_uscc(self.rand, "92" if "面馆" in name else "91", "990100"),
                "",
                *make_person(self.rand),
                "food",
            )
            for name in W.RARE_NAMES
        ]

    def pick(self, seq: list[Subject]) -> Subject:
        return seq[int(self.rand() ** 2 * len(seq))]

    def sector(self, category: str, sectors: list[str] | None) -> list[Subject]:
        key = (category, tuple(sectors) if sectors else None)
        if key not in self._by_sector:
            base = self.orgs if category == ORG else self.inds
            found = [s for s in base if sectors is None or s.sector in sectors]
            self._by_sector[key] = found or base or self.all
        return self._by_sector[key]


# --- shared machinery --------------------------------------------------------------------


def _organ_code(body8: str) -> str:
    code = "11" + W.CITY_REGION + org_code(body8)
    return code + uscc_check_char(code)


# Departments: key -> (name, 统一社会信用代码, 处罚文书号 prefix); fixed for every seed.
DEPTS = {k: (name, _organ_code(body), prefix) for k, (name, body, prefix) in W.DEPARTMENTS.items()}

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
DECISION_REASONS = _weighted([("修复", 5), ("撤销", 2), ("变更", 2), ("确认违法或无效", 1)])
WD_NOTES = {
    "修复": "当事人已履行相关义务并提交信用修复申请，经审核同意修复",
    "撤销": "原决定经行政复议被撤销",
    "变更": "原决定内容已变更，原信息撤下后重新报送",
    "确认违法或无效": "经人民法院判决确认原行政行为违法",
}


class Drop:
    """State shared by the dataset writers: anchor, subjects, counters, withdrawals."""

    def __init__(self, records: int, seed: int, anchor: dt.date) -> None:
        self.seed, self.anchor = seed, anchor
        self.end = anchor.toordinal()
        self.start = self.end - 1460  # four years of decisions, anchor included
        self.three_years_ago = add_years(anchor, -3)
        master = random.Random(seed)
        subjects = build_subjects(master, min(max(records // 4, 60), 60_000))
        self.pools = Pools(master, subjects)
        self.counters: dict[tuple[str, int], int] = {}
        self.withdrawals: list[list[str]] = []
        self.future_repair: dict[str, str] | None = None  # identity for the future 修复 row

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}/{name}")

    def serial(self, key: str, year: int) -> int:
        n = self.counters.get((key, year), 0) + 1
        self.counters[(key, year)] = n
        return n

    def date(self, rand: Callable[[], float], lo: int | None = None) -> dt.date:
        lo = self.start if lo is None else lo
        return dt.date.fromordinal(lo + int(rand() * (self.end - lo + 1)))

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
        self.add_withdrawal(dataset, reason, when, WD_NOTES[reason], **identity)

    def add_withdrawal(
        self, dataset: str, reason: str, when: dt.date, note: str, **identity: str
    ) -> None:
        row = dict.fromkeys(WD_COLUMNS, "")
        row.update(identity, 数据集=dataset, 撤下原因=reason, 撤下日期=when.isoformat(), 备注=note)
        self.withdrawals.append([row[c] for c in WD_COLUMNS])


def plan_defects(r: random.Random, n: int, kinds: list[str]) -> dict[int, str]:
    """Spread defect kinds over rows 1..n-1, each kind about DEFECT_RATE·n times.

    Every kind appears at least once while that leaves at least half of the rows clean.
    """
    per_kind = max(1, int(n * DEFECT_RATE))
    budget = min(len(kinds) * per_kind, max(0, (n - 1) // 2))
    slots = r.sample(range(1, n), budget) if budget else []
    return {row: kinds[j % len(kinds)] for j, row in enumerate(slots)}


def write_csv(path: Path, encoding: str, header: list[str], rows: Iterator[list[str]]) -> int:
    """Stream rows into a CSV file; return the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def workbook(path: Path, anchor: dt.date) -> xlsxwriter.Workbook:
    """Open an XLSX workbook whose bytes depend only on its content and anchor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties(
        {"created": dt.datetime.combine(anchor, dt.time(9, 0)), "author": W.CREDIT_OFFICE}
    )
    return wb


def split_counts(records: int) -> dict[str, int]:
    """Split records over the six datasets by SPLIT; the last one takes the rounding."""
    counts = {k: round(records * p) for k, p in list(SPLIT.items())[:-1]}
    counts["heimingdan"] = max(0, records - sum(counts.values()))
    return counts


def fields_of(template: str) -> tuple[str, ...]:
    """Return the placeholder names of a template in order (never a set: order feeds the RNG)."""
    return tuple(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))


def project_name(rand: Callable[[], float]) -> str:
    """Return a project name such as 华源安置小区."""
    return (
        W.TRADE_FIRST[int(rand() * 30)]
        + W.TRADE_SECOND[int(rand() * 30)]
        + W.PROJECTS[int(rand() * len(W.PROJECTS))]
    )


def pick_category(rand: Callable[[], float], targets: tuple[int, int, int]) -> str:
    """Choose 法人/个体/自然人 by the template's weights."""
    u = rand() * sum(targets)
    return ORG if u < targets[0] else IND if u < targets[0] + targets[1] else PERSON


def subject_cells(
    drop: Drop,
    rand: Callable[[], float],
    category: str,
    sectors: list[str] | None,
    subject: Subject | None,
) -> list[str]:
    """Return the 13 行政相对人 cells shared by 行政处罚 and 行政许可 (名称 … 证件号码)."""
    if subject is None and category == PERSON:
        name, pid = make_person(rand)
        return [name, PERSON, "", "", "", "", "", "", "", "", "", "身份证", pid]
    pools = drop.pools
    s = subject or pools.pick(pools.sector(category, sectors))
    org = s.code[8:17] if s.code[:2] == "91" and rand() < 0.3 else ""
    rep_id = ["身份证", s.rep_id] if rand() < 0.7 else ["", ""]
    return [s.name, s.category, s.code, s.regno, org, "", "", "", s.rep, *rep_id, "", ""]


# --- 行政处罚 ----------------------------------------------------------------------------

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


class PenaltyMaker:
    """Build 行政处罚 rows (date cells as dt.date) from the templates in sample_words."""

    def __init__(self, drop: Drop, r: random.Random) -> None:
        self.drop, self.rand = drop, r.random
        self.fine = 0
        self.fields = {t["wfxw"]: fields_of(t["fact"]) for t in W.PENALTIES}
        rand = self.rand

        def one_of(seq: list[str]) -> Callable[[], str]:
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
        rand, drop = self.rand, self.drop
        if category is None:
            category = subject.category if subject else pick_category(rand, tpl["targets"])
        cells = subject_cells(drop, rand, category, tpl["sectors"], subject)
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
    person_templates = [t for t in templates if t["targets"][2]] or W.PENALTIES[2:3]
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
            if drop.future_repair is None:
                drop.future_repair = identity  # reserved for the 修复 dated after anchor
            elif wd() < 0.01 or (i == n - 1 and not withdrawn):
                drop.withdraw(wd, "行政处罚", dec, DECISION_REASONS, **identity)
                withdrawn += 1
        yield row


def iso_dates(rows: Iterator[list], date_cols: tuple[int, ...]) -> Iterator[list]:
    """Write dt.date cells as ISO text for CSV output."""
    for row in rows:
        for c in date_cols:
            if isinstance(row[c], dt.date):
                row[c] = row[c].isoformat()
        yield row


def write_xzcf(drop: Drop, out: Path, n: int) -> dict[str, int]:
    """行政处罚: the market regulator's GBK CSV plus the credit office's quarterly XLSX."""
    n_xlsx = min(max(n // 4, 4), XLSX_MAX_ROWS) if n >= 8 else n // 2
    market = [t for t in W.PENALTIES if t["dept"] == "scjg"]
    others = [t for t in W.PENALTIES if t["dept"] != "scjg"]
    csv_name = "xzcf/行政处罚-市场监管.csv"
    rows = penalty_rows(drop, "xzcf-csv", market, n - n_xlsx, CF_MARKET_KINDS)
    written = {csv_name: write_csv(out / csv_name, "gbk", XZCF_COLUMNS, iso_dates(rows, CF_DATES))}
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


# --- 行政许可 ----------------------------------------------------------------------------

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
    """Build 行政许可 rows (date cells as dt.date) from the templates in sample_words."""

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
        rand, drop = self.rand, self.drop
        category = subject.category if subject else pick_category(rand, tpl["targets"])
        cells = subject_cells(drop, rand, category, tpl["sectors"], subject)
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
    org_templates = [t for t in W.LICENCES if t["targets"][0]]
    withdrawn = 0
    for i in range(n):
        kind = defects.get(i)
        tpl = W.LICENCES[int(rand() * len(W.LICENCES))]
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
            drop.withdraw(
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


ITEM_BY_WS = {t["ws"]: t["item"] for t in W.LICENCES}  # 文书号 prefix -> 许可事项


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


def write_xzxk(drop: Drop, out: Path, n: int) -> dict[str, int]:
    """行政许可: the main field-code CSV (UTF-8 BOM) and a small old-layout CSV (UTF-8)."""
    n_old = min(n // 10, OLD_LAYOUT_MAX_ROWS)
    main, old = "xzxk/行政许可.csv", "xzxk/行政许可-旧格式.csv"
    rows = licence_rows(drop, "xzxk", n - n_old, XK_KINDS)
    written = {main: write_csv(out / main, "utf-8-sig", XZXK_CODES, iso_dates(rows, XK_DATES))}
    old_rows = old_layout(drop, licence_rows(drop, "xzxk-old", n_old, []))
    written[old] = write_csv(out / old, "utf-8", XZXK_OLD_CODES, old_rows)
    return written


# --- 红名单 / 黑名单 ----------------------------------------------------------------------

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
        s = pools.pick(pools.firms)
        # The first row is old enough to be expired (red) or removed (black).
        hi_cap = drop.end - 2 * 366 if i == 0 else drop.end
        day = drop.start + int(rand() * (hi_cap - drop.start + 1))
        while (dept, s.code, day) in seen:
            s = pools.pick(pools.firms)
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
            drop.withdraw(
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


def write_list(drop: Drop, out: Path, which: str, n: int) -> dict[str, int]:
    """One list: an XLSX with a title row, overflow beyond LIST_XLSX_MAX_ROWS in a CSV."""
    label, title, columns = LISTS[which]
    date_cols = tuple(i for i, c in enumerate(columns) if c in ("列入日期", "有效期至", "移出日期"))
    rows = list_rows(drop, which, n)
    n_xlsx = min(n, LIST_XLSX_MAX_ROWS)
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


# --- 双随机抽查结果 -----------------------------------------------------------------------

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
SSJ_RESULTS = _weighted(W.INSPECTION_RESULTS)
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
                drop.withdraw(
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


# --- 信用承诺 ----------------------------------------------------------------------------

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
PLEDGE_TYPES = _weighted(W.PLEDGE_WEIGHTS)


def commitment_rows(drop: Drop, n: int) -> Iterator[list[str]]:
    """Yield 信用承诺 rows; 承诺编码 = 区划 + date + per-day serial."""
    rand, pools = drop.rng("xinyongchengnuo").random, drop.pools
    wd = drop.rng("xinyongchengnuo/withdrawals").random
    withdrawn = 0
    for i in range(n):
        kind = PLEDGE_TYPES[int(rand() * len(PLEDGE_TYPES))]
        reason, content, liability = W.PLEDGES[kind]
        licence = W.LICENCES[int(rand() * len(W.LICENCES))]
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
            drop.withdraw(wd, "信用承诺", made, ["撤销", "变更"], 承诺编码=code)
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


# --- 撤下清单 and entry point ------------------------------------------------------------


def write_withdrawals(drop: Drop, out: Path) -> dict[str, int]:
    """Write the withdrawals, plus one unknown record and one 修复 dated after anchor."""
    name, anchor = "withdrawals/撤下清单.csv", drop.anchor
    if drop.future_repair:
        drop.add_withdrawal(
            "行政处罚",
            "修复",
            anchor + dt.timedelta(days=15),
            "信用修复申请已受理，按计划日期撤下",
            **drop.future_repair,
        )
    drop.add_withdrawal(
        "行政处罚",
        "撤销",
        anchor - dt.timedelta(days=5),
        "原决定已撤销",
        决定文书号=f"{DEPTS['scjg'][2]}〔{anchor.year - 6}〕9999号",
        决定机关统一社会信用代码=DEPTS["scjg"][1],
    )
    return {name: write_csv(out / name, "utf-8-sig", WD_COLUMNS, iter(drop.withdrawals))}


def write_sample(
    out: Path, records: int = 2000, seed: int = 0, anchor: dt.date = DEFAULT_ANCHOR
) -> dict[str, int]:
    """Write a fictional drop for 示例市 into `out`; return rows written per file (relative path -> rows)."""
    out = Path(out)
    drop = Drop(records, seed, anchor)
    counts = split_counts(records)
    written = write_xzcf(drop, out, counts["xzcf"])
    written |= write_xzxk(drop, out, counts["xzxk"])
    written |= write_list(drop, out, "hongmingdan", counts["hongmingdan"])
    written |= write_list(drop, out, "heimingdan", counts["heimingdan"])
    ssj = "shuangsuiji/双随机抽查结果.csv"
    written[ssj] = write_csv(
        out / ssj, "gb18030", SSJ_COLUMNS, inspection_rows(drop, counts["shuangsuiji"])
    )
    cn = "xinyongchengnuo/信用承诺.csv"
    written[cn] = write_csv(
        out / cn, "utf-8", CN_COLUMNS, commitment_rows(drop, counts["xinyongchengnuo"])
    )
    written |= write_withdrawals(drop, out)
    return written
