"""Serve the demo site under /credit/ with a real HTTP server and follow every link and
asset of every page: the site must work from any sub-path of any static host."""

from __future__ import annotations

import functools
import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser
from site_demo import Demo, demo, html_pages

__all__ = ["demo"]
PREFIX = "/credit/"
ATTRS = [
    ("a", "href"),
    ("link", "href"),
    ("script", "src"),
    ("img", "src"),
    ("form", "action"),
    ("iframe", "src"),
    ("source", "src"),
]


class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serve `directory` at /credit/ only, like a host that puts the site in a folder."""

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(PREFIX):
            return "/nonexistent"
        return super().translate_path("/" + path[len(PREFIX) :])

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(demo: Demo) -> Iterator[str]:
    handler = functools.partial(SubPathHandler, directory=str(demo.site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}{PREFIX}"
    httpd.shutdown()
    httpd.server_close()


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read(), resp.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        return exc.code, b"", ""


def links(html: bytes) -> Iterator[str]:
    tree = LexborHTMLParser(html.decode("utf-8"))
    for tag, attr in ATTRS:
        for node in tree.css(f"{tag}[{attr}]"):
            yield node.attributes[attr] or ""


def ids(html: bytes) -> set[str]:
    return {n.attributes["id"] or "" for n in LexborHTMLParser(html.decode("utf-8")).css("[id]")}


def test_every_link_and_asset_resolves_under_a_sub_path(server: str, demo: Demo):
    base = urlsplit(server)
    seen: set[str] = set()
    queue = [server]
    pages: dict[str, bytes] = {}
    external: set[str] = set()
    broken: list[tuple[str, str]] = []
    fragments: list[tuple[str, str, str]] = []
    while queue:
        url = queue.pop()
        status, body, ctype = fetch(url)
        if status != 200:
            broken.append((url, str(status)))
            continue
        if ctype != "text/html":
            continue
        pages[url] = body
        for href in links(body):
            target, frag = urldefrag(urljoin(url, href))
            parts = urlsplit(target)
            if parts.scheme in ("mailto", "tel"):
                continue
            if parts.netloc != base.netloc:
                # External: only checked to be absolute https, never fetched.
                assert parts.scheme == "https" and parts.netloc, (url, href)
                external.add(target)
                continue
            assert parts.path.startswith(PREFIX), f"{url} links outside the sub-path: {href}"
            if frag:
                fragments.append((url, target, frag))
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert broken == []
    # In-page anchors (skip links, table of contents) point at ids that exist.
    missing = [(u, t, f) for u, t, f in fragments if t in pages and unquote(f) not in ids(pages[t])]
    assert missing == []
    # Every HTML page written was reachable by following links.
    written = {p.relative_to(demo.site).as_posix() for p in html_pages(demo.site)}
    reached = {urlsplit(u).path[len(PREFIX) :] for u in pages}
    reached = {(r + "index.html") if r.endswith("/") or r == "" else r for r in reached}
    assert written - reached <= {"404.html"}
    assert "https://beian.miit.gov.cn/" in external and "https://www.beian.gov.cn/" in external


def test_no_third_party_requests(demo: Demo):
    """Assets (stylesheets, scripts, images, fonts) all come from the site itself."""
    for path in html_pages(demo.site):
        tree = LexborHTMLParser(path.read_text(encoding="utf-8"))
        for tag, attr in (("link", "href"), ("script", "src"), ("img", "src")):
            for node in tree.css(f"{tag}[{attr}]"):
                if tag == "link" and node.attributes.get("rel") in ("canonical", "prev", "next"):
                    continue
                value = node.attributes[attr] or ""
                if path.name == "404.html":
                    value = value.removeprefix(demo.config.site["site"]["url"])
                assert "//" not in value, (path, value)


def test_404_page_served(demo: Demo, server: str):
    assert (demo.site / "404.html").exists()
    assert fetch(server + "no/such/page/")[0] == 404


def test_pages_are_found_from_the_sitemap(demo: Demo):
    """Every page but 404.html and the search page: folders' index.html and record pages."""
    text = (demo.site / "sitemap.xml").read_text(encoding="utf-8")
    pages = [p for p in html_pages(demo.site) if p.name != "404.html" and "search" not in p.parts]
    assert any(p.name != "index.html" for p in pages)  # <dataset>/<id>.html
    assert text.count("<loc>") == len(pages)
