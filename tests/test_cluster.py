"""A province built as partitions on a Dask cluster equals the single-process build.

Two fictional cities' drops sit side by side in one data folder (data/<kind>/<city>/…):
each file is a partition (city × kind × period). Built in this process and on a Dask
LocalCluster of two worker processes (`--executor dask-local --workers 2`), the site and
the office's report must be byte-identical, and the one search index must cover both
cities' subjects.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from generator.cli import main

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-11-30"
CITIES = {"甲市": 1, "乙市": 2}

pytest.importorskip("distributed")


def province(base: Path) -> Path:
    """Two sample drops (different seeds) under data/<kind>/<city>/."""
    data = base / "data"
    for city, seed in CITIES.items():
        drop = base / f"drop-{seed}"
        assert main(["sample", "--records", "300", "--seed", str(seed), "--out", str(drop),
                     "--today", TODAY]) == 0  # fmt: skip
        for f in sorted(p for p in drop.rglob("*") if p.is_file()):
            rel = f.relative_to(drop)
            target = data / rel.parent / city / rel.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
    return data


def build(data: Path, out: Path, work: Path, *extra: str) -> int:
    args = ["--config", str(ROOT / "site.yml"), "build", "--data", str(data), "--out", str(out),
            "--work", str(work), "--today", TODAY, "--first-publication", *extra]  # fmt: skip
    return main(args)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_cluster_build_of_two_cities_equals_the_single_process_build(tmp_path: Path):
    data = province(tmp_path)
    assert build(data, tmp_path / "one", tmp_path / "w1") in (0, 1)
    code = build(
        data, tmp_path / "two", tmp_path / "w2", "--executor", "dask-local", "--workers", "2"
    )
    assert code in (0, 1)
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert sorted(one) == sorted(two)
    assert [rel for rel in one if one[rel] != two[rel]] == []
    assert tree(tmp_path / "w1" / "report") == tree(tmp_path / "w2" / "report")
    # Both cities' files were read, and the one index covers both cities' records.
    report = json.loads((tmp_path / "w1" / "report" / "report.json").read_text(encoding="utf-8"))
    files = {r["file"] for r in report["rows"]}
    assert {city for city in CITIES if any(f"/{city}/" in f for f in files)} == set(CITIES)
    subjects = re.findall(r"/subject/([^/<]+)/</loc>", one["sitemap.xml"].decode())
    manifest = json.loads(one["search/pf/manifest.json"])
    assert sum(b["pages"] for b in manifest["bundles"]) >= len(subjects) > 0


def test_an_unknown_executor_is_refused_before_anything_is_built(tmp_path: Path, capsys):
    data = tmp_path / "data" / "xzcf"
    data.mkdir(parents=True)
    (data / "a.csv").write_text("行政相对人名称\n甲\n", encoding="utf-8")
    assert build(tmp_path / "data", tmp_path / "site", tmp_path / "work", "--executor", "yarn") == 2
    assert "--executor" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


@pytest.mark.slow
def test_search_bundles_indexed_on_the_cluster_equal_those_indexed_here(tmp_path: Path):
    """Each bundle's Pagefind run is a task on the build's executor (issue 16 point 5): on a
    Dask LocalCluster the search files are byte-identical to those indexed in this process,
    and the work is really spread: several bundles, each indexed by a worker."""
    from distributed import Client, LocalCluster, get_task_stream

    from generator.build import Paths, write_site
    from generator.config import load_config
    from generator.pipeline import run
    from generator.search import SearchIndex

    data = province(tmp_path)
    config = load_config(ROOT / "site.yml")
    published = run(data, config, dt.date.fromisoformat(TODAY)).view(config)
    sites = {}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    with cluster, Client(cluster) as client:
        for side, pool in (("here", None), ("cluster", client.get_executor())):
            paths = Paths(data, tmp_path / side, tmp_path / f"w-{side}", ROOT / "site.yml")
            index = SearchIndex(main_subjects=40, more_subjects=60)
            with get_task_stream(client) as stream:
                write_site(published, paths, index=index, pool=pool)
            sites[side] = tree(tmp_path / side / "search")
            runs = [t["worker"] for t in stream.data if str(t["key"]).startswith("_run-")]
            assert len(runs) == (len(index.bundles) if pool else 0)
    assert len(index.bundles) > 4
    assert sites["here"] == sites["cluster"]
    assert len(set(runs)) == 2  # both workers indexed bundles
