"""The 适老化 (large type, high contrast) mode in a real browser: a keyboard-reachable
button, remembered across pages in localStorage, no pop-ups. Skipped without Chromium."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator

import pytest
from site_demo import Demo, demo

__all__ = ["demo"]
pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(demo: Demo) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(demo.site))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_elder_mode_by_keyboard_and_remembered(base_url: str, demo: Demo):
    from playwright.sync_api import sync_playwright

    record = demo.result.published("xzcf").row(0, named=True)["_id"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{base_url}xzcf/{record}/")
        size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        # Tab from the top: skip link, brand, search box, search button, then the mode button.
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.className") == "xy-elder-btn":
                break
        assert page.evaluate("document.activeElement.className") == "xy-elder-btn"
        assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "false"
        page.keyboard.press("Enter")
        assert page.evaluate("document.documentElement.classList.contains('xy-elder')")
        assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"
        bigger = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert bigger > size * 1.2
        # Remembered on the next page (a MkDocs page), without a flash of the small type.
        page.goto(f"{base_url}guide/repair/")
        assert page.evaluate("document.documentElement.classList.contains('xy-elder')")
        assert page.evaluate("localStorage.getItem('xy-elder')") == "1"
        page.click(".xy-elder-btn")
        assert not page.evaluate("document.documentElement.classList.contains('xy-elder')")
        assert dialogs == []
        assert all(u.startswith(base_url) for u in requests), requests
        browser.close()
