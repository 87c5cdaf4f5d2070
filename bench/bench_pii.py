"""Personal-data stages: the text normaliser on a million rows, and the guard on a built site.

    PYTHONPATH=$PWD python bench/bench_pii.py [SITE_DIR]

Targets (issue 15): the normaliser adds a few seconds to a 1 M-row load; the guard with
the shared detector costs at most ~20 % more CPU than the contiguous-digits scan it
replaced (compare with the same script run from an older checkout).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import polars as pl

from generator.guard import scan_tree
from generator.load import Loaded, Table
from generator.text import normalise

TEXTS = [
    "当事人于2024年10月10日销售过期食品，违反《食品安全法》第三十四条（一）项。",
    "示例市市场监督管理局",
    "91990100MA0000001G",
    "示市监罚〔2026〕12号",
    "罚款",
]


def bench_normaliser(rows: int = 1_000_000) -> None:
    frame = pl.DataFrame(
        {
            f"c{i}": [TEXTS[i % 5] + (str(j) if i == 0 else "") for j in range(rows)]
            for i in range(10)
        }
    ).with_columns(
        pl.when(pl.int_range(rows) % 1000 == 0)
        .then(pl.col("c1") + "１３８\u200b")
        .otherwise(pl.col("c1"))
        .alias("c1"),
        pl.int_range(rows).alias("_row"),
    )
    wall, cpu = time.perf_counter(), time.process_time()
    normalise(Loaded([Table("bench", "bench.csv", None, frame)], [], []))
    print(
        f"normaliser: {rows:,} rows x 10 columns: wall {time.perf_counter() - wall:.2f} s, "
        f"cpu {time.process_time() - cpu:.2f} s"
    )


def bench_guard(site: Path) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    found = scan_tree(site, dt.date.today())
    print(
        f"guard: {site}: wall {time.perf_counter() - wall:.1f} s, "
        f"cpu {time.process_time() - cpu:.1f} s, {len(found)} findings"
    )


if __name__ == "__main__":
    bench_normaliser()
    if len(sys.argv) > 1:
        bench_guard(Path(sys.argv[1]))
