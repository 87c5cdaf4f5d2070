"""Deterministic output (README): two clean builds of the same drop and --today are
byte-identical, file for file, search index included; run in parallel render workers."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import cbor2
from conftest import ROOT

from generator.cli import main
from generator.sample import write_sample


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_two_clean_builds_are_byte_identical(tmp_path):
    data = tmp_path / "data"
    write_sample(data, records=400, seed=5, anchor=dt.date(2026, 11, 22))
    trees = []
    for name in ("one", "two"):
        out = tmp_path / name / "site"
        code = main(["--config", str(ROOT / "site.yml"), "build", "--data", str(data), "--out",
                     str(out), "--work", str(tmp_path / name / "work"), "--today", "2026-11-22",
                     "--workers", "2", "--first-publication"])  # fmt: skip
        assert code in (0, 1)  # the sample rejects some rows on purpose
        trees.append(files(out))
    one, two = trees
    assert sorted(one) == sorted(two)
    differ = [rel for rel in one if one[rel] != two[rel]]
    assert differ == []
    filters = [rel for rel in one if rel.endswith(".pf_filter")]
    assert len(filters) >= 3  # Pagefind's filter files were compared too
    # … and their values are in order (what made them differ from run to run).
    for rel in filters:
        _, values = cbor2.loads(gzip.decompress(one[rel])[len(b"pagefind_dcd") :])
        assert values == sorted(values)
