"""Accessibility: axe-core (vendored in tests/vendor/axe-core) finds no WCAG 2.1 A/AA
violation on the home, list, record, subject, search and a policy page, in normal and
适老化 mode, at desktop and phone width."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import PHONE
from site_demo import Demo, demo

__all__ = ["demo"]
pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def urls(demo: Demo) -> list[str]:
    record = demo.result.published("xzcf").sort("_id").row(0, named=True)
    subject = next((demo.site / "subject").iterdir()).name
    return [
        "",
        "xzcf/",
        f"xzcf/{record['_id']}.html",
        f"subject/{subject}/",
        "search/?q=%E9%A3%9F%E5%93%81",
        "policies/leshan-lefubanfa-2017-9/",
    ]


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
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_no_wcag_violations(page, base_url: str, demo: Demo, elder: bool, width: str):
    if width == "phone":
        page.set_viewport_size(PHONE)
    page.goto(base_url)
    page.evaluate(f"localStorage.setItem('xy-elder', '{int(elder)}')")
    found = {u: v for u in urls(demo) if (v := violations(page, base_url + u))}
    assert found == {}
