"""Subject pages and 信用报告 rendered in chunks by worker processes: the same bytes as
rendered inline, every subject once, the render cache's kept files left alone."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from site_demo import Demo, demo

from generator.columns import SUBJECT
from generator.site.pages import Pages
from generator.site.subject import (
    SUBJECT_FILES,
    Renderer,
    subject_chunk,
    subject_dir,
    subject_job,
    subject_tasks,
)
from generator.web.chrome import Chrome
from generator.web.model import Dataset, prepare, subjects
from generator.web.templating import environment
from generator.web.writer import TreeWriter

__all__ = ["demo"]


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def setup(demo: Demo) -> tuple[list[Dataset], Chrome, pl.DataFrame]:
    published = demo.result.view(demo.config)
    today = demo.result.today
    datasets = [prepare(published.frame(s.id), s, today) for s in published.kinds]
    return datasets, Chrome(demo.config, "assets/stylesheets/main.css"), subjects(datasets)


def render(demo: Demo, out: Path, workers: int) -> tuple[Pages, int]:
    datasets, chrome, table = setup(demo)
    writer = TreeWriter(out, None)
    pages = Pages(chrome, writer, demo.result.today)
    n = pages.subjects(table, datasets, workers=workers, scratch=out.parent / f"s{workers}")
    return pages, n


def test_worker_processes_write_the_same_pages_as_inline(demo: Demo, tmp_path: Path):
    inline, n1 = render(demo, tmp_path / "inline", 1)
    pooled, n2 = render(demo, tmp_path / "pooled", 2)  # a process pool, four chunks
    one, two = files(tmp_path / "inline"), files(tmp_path / "pooled")
    assert n1 == n2 > 4 and len(one) == 2 * n1
    assert one == two
    assert inline.urls == pooled.urls and len(inline.urls) == 2 * n1
    assert pooled.writer.counts.files == 2 * n2  # the workers' counts reach the writer
    assert not (tmp_path / "s2").exists() or not list((tmp_path / "s2").iterdir())


def test_chunks_keep_subjects_whole_and_skip_kept_files(demo: Demo, tmp_path: Path):
    datasets, chrome, _ = setup(demo)
    table = table_of(datasets)
    keys = table.get_column(SUBJECT).unique(maintain_order=True).to_list()
    kept = {f"{subject_dir(keys[0])}{SUBJECT_FILES[1]}", f"{subject_dir(keys[-1])}index.html"}
    job = subject_job(datasets, chrome, demo.result.today)
    out = tmp_path / "site"
    writer = TreeWriter(out, None)
    tasks = list(subject_tasks(job, table, kept, writer, tmp_path / "scratch", 3))
    assert len(tasks) == -(-len(keys) // 3)
    seen: list[str] = []
    for task in tasks:
        part = pl.read_ipc(task[1]).get_column(SUBJECT).unique(maintain_order=True).to_list()
        assert len(part) <= 3
        seen += part
        counts = subject_chunk(task)
        assert counts.files == 2 * len(part) - len(task[2])
    assert seen == keys  # every subject in exactly one chunk, in order
    assert sorted(t for task in tasks for t in task[2]) == sorted(kept)
    written = set(files(out))
    assert written.isdisjoint(kept) and len(written) == 2 * len(keys) - 2


def table_of(datasets: list[Dataset]) -> pl.DataFrame:
    return subjects(datasets).select(
        SUBJECT,
        "_ds",
        "_id",
        "_t0",
        "_t1",
        "_dept",
        pl.col("_date").dt.strftime("%Y年%-m月%-d日").fill_null(""),
        pl.col("_until").fill_null(""),
        "_html",
        "_name",
    )


def test_pre_escaped_rendering_gives_jinjas_own_bytes(demo: Demo):
    """The fast way (values escaped beforehand, no autoescape) writes exactly what
    autoescaping Jinja writes, markup in names and facts included."""
    datasets, chrome, _ = setup(demo)
    table = table_of(datasets)
    assert table.filter(pl.col("_name").str.contains("<b>")).height  # a hostile name
    r = Renderer(subject_job(datasets, chrome, demo.result.today))
    assert r.fast
    fast, slow = list(r._pages(table, True)), list(r._pages(table, False))
    assert fast == slow and len(fast) == table.get_column(SUBJECT).n_unique()
    assert any(b"&lt;b&gt;" in page for _, pages in fast for page in pages)


def test_a_template_the_fast_way_cannot_follow_is_rendered_by_jinja(demo: Demo):
    """A template that measures a value (length of an escaped name differs) fails the
    probe: every page is then rendered with autoescape."""
    datasets, chrome, _ = setup(demo)
    r = Renderer(subject_job(datasets, chrome, demo.result.today))
    source = "{{ name | length }} {{ name }}"
    r.safe = (environment().from_string(source),) * 2
    r.raw = (environment().overlay(autoescape=False).from_string(source),) * 2
    assert not r._agrees()
