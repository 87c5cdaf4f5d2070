"""Accessibility: axe-core (vendored in tests/vendor/axe-core) finds no WCAG 2.1 A/AA
violation on any page type (tests/fixtures/browser.py page_types: home, every list, a
record, a subject, its 信用报告, search, downloads, policies, cases, news, guides, 404 …),
served from /credit/, in normal and 适老化 mode, at desktop and phone width."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import VIEWPORTS, page_types
from site_demo import Demo, demo

__all__ = ["demo"]
pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page, url: str) -> list[tuple[str, str, list[str]]]:
    page.goto(url)
    if "search/" in url:
        page.wait_for_function(
            "() => /找到|没有/.test(document.getElementById('xy-status').textContent)"
        )
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        TAGS,
    )
    return [(v["id"], v["help"], [n["target"][0] for n in v["nodes"]][:3]) for v in found]


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_no_wcag_violations(page, credit_url: str, demo: Demo, elder: bool, width: str):
    page.set_viewport_size(VIEWPORTS[width])
    page.goto(credit_url)
    page.evaluate(f"localStorage.setItem('xy-elder', '{int(elder)}')")
    urls = list(page_types(demo.site).values())
    assert any(u.startswith("objection/?r=") for u in urls)
    found = {u: v for u in urls if (v := violations(page, credit_url + u))}
    assert found == {}
