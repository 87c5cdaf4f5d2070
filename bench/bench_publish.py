"""Benchmark publishing: `python bench/bench_publish.py [--records 3000]`.

The demo drop (what `make site` builds) is built and published to a local folder; then one
data row is changed (a penalty's fine), the site rebuilt and published again. Prints the
wall time of each build and publish, files sent and peak RSS. Works under bench/out/ so
the checkout's site/ and build/ are left alone.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure  # noqa: E402

OUT = ROOT / "bench" / "out" / "publish"
TODAY = "2026-11-22"


def change_one_row(data: Path) -> str:
    """Change the fine of the first penalty in the CSV drop; return what changed."""
    path = next((data / "xzcf").glob("*.csv"))
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gb18030"
    rows = list(csv.reader(io.StringIO(raw.decode(encoding))))
    col = rows[0].index("罚款金额(万元)")
    old = rows[1][col]
    rows[1][col] = f"{float(old or 0) + 0.01:.2f}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return f"{path.name} row 2 罚款金额(万元) {old} -> {rows[1][col]}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, default=3000)
    args = p.parse_args()
    py = sys.executable
    shutil.rmtree(OUT, ignore_errors=True)
    data, site, work, www = OUT / "data", OUT / "site", OUT / "work", OUT / "www"
    gen = [py, "-m", "generator", "--config", str(ROOT / "site.yml")]
    sample = [*gen, "sample", "--records", str(args.records), "--out", str(data)]
    measure([*sample, "--today", TODAY], cwd=ROOT)
    build = [*gen, "build", "--data", str(data), "--out", str(site), "--work", str(work)]
    build += ["--today", TODAY]
    publish = [*gen, "publish", "--site", str(site), "--work", str(work), "--target", "local"]
    publish += ["--dest", str(www)]
    n = sum(1 for f in site.rglob("*") if f.is_file()) if site.exists() else 0

    def run(label: str, cmd: list[str]) -> None:
        log = OUT / f"{label.replace(' ', '-')}.log"
        m = measure(cmd, stdout=log, cwd=ROOT)
        if m["code"] not in (0, 1):
            raise SystemExit(f"{label} failed ({m['code']}); see {log}")
        tail = log.read_text(encoding="utf-8").strip().splitlines()[-1]
        print(f"{label:<20} {m['wall']:6.2f} s  peak {m['peak'] / 2**20:5.0f} MB  | {tail}")

    print(f"demo drop: {args.records} records, build date {TODAY}")
    run("full build", [*build, "--first-publication"])
    n = sum(1 for f in site.rglob("*") if f.is_file())
    print(
        f"site: {n} files, {sum(f.stat().st_size for f in site.rglob('*') if f.is_file()) / 1e6:.1f} MB"
    )
    run("full publish", publish)
    print("changed:", change_one_row(data))
    run("incremental build", build)
    run("incremental publish", publish)
    run("no-op publish", publish)


if __name__ == "__main__":
    main()
