"""MkDocs hooks: wire site.yml (the one place for a site's identity) into the theme.

Referenced from mkdocs.yml `hooks:`. The site build sets XY_SITE_FILE to the --config
file; a bare `mkdocs build` uses the site.yml next to mkdocs.yml. The column menu comes
from the schemas that site.yml sees (packaged, and its office's schemas/ folder), so a
new kind appears in the narrative pages' menu too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup

from generator.config import Config, load_config
from generator.web.kinds import explained
from generator.web.nav import NavItem, columns, footer_links, section_of
from generator.web.templating import cn_date, environment
from generator.web.urls import root_for

_site: dict[str, Any] = {}
_nav: list[NavItem] = []
_kinds: list[dict[str, Any]] = []


def site_file(config: Any) -> Path:
    """site.yml: XY_SITE_FILE when set, else the one next to mkdocs.yml."""
    return Path(os.environ.get("XY_SITE_FILE") or Path(config.config_file_path).parent / "site.yml")


def load_site(config: Any) -> dict[str, Any]:
    """Read site.yml (see `site_file`)."""
    return yaml.safe_load(site_file(config).read_text(encoding="utf-8")) or {}


def load_kinds(config: Any) -> Config:
    """The configuration site.yml gives: the kinds whose columns the menu lists."""
    return load_config(site_file(config))


def on_config(config: Any) -> Any:
    """Take the site's name and canonical address from site.yml, the menu from its kinds."""
    _site.clear()
    _site.update(load_site(config))
    kinds = load_kinds(config)
    _nav[:] = columns(kinds)
    _kinds[:] = explained(kinds)
    site = _site.get("site") or {}
    config.site_name = site.get("name") or config.site_name
    config.site_url = site.get("url") or config.site_url
    return config


def on_env(env: Any, config: Any, files: Any) -> Any:
    """Give the templates the site configuration, the column nav and date formatting."""
    env.globals.update(xy=_site, xy_nav=list(_nav), xy_footer=footer_links())
    env.filters["cn_date"] = cn_date
    return env


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill `{{ office.name }}`-style placeholders before the Markdown is parsed.

    `{{ kinds.count }}`: how many kinds the site shows; `{{ kinds.others }}`: a section for
    each kind the page does not already describe under a heading ending in （id）, written
    from its schema, so a page that explains kinds by hand still covers one added as YAML.
    """
    others = "\n\n".join(
        f"## {k['name']}（{k['id']}）\n\n{k['description']}\n\n**主要字段**：{k['fields']}。"
        f"\n\n**公示期限**：{k['period']}"
        for k in _kinds
        if f"（{k['id']}）" not in markdown
    )
    return (
        environment()
        .from_string(markdown)
        .render(
            site=_site.get("site") or {},
            office=_site.get("office") or {},
            links=_site.get("links") or {},
            kinds={"count": len(_kinds), "others": Markup(others)},
        )
    )


def on_page_context(context: dict[str, Any], page: Any, config: Any, nav: Any) -> dict[str, Any]:
    """Tell the shared header which column is current and where the root is."""
    context["xy_root"] = root_for(page.url)
    context["xy_section"] = section_of(page.url, _nav)
    return context


def on_post_page(output: str, page: Any, config: Any) -> str:
    """Declare Simplified Chinese as zh-CN (Material writes the bare "zh")."""
    return output.replace('<html lang="zh"', '<html lang="zh-CN"', 1)
