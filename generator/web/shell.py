"""The page shell: a page rendered in the shared layout and written into the tree.

Every public stage that writes HTML pages (the site, open data, 信用监测) writes them
through a Shell, so they share one header, menu, footer and relative links.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from .chrome import Chrome
from .templating import template
from .urls import root_for
from .writer import TreeWriter


class Shell:
    """Renders pages through the shared layout and writes them with `writer`."""

    def __init__(self, chrome: Chrome, writer: TreeWriter, today: dt.date):
        self.chrome = chrome
        self.writer = writer
        self.today = today
        self.urls: list[str] = []  # directory URLs written, for the sitemap
        self.site_url = str(chrome.xy["site"]["url"])
        self.site_name = str(chrome.xy["site"]["name"])

    def page(
        self, url: str, names: Sequence[str], section: str, search: bool = True, **ctx: Any
    ) -> None:
        """Render a page at directory URL `url` (relative, "" for the home page)."""
        root = ctx.pop("root", None) or root_for(url)
        html = template(*names).render(
            ctx, chrome=self.chrome.get(root, section, search), root=root, site_name=self.site_name
        )
        self.writer.write(
            f"{url}index.html" if url.endswith("/") or not url else url, html.encode()
        )
        if url.endswith("/") or not url:
            self.urls.append(url)
