"""Shared test helpers: the real config, small drops written as real files, and a runner."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: `ci` (the default, fast, part of the normal suite) and `fuzz` (many more
# examples, `make fuzz`), chosen by the environment variable HYPOTHESIS_PROFILE.
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=_SLOW)
settings.register_profile("fuzz", max_examples=1500, deadline=None, suppress_health_check=_SLOW)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

from browser import base_url, browser, credit_url, page  # noqa: E402, F401  (one Chromium per session)
from make_fixtures import DEPT, ORG, ORG2, PERSON_ID, XZCF_HEADER, penalty  # noqa: E402

from generator.config import Config, load_config  # noqa: E402
from generator.pipeline import Result, run  # noqa: E402

TODAY = dt.date(2026, 11, 22)

__all__ = [
    "DEPT",
    "ORG",
    "ORG2",
    "PERSON_ID",
    "XZCF_HEADER",
    "penalty",
    "TODAY",
    "ROOT",
    "FIXTURES",
    "write_csv",
    "flat",
]


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(ROOT / "site.yml")


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.fixture
def check(config: Config) -> Callable[..., Result]:
    """Run the whole pipeline over a data dir as of TODAY (or `today`)."""

    def _check(data: Path, today: dt.date = TODAY, cfg: Config | None = None) -> Result:
        return run(data, cfg or config, today)

    return _check


@pytest.fixture
def penalties(tmp_path: Path, check: Callable[..., Result]) -> Callable[..., Result]:
    """Write penalty rows (lists from `penalty(...)`) as one CSV and run the pipeline."""

    def _run(
        *rows: list[str],
        today: dt.date = TODAY,
        withdrawals: list[list[str]] | None = None,
        cfg: Config | None = None,
    ) -> Result:
        write_csv(tmp_path / "xzcf" / "处罚.csv", [XZCF_HEADER, *rows])
        if withdrawals:
            write_csv(tmp_path / "withdrawals" / "撤下.csv", withdrawals)
        return check(tmp_path, today, cfg)

    return _run


def flat(result: Result, *codes: str) -> list[tuple[str, int | None, str | None]]:
    """Issues as (code, row, column), optionally only the given codes."""
    return [(i.code, i.row, i.column) for i in result.issues if not codes or i.code in codes]
