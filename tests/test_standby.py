"""The standby tree (generator/fsutil.py): the tree a swap takes out is kept and the next
build starts from it, replacing only what changed. A build over a standby is byte for byte
the clean build of the same drop, and the live site it replaces is never written into
through the hard links the two trees share.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from test_incremental import build, files, same_trees

from generator import fsutil
from generator.sample import write_sample
from generator.web.writer import TreeWriter, removed

sys.path.insert(0, str(ROOT / "bench"))
from bench_build import change_drop  # noqa: E402


def inodes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_ino for p in root.rglob("*") if p.is_file()}


def test_build_over_the_standby_equals_clean_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, out, work = tmp_path / "data", tmp_path / "site", tmp_path / "work"
    write_sample(data, records=200, seed=5, anchor=dt.date(2026, 11, 22))
    standby = fsutil.standby_of(out)
    build(data, out, work, first=True)
    assert not standby.exists()  # nothing was swapped out
    change_drop(data, share=0.08)
    build(data, out, work)
    assert standby.is_dir()  # the first tree, kept
    # The standby shares the files both builds wrote alike (hard links), not copies.
    shared = set(inodes(out).values()) & set(inodes(standby).values())
    assert len(shared) > len(inodes(out)) // 2
    # Litter the standby: a stray file, a folder where a file was, a file where a folder was.
    (standby / "stray.html").write_bytes(b"<p>stale</p>")
    page = next(p for p in (standby / "xzcf").glob("*.html"))
    page.unlink()
    page.mkdir()
    (page / "x").write_bytes(b"x")
    folder = standby / "subject" / next(os.scandir(standby / "subject")).name
    shutil.rmtree(folder)
    folder.write_bytes(b"not a folder")
    (standby / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    live_before = files(out)
    ledger = tmp_path / "ledger.csv"
    shutil.copy(out / "downloads" / "ledger.csv", ledger)
    change_drop(data, share=0.08)
    capsys.readouterr()
    build(data, out, work)  # starts from the standby
    # The tree that was live is the standby now, every byte as it was served.
    assert files(standby) == live_before
    # The files it had that this build no longer has: counted from the list the previous
    # build placed, as a walk over the two trees counts them.
    said = capsys.readouterr()
    line = next(x for x in (said.out + said.err).splitlines() if x.startswith("site: "))
    assert line.endswith(f" {removed(standby, out)} removed")
    clean_out, clean_work = tmp_path / "clean-site", tmp_path / "clean-work"
    build(data, clean_out, clean_work, ledger=ledger)
    same_trees(out, clean_out)


def test_a_failed_build_deletes_the_standby(tmp_path: Path) -> None:
    """A tree the build did not swap in is never kept: it may hold what the guard refused."""
    target = tmp_path / "site"
    target.mkdir()
    (target / "a").write_text("live")
    standby = fsutil.standby_of(target)
    standby.mkdir()
    (standby / "a").write_text("old")
    with pytest.raises(RuntimeError), fsutil.replace_dir(target, standby=True) as tmp:
        assert (tmp / "a").read_text() == "old"  # the build starts from the standby
        raise RuntimeError("the guard stopped the build")
    assert not standby.exists()
    assert (target / "a").read_text() == "live"
    assert fsutil.recover(target) == []  # nothing left behind


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_the_swapped_out_tree_becomes_the_standby(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    monkeypatch.setenv(fsutil.NO_EXCHANGE_ENV, "0" if exchange else "1")
    target = tmp_path / "site"
    for text in ("one", "two", "three"):
        with fsutil.replace_dir(target, standby=True) as tmp:
            (tmp / "a").write_text(text)
    assert (target / "a").read_text() == "three"
    assert (fsutil.standby_of(target) / "a").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.standby", "site"]


def test_writer_replaces_standby_paths_never_writes_into_them(tmp_path: Path) -> None:
    live, new = tmp_path / "live", tmp_path / "new"
    live.mkdir()
    (live / "same.html").write_bytes(b"same")
    (live / "changed.html").write_bytes(b"old")
    new.mkdir()
    for name in ("same.html", "changed.html"):  # the standby: links to the live files
        os.link(live / name, new / name)
    (new / "gone.html").write_bytes(b"gone")
    writer = TreeWriter(new, live, track=True)
    writer.standby = True
    writer.write("same.html", b"same")
    writer.write("changed.html", b"new")
    assert writer.prune() == 1
    assert (live / "changed.html").read_bytes() == b"old"  # the live file untouched
    assert (new / "changed.html").read_bytes() == b"new"
    assert (new / "same.html").stat().st_ino == (live / "same.html").stat().st_ino
    assert sorted(p.name for p in new.iterdir()) == ["changed.html", "same.html"]
