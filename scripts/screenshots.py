"""Screenshots for review: `make screenshots` (or `python scripts/screenshots.py SITE OUT`).

Serves the built site under /credit/ and writes full-page PNGs of the home, a list, a
record, a subject and the search page (with a query) at phone (390×844) and desktop
(1366×900) widths into OUT, in normal and 适老化 mode.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from browser import DESKTOP, PHONE, launch, serve  # noqa: E402


def pages(site: Path) -> dict[str, str]:
    record = sorted(p.name for p in (site / "xzcf").glob("*.html") if len(p.stem) == 16)[0]
    subject = sorted(p.name for p in (site / "subject").iterdir())[0]
    return {
        "home": "",
        "list": "xzcf/",
        "record": f"xzcf/{record}",
        "subject": f"subject/{subject}/",
        "search": "search/?q=%E9%A3%9F%E5%93%81",
    }


def main(site: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    base, httpd = serve(site, "/credit/")
    try:
        with sync_playwright() as p:
            browser = launch(p)
            for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                for elder in (False, True):
                    context = browser.new_context(viewport=viewport)
                    page = context.new_page()
                    page.goto(base)
                    page.evaluate(f"localStorage.setItem('xy-elder', '{int(elder)}')")
                    for name, url in pages(site).items():
                        page.goto(base + url)
                        if name == "search":
                            page.wait_for_function(
                                "() => /找到|没有/.test(document.getElementById('xy-status').textContent)"
                            )
                        suffix = "-elder" if elder else ""
                        path = out / f"{name}-{width}{suffix}.png"
                        page.screenshot(path=str(path), full_page=True)
                        print(path)
                    context.close()
            browser.close()
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    main(
        Path(sys.argv[1] if len(sys.argv) > 1 else "site"),
        Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots"),
    )
