"""CI templates: they parse, call the one tested entry point, keep the report as an
artifact (never deployed) and mark rejected rows; ci/publish.sh runs for real."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml
from conftest import ORG, ORG2, ROOT, XZCF_HEADER, penalty, write_csv

CI = ROOT / "ci"


def test_gitlab_template():
    ci = yaml.safe_load((CI / "gitlab-ci.yml").read_text("utf-8"))
    for job in ("publish", "pages"):
        assert "bash ci/publish.sh" in ci[job]["script"]
        assert ci[job]["allow_failure"] == {"exit_codes": [1]}
        assert "build/report/" in ci[job]["artifacts"]["paths"]
        assert ci[job]["artifacts"]["when"] == "always"
    assert ci["pages"]["variables"] == {"XY_TARGET": "local", "XY_DEST": "public"}
    assert ci["check"]["allow_failure"] == {"exit_codes": [1]}
    # The repository's own CI is .ci/run: the templates are not active here.
    assert not (ROOT / ".gitlab-ci.yml").exists() and not (ROOT / ".github").exists()


def test_github_template():
    wf = yaml.safe_load((CI / "github-actions.yml").read_text("utf-8"))
    steps = wf["jobs"]["publish"]["steps"]
    run = next(s["run"] for s in steps if "ci/publish.sh" in s.get("run", ""))
    assert "::warning" in run and "rc -eq 1" in run
    report = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "build/report/" in report["with"]["path"].split() and report["if"] == "always()"
    pages = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert pages["with"]["path"] == "public/"


def _run(tmp: Path, data: Path, first: bool = False) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "XY_SKIP_INSTALL": "1",
        "XY_VENV": str(ROOT / ".venv"),
        "XY_DATA": str(data),
        "XY_OUT": str(tmp / "site"),
        "XY_WORK": str(tmp / "build"),
        "XY_TARGET": "local",
        "XY_DEST": str(tmp / "www"),
        "XY_TODAY": "2026-11-22",
        "XY_FIRST_PUBLICATION": "1" if first else "0",
    }
    return subprocess.run(
        ["bash", str(CI / "publish.sh")], env=env, capture_output=True, text=True, check=False
    )


def test_publish_sh_publishes_valid_rows_and_carries_the_ledger(tmp_path):
    data = tmp_path / "data"
    good, bad = (
        penalty("甲公司", ORG, "示罚〔2026〕1号"),
        penalty("乙公司", ORG2, "示罚〔2026〕2号"),
    )
    bad[XZCF_HEADER.index("处罚决定日期")] = "2026-13-45"
    write_csv(data / "xzcf" / "a.csv", [XZCF_HEADER, good, bad])
    first = _run(tmp_path, data, first=True)
    assert first.returncode == 1, first.stdout + first.stderr  # published, one row rejected
    assert "首次发布" in first.stdout and "发布到" in first.stdout
    www = tmp_path / "www"
    assert (www / "index.html").is_file() and (
        tmp_path / "build" / "report" / "index.html"
    ).is_file()
    assert not list(www.rglob("report.json"))
    # A fresh CI checkout: no site/ and no build/ — the ledger comes back from the target.
    shutil.rmtree(tmp_path / "site")
    shutil.rmtree(tmp_path / "build")
    new = penalty("丙公司", ORG2, "示罚〔2026〕3号")
    write_csv(data / "xzcf" / "a.csv", [XZCF_HEADER, good, new])
    second = _run(tmp_path, data)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "已取回上次的发布台账" in second.stdout
    ledger = (www / "downloads" / "ledger.csv").read_text("utf-8").splitlines()
    # Build 2 appends to build 1's history (a restarted ledger would say build 1 twice).
    assert sorted(line.split(",")[0] for line in ledger[1:]) == ["1", "2"]
