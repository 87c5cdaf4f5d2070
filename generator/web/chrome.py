"""The shared page chrome (head links, header, footer), rendered once per depth and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ..config import Config
from .nav import NavItem, columns, footer_links
from .templating import OVERRIDES_DIR, template

SITE_CSS, SITE_JS = "assets/xy/site.css", "assets/xy/site.js"
FAVICON = "assets/xy/favicon.svg"


def read_asset(rel: str) -> str:
    """One of the site's own assets (overrides/assets/xy/), as text."""
    return (OVERRIDES_DIR / rel).read_text(encoding="utf-8")


def site_context(config: Config) -> dict[str, Any]:
    """site.yml with the keys the shared partials read, defaulted."""
    raw = config.site
    site = {"name": "信用XX", "region": "", "url": "/", "demo": False, **(raw.get("site") or {})}
    if not str(site["url"]).endswith("/"):
        site["url"] = f"{site['url']}/"
    office = {
        k: ""
        for k in (
            "name",
            "host",
            "address",
            "postcode",
            "phone",
            "email",
            "hours",
            "site_code",
            "icp",
            "police",
        )
    }
    office.update(raw.get("office") or {})
    return {**raw, "site": site, "office": office, "links": dict(raw.get("links") or {})}


@dataclass
class Chrome:
    """Pre-rendered shell pieces, cached per (root, section, header search box)."""

    config: Config
    material_css: str
    xy: dict[str, Any] = field(init=False)
    nav: list[NavItem] = field(init=False)
    _cache: dict[tuple[str, str, bool], dict[str, Markup]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.xy = site_context(self.config)
        self.nav = columns(self.config)

    def get(self, root: str, section: str, search: bool = True) -> dict[str, Markup]:
        key = (root, section, search)
        if key not in self._cache:
            ctx = {
                "xy": self.xy,
                "xy_nav": self.nav,
                "xy_footer": footer_links(),
                "xy_root": root,
                "xy_section": section,
                "xy_search": search,
            }
            head = Markup(
                '<link rel="icon" href="{0}{4}" type="image/svg+xml">'
                '<link rel="stylesheet" href="{0}{1}"><link rel="stylesheet" '
                'href="{0}{2}"><script src="{0}{3}"></script>'
            ).format(root, self.material_css, SITE_CSS, SITE_JS, FAVICON)
            self._cache[key] = {
                "head": head,
                "header": Markup(template("xy/header.html").render(ctx).strip()),
                "footer": Markup(template("xy/footer.html").render(ctx).strip()),
            }
        return self._cache[key]
