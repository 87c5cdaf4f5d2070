"""Benchmark the subject pages and 信用报告 alone: `python bench/bench_subjects.py --data DROP`.

Runs the pipeline on a drop (kept in --work's cache, so a second run starts at once),
then times `Pages.subjects` writing every subject page and 信用报告 into a fresh tree with
the guard's scanner, as the build does (first build: no previous tree, no render cache).
Prints subjects, wall seconds, subjects/s and the load. `--workers 1` renders inline.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from generator.columns import SUBJECT  # noqa: E402
from generator.config import load_config  # noqa: E402
from generator.guard import Scanner  # noqa: E402
from generator.memo import run_cached  # noqa: E402
from generator.site.pages import Pages  # noqa: E402
from generator.web.chrome import Chrome  # noqa: E402
from generator.web.model import prepare, subjects  # noqa: E402
from generator.web.writer import TreeWriter  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 22))
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-subjects"))
    ap.add_argument("--workers", type=int, default=None, help="None: the build's default")
    ap.add_argument("--profile", action="store_true", help="cProfile the inline run")
    ap.add_argument("--limit", type=int, default=0, help="only the first N subjects")
    args = ap.parse_args()
    config = load_config(ROOT / "site.yml")
    start = time.perf_counter()
    result = run_cached(args.work / "cache", args.data, config, args.today)
    published = result.view(config)
    datasets = [prepare(published.frame(s.id), s, args.today) for s in published.kinds]
    table = subjects(datasets)
    if args.limit:
        first = table.get_column(SUBJECT).unique(maintain_order=True).head(args.limit)
        table = table.filter(pl.col(SUBJECT).is_in(first.implode()))
    print(f"pipeline + prepare: {time.perf_counter() - start:.1f} s")
    out = args.work / "site"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    writer = TreeWriter(out, None, Scanner(args.today), track=True)
    pages = Pages(Chrome(config, "assets/stylesheets/main.css"), writer, args.today)
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    if args.profile:
        prof = cProfile.Profile()
        n = prof.runcall(pages.subjects, table, datasets, workers=1)
    else:
        n = pages.subjects(table, datasets, workers=args.workers, scratch=args.work / "scratch")
    took = time.perf_counter() - start
    counts = writer.finish()
    cpu = time.process_time() - cpu + counts.cpu  # this process and the workers
    print(
        f"subjects: {n}, files {counts.files}, findings {len(counts.findings)}, "
        f"{took:.1f} s wall, {cpu:.1f} s CPU, {n / took:.0f} subjects/s, load before {load:.2f}, "
        f"after {os.getloadavg()[0]:.2f}"
    )
    if args.profile:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
