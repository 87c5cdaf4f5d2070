"""The one personal-data detector (spec §5), shared by masking and the guard.

Finds resident ID numbers (18-digit ISO 7064 MOD 11-2 with a birth date, 15-digit legacy
numbers with a birth date) and mainland mobile numbers (`1[3-9]` + 9 digits, optionally
after `+86`, `86` or `0086`) however they are written: full-width digits, and spaces,
hyphens, dots, slashes or zero-width characters between any digits.

How it works: a regex finds runs of at least 11 digits where up to three separator
characters may stand between two digits. A run is split into its digit groups; any
sequence of consecutive groups whose digits add up to 11, 13, 15 or 18 is a candidate,
and the longest valid candidate from each group wins. A group longer than 18 digits is
never split: digits glued to more digits are not a number on their own.

15-digit numbers (spec §5): one that passes the GB/T 17710 MOD 11,10 check is a
工商注册号, not an ID number; any other 15-digit number whose digits 7–12 read as a valid
birth date (19YYMMDD) is an old ID number. The same rule holds in a registration-number
column: a value with a valid check digit is never masked there; one that fails its check
digit and reads as an old ID number is masked (mask.py reports it as regno-masked-as-id).

Digits inside a 统一社会信用代码 are part of a code, not a number of their own: a run
that lies in 18 characters of its word (the ASCII letters and digits around it) with a
letter before the last, region digits in places 3–8 and a valid GB 32100 check character
is skipped (`Y199010020312963X0` holds 15 digits that read as an old ID number; the search
index writes it `0y199010020312963x0`). An ID number has no letter but its last, so an ID
number is never such a code itself; a 15-digit one glued between letters makes one by
chance 1 time in 31.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .values import USCC_ALPHABET, idnum_valid_scalar, regno_valid_scalar, uscc_check_char

# Digits as they arrive: ASCII and full-width.
DIGITS = _D = "0-9\uff10-\uff19"  # the digits a number may be written in (also the guard's)
# Characters that may stand between the digits of one number: spaces (also no-break and
# ideographic), hyphens and dashes, dots, slashes, underscores, zero-width characters.
SEPARATORS = (
    " \t\u00a0\u3000\u2002-\u200a\u202f\u205f"
    "\\-\u2010-\u2015\u2212\uff0d\u30fc"
    ".\u00b7\u30fb\uff0e/\uff0f\\\\_"
    "\u200b-\u200d\u2060\ufeff\u00ad"
)
# The look-behind comes after the first digit so the regex engine can skip ahead to digits
# (a leading look-behind makes it try every position: three times slower).
_RUN = re.compile(
    rf"[{_D}](?<![{_D}][{_D}])(?:[{SEPARATORS}]{{0,3}}[{_D}]){{10,}}"
    rf"(?:[{SEPARATORS}]{{0,3}}[Xx\uff38\uff58](?![A-Za-z]))?(?![{_D}])"
)
# Written as one block only (no separators): for style sheets and scripts, whose decimals
# and coordinates (`.133 9.491`) would otherwise read as numbers written with spaces.
_RUN_PLAIN = re.compile(
    rf"[{_D}](?<![{_D}][{_D}])[{_D}]{{10,17}}(?:[Xx\uff38\uff58](?![A-Za-z]))?(?![{_D}])"
)
_GROUP = re.compile(rf"[{_D}]+|[Xx\uff38\uff58]")
_ASCII = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# The same first step for polars (Rust regex), on text the loader already normalised:
# a cell that does not match cannot hold an ID or mobile number.
PREFILTER = rf"[{_D}](?:[{SEPARATORS}]{{0,3}}[{_D}]){{10}}"

IDNUM, MOBILE = "idnum", "mobile"


def candidates(separated: bool = True) -> str:
    """The Rust-regex form of every run `find` looks at, for polars (no look-around),
    widened by the letters and digits around it: `find` on one such token sees the context
    its look-arounds need (an X glued to letters is no check character, a digest's hex
    digits stay one token, a 统一社会信用代码 is one word). The guard scans output through it."""
    gap = f"[{SEPARATORS}]{{0,3}}" if separated else ""
    x = "XxＸｘ"
    return f"%?[0-9A-Za-z]*[{_D}](?:{gap}[{_D}]){{10,}}(?:{gap}[{x}])?[0-9A-Za-z]*"


def runs() -> str:
    """The runs `find` looks at, as polars extracts them: every number `find` sees in a
    text it also sees in one of these tokens (a token ends with the letter after an X, all
    its look-ahead needs). Masking checks each distinct token once and leaves, in polars,
    the cells whose every token is clear (tests/test_pii.py holds the property)."""
    gap = f"[{SEPARATORS}]{{0,3}}"
    return f"[{_D}](?:{gap}[{_D}]){{10,}}(?:{gap}[XxＸｘ])?[A-Za-z]?"


@dataclass(frozen=True)
class Hit:
    kind: str  # IDNUM | MOBILE
    start: int  # span in the text, from the first to the last character of the number
    end: int
    digits: tuple[int, ...]  # positions of the number's own characters (prefix excluded)


def classify(number: str, today: dt.date) -> tuple[str, int] | None:
    """(kind, prefix length) of a digit string, or None when it is not personal data."""
    n = len(number)
    if n == 11 and _MOBILE.fullmatch(number):
        return MOBILE, 0
    if n == 13 and number.startswith("86") and _MOBILE.fullmatch(number[2:]):
        return MOBILE, 2
    if n == 15 and number.startswith("0086") and _MOBILE.fullmatch(number[4:]):
        return MOBILE, 4
    if n == 18 and idnum_valid_scalar(number, today):
        return IDNUM, 0
    fifteen = n == 15 and number.isdigit() and not regno_valid_scalar(number)
    if fifteen and idnum_valid_scalar(number, today):
        return IDNUM, 0
    return None


def find(text: str, today: dt.date, separated: bool = True) -> list[Hit]:
    """Every ID or mobile number in `text`, in order, however it is written.

    `separated=False` finds only numbers written without separators (code, not text).
    """
    hits: list[Hit] = []
    for run in (_RUN if separated else _RUN_PLAIN).finditer(text):
        if _in_uscc(text, run.start(), run.end()):
            continue
        groups = [(g.start(), g.group()) for g in _GROUP.finditer(text, run.start(), run.end())]
        hits.extend(_in_run(groups, today))
    return hits


_WORD = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_USCC = frozenset(USCC_ALPHABET)


def _in_uscc(text: str, start: int, end: int) -> bool:
    """True when the run at [start, end) lies in 18 characters of its word that are a
    统一社会信用代码 with a letter before its last character (module doc): a code, whose
    digits are no number. Either case (the search index and name tables write words in
    lower case, the index with a leading 0)."""
    a, b = start, end
    while a > 0 and text[a - 1] in _WORD and not _escaped(text, a):
        a -= 1
    while b < len(text) and text[b] in _WORD:
        b += 1
    if b - a < 18 or end - start > 17:
        return False
    for at in range(max(a, end - 18), min(start, b - 18) + 1):
        word = text[at : at + 18].upper()
        if (
            _USCC.issuperset(word)
            and not word[:17].isdigit()
            and word[2:8].isdigit()
            and uscc_check_char(word) == word[17]
        ):
            return True
    return False


def _escaped(text: str, at: int) -> bool:
    """True when a percent-escape ends at `at` (`%2F` before a word in an address)."""
    return at >= 3 and text[at - 3] == "%" and all(c in _HEXDIGITS for c in text[at - 2 : at])


_HEXDIGITS = frozenset("0123456789ABCDEFabcdef")


def _in_run(groups: list[tuple[int, str]], today: dt.date) -> list[Hit]:
    hits: list[Hit] = []
    if len(groups) == 1:  # the common case: one block of digits
        start, block = groups[0]
        found = classify(block.translate(_ASCII), today) if len(block) in (11, 13, 15, 18) else None
        if found is None:
            return []
        return [
            Hit(
                found[0],
                start + found[1],
                start + len(block),
                tuple(range(start + found[1], start + len(block))),
            )
        ]
    i = 0
    while i < len(groups):
        best: tuple[int, str, int] | None = None  # (last group, kind, prefix)
        number = ""
        for j in range(i, len(groups)):
            number += groups[j][1].translate(_ASCII)
            if len(number) > 18 or ("X" in number[:-1]):
                break
            if len(number) in (11, 13, 15, 18):
                found = classify(number, today)
                if found:
                    best = (j, *found)
        if best is None:
            i += 1
            continue
        j, kind, prefix = best
        positions = [p + k for p, g in groups[i : j + 1] for k in range(len(g))][prefix:]
        hits.append(Hit(kind, positions[0], positions[-1] + 1, tuple(positions)))
        i = j + 1
    return hits


def mask(
    text: str,
    today: dt.date,
    keep: dict[str, tuple[int, int]],
    char: str = "*",
) -> tuple[str, int, int]:
    """`text` with every ID and mobile number masked: (text, ids, mobiles).

    `keep` gives (head, tail) characters to keep per kind; separators are kept as written.
    """
    hits = find(text, today)
    if not hits:
        return text, 0, 0
    out = list(text)
    for hit in hits:
        head, tail = keep[hit.kind]
        hidden = hit.digits[head : len(hit.digits) - tail] if tail else hit.digits[head:]
        for p in hidden:
            out[p] = char
    ids = sum(h.kind == IDNUM for h in hits)
    return "".join(out), ids, len(hits) - ids


def shown(text: str, hit: Hit, keep: tuple[int, int] = (1, 2)) -> str:
    """The number of `hit` masked for a message: never the number itself."""
    digits = "".join(text[p] for p in hit.digits).translate(_ASCII)
    head, tail = keep
    return digits[:head] + "*" * (len(digits) - head - tail) + digits[len(digits) - tail :]
