"""The command line: exit codes, where the report goes, atomic output, sample drops."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ORG, ROOT, XZCF_HEADER, penalty, write_csv

from generator.cli import main


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_exit_codes(tmp_path, capsys):
    clean = tmp_path / "clean"
    write_csv(clean / "xzcf" / "a.csv", [XZCF_HEADER, penalty("甲", ORG, "1号")])
    assert (
        main(
            [
                "--config",
                str(ROOT / "site.yml"),
                "check",
                "--data",
                str(clean),
                "--today",
                "2026-11-22",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "--config",
                str(ROOT / "site.yml"),
                "check",
                "--data",
                str(FIXTURES / "gbk-csv"),
                "--today",
                "2026-11-22",
            ]
        )
        == 1
    )
    assert (
        main(["--config", str(ROOT / "site.yml"), "check", "--data", str(tmp_path / "nope")]) == 2
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--config", str(ROOT / "site.yml"), "check", "--data", str(empty)]) == 2
    out = capsys.readouterr()
    assert "找不到数据目录" in out.err and "没有 CSV/XLSX/XLS 文件" in out.err


def test_config_errors_are_all_listed_and_exit_2(tmp_path):
    bad = tmp_path / "site.yml"
    bad.write_text(
        "rules:\n  penalty:\n    min_months: 三个月\n    max_months: x\n", encoding="utf-8"
    )
    result = cli("--config", str(bad), "check", "--data", str(FIXTURES / "gbk-csv"))
    assert result.returncode == 2
    assert "min_months" in result.stderr and "max_months" in result.stderr


def test_check_json_is_parseable_and_progress_stays_off_stdout():
    result = cli(
        "check", "--data", str(FIXTURES / "xlsx-title"), "--today", "2026-11-22", "--format", "json"
    )
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["summary"]["total"]["read"] == 4 and len(data["rows"]) == 4
    assert result.stderr == ""  # not a terminal: no progress bar


def test_build_writes_report_beside_never_inside_the_public_output(tmp_path):
    out, work = tmp_path / "site", tmp_path / "build"
    result = cli(
        "build",
        "--data",
        str(FIXTURES / "gbk-csv"),
        "--out",
        str(out),
        "--work",
        str(work),
        "--today",
        "2026-11-22",
        "--first-publication",
    )
    assert result.returncode == 1, result.stderr
    assert (work / "report" / "index.html").exists() and (work / "report" / "report.json").exists()
    assert not any(p.name.startswith("report") for p in out.rglob("*")) if out.exists() else True
    nested = cli(
        "build",
        "--data",
        str(FIXTURES / "gbk-csv"),
        "--out",
        str(out),
        "--work",
        str(out / "internal"),
    )
    assert nested.returncode == 2 and "不能相互包含" in nested.stderr


def test_failed_build_leaves_previous_output(tmp_path, monkeypatch):
    from generator import fsutil

    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("previous", encoding="utf-8")
    with pytest.raises(RuntimeError), fsutil.replace_dir(target) as tmp:
        (tmp / "new.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (target / "old.txt").read_text(encoding="utf-8") == "previous"


def test_sample_is_deterministic_and_checks(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        assert (
            cli(
                "sample",
                "--records",
                "300",
                "--seed",
                "3",
                "--out",
                str(d),
                "--today",
                "2026-11-22",
            ).returncode
            == 0
        )
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    check = cli("check", "--data", str(a), "--today", "2026-11-22", "--format", "json")
    assert check.returncode == 1  # the sample carries deliberate defects
    summary = json.loads(check.stdout)["summary"]
    # --records counts the six hand-written kinds; the others get rows from their schema.
    from generator.sample import SPLIT

    assert sum(summary["datasets"][k]["read"] for k in SPLIT) == 300
    assert summary["total"]["read"] > 300 and summary["total"]["rejected"] > 0


# --- exit codes that cannot lie: a crash in any stage exits 70 and changes nothing ---------

BUILD_STAGES = [
    "generator.memo.run",  # load → validate → identity → disclose → mask
    "generator.build.write_json",
    "generator.build.render_html",
    "generator.build.previous_ledger",
    "generator.site.build_narrative",
    "generator.site.render_records",
    "generator.site.pages.Pages.home",
    "generator.search.SearchIndex.write",
    "generator.opendata.OpenData.write",
    "generator.opendata.render_feed",  # where a NUL byte crashed lxml
    "generator.guard.Scanner.flush",  # the guard: files checked as written
    "generator.guard.Guard.__call__",  # the guard: the finished tree
    "generator.fsutil.exchange",  # the swap itself
]
PUBLISH_STAGES = [
    "generator.publish.scan_tree",
    "generator.publish.build_manifest",
    "generator.publish.local.LocalTarget._swap",
]


def _drop(data: Path, n: int) -> None:
    rows = [penalty(f"公司{i}", ORG, f"示罚〔2026〕{i}号") for i in range(n)]
    write_csv(data / "xzcf" / "a.csv", [XZCF_HEADER, *rows])


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the site, the report, the records and the published folder, and
    every name beside them (a leftover temporary tree counts)."""
    out = {p.name: b"" for p in root.iterdir()}
    for part in ("site", "work/report", "work/records", "www"):
        for p in sorted((root / part).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(root))] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built and published once; the drop then changed (a build would change all)."""
    base = tmp_path_factory.mktemp("crash")
    _drop(base / "data", 2)
    args = ["build", "--data", str(base / "data"), "--out", str(base / "site"), "--work",
            str(base / "work"), "--today", "2026-11-22", "--workers", "1"]  # fmt: skip
    assert main([*args, "--first-publication"]) == 0
    assert main(["publish", "--site", str(base / "site"), "--work", str(base / "work"),
                 "--target", "local", "--dest", str(base / "www")]) == 0  # fmt: skip
    _drop(base / "data", 3)
    return base


def _inject(monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected crash")

    monkeypatch.setattr(stage, boom)


@pytest.mark.parametrize("stage", BUILD_STAGES)
def test_a_crash_in_any_build_stage_exits_70_and_changes_nothing(
    published, tmp_path, monkeypatch, capsys, stage
):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(published, root)
    before = _snapshot(root)
    _inject(monkeypatch, stage)
    code = main(["build", "--data", str(root / "data"), "--out", str(root / "site"), "--work",
                 str(root / "work"), "--today", "2026-11-22", "--workers", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 70
    assert _snapshot(root) == before  # site, report, records (and ledger) as they were
    log = root / "work" / "crash.log"
    assert str(log) in err and "内部错误（RuntimeError）" in err
    assert "injected crash" in log.read_text("utf-8") and "injected crash" not in err


@pytest.mark.parametrize("stage", PUBLISH_STAGES)
def test_a_crash_in_any_publish_stage_exits_70_and_changes_nothing(
    published, tmp_path, monkeypatch, capsys, stage
):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(published, root)
    # Another build to send, so the publish has something to change.
    assert main(["build", "--data", str(root / "data"), "--out", str(root / "site"), "--work",
                 str(root / "work"), "--today", "2026-11-22", "--workers", "1"]) == 0  # fmt: skip
    before = _snapshot(root)
    _inject(monkeypatch, stage)
    code = main(["publish", "--site", str(root / "site"), "--work", str(root / "work"),
                 "--target", "local", "--dest", str(root / "www")])  # fmt: skip
    assert code == 70 and "crash.log" in capsys.readouterr().err
    assert _snapshot(root) == before


def test_a_crash_in_check_exits_70(tmp_path, monkeypatch, capsys):
    _drop(tmp_path / "data", 1)
    _inject(monkeypatch, "generator.cli.run")
    monkeypatch.chdir(tmp_path)
    assert main(["--config", str(ROOT / "site.yml"), "check", "--data", "data"]) == 70
    assert (tmp_path / "build" / "crash.log").is_file()


# --- ci/publish.sh publishes only on 0 or 1 ------------------------------------------------


def _publish_sh(tmp: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {
        **os.environ,
        "XY_SKIP_INSTALL": "1",
        "XY_VENV": str(Path(sys.executable).parent.parent),
        "XY_DATA": str(tmp / "data"),
        "XY_OUT": str(tmp / "site"),
        "XY_WORK": str(tmp / "build"),
        "XY_TARGET": "local",
        "XY_DEST": str(tmp / "www"),
        "XY_TODAY": "2026-11-22",
        "XY_FIRST_PUBLICATION": "1",
        **extra,
    }
    return subprocess.run(["bash", str(ROOT / "ci" / "publish.sh")], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_publish_sh_publishes_nothing_when_the_build_dies(tmp_path):
    from generator.fsutil import FAULT_ENV, FAULT_EXIT

    _drop(tmp_path / "data", 2)
    done = _publish_sh(tmp_path, **{FAULT_ENV: "written"})  # killed before the swap
    assert done.returncode == FAULT_EXIT, done.stdout + done.stderr
    assert "未发布" in done.stderr and "已发布" not in done.stdout + done.stderr
    assert not (tmp_path / "www").exists()


def test_publish_sh_stops_with_6_while_another_build_holds_the_lock(tmp_path):
    from generator.fsutil import lock_file, locked

    _drop(tmp_path / "data", 2)
    with locked(lock_file(tmp_path / "site")):
        done = _publish_sh(tmp_path)
    assert done.returncode == 6, done.stdout + done.stderr
    assert "另一个构建或发布正在进行" in done.stderr and not (tmp_path / "www").exists()
    # Without the first-publication variable, a first build stops and says how to go on.
    first = _publish_sh(tmp_path, XY_FIRST_PUBLICATION="0")
    assert first.returncode == 2 and "XY_FIRST_PUBLICATION=1" in first.stderr
    assert not (tmp_path / "www").exists()
