"""The download files are the same bytes whether written here or on a process pool."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import ROOT

from generator.config import load_config
from generator.executors import PROCESS, executor
from generator.opendata import OpenData
from generator.opendata.ledger import empty
from generator.pipeline import run
from generator.sample import write_sample
from generator.web.chrome import Chrome
from generator.web.writer import TreeWriter

TODAY = dt.date(2026, 11, 22)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_downloads_same_bytes_on_a_process_pool(tmp_path: Path):
    config = load_config(ROOT / "site.yml")
    write_sample(tmp_path / "data", records=300, seed=3, anchor=TODAY)
    published = run(tmp_path / "data", config, TODAY).view(config)
    chrome = Chrome(config, "assets/stylesheets/main.css")
    inline = OpenData(published, empty())
    inline.write(TreeWriter(tmp_path / "inline", None), chrome)
    with executor(PROCESS, 2) as pool:
        pooled = OpenData(published, empty(), pool=pool)
        pooled.write(TreeWriter(tmp_path / "pool", None), chrome)
    a, b = _tree(tmp_path / "inline"), _tree(tmp_path / "pool")
    assert sum(k.endswith(".xlsx") for k in a) > 9 and a == b
    assert inline.files == pooled.files
    assert set(pooled.timings) == {"csv", "xlsx", "json", "ndjson"}
