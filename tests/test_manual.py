"""The office's manual (docs/manual/): a section for every report code and every withdrawal
reason code, generated tables up to date, and never part of the public site."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml
from conftest import ROOT

from generator.config import load_config

MANUAL = ROOT / "docs" / "manual"
HEADING = re.compile(r"^#{2,4} `([a-z-]+)`", re.M)


def headed_codes() -> set[str]:
    return {m for f in MANUAL.glob("*.md") for m in HEADING.findall(f.read_text("utf-8"))}


def test_every_report_code_has_a_section():
    codes = yaml.safe_load((ROOT / "generator" / "issue_codes.yml").read_text("utf-8"))
    assert set(codes) - headed_codes() == set()


def test_every_withdrawal_reason_has_a_section():
    labels = load_config(ROOT / "site.yml").reason_labels()
    assert set(labels) - headed_codes() == set()


def test_generated_tables_are_up_to_date():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "manual_tables.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout


def test_manual_is_not_public():
    mkdocs = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8").replace("!!python", "#"))
    docs_dir = ROOT / mkdocs.get("docs_dir", "docs")
    assert docs_dir.resolve() not in MANUAL.resolve().parents
    assert "manual" not in (ROOT / "mkdocs.yml").read_text("utf-8")
