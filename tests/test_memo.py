"""The pipeline's kept result: reused only for exactly the same inputs, never wrong."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from conftest import TODAY, write_csv
from make_fixtures import ORG, ORG2, XZCF_HEADER, penalty

from generator import memo
from generator.config import Config


def drop(data: Path, *rows: list[str]) -> None:
    write_csv(data / "xzcf" / "处罚.csv", [XZCF_HEADER, *rows])


def same(a, b) -> bool:
    return (
        a.today == b.today
        and sorted(a.records) == sorted(b.records)
        and all(a.records[k].equals(b.records[k]) for k in a.records)
        and a.withdrawals.equals(b.withdrawals)
        and a.issues == b.issues
    )


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the real pipeline ran."""
    calls: list[int] = []
    real = memo.run

    def run(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(memo, "run", run)
    return calls


def test_an_unchanged_drop_reuses_the_result(tmp_path: Path, config: Config, counted):
    data, cache = tmp_path / "data", tmp_path / "work" / "cache"
    drop(
        data,
        penalty("甲公司", ORG, "示市监罚〔2026〕1号"),
        penalty("乙公司", ORG2, "示市监罚〔2026〕2号"),
    )
    first = memo.run_cached(cache, data, config, TODAY)
    again = memo.run_cached(cache, data, config, TODAY)
    assert len(counted) == 1 and same(first, again)


@pytest.mark.parametrize("change", ["row", "new file", "today", "config"])
def test_any_change_of_the_inputs_runs_the_pipeline(
    tmp_path: Path, config: Config, counted, change: str
):
    data, cache = tmp_path / "data", tmp_path / "work" / "cache"
    drop(data, penalty("甲公司", ORG, "示市监罚〔2026〕1号"))
    memo.run_cached(cache, data, config, TODAY)
    today, cfg = TODAY, config
    if change == "row":
        drop(data, penalty("乙公司", ORG2, "示市监罚〔2026〕2号"))
    elif change == "new file":
        write_csv(
            data / "xzcf" / "补报.csv",
            [XZCF_HEADER, penalty("乙公司", ORG2, "示市监罚〔2026〕3号")],
        )
    elif change == "today":
        today = TODAY + dt.timedelta(days=1)
    else:
        cfg = dataclasses.replace(config, site={**config.site, "marker": 1})
    result = memo.run_cached(cache, data, cfg, today)
    assert len(counted) == 2
    assert same(result, memo.run(data, cfg, today))


def test_a_damaged_or_foreign_cache_file_only_costs_time(tmp_path: Path, config: Config, counted):
    data, cache = tmp_path / "data", tmp_path / "work" / "cache"
    drop(
        data,
        penalty("甲公司", ORG, "示市监罚〔2026〕1号"),
        penalty("乙公司", ORG2, "示市监罚〔2026〕2号"),
    )
    first = memo.run_cached(cache, data, config, TODAY)
    kept = cache / memo.NAME
    kept.write_bytes(kept.read_bytes()[: kept.stat().st_size // 2])  # a killed write
    assert same(memo.run_cached(cache, data, config, TODAY), first)
    kept.write_bytes(b"not a pickle")
    assert same(memo.run_cached(cache, data, config, TODAY), first)
    assert len(counted) == 3
