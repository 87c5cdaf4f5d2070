"""Rebuild only what changed (issue 16 point 3): an incremental build over the previous one
is byte for byte the clean build of the same drop, whatever state its render cache is in.

The drop changes as bench/bench_build.py changes it (rows edited, added and withdrawn in
every file); the clean build reads the same previous ledger, so the two builds share their
history and may differ only by what the render cache skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from generator.cli import main
from generator.sample import write_sample
from generator.web.cache import CACHE_DIR
from generator.web.writer import TreeWriter

sys.path.insert(0, str(ROOT / "bench"))
from bench_build import change_drop  # noqa: E402

TODAY = "2026-11-22"


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def build(data: Path, out: Path, work: Path, today: str = TODAY, ledger: Path | None = None,
          first: bool = False) -> None:  # fmt: skip
    args = ["--config", str(ROOT / "site.yml"), "build", "--data", str(data), "--out", str(out),
            "--work", str(work), "--today", today]  # fmt: skip
    args += ["--first-publication"] if first else []
    args += ["--ledger", str(ledger)] if ledger else []
    assert main(args) in (0, 1)  # the sample rejects some rows on purpose


def last_build(work: Path) -> dict[str, Any]:
    return json.loads((work / CACHE_DIR / "last-build.json").read_text(encoding="utf-8"))


def same_trees(one: Path, two: Path) -> None:
    a, b = files(one), files(two)
    assert sorted(a) == sorted(b)
    assert [rel for rel in a if a[rel] != b[rel]] == []


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A clean build, a changed drop built over it, and the same drop built clean."""
    tmp = tmp_path_factory.mktemp("incremental")
    data = tmp / "data"
    write_sample(data, records=300, seed=11, anchor=dt.date(2026, 11, 22))
    out, work = tmp / "site", tmp / "work"
    build(data, out, work, first=True)
    assert last_build(work)["records"]["kept"] == 0
    ledger = tmp / "ledger.csv"
    shutil.copy(out / "downloads" / "ledger.csv", ledger)
    counts = change_drop(data, share=0.08)
    assert min(counts.values()) > 0  # edited, added and withdrawn rows
    build(data, out, work)
    clean_out, clean_work = tmp / "clean-site", tmp / "clean-work"
    build(data, clean_out, clean_work, ledger=ledger)
    return {"data": data, "out": out, "work": work, "clean": clean_out, "tmp": tmp}


def test_incremental_build_equals_clean_build(builds: dict[str, Path]) -> None:
    same_trees(builds["out"], builds["clean"])
    done = last_build(builds["work"])
    for family in ("records", "subjects", "reports", "lists", "downloads"):
        # Most pages were kept, some (those of changed records) rendered again.
        assert 0 < done[family]["kept"] <= done[family]["pages"], family
    assert done["records"]["kept"] < done["records"]["pages"]
    assert done["subjects"]["kept"] < done["subjects"]["pages"]
    # The guard checked the tree that went live (its verdict is recorded after it passed).
    assert (builds["work"] / "guard.json").is_file()


def test_unchanged_rebuild_keeps_every_page(builds: dict[str, Path], tmp_path: Path) -> None:
    out, work = tmp_path / "site", tmp_path / "work"
    shutil.copytree(builds["out"], out, copy_function=os.link)
    shutil.copytree(builds["work"], work)
    (work / "guard.json").unlink()  # a foreign path: kept pages are scanned from disk
    build(builds["data"], out, work)
    done = last_build(work)
    assert all(f["kept"] == f["pages"] for f in done.values()), done
    same_trees(out, builds["clean"])


def test_damaged_or_stale_cache_gives_the_same_bytes(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    out, work = tmp_path / "site", tmp_path / "work"
    shutil.copytree(builds["out"], out)  # copies: every file has a new identity
    shutil.copytree(builds["work"], work)
    cache = work / CACHE_DIR
    (cache / "records.arrow").write_bytes(b"not arrow")  # damaged
    (cache / "subjects.json").unlink()  # missing
    meta = json.loads((cache / "lists.json").read_text(encoding="utf-8"))
    (cache / "lists.json").write_text(json.dumps({**meta, "key": "another generator"}))
    build(builds["data"], out, work)
    done = last_build(work)
    assert done["records"]["kept"] == done["subjects"]["kept"] == done["lists"]["kept"] == 0
    # The reports' cache is intact but names the files of another tree: nothing is kept.
    assert done["reports"]["kept"] == 0
    same_trees(out, builds["clean"])


def test_hand_edited_page_is_rendered_again(builds: dict[str, Path], tmp_path: Path) -> None:
    out, work = tmp_path / "site", tmp_path / "work"
    shutil.copytree(builds["out"], out, copy_function=os.link)
    shutil.copytree(builds["work"], work)
    page = next((out / "xzcf").glob("*.html"))
    edited = out / "edited"
    edited.write_bytes(page.read_bytes().replace(b"<h1>", b"<h1>X"))
    os.replace(edited, page)  # a new file (identity) where the cache knew another
    build(builds["data"], out, work)
    done = last_build(work)
    assert done["records"]["kept"] == done["records"]["pages"] - 1
    same_trees(out, builds["clean"])


def test_next_day_rebuild_equals_clean_build(builds: dict[str, Path], tmp_path: Path) -> None:
    """The 信用报告 prints the build date: a new --today renders every report again,
    and nothing else that prints the date is kept stale."""
    out, work = tmp_path / "site", tmp_path / "work"
    shutil.copytree(builds["out"], out, copy_function=os.link)
    shutil.copytree(builds["work"], work)
    ledger = tmp_path / "ledger.csv"
    shutil.copy(out / "downloads" / "ledger.csv", ledger)
    build(builds["data"], out, work, today="2026-11-23")
    done = last_build(work)
    assert done["reports"]["kept"] == 0
    assert done["subjects"]["kept"] == done["subjects"]["pages"]
    build(builds["data"], tmp_path / "clean", tmp_path / "clean-work", "2026-11-23", ledger)
    same_trees(out, tmp_path / "clean")


class _Scanner:
    def __init__(self) -> None:
        self.read: list[str] = []

    def bytes(self, rel: str, data: bytes) -> list[Any]:
        self.read.append(rel)
        return []

    def path(self, rel: str, path: str) -> list[Any]:
        self.read.append(rel)
        return []

    def flush(self) -> list[Any]:
        return []


def test_kept_file_inherits_the_verdict_or_is_scanned(tmp_path: Path) -> None:
    prev, new = tmp_path / "prev", tmp_path / "new"
    (prev / "a").mkdir(parents=True)
    (prev / "a" / "p.html").write_bytes(b"<p>1</p>")
    st = os.stat(prev / "a" / "p.html")
    ident = (st.st_ino, st.st_size, st.st_mtime_ns)
    for inherit, scanned in ((True, []), (False, ["a/p.html"])):
        shutil.rmtree(new, ignore_errors=True)
        scanner = _Scanner()
        writer = TreeWriter(new, prev, scanner, inherit, track=True)
        assert writer.keep("a/p.html", ident)
        assert scanner.read == scanned
        assert (new / "a" / "p.html").read_bytes() == b"<p>1</p>"
        assert writer.counts.stamps["a/p.html"] == ident
        assert not writer.keep("a/q.html", ident)  # no such file
        assert not writer.keep("a/p.html", (ident[0], ident[1], ident[2] + 1))  # not that file
