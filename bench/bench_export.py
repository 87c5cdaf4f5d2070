"""Benchmark the open-data exports at 1 M sample records (CSV, XLSX, JSON, whole + per year).

Targets on the 2-core reference machine: ≤ 2 minutes and ≤ 2 GB peak RSS for the export
stage. The sample drop (bench/out/sample-<N>, shared with bench_check.py) and one pipeline
run over it are prepared once and cached as Parquet (not timed); the export then runs in a
fresh process, so its peak RSS is the stage's own (plus the loaded records).

    .venv/bin/python bench/bench_export.py [--records 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure  # noqa: E402
from bench_check import sample  # noqa: E402

OUT = ROOT / "bench" / "out"
TODAY = dt.date(2026, 11, 22)
TARGET_WALL, TARGET_PEAK = 120.0, 2 * 1024**3


def prepare(data: Path, cache: Path) -> None:
    """Run the pipeline once and keep every dataset's rows (with status) as Parquet."""
    from generator.config import load_config
    from generator.pipeline import run

    result = run(data, load_config(ROOT / "site.yml"), TODAY)
    cache.mkdir(parents=True, exist_ok=True)
    for ds, frame in result.records.items():
        frame.write_parquet(cache / f"{ds}.parquet")
    (cache / ".complete").write_text("ok\n", encoding="utf-8")


def export(cache: Path, out: Path, spec: str) -> None:
    """The measured child: load the cached records, run the export stage, print figures."""
    import polars as pl

    from generator.config import load_config
    from generator.executors import executor
    from generator.opendata import OpenData
    from generator.opendata.ledger import empty
    from generator.pipeline import Result
    from generator.web.chrome import Chrome
    from generator.web.writer import TreeWriter

    config = load_config(ROOT / "site.yml")
    records = {s.id: pl.read_parquet(cache / f"{s.id}.parquet") for s in config.datasets()}
    result = Result(TODAY, records, pl.DataFrame(), [])
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with executor(spec, 2) as pool:
        stage = OpenData(result.view(config), empty(), pool=pool)
        start = time.perf_counter()
        stage.write(TreeWriter(out, None), Chrome(config, "assets/stylesheets/main.css"))
        wall = time.perf_counter() - start
    sizes: dict[str, int] = {}
    for f in stage.files:
        sizes[f.format] = sizes.get(f.format, 0) + f.bytes
    figures = {
        "wall": wall,
        "timings": stage.timings,
        "bytes": sizes,
        "files": len(stage.files),
        "records": sum(result.published(ds).height for ds in records),
        "loaded_rss": loaded,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, help="a sample drop (default: bench/out/sample-N)")
    parser.add_argument("--_prepare", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--executor", default="inline", help="inline | process | dask-local")
    parser.add_argument("--_export", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._prepare:
        prepare(Path(args._prepare[0]), Path(args._prepare[1]))
        return
    if args._export:
        export(Path(args._export[0]), Path(args._export[1]), args._export[2])
        return
    print(f"machine: {sys.platform}, python {sys.version.split()[0]}; today={TODAY}")
    data = args.data or sample(args.records)
    cache = OUT / f"records-{data.name}"
    if not (cache / ".complete").exists():
        run = measure([sys.executable, __file__, "--_prepare", str(data), str(cache)], cwd=ROOT)
        print(
            f"pipeline over {args.records:,} rows in {run['wall']:.1f} s (not part of the figures)"
        )
    tmp = Path(tempfile.mkdtemp(prefix="bench-export-"))
    figures_file = tmp / "figures.json"
    try:
        run = measure(
            [sys.executable, __file__, "--_export", str(cache), str(tmp / "site"), args.executor],
            stdout=figures_file,
            cwd=ROOT,
        )
        if run["code"] != 0:
            raise SystemExit(f"export failed with exit code {run['code']}")
        fig = json.loads(figures_file.read_text())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = sum(fig["bytes"].values())
    print(
        f"export {fig['records']:,} published records → {fig['files']} files, {total / 1e6:.0f} MB"
    )
    print(f"executor {args.executor} (format seconds: summed over workers)")
    for fmt, secs in sorted(fig["timings"].items()):
        size = fig["bytes"].get(fmt, 0)
        print(
            f"  {fmt:<7} {secs:6.1f} s  {size / 1e6:8.0f} MB  {size / max(secs, 1e-9) / 1e6:6.0f} MB/s"
        )
    if args.executor == "inline":
        other = fig["wall"] - sum(fig["timings"].values())
        print(f"  other   {other:6.1f} s  (frames, hashes, ledger, feeds, datapackage, pages)")
    print(
        f"stage {fig['wall']:.1f} s (process {run['wall']:.1f} s incl. loading); peak RSS "
        f"{run['peak'] / 1024**2:,.0f} MB (records loaded: {fig['loaded_rss'] / 1024**2:,.0f} MB)"
    )
    ok = fig["wall"] <= TARGET_WALL and run["peak"] <= TARGET_PEAK
    print(
        f"target ≤ {TARGET_WALL:.0f} s and ≤ {TARGET_PEAK / 1024**3:.0f} GB: {'met' if ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
