"""Kinds are data (issue 12 point 5): an office's schemas/ folder beside site.yml adds a
kind or adjusts a packaged one, and every surface that lists kinds takes it from there."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from conftest import DEPT, ORG, ORG2, ROOT, TODAY, XZCF_HEADER, penalty, write_csv

from generator import mkdocs_hooks
from generator.cli import main
from generator.config import STAGE_REASONS, ConfigError, load_config
from generator.disclose import REVIEW
from generator.identity import assign_ids
from generator.opendata.package import kinds_text
from generator.pipeline import run
from generator.report import text_lines
from generator.web.nav import columns, search_filters

# A kind no packaged schema has: 资质等级 (grades of a qualification), with its own enum.
KIND = """\
id: zizhi
name: 建筑业企业资质等级
short_name: 资质等级
aliases: [资质]
description: 建筑业企业资质等级评定结果，在有效期内公示。
columns:
  - {key: qymc, label: 企业名称, type: name, required: publish, role: subject_name, aliases: [单位名称]}
  - {key: tyshxydm, label: 统一社会信用代码, type: uscc, required: publish, role: subject_code}
  - {key: dj, label: 资质等级, type: enum, enum: grade, required: publish}
  - {key: pdbm, label: 评定部门, type: text, required: publish, role: department}
  - {key: pdrq, label: 评定日期, type: date, required: publish, role: date}
  - {key: yxqz, label: 有效期至, type: date}
identity: [pdbm, subject, pdrq]
title: [qymc, dj]
facets: [pdbm, year, dj]
disclosure:
  - {rule: until_date, field: yxqz, reason: grade-expired, label: 资质等级有效期届满}
"""
ENUMS = "grade:\n  甲级: [一级]\n  乙级: [二级]\n"
BUREAU = "示例市住房和城乡建设局"
HEADER = ["企业名称", "统一社会信用代码", "资质等级", "评定部门", "评定日期", "有效期至"]


def office(tmp_path: Path, files: dict[str, str]) -> Path:
    """A copy of the demo site.yml with an office schemas/ folder holding `files`."""
    site = tmp_path / "office" / "site.yml"
    site.parent.mkdir(parents=True)
    shutil.copy(ROOT / "site.yml", site)
    for name, text in files.items():
        (site.parent / "schemas").mkdir(exist_ok=True)
        (site.parent / "schemas" / name).write_text(text, encoding="utf-8")
    return site


def problems(site: Path) -> str:
    with pytest.raises(ConfigError) as exc:
        load_config(site)
    return "\n".join(exc.value.problems)


@pytest.fixture
def added(tmp_path: Path):
    return load_config(office(tmp_path, {"zizhi.yml": KIND, "_enums.yml": ENUMS}))


def test_an_office_kind_comes_after_the_packaged_ones(added, config):
    assert [s.id for s in added.datasets()] == [s.id for s in config.datasets()] + ["zizhi"]
    assert added.schemas["zizhi"].source == "schemas/zizhi.yml"
    # The withdrawal list's 数据集 column knows it by id, name, short name and alias.
    enum = added.enums["dataset"]
    assert enum.values[-1] == "zizhi"
    assert {enum.variants[v] for v in ("zizhi", "建筑业企业资质等级", "资质等级", "资质")} == {
        "zizhi"
    }


def test_an_office_kind_is_in_every_menu(added, tmp_path, monkeypatch):
    assert ("资质等级", "zizhi/") in [(i.label, i.href) for i in columns(added)]
    # The narrative (MkDocs) pages' menu: from the site.yml the build names.
    monkeypatch.setenv("XY_SITE_FILE", str(added.root / "site.yml"))
    mk = SimpleNamespace(config_file_path=str(ROOT / "mkdocs.yml"), site_name="", site_url="")
    mkdocs_hooks.on_config(mk)
    env = SimpleNamespace(globals={}, filters={})
    mkdocs_hooks.on_env(env, mk, None)
    assert "zizhi/" in [i.href for i in env.globals["xy_nav"]]
    page = SimpleNamespace(url="zizhi/")
    assert mkdocs_hooks.on_page_context({}, page, mk, None)["xy_section"] == "zizhi/"


def test_an_office_kind_is_in_the_search_filters_and_the_datapackage(added, config):
    assert kinds_text(added).endswith("统一社会信用代码赋码公示和建筑业企业资质等级")
    assert kinds_text(config) == (
        "行政许可、行政处罚、红名单、黑名单、双随机抽查结果、信用承诺、企业综合信用等级、"
        "经营异常名录和统一社会信用代码赋码公示"
    )
    label = dict(search_filters(added.datasets()))["类别"]
    assert label.endswith("、资质等级") and "评定部门" not in label


def test_an_office_kind_is_read_disclosed_and_reported(added, tmp_path):
    data = tmp_path / "data"
    rows = [
        ["甲建筑公司", ORG, "一级", BUREAU, "2025-03-01", "2027-03-01"],
        ["乙建筑公司", ORG2, "乙级", BUREAU, "2020-03-01", "2025-03-01"],
    ]
    write_csv(data / "zizhi" / "资质.csv", [HEADER, *rows])
    result = run(data, added, TODAY)
    frame = result.records["zizhi"].sort("pdrq", descending=True)
    assert frame.get_column("dj").to_list() == ["甲级", "乙级"]  # the office's enum
    assert frame.get_column("_status").to_list() == ["published", "withdrawn"]
    assert frame.get_column("_reason").to_list() == [None, "grade-expired"]
    text = "\n".join(text_lines(result, added))
    assert "建筑业企业资质等级（zizhi）" in text and "资质等级有效期届满 1" in text


def test_the_manual_tables_list_an_office_kind(added):
    spec = importlib.util.spec_from_file_location(
        "manual_tables", ROOT / "scripts/manual_tables.py"
    )
    assert spec and spec.loader
    tables = importlib.util.module_from_spec(spec)
    sys.modules["manual_tables"] = tables
    spec.loader.exec_module(tables)
    assert "## 建筑业企业资质等级（`data/zizhi/`）" in tables.columns_md(added)
    assert "| `data/zizhi/` | 建筑业企业资质等级 |" in tables.datasets_block(added)
    block = tables.withdrawal_block(added)
    assert "统一社会信用代码赋码公示、建筑业企业资质等级（或其目录名）" in block
    assert "| （无） | 建筑业企业资质等级只能按记录编号找到记录 |" in block


def test_an_office_file_adds_aliases_to_a_packaged_kind(tmp_path, config):
    extra = (
        "name: 行政处罚信息\ncolumns:\n  - {key: wsh, aliases: [处罚文号]}\nignore: [内部流水号]\n"
    )
    adjusted = load_config(office(tmp_path, {"xzcf.yml": extra})).schemas["xzcf"]
    assert config.schemas["xzcf"].resolve("处罚文号") is None
    assert adjusted.resolve("处罚文号") == "wsh"
    assert adjusted.resolve("决定书文号") == "wsh"  # the packaged aliases stay
    assert "内部流水号" in adjusted.ignore and adjusted.name == "行政处罚信息"
    assert adjusted.disclosure == config.schemas["xzcf"].disclosure
    assert adjusted.order == config.schemas["xzcf"].order


def test_an_office_file_cannot_change_a_packaged_kinds_rules(tmp_path):
    said = problems(office(tmp_path, {"xzcf.yml": "disclosure: []\nidentity: [wsh]\n"}))
    assert "schemas/xzcf.yml" in said and "disclosure、identity 不能" in said
    clash = "columns:\n  - {key: wsh, aliases: [处罚机关]}\n"
    said = problems(office(tmp_path / "b", {"xzcf.yml": clash}))
    assert "schemas/xzcf.yml: 列 wsh 的别名“处罚机关”已是列 cfjg（处罚机关）的写法" in said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: zizhi\nname: [\n", "schemas/zizhi.yml: 无法读取 YAML"),
        (KIND.replace("facets:", "facet:"), "schemas/zizhi.yml: 未知的键 “facet”"),
        (
            KIND + "order: 第七\n",
            "schemas/zizhi.yml: order（排列顺序（整数））应为整数，现为“第七”",
        ),
        (KIND + "ignore: 序号\n", "schemas/zizhi.yml: ignore（忽略的列）应为列表"),
        (KIND.replace("role: date}", "rol: date}"), "列 pdrq 有未知的键 rol"),
        (KIND.replace("field: yxqz", "field: yxq"), "until_date 的 field “yxq” 不是本数据集的列"),
        (KIND.replace("id: zizhi", "id: ZiZhi"), "id “ZiZhi” 应与文件名 zizhi 一致"),
        ("- just\n- a list\n", "schemas/zizhi.yml: 应为映射"),
        (
            KIND.replace("facets: [pdbm, year, dj]", "facets: [[pdbm]]"),
            "schemas/zizhi.yml: 结构有误",
        ),
        (KIND + "conditions: [{when: 5}]\n", "schemas/zizhi.yml: 结构有误"),
    ],
)
def test_a_bad_office_schema_is_a_config_error(tmp_path, text, expected):
    assert expected in problems(office(tmp_path, {"zizhi.yml": text, "_enums.yml": ENUMS}))


def test_a_bad_office_schema_stops_the_build_with_exit_2(tmp_path, capsys):
    site = office(tmp_path, {"zizhi.yml": KIND.replace("type: name", "type: 名称")})
    write_csv(tmp_path / "data" / "xzcf" / "a.csv", [XZCF_HEADER, penalty("甲", ORG, "1号")])
    assert main(["--config", str(site), "check", "--data", str(tmp_path / "data")]) == 2
    assert "schemas/zizhi.yml: 列 qymc 的 type “名称”" in capsys.readouterr().err


def test_reason_labels_come_from_the_schemas(config, tmp_path):
    labels = config.reason_labels()
    assert labels["warning-only"] == "仅予警告（不公示）"  # xzcf.yml disclosure rule
    assert labels["revoked"] == "决定撤销"  # withdrawals.yml reasons
    assert REVIEW in STAGE_REASONS and labels[REVIEW] == STAGE_REASONS[REVIEW]
    # Two kinds giving one reason code two meanings is refused.
    clash = KIND.replace("label: 资质等级有效期届满", "label: 已过期").replace(
        "grade-expired", "list-expired"
    )
    said = problems(office(tmp_path, {"zizhi.yml": clash, "_enums.yml": ENUMS}))
    assert "原因代码 list-expired 的说明“已过期”" in said


def test_withdrawal_reason_codes_and_flags_come_from_withdrawals_yml(config, penalties):
    reasons = {**config.withdrawals.reasons, "变更": {"code": "altered", "label": "已变更"}}
    cfg = dataclasses.replace(
        config, withdrawals=dataclasses.replace(config.withdrawals, reasons=reasons)
    )
    result = penalties(
        penalty("甲公司", ORG, "示罚〔2026〕1号"),
        withdrawals=[["数据集", "决定文书号", "决定机关统一社会信用代码", "撤下原因", "撤下日期"],
                     ["行政处罚", "示罚〔2026〕1号", DEPT, "变更", "2026-11-20"]],
        cfg=cfg,
    )  # fmt: skip
    assert result.records["xzcf"].get_column("_reason").to_list() == ["altered"]


def test_the_persons_id_column_is_the_one_with_role_subject_id(config):
    """Two natural persons of one name on one list are two records, told apart by the
    column the schema gives `role: subject_id` — whatever its key."""
    schema = config.schemas["hongmingdan"]
    renamed = dataclasses.replace(
        schema,
        columns=[
            dataclasses.replace(c, key="sfz") if c.key == "zjhm" else c for c in schema.columns
        ],
    )
    values = {c.key: ["x", "x"] for c in renamed.columns} | {
        "ztmc": ["张三", "张三"],
        "ztlb": ["自然人", "自然人"],
        "tyshxydm": [None, None],
        "gszch": [None, None],
        "sfz": ["110101199003077777", "110101198001011234"],
    }
    frame = pl.DataFrame(values, schema=dict.fromkeys(values, pl.Utf8))
    ids = assign_ids(frame, renamed, config).get_column("_id")
    assert ids.n_unique() == 2
    unroled = dataclasses.replace(
        renamed,
        columns=[
            dataclasses.replace(c, role=None) if c.key == "sfz" else c for c in renamed.columns
        ],
    )
    assert assign_ids(frame, unroled, config).get_column("_id").n_unique() == 1


def test_an_office_kind_without_a_match_entry_is_withdrawn_by_its_record_number(added, tmp_path):
    data = tmp_path / "data"
    rows = [
        ["甲建筑公司", ORG, "一级", BUREAU, "2025-03-01", "2027-03-01"],
        ["丙建筑公司", ORG2, "二级", BUREAU, "2025-04-01", "2027-04-01"],
    ]
    write_csv(data / "zizhi" / "资质.csv", [HEADER, *rows])
    first = run(data, added, TODAY).records["zizhi"].sort("pdrq")
    rid = first.get_column("_id")[0]
    header = ["数据集", "记录编号", "撤下原因", "撤下日期"]
    write_csv(data / "withdrawals" / "撤下.csv", [header, ["资质等级", rid, "撤销", "2026-11-20"]])
    result = run(data, added, TODAY)
    frame = result.records["zizhi"].sort("pdrq")
    assert frame.get_column("_status").to_list() == ["withdrawn", "published"]
    assert result.withdrawals.get_column("_status").to_list() == ["applied"]
    assert result.takedowns_not_executed == 0


def test_the_data_page_explains_a_kind_it_does_not_describe_by_hand(added, monkeypatch):
    monkeypatch.setenv("XY_SITE_FILE", str(added.root / "site.yml"))
    mk = SimpleNamespace(config_file_path=str(ROOT / "mkdocs.yml"), site_name="", site_url="")
    mkdocs_hooks.on_config(mk)
    page = (ROOT / "content" / "data.md").read_text(encoding="utf-8")
    text = mkdocs_hooks.on_page_markdown(page, SimpleNamespace(url="data/"), mk, None)
    assert f"公示的 {len(added.datasets())} 类信用数据" in text
    assert "## 建筑业企业资质等级（zizhi）" in text
    assert "**主要字段**：企业名称、统一社会信用代码、资质等级" in text
    assert "公示至「有效期至」前一日" in text
    assert text.count("## 行政处罚（xzcf）") == 1  # described by hand, not twice
