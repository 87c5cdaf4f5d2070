"""The column navigation shared by the MkDocs pages and the generated pages."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config

# Short column names where a schema's full name is too long for a navigation bar.
SHORT_NAMES = {"shuangsuiji": "双随机抽查"}
NARRATIVE = [
    ("政策法规", "policies/"),
    ("典型案例", "cases/"),
    ("信用动态", "news/"),
    ("异议申诉", "guide/objection/"),
    ("信用修复", "guide/repair/"),
    ("关于本站", "about/"),
]
# Footer links to pages that are not columns.
FOOTER = [("数据说明", "data/"), ("无障碍声明", "accessibility/")]
# Used when the dataset schemas are not at hand (MkDocs run on its own).
DEFAULT_DATASETS = [
    ("行政许可", "xzxk/"),
    ("行政处罚", "xzcf/"),
    ("红名单", "hongmingdan/"),
    ("黑名单", "heimingdan/"),
    ("双随机抽查", "shuangsuiji/"),
    ("信用承诺", "xinyongchengnuo/"),
]


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str  # relative to the site root, "" for the home page

    @property
    def key(self) -> str:
        return self.href


def columns(config: Config | None = None) -> list[NavItem]:
    """首页, the dataset columns in display order, then the narrative columns."""
    if config is None:
        data = DEFAULT_DATASETS
    else:
        data = [(SHORT_NAMES.get(s.id, s.name), f"{s.id}/") for s in config.datasets()]
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
