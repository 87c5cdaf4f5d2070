"""Subjects of the drop: companies, 个体工商户, persons and the city's departments."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import NamedTuple

from . import words as W
from .codes import (
    PLACEHOLDER,
    id_check_char,
    make_uscc,
    org_code,
    regno_check_digit,
    uscc_check_char,
)

ORG, IND, PERSON = "法人及非法人组织", "个体工商户", "自然人"

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


class Subject(NamedTuple):
    """A company, 个体工商户 or organisation that records can name."""

    name: str
    category: str  # ORG or IND
    code: str  # USCC, or PLACEHOLDER for 个体工商户 without one
    regno: str  # 15-digit 工商注册号 when the code is the placeholder
    rep: str  # 法定代表人 / 经营者
    rep_id: str
    sector: str


_FORMS = W.weighted(W.FORMS)
# Subjects the place × trade name × industry names hold comfortably; beyond it, names
# also carry a town (镇 / 街道), drawn only then so that smaller drops do not change.
NAME_SPACE_SUBJECTS = 60_000


def default_subjects(records: int) -> int:
    """How many subjects a drop of `records` rows names unless told: about one per 4 rows."""
    return min(max(records // 4, 60), NAME_SPACE_SUBJECTS)


def build_subjects(r: random.Random, n: int) -> list[Subject]:
    """Return n subjects with unique names and codes; the first six cover every code style."""
    rand = r.random
    names: set[str] = set()
    codes: set[str] = set()
    out: list[Subject] = []
    forced = ["ma", "placeholder", "92", "n2", "y1", "branch"]
    regno_serial = 0
    towns = n > NAME_SPACE_SUBJECTS
    while len(out) < n:
        style = forced[len(out)] if len(out) < len(forced) else None
        u = rand()
        place, region = W.PLACES[int(rand() * 5)]
        if towns and rand() < 0.8:
            i = 2 * int(rand() * (len(W.TOWNS) // 2))
            town = W.TOWNS[i : i + 2]
            place += town + ("镇" if place == "临江县" else "街道")
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
        """Pick from seq, favouring its first entries so that some subjects recur."""
        return seq[int(self.rand() ** 2 * len(seq))]

    def sector(self, category: str, sectors: list[str] | None) -> list[Subject]:
        """Return the subjects of a category in the given sectors (cached; never empty)."""
        key = (category, tuple(sectors) if sectors else None)
        if key not in self._by_sector:
            base = self.orgs if category == ORG else self.inds
            found = [s for s in base if sectors is None or s.sector in sectors]
            self._by_sector[key] = found or base or self.all
        return self._by_sector[key]


def _organ_code(body8: str) -> str:
    """Return the USCC of a city organ (11 + city 区划) from its organisation-code body."""
    code = "11" + W.CITY_REGION + org_code(body8)
    return code + uscc_check_char(code)


# Departments: key -> (name, 统一社会信用代码, 处罚文书号 prefix); fixed for every seed.
DEPTS = {k: (name, _organ_code(body), prefix) for k, (name, body, prefix) in W.DEPARTMENTS.items()}


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
    pools: Pools,
    rand: Callable[[], float],
    category: str,
    sectors: list[str] | None,
    subject: Subject | None,
) -> list[str]:
    """Return the 13 行政相对人 cells shared by 行政处罚 and 行政许可 (名称 … 证件号码)."""
    if subject is None and category == PERSON:
        name, pid = make_person(rand)
        return [name, PERSON, "", "", "", "", "", "", "", "", "", "身份证", pid]
    s = subject or pools.pick(pools.sector(category, sectors))
    org = s.code[8:17] if s.code[:2] == "91" and rand() < 0.3 else ""
    rep_id = ["身份证", s.rep_id] if rand() < 0.7 else ["", ""]
    return [s.name, s.category, s.code, s.regno, org, "", "", "", s.rep, *rep_id, "", ""]
