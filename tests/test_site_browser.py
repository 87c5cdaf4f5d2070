"""The 适老化 (large type, high contrast) mode in a real browser: a keyboard-reachable
button, remembered across pages in localStorage, no pop-ups. Uses the harness in
tests/fixtures/browser.py (skipped without Chromium, failing under CI)."""

from __future__ import annotations

import pytest
from site_demo import Demo, demo

__all__ = ["demo"]
pytestmark = pytest.mark.browser


def test_elder_mode_by_keyboard_and_remembered(page, base_url: str, demo: Demo):
    record = demo.result.published("xzcf").row(0, named=True)["_id"]
    dialogs, requests = page.dialogs, page.requests
    if True:
        page.goto(f"{base_url}xzcf/{record}.html")
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


CONTRAST_JS = """() => {
  const lum = c => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = el => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor;
    if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const s = getComputedStyle(el);
    if (!own || s.visibility === 'hidden' || s.display === 'none' || el.closest('[hidden]')) continue;
    if (el.getBoundingClientRect().width === 0 || el.closest('.xy-skip')) continue;
    const a = lum(s.color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) out.push([el.tagName, el.className, el.textContent.trim().slice(0, 20), ratio.toFixed(2)]);
  }
  return out;
}"""


@pytest.mark.parametrize("elder", [False, True])
def test_text_contrast_at_least_4_5(page, base_url: str, demo: Demo, elder: bool):
    record = demo.result.published("xzcf").row(0, named=True)["_id"]
    urls = [
        "",
        f"xzcf/{record}.html",
        "xzcf/",
        "policies/leshan-lefubanfa-2017-9/",
        "guide/repair/",
    ]
    if True:
        page.goto(base_url)
        page.evaluate(f"localStorage.setItem('xy-elder', '{int(elder)}')")
        low = {}
        for url in urls:
            page.goto(base_url + url)
            if found := page.evaluate(CONTRAST_JS):
                low[url] = found
    assert low == {}
