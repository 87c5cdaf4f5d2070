"""Benchmark `python -m generator check` on 100 000 and 1 000 000 sample rows.

Targets on the 2-core reference machine: ≥ 50 000 rows/s end to end and ≤ 4 GB peak
RSS at 1 M rows. The sample drops are generated once into bench/out/ (not timed).

    .venv/bin/python bench/bench_check.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
TODAY = "2026-11-22"
TARGET_RATE, TARGET_PEAK = 50_000, 4 * 1024**3


def sample(records: int, subjects: int | None = None) -> Path:
    """The sample drop of `records` rows (naming `subjects` subjects, default the sample's)."""
    data = OUT / (f"sample-{records}" + (f"-s{subjects}" if subjects else ""))
    if not (data / ".complete").exists():
        cmd = [sys.executable, "-m", "generator", "sample", "--records", str(records),
               "--out", str(data), "--today", TODAY]  # fmt: skip
        if subjects:
            cmd += ["--subjects", str(subjects)]
        run = measure(cmd, cwd=ROOT)
        print(f"sample {records:>9,} rows written in {run['wall']:.1f} s (not part of the figures)")
        (data / ".complete").write_text("ok\n", encoding="utf-8")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print(f"machine: {sys.platform}, python {sys.version.split()[0]}; today={TODAY}")
    ok = True
    for records in args.sizes:
        data = sample(records)
        for fmt in ("text", "json"):
            run = measure(
                [
                    sys.executable,
                    "-m",
                    "generator",
                    "check",
                    "--data",
                    str(data),
                    "--today",
                    TODAY,
                    "--format",
                    fmt,
                ],
                stdout=OUT / f"check-{records}.{fmt}",
                cwd=ROOT,
            )
            rate = records / run["wall"]
            gb = run["peak"] / 1024**3
            verdict = "ok" if rate >= TARGET_RATE and run["peak"] <= TARGET_PEAK else "MISSED"
            ok &= verdict == "ok" or fmt == "json"
            print(
                f"check {records:>9,} rows  --format {fmt:<4}  {run['wall']:6.1f} s  "
                f"{rate:>8,.0f} rows/s  peak RSS {gb:4.2f} GB  exit {run['code']}  "
                f"[{verdict if fmt == 'text' else 'info'}]"
            )
    print(
        f"targets: ≥ {TARGET_RATE:,} rows/s and ≤ 4 GB peak (text report) — "
        + ("met" if ok else "NOT met")
    )


if __name__ == "__main__":
    main()
