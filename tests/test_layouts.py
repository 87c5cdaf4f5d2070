"""The real-layout corpus (tests/fixtures/layouts/, sources in its README.md): what each
layout publishes, which headers it maps, which values are derived, and what a layout that
truly lacks required information is told."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from generator.cli import main
from generator.columns import STATUS

LAYOUTS = Path(__file__).parent / "fixtures" / "layouts"

# layout -> (dataset, rows read, published, rejected)
FIGURES = {
    "l01-xzcf-2016-platform": ("xzcf", 8, 8, 0),
    "l02-xzcf-2016-colons": ("xzcf", 6, 6, 0),
    "l03-xzcf-2016-report": ("xzcf", 7, 7, 0),
    "l04-xzxk-2016-platform": ("xzxk", 8, 8, 0),
    "l05-xzxk-field-codes": ("xzxk", 6, 6, 0),
    "l06-xzcf-gsxt-detail": ("xzcf", 6, 6, 0),
    "l07-xzcf-portal-api": ("xzcf", 7, 7, 0),
    "l08-xzcf-gsxt-list": ("xzcf", 4, 0, 4),
    "l09-xzcf-open-data-api": ("xzcf", 3, 0, 3),
    "l10-xzxk-approval-system": ("xzxk", 6, 6, 0),
    "l11-xzcf-credit-portal": ("xzcf", 6, 6, 0),
}


@pytest.fixture(scope="module")
def results(config):
    from generator.pipeline import run

    return {name: run(LAYOUTS / name, config, dt.date(2026, 11, 22)) for name in FIGURES}


def test_corpus_has_at_least_ten_layouts_each_with_a_source():
    readme = (LAYOUTS / "README.md").read_text(encoding="utf-8")
    dirs = sorted(d.name for d in LAYOUTS.iterdir() if d.is_dir() and d.name[:1] == "l")
    assert len(dirs) >= 10 and set(dirs) == set(FIGURES)
    for name in dirs:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_layout_publishes_what_it_can(results, name):
    dataset, rows, published, rejected = FIGURES[name]
    frame = results[name].records[dataset]
    status = Counter(frame.get_column(STATUS).to_list())
    assert frame.height == rows
    assert (status["published"], status["rejected"]) == (published, rejected)
    assert sum(status.values()) == rows  # 读入 = 公示 + 撤下 + 拒收 + 合并


def test_five_complete_layouts_publish_at_least_ninety_percent(results):
    complete = [n for n, (_, rows, pub, _) in FIGURES.items() if pub >= 0.9 * rows]
    assert len(complete) >= 5


def test_lacking_layout_gets_one_file_level_error_naming_each_column(results):
    errors = [i for i in results["l09-xzcf-open-data-api"].issues if i.severity == "error"]
    assert [i.code for i in errors] == ["column-missing"]
    assert "「行政相对人名称」「处罚内容」" in errors[0].message
    assert "columns.yml" in errors[0].fix
    # The office's columns.yml mapped 时间 to the decision date: not among the missing.
    assert "处罚决定日期" not in errors[0].message
    assert [
        i.column for i in results["l09-xzcf-open-data-api"].issues if i.code == "column-unknown"
    ] == ["金额"]


def test_2016_hint_decides_over_the_number(results):
    frame = results["l01-xzcf-2016-platform"].records["xzcf"]
    person = frame.filter(pl.col("xdr_lb") == "自然人").row(0, named=True)
    org = frame.filter(pl.col("xdr_lb") != "自然人").row(0, named=True)
    # 代码_3(工商登记码) is the 注册号, not the 组织机构代码; 代码_5(居民身份证号) the masked ID.
    assert org["xdr_gszc"] and len(org["xdr_gszc"]) == 15 and org["xdr_zzjg"] is None
    assert person["xdr_lb"] == "自然人"
    assert "*" in person["xdr_zjhm"]


def test_trailing_colons_and_title_row_are_read(results):
    issues = results["l02-xzcf-2016-colons"].issues
    assert not [i for i in issues if i.code in ("header-not-found", "column-unknown")]


def test_derived_values_are_reported_with_counts(results):
    derived = {
        (i.column, i.message)
        for i in results["l01-xzcf-2016-platform"].issues
        if i.code == "value-derived"
    }
    columns = {c for c, _ in derived}
    assert {"行政相对人类别", "违法行为类型", "处罚机关统一社会信用代码", "数据来源单位"} <= columns
    lb = next(m for c, m in derived if c == "行政相对人类别")
    assert "有 8 行" in lb


def test_combined_code_column_is_split_by_shape(results):
    frame = results["l11-xzcf-credit-portal"].records["xzcf"].sort("_row")
    rows = frame.select("xdr_mc", "xdr_lb", "xdr_shxym", "xdr_zjhm", "xdr_gszc", "xdr_zjdm").rows()
    kinds = [
        ("shxym" if r[2] else "") + ("zjhm" if r[3] else "") + ("gszc" if r[4] else "")
        for r in rows
    ]
    assert kinds == ["shxym", "zjhm", "shxym", "shxym", "gszc", "shxym"]
    assert [r[1] for r in rows][:3] == ["法人及非法人组织", "自然人", "个体工商户"]
    assert not any(r[5] for r in rows)  # the combined column is never published as written
    assert "*" in rows[1][3]


def test_validity_range_is_split_into_two_dates(results):
    frame = results["l10-xzxk-approval-system"].records["xzxk"].sort("_row")
    got = [(str(a), str(b) if b else None) for a, b in frame.select("yxqz", "yxqzi").rows()]
    assert got == [
        ("2026-03-01", "2031-02-28"),
        ("2026-04-02", "2029-04-01"),
        ("2026-05-06", "2028-05-05"),
        ("2026-06-07", "2031-06-06"),
        ("2026-07-08", None),
        ("2026-08-09", "2031-08-08"),
    ]


def test_directory_normalises_names_and_fills_codes(results):
    frame = results["l06-xzcf-gsxt-detail"].records["xzcf"]
    assert set(frame.get_column("cfjg").to_list()) == {"示例市市场监督管理局"}
    assert set(frame.get_column("cfjgdm").to_list()) == {"11990100008701231Y"}
    unknown = [i for i in results["l07-xzcf-portal-api"].issues if i.code == "department-unknown"]
    assert unknown and unknown[0].value == "示例市公路事业发展中心"


def test_check_proposes_a_mapping_for_unknown_headers(capsys):
    code = main(
        ["check", "--data", str(LAYOUTS / "l09-xzcf-open-data-api"), "--today", "2026-11-22"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "xzcf「金额」→「罚款金额(万元)」" in out
    assert "# data/xzcf/columns.yml" in out and "金额: 罚款金额(万元)" in out
