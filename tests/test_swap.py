"""A swap no kill can break: fault injection at every step of replacing a tree (the process
dies there, no cleanup), then what the next run finds; stale trees; one build at a time."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from conftest import ORG, ORG2, ROOT, XZCF_HEADER, penalty, write_csv

from generator import fsutil
from generator.fsutil import FAULT_ENV, FAULT_EXIT, NO_EXCHANGE_ENV, SWAP_STEPS

FILES = 20
SWAPPER = """
import sys
from pathlib import Path
from generator.fsutil import replace_dir
with replace_dir(Path(sys.argv[1])) as tmp:
    for i in range(int(sys.argv[2])):
        (tmp / f"{i}.txt").write_text("new")
"""


def tree(root: Path, version: str) -> None:
    root.mkdir(parents=True)
    for i in range(FILES):
        (root / f"{i}.txt").write_text(version)


def versions(root: Path) -> set[str]:
    """The versions of the files in `root`; a complete tree has FILES files of one version."""
    files = sorted(root.iterdir())
    assert len(files) == FILES, [p.name for p in files]
    return {p.read_text() for p in files}


def swap_killed_at(target: Path, step: str, exchange: bool) -> int:
    env = {**os.environ, FAULT_ENV: step, NO_EXCHANGE_ENV: "0" if exchange else "1"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", SWAPPER, str(target), str(FILES)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode in (0, FAULT_EXIT), done.stderr
    return done.returncode


def test_this_system_exchanges_in_one_step(tmp_path):
    tree(tmp_path / "a", "a")
    tree(tmp_path / "b", "b")
    assert fsutil.exchange(tmp_path / "a", tmp_path / "b")
    assert versions(tmp_path / "a") == {"b"} and versions(tmp_path / "b") == {"a"}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
@pytest.mark.parametrize("step", SWAP_STEPS)
def test_a_kill_at_any_step_leaves_a_complete_tree(tmp_path, step, exchange):
    target = tmp_path / "site"
    tree(target, "old")
    code = swap_killed_at(target, step, exchange)
    # Between the two renames (no RENAME_EXCHANGE) the folder is missing for an instant.
    if exchange or step not in ("moved-aside",):
        assert versions(target) <= {"old", "new"} and len(versions(target)) == 1
    done = fsutil.recover(target)  # what the next build or publish does first
    assert len(versions(target)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"], done
    if code == FAULT_EXIT and step in ("written", "ready"):
        assert versions(target) == {"old"}  # killed before the swap: the old site
    if step == "moved-aside" and not exchange:
        assert versions(target) == {"old"} and "恢复" in done[0]  # restored, and said so


@pytest.mark.parametrize("step", ["written", "ready"])
def test_a_kill_before_the_first_site_leaves_nothing_half_made(tmp_path, step):
    target = tmp_path / "site"
    swap_killed_at(target, step, exchange=True)
    fsutil.recover(target)
    # Either no site yet, or the complete one: never a partial tree under the real name.
    assert not target.exists() or versions(target) == {"new"}
    assert [p.name for p in tmp_path.iterdir()] in ([], ["site"])


def test_stale_trees_of_dead_processes_are_removed(tmp_path):
    tree(tmp_path / "site", "old")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(dead.stdout)
    (tmp_path / f".site.tmp-{pid}" / "x").mkdir(parents=True)
    (tmp_path / f".site.tmp-{pid}-new").mkdir()
    (tmp_path / f".site.tmp-{os.getpid()}").mkdir()  # alive: a run still writing it
    (tmp_path / ".site.x.tmp-1").mkdir()  # another folder's (site.x), not ours
    done = fsutil.recover(tmp_path / "site")
    assert len(done) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".site.tmp-" + str(os.getpid()),
        ".site.x.tmp-1",
        "site",
    ]


def test_a_held_lock_names_its_holder(tmp_path):
    lock = tmp_path / "work" / ".lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(fsutil.LockHeld) as info, fsutil.locked(lock):
            pass
        assert info.value.pid == holder.pid
    finally:
        holder.kill()
        holder.wait()
    with fsutil.locked(lock):  # the kernel released it with the process
        assert lock.read_text() == str(os.getpid())


HOLDER = """
import sys, time
from pathlib import Path
from generator.fsutil import locked
with locked(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


# --- the CLI: a killed build, the next build, the ledger ----------------------------------


def drop(data: Path, n: int) -> None:
    rows = [penalty(f"公司{i}", ORG if i % 2 else ORG2, f"示罚〔2026〕{i}号") for i in range(n)]
    write_csv(data / "xzcf" / "a.csv", [XZCF_HEADER, *rows])


def gen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def build_args(data: Path, out: Path, work: Path, *extra: str) -> list[str]:
    return ["build", "--data", str(data), "--out", str(out), "--work", str(work),
            "--today", "2026-11-22", "--workers", "1", *extra]  # fmt: skip


def ledger_builds(out: Path) -> list[int]:
    frame = pl.read_csv(out / "downloads" / "ledger.csv")
    return sorted(set(frame.get_column("build").to_list()))


def test_killed_build_between_renames_then_the_next_build_keeps_the_history(tmp_path):
    data, out, work = tmp_path / "data", tmp_path / "site", tmp_path / "work"
    drop(data, 3)
    assert gen(*build_args(data, out, work, "--first-publication")).returncode == 0
    drop(data, 4)
    killed = gen(*build_args(data, out, work),
                 env={FAULT_ENV: "moved-aside", NO_EXCHANGE_ENV: "1"})  # fmt: skip
    assert killed.returncode == FAULT_EXIT, killed.stderr
    assert not out.exists() and fsutil.backups(out)  # the worst instant: no site/
    # The next build restores the site, says so, and continues its ledger (not build 1).
    again = gen(*build_args(data, out, work))
    assert again.returncode == 0, again.stderr
    assert "已从" in again.stderr and "恢复" in again.stderr
    assert ledger_builds(out) == [1, 2]
    # Nothing left of the killed run; the tree this build swapped out is the standby.
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".site-lock", ".site.standby", "data", "site", "work"]


def test_killed_build_after_the_exchange_leaves_the_new_site(tmp_path):
    data, out, work = tmp_path / "data", tmp_path / "site", tmp_path / "work"
    drop(data, 3)
    assert gen(*build_args(data, out, work, "--first-publication")).returncode == 0
    drop(data, 4)
    killed = gen(*build_args(data, out, work), env={FAULT_ENV: "exchanged"})
    assert killed.returncode == FAULT_EXIT
    assert ledger_builds(out) == [1, 2] and (out / "index.html").is_file()
    stale = [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")]
    assert stale  # the previous tree, left by the killed build …
    assert gen(*build_args(data, out, work)).returncode == 0
    # … removed; the tree the last build swapped out is the standby.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")] == [".site.standby"]


def test_two_builds_at_once_the_second_stops_with_6(tmp_path):
    data, out, work = tmp_path / "data", tmp_path / "site", tmp_path / "work"
    drop(data, 12)
    args = build_args(data, out, work, "--first-publication")
    first = subprocess.Popen(
        [sys.executable, "-m", "generator", *args], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_until_locked(work / ".lock", first)
        second = gen(*args)
        assert second.returncode == 6, second.stderr
        assert f"进程 {first.pid}" in second.stderr and "--wait" in second.stderr
        waited = gen(*build_args(data, out, work, "--wait"))  # queues, then builds over it
    finally:
        stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert waited.returncode == 0, waited.stderr
    # The first build completed with its full index: the same bytes as a build alone.
    alone = tmp_path / "alone"
    assert gen(*build_args(data, alone, tmp_path / "w2", "--first-publication")).returncode == 0
    entry = "search/pf/main/pagefind-entry.json"
    assert (out / entry).read_bytes() == (alone / entry).read_bytes()
    assert ledger_builds(out) == [1]  # the waiting build changed nothing: no event


def _wait_until_locked(lock: Path, proc: subprocess.Popen[str]) -> None:
    for _ in range(600):
        assert proc.poll() is None, "the first build ended before it was seen holding the lock"
        if lock.exists():
            with open(lock, "a") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return
                fcntl.flock(fh, fcntl.LOCK_UN)
        time.sleep(0.02)
    raise AssertionError("the first build never took the lock")


def test_pull_ledger_restores_a_live_folder_a_killed_deploy_left_missing(tmp_path):
    from generator.publish import LocalTarget, pull_ledger

    www = tmp_path / "www"
    (tmp_path / ".www.publish-stage-old" / "downloads").mkdir(parents=True)
    (tmp_path / ".www.publish-stage-old" / ".publish-manifest.json").write_text("{}")
    (tmp_path / ".www.publish-stage-old" / "downloads" / "ledger.csv").write_text("x\n")
    assert pull_ledger(LocalTarget(www), tmp_path / "got.csv")  # not "首次发布"
    assert (tmp_path / "got.csv").read_text() == "x\n" and (www / "downloads").is_dir()


# --- every subprocess has a timeout ---------------------------------------------------------


def test_a_pagefind_run_over_its_time_is_a_clear_error(tmp_path):
    data, out = tmp_path / "data", tmp_path / "site"
    drop(data, 2)
    done = gen(*build_args(data, out, tmp_path / "work", "--first-publication",
                           "--search-timeout", "0"))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Pagefind 建立搜索索引超时" in done.stderr and "--search-timeout" in done.stderr
    assert not out.exists()


def test_an_rsync_command_over_its_time_is_a_clear_error():
    from generator.publish import PublishError, RsyncTarget

    with pytest.raises(PublishError, match="rsync 超时"):
        RsyncTarget("/nowhere/", timeout=0.2)._run(["sleep", "5"])
