"""List pages: content-defined page boundaries, counts on first pages only, the render
cache on a drop, and the same bytes on any executor."""

from __future__ import annotations

import random
import re
from concurrent.futures import Executor
from pathlib import Path

import polars as pl
import site_demo
from site_demo import Demo, parse

from generator.columns import ID
from generator.executors import PROCESS, executor
from generator.site import pages as pages_module
from generator.site.pages import PAGE_MAX, PAGE_MIN, Pages, _starts
from generator.web.cache import site_cache
from generator.web.chrome import Chrome
from generator.web.model import prepare
from generator.web.urls import feed_rel
from generator.web.writer import TreeWriter

CSS = "assets/stylesheets/main.css"
demo = site_demo.demo  # the demo site: a session fixture


def _pages(marks: list[bool], ids: list[int]) -> list[tuple[int, ...]]:
    starts = _starts(marks)
    return [tuple(ids[a:b]) for a, b in zip(starts, [*starts[1:], len(ids)], strict=True)]


def test_page_sizes_stay_within_bounds():
    rng = random.Random(1)
    for n, p in [(0, 0.1), (7, 0.5), (1000, 1 / 32), (1000, 0.0), (1000, 1.0)]:
        marks = [rng.random() < p for _ in range(n)]
        starts = _starts(marks)
        sizes = [b - a for a, b in zip(starts, [*starts[1:], n], strict=True)]
        assert starts[0] == 0 and sum(sizes) == n
        assert all(s <= PAGE_MAX for s in sizes)
        assert all(s >= PAGE_MIN for s in sizes[:-1])


def test_a_record_added_or_taken_out_moves_only_nearby_pages():
    rng = random.Random(2)
    n = 5000
    marks = [rng.random() < 1 / 32 for _ in range(n)]
    ids = list(range(n))
    before = _pages(marks, ids)
    assert len(before) > 60
    for _ in range(20):
        i = rng.randrange(n)
        gone = _pages(marks[:i] + marks[i + 1 :], ids[:i] + ids[i + 1 :])
        added = _pages(marks[:i] + [rng.random() < 0.5] + marks[i:], ids[:i] + [-1] + ids[i:])
        for after in (gone, added):
            assert len(set(before) ^ set(after)) <= 6  # the pages around i, before and after


def _lists(
    demo: Demo,
    frames: dict[str, pl.DataFrame],
    new: Path,
    prev: Path | None,
    work: Path,
    pool: Executor | None = None,
) -> TreeWriter:
    """Every kind's list pages into `new` (with the render cache kept in `work`)."""
    config = demo.config
    writer = TreeWriter(new, prev, track=True)
    writer.cache = site_cache(work, config, CSS)
    pages = Pages(Chrome(config, CSS), writer, demo.result.today, feed=feed_rel)
    for schema in config.datasets():
        pages.dataset_lists(prepare(frames[schema.id], schema, demo.result.today), pool)
    writer.cache.save(writer.counts.stamps)
    return writer


def _frames(demo: Demo) -> dict[str, pl.DataFrame]:
    return {s.id: demo.result.published(s.id) for s in demo.config.datasets()}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_pages_are_the_same_bytes_on_a_process_pool(demo: Demo, tmp_path, monkeypatch):
    monkeypatch.setattr(pages_module, "BATCH", 3)  # several tasks even for the demo
    frames = _frames(demo)
    _lists(demo, frames, tmp_path / "inline", None, tmp_path / "w1")
    with executor(PROCESS, 2) as pool:
        _lists(demo, frames, tmp_path / "pool", None, tmp_path / "w2", pool)
    inline, pooled = _tree(tmp_path / "inline"), _tree(tmp_path / "pool")
    assert len(inline) > 20 and inline == pooled


def test_a_withdrawal_re_renders_only_the_pages_near_it(demo: Demo, tmp_path):
    frames = _frames(demo)
    first = _lists(demo, frames, tmp_path / "a", None, tmp_path / "w")
    big = max(frames, key=lambda k: frames[k].height)
    ds = prepare(
        frames[big], next(s for s in demo.config.datasets() if s.id == big), demo.result.today
    )
    gone = ds.frame.get_column(ID)[ds.count // 2]  # a record in the middle of the list
    frames[big] = frames[big].filter(pl.col(ID) != gone)
    second = _lists(demo, frames, tmp_path / "b", tmp_path / "a", tmp_path / "w")
    assert second.cache is not None and first.cache is not None
    rendered = second.counts.files - second.cache.kept["lists"]
    # The kind's first page (its count) and its facet lists' first pages, and the pages
    # that held the record: not the other pages.
    facet_lists = sum(len(f.values) for f in ds.facets)
    assert 0 < rendered <= 1 + facet_lists + 2 * (1 + 3)
    assert abs(second.counts.files - first.counts.files) <= 4
    # The result equals a clean build of the same data, byte for byte.
    _lists(demo, frames, tmp_path / "clean", None, tmp_path / "w-clean")
    assert _tree(tmp_path / "b") == _tree(tmp_path / "clean")
    # Unchanged: nothing rendered.
    third = _lists(demo, frames, tmp_path / "c", tmp_path / "b", tmp_path / "w")
    assert third.cache is not None and third.counts.files == third.cache.kept["lists"]


def test_counts_on_first_pages_only(demo: Demo):
    first = parse(demo.site / "xzxk" / "index.html")
    assert re.search(r"共 \d+ 条", first.text())
    assert any(re.search(r"（\d+）$", a.text()) for a in first.css(".xy-facets a"))
    later = [d for d in (demo.site / "xzxk" / "p").iterdir()]
    assert later
    for d in later:
        page = parse(d / "index.html")
        text = page.text()
        assert "共 " not in text and "总条数见" in text
        assert not any(re.search(r"（\d+）$", a.text()) for a in page.css(".xy-facets a"))
        assert re.search(r"本页记录日期：\d{4}年", text)
        title = page.css_first("title").text()
        assert "（" in title and "年" in title


def test_pager_walks_the_whole_list_once(demo: Demo):
    """下一页 from the first page reaches every record once, newest first; 末页 is the last."""
    root = demo.site / "xzxk"
    seen: list[str] = []
    page = root / "index.html"
    last = None
    while True:
        tree = parse(page)
        seen += [a.attributes["href"].rsplit("/", 1)[1] for a in tree.css("td.xy-name-cell a")]
        nxt = tree.css_first("a[rel=next]")
        if last is None and nxt is not None:
            last = (
                page.parent / tree.css_first(".xy-pages li.xy-far a").attributes["href"]
            ).resolve()
        if nxt is None:
            break
        page = (page.parent / nxt.attributes["href"] / "index.html").resolve()
    n = demo.result.published("xzxk").height
    assert len(seen) == len(set(seen)) == n
    assert last is not None and page.parent == last
