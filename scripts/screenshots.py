"""Screenshots for review: `make screenshots` (or `python scripts/screenshots.py SITE OUT`).

Serves the built site under /credit/ and writes full-page PNGs of every page type (the
matrix of the browser checks: tests/fixtures/browser.py page_types) at phone (390×844) and
desktop (1366×900) widths into OUT, in normal and 适老化 mode, named
<page>-<phone|desktop>[-elder].png. With --only NAME[,NAME…] only those pages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from browser import VIEWPORTS, launch, page_types, serve  # noqa: E402

SEARCH_DONE = "() => /找到|没有/.test(document.getElementById('xy-status').textContent)"


def main(site: Path, out: Path, only: set[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    base, httpd = serve(site, "/credit/")
    urls = {k: v for k, v in page_types(site).items() if not only or k in only}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            for width, viewport in VIEWPORTS.items():
                for elder in (False, True):
                    context = browser.new_context(viewport=viewport)
                    page = context.new_page()
                    page.goto(base)
                    page.evaluate(f"localStorage.setItem('xy-elder', '{int(elder)}')")
                    for name, url in urls.items():
                        page.goto(base + url)
                        if url.startswith("search/"):
                            page.wait_for_function(SEARCH_DONE)
                        suffix = "-elder" if elder else ""
                        path = out / f"{name}-{width}{suffix}.png"
                        page.screenshot(path=str(path), full_page=True)
                        print(path)
                    context.close()
            browser.close()
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default="site", type=Path)
    parser.add_argument("out", nargs="?", default="screenshots", type=Path)
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args()
    main(args.site, args.out, {n for n in args.only.split(",") if n} or None)
