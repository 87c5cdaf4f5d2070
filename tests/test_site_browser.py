"""The 适老化 (large type, high contrast) mode in a real browser: a keyboard-reachable
button, remembered across pages in localStorage, no pop-ups; every page type at phone and
desktop width in both modes; the 信用报告 printed to PDF; the 异议申请表. Uses the harness
in tests/fixtures/browser.py (skipped without Chromium, failing under CI)."""

from __future__ import annotations

import io
import re
from typing import Any

import polars as pl
import pytest
from browser import LAYOUT_JS, VIEWPORTS, page_types
from site_demo import BUSY_CODE, BUSY_NOS, Demo, demo

__all__ = ["demo"]

SETTLED = (
    "() => document.fonts.ready.then(() => new Promise("
    "r => requestAnimationFrame(() => requestAnimationFrame(r))))"
)
pytestmark = pytest.mark.browser
SEARCH_DONE = "() => /找到|没有/.test(document.getElementById('xy-status').textContent)"


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


# ---------------------------------------------------------------- every page type


def _console(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_every_page_type_fits_and_runs_clean(
    page, credit_url: str, demo: Demo, width: str, elder: bool
):
    """Served from /credit/: no page scrolls sideways, the pager is one row, no console
    error, no request off the host, for every page type, phone and desktop, both modes."""
    page.set_viewport_size(VIEWPORTS[width])
    errors = _console(page)
    page.goto(credit_url)
    page.evaluate(f"localStorage.setItem('xy-elder', '{int(elder)}')")
    types = page_types(demo.site)
    assert {"report", "list-page2", "404", "downloads", "guide"} <= set(types)
    bad = {}
    for name, url in types.items():
        errors.clear()
        page.goto(credit_url + url)
        if url.startswith("search/"):
            page.wait_for_function(SEARCH_DONE)
        page.evaluate(SETTLED)  # fonts loaded and the results laid out, not mid-render
        found = page.evaluate(LAYOUT_JS)
        if found["overflow"] > 0 or found["pager_lines"] > 1 or errors:
            bad[name] = (found, errors[:3])
        if name == "list-page2":
            assert found["pager_lines"] == 1
        assert page.evaluate("document.documentElement.classList.contains('xy-elder')") == elder
    assert bad == {}, repr(bad)  # in full: which element sticks out, by how many pixels
    assert all(u.startswith(credit_url) or u.startswith("data:") for u in page.requests)


def test_report_prints_to_a4_pdf(page, credit_url: str, demo: Demo):
    """A subject with 50 penalties: Chromium prints its 信用报告 to an A4 PDF of several
    pages, without the site's header and menu, and the text reads back."""
    from pypdf import PdfReader

    from generator.site.subject import report_number
    from generator.web.urls import subject_slug

    page.goto(f"{credit_url}subject/{subject_slug(BUSY_CODE)}/credit-report/")
    assert page.is_visible("[data-xy-print]")  # the 打印 button, shown by site.js
    page.emulate_media(media="print")
    for chrome in (
        ".xy-header",
        ".xy-nav",
        ".xy-qs",
        ".xy-elder-btn",
        ".xy-footer",
        "[data-xy-print]",
    ):
        assert not page.is_visible(chrome), chrome
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    assert len(pdf.pages) >= 3
    box = pdf.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4 in pt
    # pypdf may break a line or put a space inside a word: compare without white space.
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pdf.pages))
    assert "\ufb00" not in text  # no "ff" ligature: a code copied from the PDF stays a code
    assert report_number(BUSY_CODE, demo.result.today) in text
    ids = demo.result.published("xzcf").filter(pl.col("wsh").is_in(BUSY_NOS)).get_column("_id")
    assert len(ids) == 50
    assert [rid for rid in ids if rid not in text] == []
    if "报告" in text:  # a CJK font is installed (CI): the 文号 read back too
        assert all(no in text for no in BUSY_NOS)


def _qr_text(element: Any) -> list[str]:
    """What zxing-cpp reads on a screenshot of `element`."""
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(element.screenshot()))
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_report_qr_code_reads_as_the_reports_address(page, browser, credit_url: str):
    """The 信用报告's QR code, drawn in the browser (vendored qrcode-generator, no request
    off the site), reads back as the address printed beside it, on screen and in print;
    with JavaScript off there is no code, and the address is still printed."""
    from generator.web.urls import subject_slug

    url = f"{credit_url}subject/{subject_slug(BUSY_CODE)}/credit-report/"
    page.goto(url)
    box = page.locator(".xy-verify [data-xy-qr]")
    printed = page.locator(".xy-verify p a").get_attribute("href")
    assert printed == box.get_attribute("data-xy-qr") and printed.endswith(
        f"/subject/{subject_slug(BUSY_CODE)}/credit-report/"
    )
    page.wait_for_selector(".xy-verify [data-xy-qr] svg")
    assert page.locator(".xy-verify svg").get_attribute("aria-label")
    assert _qr_text(box) == [printed]
    page.emulate_media(media="print")
    assert page.is_visible(".xy-verify svg")
    assert _qr_text(box) == [printed]
    assert all(u.startswith(credit_url) for u in page.requests)
    context = browser.new_context(java_script_enabled=False)
    try:
        off = context.new_page()
        off.goto(url)
        assert off.locator(".xy-verify svg").count() == 0
        assert off.locator(".xy-verify p a").get_attribute("href") == printed
    finally:
        context.close()


def test_objection_form_is_filled_from_the_record_link(page, credit_url: str, demo: Demo):
    record = demo.result.published("xzcf").row(0, named=True)
    page.goto(f"{credit_url}xzcf/{record['_id']}.html")
    page.click("a[href*='objection/?r=']")
    assert page.text_content("#xy-f-id") == record["_id"]
    assert page.text_content("#xy-f-url").endswith(f"/xzcf/{record['_id']}.html")
    page.wait_for_function("document.getElementById('xy-f-title').textContent.trim() !== ''")
    assert page.text_content("#xy-f-title") == page.evaluate(
        f"fetch('{credit_url}xzcf/{record['_id']}.html').then(r => r.text())"
        ".then(t => new DOMParser().parseFromString(t, 'text/html').querySelector('h1').textContent)"
    )
    mail = page.get_attribute("#xy-mail", "href")
    assert mail.startswith("mailto:") and record["_id"] in mail
