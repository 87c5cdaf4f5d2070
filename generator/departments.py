"""The office's department directory (部门目录): names, former names, abbreviations -> code.

Configured in site.yml under `departments:`; each entry is
`{name: 示例市市场监督管理局, code: 1199…, former: [示例市工商行政管理局], abbr: [市市场监管局]}`.
It fills missing department codes, normalises department names to the directory's name and
proposes the nearest known department for an unknown one.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


def dept_key(name: str) -> str:
    """Normalised department name for matching (width, spaces, brackets)."""
    t = unicodedata.normalize("NFKC", str(name))
    return re.sub(r"\s+", "", t)


@dataclass(frozen=True)
class Department:
    name: str
    code: str | None
    former: tuple[str, ...] = ()
    abbr: tuple[str, ...] = ()


@dataclass
class Directory:
    """Departments by every name they are known under."""

    departments: list[Department] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_name: dict[str, Department] = {}
        for d in self.departments:
            for n in (d.name, *d.former, *d.abbr):
                self._by_name.setdefault(dept_key(n), d)
        self._by_code = {d.code: d for d in self.departments if d.code}

    def __bool__(self) -> bool:
        return bool(self.departments)

    def find(self, name: str | None) -> Department | None:
        if not name:
            return None
        return self._by_name.get(dept_key(name))

    def by_code(self, code: str | None) -> Department | None:
        return self._by_code.get(code or "")

    def nearest(self, name: str) -> Department | None:
        """The known department whose name (or former name, abbreviation) is closest."""
        keys = list(self._by_name)
        best = difflib.get_close_matches(dept_key(name), keys, n=1, cutoff=0.5)
        return self._by_name[best[0]] if best else None

    def names(self) -> dict[str, str]:
        """Every known name (normalised) -> directory name."""
        return {k: d.name for k, d in self._by_name.items()}

    def codes(self) -> dict[str, str]:
        """Every known name (normalised) -> code, for departments that have one."""
        return {k: d.code for k, d in self._by_name.items() if d.code}


def load_directory(raw: Any, problems: list[str]) -> Directory:
    """Parse site.yml `departments:`; configuration problems are appended to `problems`."""
    if raw is None:
        return Directory()
    if not isinstance(raw, list):
        problems.append("site.yml: departments 应为列表（每项含 name、code，可选 former、abbr）")
        return Directory()
    out: list[Department] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(raw, 1):
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(f"site.yml: departments 第{i}项缺少 name")
            continue
        d = Department(
            name=str(entry["name"]).strip(),
            code=str(entry["code"]).strip().upper() if entry.get("code") else None,
            former=tuple(str(x) for x in entry.get("former") or ()),
            abbr=tuple(str(x) for x in entry.get("abbr") or ()),
        )
        for n in (d.name, *d.former, *d.abbr):
            k = dept_key(n)
            if k in seen and seen[k] != d.name:
                problems.append(f"site.yml: departments 中名称“{n}”同时属于 {seen[k]} 和 {d.name}")
            seen[k] = d.name
        out.append(d)
    return Directory(out)
