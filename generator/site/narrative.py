"""The narrative pages (政策法规, 典型案例, 信用动态, guides) built by Material for MkDocs."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

# MkDocs output we replace with our own (they cannot know the generated pages).
REPLACED = {"404.html", "sitemap.xml", "sitemap.xml.gz"}
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


class NarrativeError(Exception):
    """MkDocs could not build the narrative pages (broken link, bad config …)."""


@dataclass(frozen=True)
class Article:
    title: str
    url: str  # relative to the site root
    date: dt.date | None
    category: str


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_narrative(mkdocs_file: Path, site_file: Path, dest: Path, today: dt.date) -> Path:
    """Run MkDocs into `dest`; raise NarrativeError on any warning (strict mode)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    # MkDocs resolves a relative site_dir against mkdocs.yml, not the working directory.
    dest = dest.resolve()
    epoch = int(dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC).timestamp())
    logger = logging.getLogger("mkdocs")
    level = logger.level
    # MkDocs logs every page at INFO; only the CLI talks to the user.
    logger.setLevel(logging.WARNING)
    try:
        with _environ(
            XY_SITE_FILE=str(site_file.resolve()),
            SOURCE_DATE_EPOCH=str(epoch),
            NO_MKDOCS_2_WARNING="1",
        ):
            cfg = load_config(str(mkdocs_file), site_dir=str(dest), strict=True)
            build(cfg)
    except (MkDocsException, SystemExit) as exc:
        raise NarrativeError(f"MkDocs 构建失败：{exc}") from exc
    finally:
        logger.setLevel(level)
    return dest


def material_css(site_dir: Path) -> str:
    """Path (relative to the root) of Material's main stylesheet, whose name is hashed."""
    found = sorted((site_dir / "assets" / "stylesheets").glob("main.*.min.css"))
    if not found:
        raise NarrativeError("MkDocs 输出中找不到 Material 的样式表")
    return found[0].relative_to(site_dir).as_posix()


def articles(content_dir: Path, section: str) -> list[Article]:
    """The dated pages of one content section (news/, cases/), newest first."""
    out = []
    for path in sorted((content_dir / section).glob("*.md")):
        if path.stem == "index":
            continue
        m = _FRONT.match(path.read_text(encoding="utf-8"))
        meta = (yaml.safe_load(m.group(1)) if m else None) or {}
        date = meta.get("date")
        out.append(
            Article(
                str(meta.get("title") or path.stem),
                f"{section}/{path.stem}/",
                date if isinstance(date, dt.date) else None,
                str(meta.get("category") or ""),
            )
        )
    return sorted(out, key=lambda a: (a.date or dt.date.min, a.url), reverse=True)


def page_urls(site_dir: Path) -> list[str]:
    """Directory URLs (relative) of the pages MkDocs wrote."""
    urls = []
    for path in sorted(site_dir.rglob("index.html")):
        rel = path.parent.relative_to(site_dir).as_posix()
        urls.append("" if rel == "." else rel + "/")
    return urls
