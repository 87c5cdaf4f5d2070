"""Sample rows for a kind from its schema alone (generator/sample/kinds.py).

An invented kind is written into a copy of the packaged schemas; the tests read the CSV
it gets and check it against the schema and its `sample:` hints.
"""

import csv
import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from generator.config import SCHEMA_DIR, load_config
from generator.sample import SPLIT, write_sample
from generator.sample.subjects import DEPTS

ANCHOR = dt.date(2026, 9, 30)
KIND = "shiyanzhonglei"
FILE = f"{KIND}/试验种类.csv"
GRADES = ["甲", "乙", "丙"]

SCHEMA = {
    "id": KIND,
    "name": "试验种类",
    "description": "测试用的虚构种类。",
    "order": 40,
    "columns": [
        {"key": "mc", "label": "单位名称", "type": "name", "required": "publish",
         "role": "subject_name"},
        {"key": "dm", "label": "统一社会信用代码", "type": "uscc", "required": "publish",
         "role": "subject_code"},
        {"key": "lb", "label": "单位类别", "type": "enum", "enum": "subject_category",
         "role": "subject_category"},
        {"key": "dj", "label": "等第", "type": "text", "required": "publish"},
        {"key": "nd", "label": "年度", "type": "text"},
        {"key": "lx", "label": "类型", "type": "text"},
        {"key": "rq", "label": "认定日期", "type": "date", "required": "publish", "role": "date"},
        {"key": "jzrq", "label": "截止日期", "type": "date"},
        {"key": "bm", "label": "认定部门", "type": "text", "required": "publish",
         "role": "department"},
        {"key": "yy", "label": "终止原因", "type": "text"},
        {"key": "xk", "label": "许可类别", "type": "enum", "enum": "licence_category",
         "required": "standard"},
        {"key": "bz", "label": "备注", "type": "longtext"},
        {"key": "bzsj", "label": "报送时间", "type": "date", "role": "submitted"},
    ],
    "identity": ["bm", "subject", "nd"],
    "title": ["mc", "dj"],
    "facets": ["bm", "year"],
    "disclosure": [{"rule": "until_date", "field": "jzrq", "inclusive": True,
                    "reason": "test-expired"}],
}  # fmt: skip
HINTS = {
    "per_1000": 100,
    "subjects": "coded",
    "off_share": 0.25,
    "columns": {
        "dj": {"values": GRADES},
        "rq": {"days": [-700, -30]},
        "nd": {"year_of": "rq", "add": -1},
        "lx": {"by_code_prefix": {"91": "公司", "92": "个体"}},
        "bm": {"departments": ["scjg", "sw"]},
        "jzrq": {"after": "rq", "days": [365, 700], "min": 1,
                 "off_site": {"after": "rq", "days": [365, 700], "max": -1}},
        "yy": {"off_site": {"values": ["期满"]}},
    },
}  # fmt: skip


def schema_dir(tmp: Path, hints: dict | None) -> Path:
    """The packaged schemas plus the invented kind (with `hints` as its `sample:`)."""
    out = tmp / "schemas"
    shutil.copytree(SCHEMA_DIR, out)
    raw = dict(SCHEMA, **({"sample": hints} if hints is not None else {}))
    (out / f"{KIND}.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def drop(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kinds")
    config = load_config(schema_dir=schema_dir(tmp, HINTS))
    written = write_sample(tmp / "data", records=400, seed=2, anchor=ANCHOR, config=config)
    return tmp / "data", written, config


def test_a_kind_without_a_generator_gets_a_file_from_its_schema(drop):
    root, written, config = drop
    assert written[FILE] == 40  # per_1000: 100 of 400 records, on top of them
    got = rows(root / FILE)
    assert len(got) == 40
    # Every public column, in schema order; the office's own submission time is not one.
    assert list(got[0]) == [c.label for c in config.schemas[KIND].columns if c.key != "bzsj"]


def test_values_follow_types_roles_and_hints(drop):
    root, _, config = drop
    got = rows(root / FILE)
    # Subjects are the drop's own companies: their codes name records of other kinds too.
    others = {
        v for f in ("xzxk/行政许可.csv", "xinyongchengnuo/信用承诺.csv")
        for r in rows(root / f) for v in r.values()
    }  # fmt: skip
    assert sum(r["统一社会信用代码"] in others for r in got) >= len(got) // 2
    assert {r["单位类别"] for r in got} <= set(config.enums["subject_category"].values)
    assert {r["许可类别"] for r in got} <= set(config.enums["licence_category"].values)
    assert {r["等第"] for r in got} <= set(GRADES) and len({r["等第"] for r in got}) > 1
    assert {r["认定部门"] for r in got} <= {DEPTS["scjg"][0], DEPTS["sw"][0]}
    for r in got:
        decided = dt.date.fromisoformat(r["认定日期"])
        assert ANCHOR - dt.timedelta(days=700) <= decided <= ANCHOR - dt.timedelta(days=30)
        assert r["年度"] == str(decided.year - 1)
        prefix = r["统一社会信用代码"][:2]
        assert r["类型"] == {"91": "公司", "92": "个体"}.get(prefix, "")
        assert r["备注"] == ""  # optional, no hint: left empty


def test_a_share_of_rows_is_off_the_site(drop):
    root, _, _ = drop
    got = rows(root / FILE)
    off = [r for r in got if dt.date.fromisoformat(r["截止日期"]) < ANCHOR]
    on = [r for r in got if dt.date.fromisoformat(r["截止日期"]) > ANCHOR]
    assert len(off) + len(on) == len(got)
    assert got[0] in off and 0.1 * len(got) <= len(off) <= 0.5 * len(got)
    assert {r["终止原因"] for r in off} == {"期满"} and {r["终止原因"] for r in on} == {""}


def test_identities_do_not_repeat(drop):
    root, _, _ = drop
    got = rows(root / FILE)
    keys = [(r["认定部门"], r["统一社会信用代码"], r["年度"]) for r in got]
    assert len(set(keys)) == len(keys)


def test_same_inputs_same_bytes_and_the_six_kinds_unchanged(tmp_path, drop):
    root, written, config = drop
    again = write_sample(tmp_path / "again", records=400, seed=2, anchor=ANCHOR, config=config)
    assert again == written and hashes(tmp_path / "again") == hashes(root)
    # Without the invented kind, every other file is byte for byte the same.
    write_sample(tmp_path / "without", records=400, seed=2, anchor=ANCHOR, config=load_config())
    mine = {k: v for k, v in hashes(root).items() if not k.startswith(KIND + "/")}
    assert hashes(tmp_path / "without") == mine


def test_without_hints_defaults_apply(tmp_path):
    config = load_config(schema_dir=schema_dir(tmp_path, None))
    written = write_sample(tmp_path / "d", records=100, seed=0, anchor=ANCHOR, config=config)
    got = rows(tmp_path / "d" / FILE)
    assert written[FILE] == len(got) == 2  # 20 per 1,000 records
    for r in got:
        assert r["等第"] and r["认定部门"] in {d[0] for d in DEPTS.values()}
        assert ANCHOR - dt.timedelta(days=1460) <= dt.date.fromisoformat(r["认定日期"]) <= ANCHOR
        assert r["年度"] == r["终止原因"] == r["截止日期"] == ""
    assert {k.split("/")[0] for k in written} == set(config.schemas) | {"withdrawals"}
    assert set(SPLIT) < set(config.schemas)


def test_sample_command_writes_the_office_kinds(tmp_path):
    # `generator --config site.yml sample`: the kinds of the office's schemas/ folder too.
    from conftest import ROOT

    from generator.cli import main

    shutil.copy(ROOT / "site.yml", tmp_path / "site.yml")
    (tmp_path / "schemas").mkdir()
    raw = dict(SCHEMA, sample=HINTS)
    (tmp_path / "schemas" / f"{KIND}.yml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    args = ["--config", str(tmp_path / "site.yml"), "sample", "--records", "200"]
    assert main([*args, "--out", str(tmp_path / "d"), "--today", "2026-09-30"]) == 0
    assert len(rows(tmp_path / "d" / FILE)) == 20
    (tmp_path / "schemas" / f"{KIND}.yml").write_text("id: [", "utf-8")
    assert main([*args, "--out", str(tmp_path / "e")]) == 2
