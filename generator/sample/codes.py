"""Codes, dates and amounts: USCC, organisation code, ID number and 工商注册号 check characters.

Also the deliberate code defects (wrong check character, full-width forms) and the date and
万元 helpers the dataset writers share.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable

PLACEHOLDER = "00000000000000000X"  # 个体工商户 without a USCC
LONG_TERM = dt.date(2099, 12, 31)  # "长期" in the national standard

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
