"""Benchmark the record pages: `python bench/bench_render.py [--records 100000 1000000]`.

Records: generator/sample.py's drop (120 000 rows) run through the whole pipeline; its
published frames are tiled with fresh record ids up to the requested number of published
records (same columns and values: running sample + pipeline at 1 M is bench_check's job).
Prints record pages/s (render + write, and render only), HTML bytes per record page, peak
RSS, and Material for MkDocs building 1 000 of the same records as Markdown pages.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.config import load_config  # noqa: E402
from generator.pipeline import run  # noqa: E402
from generator.sample import write_sample  # noqa: E402
from generator.site.records import (  # noqa: E402
    job_for,
    record_href,
    render_records,
    render_rows,
)
from generator.web.chrome import Chrome  # noqa: E402
from generator.web.model import Dataset, display_columns, prepare  # noqa: E402
from generator.web.writer import TreeWriter  # noqa: E402

TODAY = dt.date(2026, 11, 22)
MATERIAL_PAGES = 1000
SAMPLE_ROWS = 120_000


class TreeRSS:
    """Peak of the summed RSS of this process and its children, sampled every 0.1 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a worker that just exited
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(0.1)

    def __enter__(self) -> TreeRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main_peak_mb() -> float:
    """Peak RSS of this process alone (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class NullWriter(TreeWriter):
    """Counts bytes instead of writing: the rendering cost alone."""

    def __init__(self) -> None:
        super().__init__(Path("/nonexistent"), None)
        self.bytes = 0

    def write(self, rel: str, data: bytes) -> None:
        self.bytes += len(data)
        self.counts.files += 1


def published(records: int, work: Path) -> tuple[dict[str, pl.DataFrame], float]:
    data = work / "data"
    write_sample(data, records=records, seed=0, anchor=TODAY)
    config = load_config(ROOT / "site.yml")
    start = time.perf_counter()
    result = run(data, config, TODAY)
    took = time.perf_counter() - start
    shutil.rmtree(data)
    return {ds: result.published(ds) for ds in result.records}, took


def scale(frames: dict[str, pl.DataFrame], n: int) -> dict[str, pl.DataFrame]:
    """Exactly `n` published records in the sample's proportions, with unique record ids."""
    have = sum(f.height for f in frames.values())
    factor = -(-n // have)
    out = {}
    for ds, f in frames.items():
        want = round(n * f.height / have)
        big = pl.concat([f] * factor).head(want) if factor > 1 else f.head(want)
        ids = [hashlib.sha256(f"{ds}{i}".encode()).hexdigest()[:16] for i in range(big.height)]
        out[ds] = big.with_columns(pl.Series("_id", ids))
    return out


def datasets(frames: dict[str, pl.DataFrame]) -> tuple[list[Dataset], Chrome]:
    config = load_config(ROOT / "site.yml")
    chrome = Chrome(config, "assets/stylesheets/main.css")
    return [prepare(frames[s.id], s) for s in config.datasets()], chrome


def jobs(dss: list[Dataset], chrome: Chrome) -> list:
    return [(ds, job_for(ds, chrome)) for ds in dss]


def bench_records(frames: dict[str, pl.DataFrame], out: Path, workers: int) -> dict[str, float]:
    start = time.perf_counter()
    dss, chrome = datasets(frames)
    prep = time.perf_counter() - start
    items = jobs(dss, chrome)
    n = sum(d.count for d in dss)
    # Render only, one process, on a sample of 20 000 pages.
    null = NullWriter()
    sample = 20_000
    start = time.perf_counter()
    left = sample
    for ds, job in items:
        take = min(left, ds.count)
        render_rows(job, ds.frame.head(take), null)
        left -= take
    render_only = null.counts.files / (time.perf_counter() - start)
    # Render and write every page to disk, `workers` processes.
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    writer = TreeWriter(out, None)
    start = time.perf_counter()
    with TreeRSS() as rss:
        counts = render_records(items, writer, out.parent / "scratch", workers)
    took = time.perf_counter() - start
    written = counts.files + writer.counts.files
    assert written == n, (written, n)
    total = sum(
        os.path.getsize(out / record_href(ds.id, r))
        for ds in dss
        for r in ds.frame["_id"].head(2000)
    )
    # Record pages are flat files: the only folders are the datasets' own.
    assert set(os.listdir(out)) <= {ds.id for ds in dss}
    assert all(entry.is_file() for ds in dss for entry in os.scandir(out / ds.id))
    sampled = sum(min(2000, ds.count) for ds in dss)
    return {
        "records": n,
        "prepare_s": prep,
        "write_s": took,
        "pages_s": n / took,
        "render_only_s": render_only,
        "per_cpu_s": counts.files / counts.cpu if counts.cpu else 0.0,
        "tree_mb": rss.peak / 2**20,
        "bytes": total / sampled,
    }


def bench_material(frames: dict[str, pl.DataFrame], work: Path) -> dict[str, float]:
    """Material for MkDocs building MATERIAL_PAGES records as Markdown: pages/s and bytes/page.

    Two yardsticks: with no `nav` every page carries a menu of all MATERIAL_PAGES pages
    (what Material does to a folder of record pages: O(pages²) bytes); with a one-entry
    `nav` the pages are as small as ours, which is the fair comparison.
    """
    config = load_config(ROOT / "site.yml")
    docs = work / "mkdocs" / "docs"
    docs.mkdir(parents=True)
    per = MATERIAL_PAGES // len(frames) + 1
    written = 0
    for schema in config.datasets():
        cols = display_columns(schema)
        for row in frames[schema.id].head(per).iter_rows(named=True):
            if written == MATERIAL_PAGES:
                break
            lines = [f"# {row[cols[0][0]]}", "", "| 字段 | 内容 |", "|---|---|"]
            lines += [f"| {label} | {row[key]} |" for key, label, _ in cols if row[key] is not None]
            (docs / f"{schema.id}-{row['_id']}.md").write_text("\n".join(lines), encoding="utf-8")
            written += 1
    (docs / "index.md").write_text("# bench\n", encoding="utf-8")
    out: dict[str, float] = {}
    for label, nav in (("no_nav", ""), ("one_nav", "nav:\n  - index.md\n")):
        site = work / "mkdocs" / f"site-{label}"
        (work / "mkdocs" / "mkdocs.yml").write_text(
            "site_name: bench\ntheme:\n  name: material\n  language: zh\n  font: false\n"
            f"plugins: []\nmarkdown_extensions: [tables]\nsite_dir: {site}\n{nav}",
            encoding="utf-8",
        )
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "build",
                "-q",
                "-f",
                str(work / "mkdocs" / "mkdocs.yml"),
            ],
            check=True,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )
        out[f"{label}_pages_s"] = written / (time.perf_counter() - start)
        pages = [p for p in site.rglob("index.html") if p.parent != site]
        out[f"{label}_bytes"] = sum(p.stat().st_size for p in pages) / max(1, len(pages))
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--out",
        type=Path,
        default=ROOT / "build" / "bench-render",
        help="where pages are written (a disk, like a real build)",
    )
    p.add_argument("--skip-material", action="store_true", help="skip the MkDocs comparison")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    try:
        frames, pipeline_s = published(SAMPLE_ROWS, work)
        print(
            f"pipeline: sample of {SAMPLE_ROWS:,} rows → "
            f"{sum(f.height for f in frames.values()):,} published in {pipeline_s:.1f} s"
        )
        material = {} if args.skip_material else bench_material(frames, work)
        for n in args.records:
            r = bench_records(scale(frames, n), args.out / str(n), args.workers)
            print(
                f"records {n:,} (into {args.out}): {int(r['records']):,} record pages in {r['write_s']:.1f} s "
                f"= {r['pages_s']:,.0f} pages/s written ({args.workers} workers); "
                f"workers' CPU: {r['per_cpu_s']:,.0f} pages per CPU-second; "
                f"render only {r['render_only_s']:,.0f} pages/s/core; "
                f"{r['bytes']:,.0f} B HTML/record page; prepare {r['prepare_s']:.1f} s; "
                f"peak RSS {main_peak_mb():,.0f} MB main process, "
                f"{r['tree_mb']:,.0f} MB main + workers while rendering"
            )
            for label, what in (("no_nav", "no nav"), ("one_nav", "one-entry nav")):
                if material:
                    rate = material[f"{label}_pages_s"]
                    print(
                        f"  Material for MkDocs, {what}: {rate:,.0f} pages/s "
                        f"({MATERIAL_PAGES:,} Markdown pages, {material[f'{label}_bytes'] / 1024:,.0f} KiB/page); "
                        f"ratio ours/Material = {r['pages_s'] / rate:,.0f}×"
                    )
            shutil.rmtree(args.out / str(n), ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
