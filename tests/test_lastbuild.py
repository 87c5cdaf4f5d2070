"""An unchanged rebuild writes nothing (generator/lastbuild.py), and only when that is safe:
the build is idempotent, and any change to an input or to the live files means a full build.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from generator import lastbuild
from generator.cli import main
from generator.sample import write_sample

sys.path.insert(0, str(ROOT / "bench"))
from bench_build import change_drop  # noqa: E402

TODAY = "2026-11-22"
SKIPPED = "本次没有重新生成"


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def build(
    data: Path, out: Path, work: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    args = ["--config", str(ROOT / "site.yml"), "build", "--data", str(data), "--out", str(out),
            "--work", str(work), "--today", TODAY, *extra]  # fmt: skip
    code = main(args)
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("lastbuild") / "data"
    write_sample(data, records=300, seed=5, anchor=dt.date(2026, 11, 22))
    return data


def test_unchanged_rebuild_writes_nothing(
    drop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, work = tmp_path / "site", tmp_path / "work"
    first, _ = build(drop, out, work, capsys, "--first-publication")
    built = files(out)
    code, said = build(drop, out, work, capsys)  # the ledger is now the site's own
    assert SKIPPED not in said
    # Idempotent: built again over its own output, the build writes the same files.
    assert files(out) == built
    before = lastbuild.tree_identity([out, work / "report"])
    code_again, said = build(drop, out, work, capsys)
    assert SKIPPED in said
    assert code_again == code == first
    assert "合计：读入" in said  # the drop's account is printed as always
    assert lastbuild.tree_identity([out, work / "report"]) == before  # not one file touched
    # What the build remembered of the site without walking it — the files its writers
    # placed — is what a walk over the site finds.
    placed = lastbuild.placed_files(work)
    assert placed is not None and len(placed) == len(built)
    assert lastbuild.tree_identity([out], {out.resolve(): placed}) == lastbuild.tree_identity([out])


def test_rebuild_after_a_changed_drop_is_idempotent(
    drop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Edits, additions and takedowns: the second build over the first's ledger and tree
    is byte for byte the first — what lets an unchanged rebuild keep the site."""
    data, out, work = tmp_path / "data", tmp_path / "site", tmp_path / "work"
    shutil.copytree(drop, data)
    build(data, out, work, capsys, "--first-publication")
    counts = change_drop(data, share=0.08)
    assert min(counts.values()) > 0
    build(data, out, work, capsys)
    changed = files(out)
    lastbuild.forget(work)  # no record: a full build
    _, said = build(data, out, work, capsys)
    assert SKIPPED not in said
    assert files(out) == changed
    _, said = build(data, out, work, capsys)
    assert SKIPPED in said


CHANGES = ["edit-page", "new-file", "report", "data", "ledger-flag"]


def test_any_change_means_a_full_build(
    drop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One change after another, each over the state the previous full build recorded."""
    data, out, work = tmp_path / "data", tmp_path / "site", tmp_path / "work"
    shutil.copytree(drop, data)
    build(data, out, work, capsys, "--first-publication")
    build(data, out, work, capsys)
    for change in CHANGES:
        built = files(out)
        extra: list[str] = []
        page = out / "index.html"
        if change == "edit-page":  # edited in place: same inode, new content
            with page.open("r+b") as fh:
                fh.write(b"<!-- hand edit -->")
        elif change == "new-file":
            (out / "xzcf" / "stray.html").write_text("<p>x</p>", encoding="utf-8")
        elif change == "report":
            (work / "report" / "index.html").unlink()
        elif change == "data":
            csv = next(data.glob("*/*.csv"))
            csv.write_bytes(csv.read_bytes() + b"\r\n")
        else:  # a ledger from elsewhere: its history is not the live site's
            shutil.copy(out / "downloads" / "ledger.csv", tmp_path / "ledger.csv")
            extra = ["--ledger", str(tmp_path / "ledger.csv")]
        _, said = build(data, out, work, capsys, *extra)
        assert SKIPPED not in said, change
        assert files(out) == built, change  # rebuilt: hand edits and strays are gone
        assert (work / "report" / "index.html").is_file()


def test_key_follows_every_input(tmp_path: Path) -> None:
    out = tmp_path / "site"
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("# 一", encoding="utf-8")
    assert lastbuild.build_key("drop", out, None, False, [content]) is None  # no ledger yet
    (out / "downloads").mkdir(parents=True)
    (out / "downloads" / "ledger.csv").write_text("x", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out, elsewhere)
    key = lastbuild.build_key("drop", out, None, False, [content])
    assert key is not None
    assert key == lastbuild.build_key("drop", out, None, False, [content])
    assert key != lastbuild.build_key("another drop", out, None, False, [content])
    assert key != lastbuild.build_key("drop", elsewhere, None, False, [content])
    assert lastbuild.build_key("drop", out, str(tmp_path / "l.csv"), False, [content]) is None
    assert lastbuild.build_key("drop", out, None, True, [content]) is None
    (content / "a.md").write_text("# 二", encoding="utf-8")
    assert key != lastbuild.build_key("drop", out, None, False, [content])
    os.remove(content / "a.md")
    assert key != lastbuild.build_key("drop", out, None, False, [content])
