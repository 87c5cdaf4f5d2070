"""The one Jinja environment: autoescape on, StrictUndefined, templates resolved from
specific to generic (``record-xzcf.html`` before ``record.html``).

Besides generator/templates/ it loads the site's shared partials from overrides/xy/, so the
MkDocs pages and the generated pages carry one header and one footer."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)

from ..config import PACKAGE_DIR

TEMPLATE_DIR = PACKAGE_DIR / "templates"
OVERRIDES_DIR = PACKAGE_DIR.parent / "overrides"


def cn_date(value: Any) -> str:
    """2026-11-22 → 2026年11月22日 (dates as people write them)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月{value.day}日"


@cache
def environment() -> Environment:
    loader = ChoiceLoader(
        [FileSystemLoader(str(TEMPLATE_DIR)), FileSystemLoader(str(OVERRIDES_DIR))]
    )
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates do not change during a build; re-checking them costs a stat per render.
        auto_reload=False,
    )
    env.filters["cn_date"] = cn_date
    return env


def template(*names: str) -> Template:
    """The first template that exists among `names` (most specific first)."""
    return environment().select_template(list(names))
