"""Vectorised value normalisers and checks (polars expressions).

Everything here works on whole columns at once: a million rows are checked without a
Python call per row. Check-digit algorithms follow GB 32100-2015 (统一社会信用代码) and
GB 11643-1999 / ISO 7064 MOD 11-2 (居民身份证号码).
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
from stdnum.iso7064 import mod_11_10

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = r"^[0-9A-HJ-NP-RTUW-Y]{18}$"
USCC_PLACEHOLDER = "00000000000000000X"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
EARLIEST = dt.date(1949, 10, 1)
EXCEL_EPOCH = dt.date(1899, 12, 30)

_DATE_YMD = (
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?$"
)
_DATE_COMPACT = r"^(\d{4})(\d{2})(\d{2})(?:\d{6})?$"
_DATE_SERIAL = r"^(\d{5})(?:\.\d+)?$"


def nfkc_upper(e: pl.Expr) -> pl.Expr:
    """Code normalisation: full-width to half-width, upper case, no whitespace."""
    return e.str.normalize("NFKC").str.to_uppercase().str.replace_all(r"\s+", "")


def nfkc(e: pl.Expr) -> pl.Expr:
    """NFKC, paid only by values that hold full-width or compatibility characters."""
    return (
        pl.when(e.str.contains(r"[^\x00-\x7f\u4e00-\u9fff\u3001-\u3011\u3014-\u301f]"))
        .then(e.str.normalize("NFKC"))
        .otherwise(e)
    )


_OPEN = ["[", "(", "【", "（", "﹝", "［"]
_CLOSE = ["]", ")", "】", "）", "﹞", "］"]


def docno_key(e: pl.Expr) -> pl.Expr:
    """Matching key for document numbers: 市监罚[2024]12号 == 市监罚〔2024〕12号."""
    out = nfkc(e).str.replace_all(r"\s+", "")
    return out.str.replace_many(_OPEN + _CLOSE, ["〔"] * len(_OPEN) + ["〕"] * len(_CLOSE))


def name_key(e: pl.Expr) -> pl.Expr:
    """Matching key for names; the published name itself is kept as written."""
    return docno_key(e).str.replace_many(["〔", "〕"], ["(", ")"])


def _weighted_sum(e: pl.Expr, weights: tuple[int, ...], values: dict[str, int]) -> pl.Expr:
    terms = [
        e.str.slice(i, 1).replace_strict(values, default=0, return_dtype=pl.Int64) * w
        for i, w in enumerate(weights)
    ]
    return pl.sum_horizontal(terms)


def uscc_expected_check(code: pl.Expr) -> pl.Expr:
    """The check character GB 32100 expects for an 18-character code."""
    values = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
    total = _weighted_sum(code, USCC_WEIGHTS, values)
    idx = (31 - total % 31) % 31
    return idx.replace_strict(dict(enumerate(USCC_ALPHABET)), return_dtype=pl.Utf8)


def uscc_check_char(code: str) -> str:
    """Scalar version of the GB 32100 check character (for generators and tests)."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def idnum_valid(e: pl.Expr, today: dt.date) -> pl.Expr:
    """True where `e` (normalised, upper) is a valid 18- or 15-digit resident ID number."""
    digits = {str(i): i for i in range(10)}
    total = _weighted_sum(e, ID_WEIGHTS, digits)
    check_ok = (total % 11).replace_strict(
        dict(enumerate(ID_CHECK)), return_dtype=pl.Utf8
    ) == e.str.slice(17, 1)
    birth18 = e.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    birth15 = ("19" + e.str.slice(6, 6)).str.to_date("%Y%m%d", strict=False)
    ok18 = (
        e.str.contains(r"^\d{17}[\dX]$") & check_ok & birth18.is_between(dt.date(1900, 1, 1), today)
    )
    ok15 = e.str.contains(r"^\d{15}$") & birth15.is_not_null()
    return (ok18 | ok15).fill_null(False)


def idnum_valid_scalar(s: str, today: dt.date | None = None) -> bool:
    """Scalar ID-number check, used to find ID numbers inside free text."""
    s = s.upper()
    today = today or dt.date.today()
    if re.fullmatch(r"\d{17}[\dX]", s):
        total = sum(int(c) * w for c, w in zip(s[:17], ID_WEIGHTS, strict=True))
        if ID_CHECK[total % 11] != s[17]:
            return False
        birth = s[6:14]
    elif re.fullmatch(r"\d{15}", s):
        birth = "19" + s[6:12]
    else:
        return False
    try:
        born = dt.datetime.strptime(birth, "%Y%m%d").date()
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= today


def regno_valid_scalar(s: str) -> bool:
    """True when `s` is a 15-digit 工商注册号 with a valid GB/T 17710 MOD 11,10 check digit."""
    return len(s) == 15 and s.isdigit() and mod_11_10.is_valid(s)


def regno_valid(e: pl.Expr) -> pl.Expr:
    """Vectorised `regno_valid_scalar` (ISO 7064 MOD 11,10 over 15 digits)."""
    check = pl.lit(5, dtype=pl.Int64)
    for i in range(15):
        digit = e.str.slice(i, 1).cast(pl.Int64, strict=False)
        # 10 where check is 0, else check — written with `check` once: an expression that
        # used it twice per digit would be 2^15 copies of itself once expanded.
        doubled = (((check + 9) % 10 + 1) * 2) % 11
        check = (doubled + digit) % 10
    return (e.str.contains(r"^\d{15}$") & (check == 1)).fill_null(False)


def parse_date(e: pl.Expr) -> pl.Expr:
    """Parse every date form offices send (ISO, slashes, 年月日, compact, Excel serials)."""
    t = e.str.normalize("NFKC").str.strip_chars()
    ymd = t.str.extract_groups(_DATE_YMD)
    iso_a = pl.concat_str(
        [
            ymd.struct.field("1"),
            pl.lit("-"),
            ymd.struct.field("2").str.zfill(2),
            pl.lit("-"),
            ymd.struct.field("3").str.zfill(2),
        ]
    )
    compact = t.str.extract_groups(_DATE_COMPACT)
    iso_b = pl.concat_str(
        [
            compact.struct.field("1"),
            pl.lit("-"),
            compact.struct.field("2"),
            pl.lit("-"),
            compact.struct.field("3"),
        ]
    )
    serial = t.str.extract(_DATE_SERIAL, 1).cast(pl.Int64, strict=False)
    from_serial = pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    return pl.coalesce(
        [
            iso_a.str.to_date("%Y-%m-%d", strict=False),
            iso_b.str.to_date("%Y-%m-%d", strict=False),
            pl.when(serial.is_between(1, 2958465)).then(from_serial.cast(pl.Date)),
        ]
    )


def parse_amount(e: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(value in 万元, is-in-yuan flag, yuan value) for an amount column."""
    t = e.str.normalize("NFKC").str.replace_all(r"[\s,，]", "")
    plain = t.str.strip_suffix("万元").str.strip_suffix("万")
    number = plain.cast(pl.Float64, strict=False)
    value = pl.when(number.is_finite()).then(number)
    yuan = t.str.extract(r"^(?:人民币)?(\d+(?:\.\d+)?)元$", 1).cast(pl.Float64, strict=False)
    return value, yuan.is_not_null(), yuan
