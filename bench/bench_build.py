"""Benchmark the whole build — the real CLI, end to end — at 100 k and 1 M sample records.

For each size, in one run on one machine (ratios are only meaningful within a run):

1. **first build**: `python -m generator build` of the sample drop into empty --out/--work;
2. **1 % drop**: the same drop with 1 % of its rows changed across files — half edited (a
   free-text column), a quarter added (new 文号), a quarter taken down (withdrawal rows
   naming published penalties) — rebuilt over the previous site and ledger; then another
   such drop: the second build had no standby tree to start from, this one has, as every
   later build of a city has (the steady state);
3. **unchanged rebuild**: the same drop again.

Printed per run: wall seconds and peak RSS of the whole process tree (Python, record-page
workers, Pagefind), per stage (bench/_stages.py wraps the build's own functions) and in
total, the exit code, the shares of the first build, and per page family how many files
the render cache kept from the previous build instead of rendering them. Targets (issue 16, 2-core
reference machine): 1 M first build ≤ 600 s and ≤ 8 GB; 1 % drop ≤ 10 % of the first
build; unchanged ≤ 5 %; the guard ≤ 10 % of any build — the guard being its final check
plus the seconds the writers spent scanning files as they wrote them, summed over processes
(an upper bound on what it adds to the wall time). The load average is printed before each
run: repeat a contended run rather than quote it.

The sample drops are generated once into bench/out/ (not timed); 1 M uses 250 000
subjects, as a large city has.

    .venv/bin/python bench/bench_build.py [--sizes 100000 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from bench_check import TODAY, sample  # noqa: E402

OUT = ROOT / "bench" / "out"
SUBJECTS = {1_000_000: 250_000}
TARGET_WALL, TARGET_PEAK = 600.0, 8 * 1024**3
TARGET_DROP, TARGET_SAME, TARGET_GUARD = 0.10, 0.05, 0.10
CHANGED = 0.01  # share of rows changed by the "1 % drop"
# Two drops in turn: the build after the first one has no standby tree yet (the first
# build replaced nothing); every later build starts from one (generator/fsutil.py), as a
# city's daily builds do.
DROPS = (("drop", "1 % drop, 2nd build"), ("drop2", "1 % drop, steady state"))


# ---------------------------------------------------------------- the 1 % drop
def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnicodeError("neither UTF-8 nor GB18030")


def _columns(header: list[str], schema: Any) -> dict[str, int]:
    """Schema key -> column index, through the generator's own header matching."""
    from generator.config import header_key

    out: dict[str, int] = {}
    for i, text in enumerate(header):
        key = schema.header_map.get(header_key(text))
        if key is not None:
            out.setdefault(key, i)
    return out


def change_drop(data: Path, share: float = CHANGED) -> dict[str, int]:
    """Edit, add and withdraw about `share` of the rows of every CSV file, in place."""
    from generator.config import load_config

    config = load_config(ROOT / "site.yml")
    counts = {"edited": 0, "added": 0, "withdrawn": 0}
    withdrawals: list[dict[str, str]] = []
    for path in sorted(data.glob("*/*.csv")):
        schema = config.schemas.get(path.parent.name)
        if schema is None:
            continue
        text, encoding = _decode(path.read_bytes())
        rows = list(csv.reader(io.StringIO(text)))
        cols = _columns(rows[0], schema)
        free = next((c.key for c in schema.columns if c.type == "longtext" and c.key in cols), None)
        docno = next((c.key for c in schema.columns if c.type == "docno" and c.key in cols), None)
        step = max(1, round(1 / share))
        added = []
        for n, row in enumerate(rows[1:], 1):
            if n % step or len(row) < len(rows[0]):
                continue
            kind = (n // step) % 4
            if kind in (0, 1) and free:
                row[cols[free]] = (row[cols[free]] or "") + "（更正）"
                counts["edited"] += 1
            elif kind == 2 and docno:
                new = list(row)
                new[cols[docno]] = row[cols[docno]] + "-补"
                added.append(new)
                counts["added"] += 1
            elif kind == 3 and docno and schema.id == "xzcf":
                withdrawals.append(
                    {"dataset": schema.name, "wsh": row[cols[docno]],
                     "jgdm": row[cols.get("cfjgdm", cols[docno])]}
                )  # fmt: skip
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\r\n").writerows(rows + added)
        path.write_bytes(buf.getvalue().encode(encoding))
    counts["withdrawn"] = _add_withdrawals(data, config, withdrawals)
    return counts


def _add_withdrawals(data: Path, config: Any, rows: list[dict[str, str]]) -> int:
    """Append withdrawal rows (reason 撤销, dated the build date) under the schema's labels."""
    schema = config.withdrawals
    folder = data / schema.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "撤下清单-本期.csv"
    reason = next(iter(config.enums[schema.by_key["reason"].enum].values))
    keys = ["dataset", "wsh", "jgdm", "reason", "date"]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([schema.label(k) for k in keys])
        for r in rows:
            w.writerow([r["dataset"], r["wsh"], r["jgdm"], reason, TODAY])
    return len(rows)


# ---------------------------------------------------------------- runs
def loadavg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def build(data: Path, out: Path, work: Path, name: str) -> dict[str, Any]:
    """One `generator build` through bench/_stages.py; returns its timings."""
    timings = work.parent / f"{name}.json"
    args = ["build", "--data", str(data), "--out", str(out), "--work", str(work),
            "--today", TODAY]  # fmt: skip
    if "--first-publication" in _build_help() and not out.exists():
        args.append("--first-publication")
    load = loadavg()
    cmd = [sys.executable, str(Path(__file__).parent / "_stages.py"), str(timings), "--", *args]
    subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    result = json.loads(timings.read_text(encoding="utf-8"))
    result["load"] = load
    # What the render cache (generator/web/cache.py) kept of each page family, if it ran.
    kept = work / "render-cache" / "last-build.json"
    result["cache"] = json.loads(kept.read_text(encoding="utf-8")) if kept.is_file() else {}
    return result


_HELP: list[str] = []


def _build_help() -> str:
    if not _HELP:
        out = subprocess.run([sys.executable, "-m", "generator", "build", "--help"],
                             cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
        _HELP.append(out.stdout)
    return _HELP[0]


def show(label: str, run: dict[str, Any], first: dict[str, Any] | None) -> list[str]:
    """Print one run's table; return the targets it misses."""
    gib = 1024**3
    share = f" = {run['wall'] / first['wall']:.1%} of the first build" if first else ""
    print(f"\n{label}: {run['wall']:.1f} s, peak {run['peak'] / gib:.2f} GiB, "
          f"exit {run['code']}, load before {run['load']}{share}")  # fmt: skip
    accounted = 0.0
    for stage, s in run["stages"].items():
        if s.get("nested"):  # seconds inside the other stages (and their workers)
            print(f"  {stage:<20} {s['wall']:8.1f} s  {s['wall'] / run['wall']:6.1%}  "
                  f"({s.get('files', 0):,} files; inside the stages above)")  # fmt: skip
            continue
        accounted += s["wall"]
        print(f"  {stage:<20} {s['wall']:8.1f} s  {s['wall'] / run['wall']:6.1%}  "
              f"peak {s['peak'] / gib:5.2f} GiB")  # fmt: skip
    print(f"  {'other (swap, I/O…)':<20} {run['wall'] - accounted:8.1f} s  "
          f"{(run['wall'] - accounted) / run['wall']:6.1%}")  # fmt: skip
    if run.get("cache"):
        kept = ", ".join(f"{k} {v['kept']:,}/{v['pages']:,}" for k, v in run["cache"].items())
        print(f"  render cache kept (not rendered): {kept}")
    missed = []
    guard = sum(s["wall"] for k, s in run["stages"].items() if k.startswith("guard"))
    if guard > TARGET_GUARD * run["wall"]:
        missed.append(f"{label}: guard {guard / run['wall']:.1%} > {TARGET_GUARD:.0%}")
    if run["code"] not in (0, 1):
        missed.append(f"{label}: exit code {run['code']}")
    return missed


def bench(records: int, keep: bool) -> list[str]:
    source = sample(records, SUBJECTS.get(records))
    base = OUT / f"build-{records}"
    shutil.rmtree(base, ignore_errors=True)
    data, out, work = base / "data", base / "site", base / "work"
    shutil.copytree(source, data)
    print(f"\n=== {records:,} records ({SUBJECTS.get(records) or 'default'} subjects) ===")
    first = build(data, out, work, "first")
    missed = show("first build", first, None)
    if first["wall"] > TARGET_WALL and records >= 1_000_000:
        missed.append(f"{records:,}: first build {first['wall']:.0f} s > {TARGET_WALL:.0f} s")
    if first["peak"] > TARGET_PEAK:
        missed.append(f"{records:,}: peak {first['peak'] / 1024**3:.1f} GiB > 8 GiB")
    for name, label in DROPS:
        counts = change_drop(data)
        print(f"\n1 % drop: {counts['edited']:,} rows edited, {counts['added']:,} added, "
              f"{counts['withdrawn']:,} withdrawn")  # fmt: skip
        drop = build(data, out, work, name)
        missed += show(label, drop, first)
        if drop["wall"] > TARGET_DROP * first["wall"]:
            missed.append(f"{records:,}: {label} {drop['wall'] / first['wall']:.0%} > 10 %")
    same = build(data, out, work, "same")
    missed += show("unchanged rebuild", same, first)
    if same["wall"] > TARGET_SAME * first["wall"]:
        missed.append(f"{records:,}: unchanged {same['wall'] / first['wall']:.0%} > 5 %")
    if not keep:
        shutil.rmtree(base, ignore_errors=True)
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep bench/out/build-<N>/")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; today={TODAY}")
    missed: list[str] = []
    for records in args.sizes:
        missed += bench(records, args.keep)
    print("\ntargets: " + ("all met" if not missed else "MISSED"))
    for m in missed:
        print(f"  - {m}")


if __name__ == "__main__":
    main()
