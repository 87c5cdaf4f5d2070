"""Search words: Chinese text as overlapping character pairs, spelled in ASCII.

Pagefind's extended build segments Chinese with its own dictionary when indexing, and the
browser segments the query with ICU: the two disagree (超过保质期 is 超过/保质/期 in the
index and 超过/保质期 in the query), and indexing every character as its own word makes a
common character's postings, and a query for it, huge. So the index never sees a Han
character. Each run of Han characters becomes its overlapping pairs (bigrams) plus its last
character, every character spelled as three ASCII letters/digits:

    超过保质期  →  超过 过保 保质 质期 期   (five words, each 6 or 3 ASCII characters)

A query becomes its pairs too (a single character: that character, which Pagefind matches
as the prefix of every pair starting with it), searched with Pagefind's AND. Other words
(letters and digits) are written with a leading "0" so they never meet a Han word;
punctuation is kept as two-character words that no query can match, so the page can turn
Pagefind's excerpt back into readable text (overrides/assets/xy/tokens.js does both, the
same way: tests/test_search.py checks them against each other).
"""

from __future__ import annotations

import functools
import re
import unicodedata

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Han code points indexed, in order; a character's number is its offset in this list.
BMP_RANGES = ((0x3007, 0x3007), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
SUPP_RANGES = ((0x20000, 0x3134F),)
# Punctuation kept for excerpts: "p" + one symbol. Anything else separates words.
PUNCT = "。、“”‘’《》【】…—·,.;:?!()[]-/%+&#@*~'\""  # after NFKC: ，→, （→( …
_PUNCT_CODE = {c: "p" + ALPHABET[i] for i, c in enumerate(PUNCT)}
# In every document, and in no query: what the page searches for when it only filters
# (a search with no words at all makes Pagefind fetch every index file of the bundle).
EVERY = "zz"

_BMP_BASE: list[tuple[int, int, int]] = []
_n = 0
for _lo, _hi in BMP_RANGES:
    _BMP_BASE.append((_lo, _hi, _n))
    _n += _hi - _lo + 1
assert _n <= 26 * 36 * 36  # first symbol a letter: never "0" (other words) or 8/9 (below)
_SUPP_BASE = [(lo, hi, sum(h - lo_ + 1 for lo_, h in SUPP_RANGES[:i])) for i, (lo, hi) in
              enumerate(SUPP_RANGES)]  # fmt: skip

HAN_CLASS = "".join(
    f"\\u{lo:04x}-\\u{hi:04x}" if lo != hi else f"\\u{lo:04x}" for lo, hi in BMP_RANGES
) + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in SUPP_RANGES)
_RUN = re.compile(f"([{HAN_CLASS}]+)|([0-9a-z]+)|(\\S)")


def _sym(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(ALPHABET[r])
    return "".join(reversed(out))


@functools.cache  # a few thousand distinct characters, met millions of times
def char_code(ch: str) -> str:
    """Three symbols for a BMP Han character (first a letter), four for others (8 or 9…)."""
    cp = ord(ch)
    for lo, hi, base in _BMP_BASE:
        if lo <= cp <= hi:
            n = base + cp - lo
            return ALPHABET[10 + n // 1296] + _sym(n % 1296, 2)
    for lo, hi, base in _SUPP_BASE:
        if lo <= cp <= hi:
            n = base + cp - lo
            return ALPHABET[8 + n // 46656] + _sym(n % 46656, 3)
    raise ValueError(f"not an indexed Han character: {ch!r}")


def fnv1a(text: str) -> int:
    """32-bit FNV-1a over UTF-8 (tokens.js computes the same)."""
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


@functools.cache
def filter_word(name: str, value: str) -> str:
    """The word a document holds for one of its filter values ("zy" + a hash: no query
    makes it). Filters alone are searched as these words, which Pagefind answers much
    faster than its own filters, whose counts it computes over every hit."""
    return "zy" + _sym(fnv1a(f"{name}={value}"), 7)


def is_pair(word: str) -> bool:
    """Whether an index word is two Han characters: 6–8 symbols, not a "0…" word (letters
    and digits), "p…" (punctuation, two symbols) or "z…" (marks, no Han code is that high)."""
    return len(word) in (6, 7, 8) and word[0] not in "0z"


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to half-width) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _words(text: str, query: bool, phrase: bool = False) -> list[str]:
    out: list[str] = []
    runs = _RUN.findall(normalise(text))
    for i, (han, word, other) in enumerate(runs):
        if han:
            codes = [char_code(c) for c in han]
            out.extend(a + b for a, b in zip(codes, codes[1:], strict=False))
            # A phrase's last run may go on in the text: its last character is in a pair.
            open_end = phrase and i == len(runs) - 1
            if not query and not (open_end and len(codes) > 1) or len(codes) == 1:
                out.append(codes[-1])
        elif word:
            out.append("0" + word)
        elif not query and other in _PUNCT_CODE:
            out.append(_PUNCT_CODE[other])
    return out


@functools.lru_cache(maxsize=1 << 16)  # record titles repeat across subjects
def encode(text: str) -> str:
    """The words Pagefind indexes for `text`, space separated."""
    return " ".join(_words(text, query=False))


def query(text: str) -> str:
    """The words to search for `text` (every one must match; see the module docstring)."""
    return " ".join(_words(text, query=True))


def phrase(text: str) -> str:
    """The words of `text` as they stand in the index, in order (punctuation included): the
    page searches them as a phrase first, and with query() when the phrase finds nothing."""
    return " ".join(_words(text, query=False, phrase=True))
