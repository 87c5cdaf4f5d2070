"""Benchmark the 信用监测 stage (generator/monitor) at 1 000 000 sample rows.

Target on the 2-core reference machine: the stage adds ≤ 10 % to a build. It is compared
with the pipeline (load → validate → identity → disclose → mask) measured in the same run,
which is only part of a build (site, open data and search come on top), so the share
printed here is an upper bound of the stage's share of the whole build.

The previous ledger is synthetic: every published record first seen 0–20 days after its
decision, the ledger started a year before, so that every record is timed.

With --build it also runs one whole `generator build` of the same drop and reports the
stage's share of the build's wall time (the seconds on the build's `monitor:` line).

    .venv/bin/python bench/bench_monitor.py [--records 1000000] [--build]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from bench_check import ROOT, TODAY, sample  # noqa: E402

from generator.config import load_config  # noqa: E402
from generator.disclose import PUBLISHED  # noqa: E402
from generator.monitor import Monitor  # noqa: E402
from generator.monitor.charts import monthly_bars  # noqa: E402
from generator.opendata.ledger import SCHEMA, write_ledger  # noqa: E402
from generator.pipeline import run  # noqa: E402
from generator.web.chrome import Chrome  # noqa: E402
from generator.web.writer import TreeWriter  # noqa: E402

TARGET_SHARE = 0.10


def synthetic_ledger(result, config) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    """`added` events for every published record, 0–20 days after its decision."""
    parts = []
    for schema in config.datasets():
        date = schema.role("date")
        frame = result.records[schema.id].filter(pl.col("_status") == PUBLISHED)
        parts.append(
            frame.select(
                pl.lit(1, dtype=pl.Int64).alias("build"),
                (pl.col(date) + pl.duration(days=pl.col("_seq") % 21)).alias("date"),
                pl.lit(schema.id).alias("dataset"),
                pl.col("_id").alias("id"),
                pl.lit("added").alias("event"),
                pl.lit("h").alias("hash"),
                pl.lit(None, dtype=pl.Utf8).alias("reason"),
            )
        )
    start = pl.DataFrame(
        {"build": [0], "date": [result.today - dt.timedelta(days=365)], "dataset": ["-"],
         "id": ["-"], "event": ["added"], "hash": ["h"], "reason": [None]},
        schema=SCHEMA,
    )  # fmt: skip
    return pl.concat([start, *parts]).cast(SCHEMA)  # type: ignore[arg-type]


def timed(label: str, fn, figures: dict[str, float]):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn()
    figures[label] = time.perf_counter() - start
    return out


def build_share(data: Path, ledger: pl.DataFrame) -> float:
    """Run `generator build` once (with the synthetic ledger as the previous one); the
    monitor line's seconds over the build's wall time."""
    import re
    import subprocess

    out = Path(tempfile.mkdtemp(prefix="monitor-bench-build-"))
    try:
        write_ledger(ledger, out / "ledger.csv")
        cmd = [sys.executable, "-m", "generator", "build", "--data", str(data), "--out",
               str(out / "site"), "--work", str(out / "work"), "--today", TODAY,
               "--ledger", str(out / "ledger.csv")]  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)
    found = re.search(r"^monitor: .*, ([\d.]+) s", proc.stdout, re.M)
    if found is None:
        raise SystemExit(f"build failed ({proc.returncode}): {proc.stderr[-2000:]}")
    spent = float(found.group(1))
    print(f"build               {wall:7.2f} s (exit {proc.returncode}), monitor {spent:.2f} s")
    return spent / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--build", action="store_true", help="also run a whole build and report the stage's share"
    )
    args = parser.parse_args()
    data = sample(args.records)
    config = load_config(ROOT / "site.yml")
    today = dt.date.fromisoformat(TODAY)
    f: dict[str, float] = {}
    result = timed("pipeline", lambda: run(data, config, today), f)
    ledger = synthetic_ledger(result, config)
    monitor = timed("records", lambda: Monitor.compute(result, config, ledger), f)
    timed("office", monitor.office_html, f)
    # vl-convert starts its Vega runtime on first use: a fixed cost per build, shown apart.
    timed("vl-convert", lambda: monthly_bars([], ["2026-01"], "kind", "warm-up"), f)
    scratch = Path(tempfile.mkdtemp(prefix="monitor-bench-"))
    try:
        timed("draft", lambda: monitor.write_draft(scratch / "work"), f)
        chrome = Chrome(config, "assets/material.css")
        (scratch / "site").mkdir()
        timed("public", lambda: monitor.write(TreeWriter(scratch / "site", None), chrome), f)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    stage = f["records"] + f["office"] + f["draft"] + f["public"] + f["vl-convert"]
    share = stage / f["pipeline"]
    timed_rows = int(monitor.rows.get_column("measured").sum())
    print(f"machine: {sys.platform}, python {sys.version.split()[0]}; today={TODAY}")
    print(f"rows {monitor.rows.height:,}, timed {timed_rows:,}, ledger events {ledger.height:,}")
    print(f"pipeline            {f['pipeline']:7.2f} s")
    for key in ("records", "office", "draft", "vl-convert", "public"):
        print(f"monitor {key:<11} {f[key]:7.2f} s")
    verdict = "ok" if share <= TARGET_SHARE else "MISSED"
    print(f"monitor stage       {stage:7.2f} s = {share:.1%} of the pipeline [{verdict}]")
    if args.build:
        whole = build_share(data, ledger)
        verdict = "ok" if whole <= TARGET_SHARE else "MISSED"
        print(
            f"monitor stage in `generator build`: {whole:.1%} of the build's wall time [{verdict}]"
        )
    print(
        f"target: ≤ {TARGET_SHARE:.0%} of the build — " + ("met" if verdict == "ok" else "NOT met")
    )


if __name__ == "__main__":
    main()
