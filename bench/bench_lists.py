"""Benchmark the list pages alone (Pages.dataset_lists): first build, a 1 % drop, unchanged.

The pipeline runs once over the sample drop and its published rows are cached as Parquet
(not timed). Then, in this process, with the render cache of a real build:

1. first build: every dataset's list pages into an empty tree;
2. a 1 % drop: 0.3 % of each kind's records withdrawn, 0.3 % edited (title), 0.4 % added
   (dated today), rendered against the first tree;
3. an unchanged rebuild against the second tree.

For each: wall seconds, pages rendered and kept. `--executor process` renders on a local
process pool (as `generator build --executor process`).

    .venv/bin/python bench/bench_lists.py [--data bench/out/sample-100000] [--executor process]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import Executor
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.columns import ID  # noqa: E402
from generator.config import Config, load_config  # noqa: E402
from generator.executors import executor  # noqa: E402

TODAY = dt.date(2026, 11, 22)
SHARE = {"withdrawn": 0.003, "edited": 0.003, "added": 0.004}


def published(data: Path, cache: Path, config: Config) -> dict[str, pl.DataFrame]:
    """Each kind's published rows, from the Parquet cache or one pipeline run."""
    from generator.pipeline import run
    from generator.published import published_view

    if not (cache / ".complete").exists():
        start = time.perf_counter()
        result = run(data, config, TODAY)
        view = published_view(result.records, config, TODAY)
        cache.mkdir(parents=True, exist_ok=True)
        for kind, frame in view.frames.items():
            frame.write_parquet(cache / f"{kind}.parquet")
        (cache / ".complete").write_text("ok\n", encoding="utf-8")
        print(f"pipeline in {time.perf_counter() - start:.1f} s (not part of the figures)")
    return {s.id: pl.read_parquet(cache / f"{s.id}.parquet") for s in config.datasets()}


def drop(frames: dict[str, pl.DataFrame], config: Config) -> dict[str, pl.DataFrame]:
    """The 1 % drop: withdrawals, title edits and additions dated today, per kind."""
    out = {}
    for schema in config.datasets():
        frame = frame0 = frames[schema.id]
        n = frame.height
        k = {what: max(1, int(n * share)) for what, share in SHARE.items()} if n else {}
        if not n:
            out[schema.id] = frame
            continue
        rng = pl.int_range(n, eager=True).shuffle(seed=7)
        gone = set(rng[: k["withdrawn"]].to_list())
        edit = rng[k["withdrawn"] : k["withdrawn"] + k["edited"]]
        title = next((t for t in schema.title if t in frame.columns), None)
        pos = pl.int_range(n).alias("_pos")
        frame = frame.with_columns(pos)
        if title and frame.schema[title] == pl.Utf8:
            hit = pl.col("_pos").is_in(edit.to_list())
            frame = frame.with_columns(
                pl.when(hit).then(pl.col(title) + "（更正）").otherwise(pl.col(title)).alias(title)
            )
        frame = frame.filter(~pl.col("_pos").is_in(list(gone))).drop("_pos")
        new = frame0.sample(k["added"], seed=11).with_columns(
            (pl.lit("ffff") + pl.col(ID).str.slice(4)).alias(ID)
        )
        date = schema.role("date")
        if date:
            new = new.with_columns(pl.lit(TODAY).cast(frame.schema[date]).alias(date))
        out[schema.id] = pl.concat([frame, new.select(frame.columns)])
    return out


def build(
    config: Config, frames: dict[str, pl.DataFrame], new: Path, prev: Path | None, work: Path,
    pool: Executor | None,
) -> tuple[float, float, int, int]:  # fmt: skip
    """List pages of every kind into `new`: prepare seconds, list seconds, rendered, kept."""
    from generator.site.pages import Pages
    from generator.web.cache import site_cache
    from generator.web.chrome import Chrome
    from generator.web.model import prepare
    from generator.web.urls import feed_rel
    from generator.web.writer import TreeWriter

    start = time.perf_counter()
    css = "assets/stylesheets/main.css"
    chrome = Chrome(config, css)
    writer = TreeWriter(new, prev, track=True)
    writer.cache = site_cache(work, config, css)
    datasets = [prepare(frames[s.id], s, TODAY) for s in config.datasets()]
    pages = Pages(chrome, writer, TODAY, feed=feed_rel)
    mid = time.perf_counter()
    for ds in datasets:
        pages.dataset_lists(ds, pool)
    end = time.perf_counter()
    writer.cache.save(writer.counts.stamps)
    kept = writer.cache.kept.get("lists", 0)
    return mid - start, end - mid, writer.counts.files - kept, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "bench/out/sample-100000")
    parser.add_argument("--executor", default="inline")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = load_config(ROOT / "site.yml")
    cache = Path(tempfile.gettempdir()) / f"bench-lists-{args.data.name}"
    frames = published(args.data, cache, config)
    n = sum(f.height for f in frames.values())
    print(f"{n:,} published records; executor {args.executor}; load {os.getloadavg()[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    try:
        with executor(args.executor, args.workers) as pool:
            prev = None
            runs = [("first build", frames), ("1 % drop", drop(frames, config))]
            runs.append(("unchanged", runs[1][1]))
            for i, (name, data) in enumerate(runs):
                tree = tmp / f"tree{i}"
                prep, wall, rendered, kept = build(config, data, tree, prev, tmp / "work", pool)
                print(
                    f"{name:<12} lists {wall:6.1f} s (prepare {prep:5.1f} s): "
                    f"{rendered:,} pages rendered, {kept:,} kept"
                )
                prev = tree
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
