"""The column navigation shared by the MkDocs pages and the generated pages.

The dataset columns come from the schemas (each kind's `short_name`, else its `name`, in
`order`): a kind added to the package or to an office's schemas/ folder is in every menu.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..config import Config, Schema, load_config

NARRATIVE = [
    ("政策法规", "policies/"),
    ("典型案例", "cases/"),
    ("信用动态", "news/"),
    ("异议申诉", "guide/objection/"),
    ("信用修复", "guide/repair/"),
    ("关于本站", "about/"),
]
# The search page's filters (name, label); the category filter's label is generated.
SEARCH_FILTERS = [("栏目", "栏目"), ("部门", "部门"), ("年份", "年份")]
CATEGORY_FILTER = "类别"
# Footer links to pages that are not columns.
FOOTER = [("数据说明", "data/"), ("无障碍声明", "accessibility/")]


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str  # relative to the site root, "" for the home page

    @property
    def key(self) -> str:
        return self.href


def columns(config: Config | None = None) -> list[NavItem]:
    """首页, the dataset columns in display order, then the narrative columns.

    Without `config`: the packaged kinds (site.yml's own folder is not known here).
    """
    config = config or load_config()
    data = [(s.nav_name, f"{s.id}/") for s in config.datasets()]
    return [NavItem("首页", ""), *(NavItem(*d) for d in data), *(NavItem(*n) for n in NARRATIVE)]


def footer_links() -> list[NavItem]:
    return [NavItem(*f) for f in FOOTER]


def section_of(url: str, items: list[NavItem]) -> str:
    """The nav key of the column a page (URL relative to the root) belongs to."""
    best = ""
    for item in items:
        if item.href and url.startswith(item.href) and len(item.href) > len(best):
            best = item.href
    return best if best or url == "" else "-"


def search_filters(schemas: Iterable[Schema]) -> list[tuple[str, str]]:
    """(filter name, label) of the search page's selects. The category filter holds the
    kinds' category facets (every facet but the department and the year), so its label
    lists their labels: 许可类别、处罚类别 …"""
    labels = dict.fromkeys(
        s.by_key[k].label
        for s in schemas
        for k in s.facets
        if k in s.by_key and k != s.role("department")
    )
    return [*SEARCH_FILTERS, (CATEGORY_FILTER, "、".join(labels) or CATEGORY_FILTER)]
