"""Stage 3 — stable record ids and duplicate merging."""

from __future__ import annotations

from conftest import ORG, XZCF_HEADER, flat, penalty, write_csv


def ids(result, ds="xzcf"):
    frame = result.records[ds]
    return dict(
        zip(frame.get_column("wsh").to_list(), frame.get_column("_id").to_list(), strict=True)
    )


def test_ids_do_not_depend_on_row_order_or_file_names(tmp_path, check):
    rows = [penalty(f"公司{i}", ORG, f"示市监罚〔2026〕{i}号") for i in range(1, 6)]
    write_csv(tmp_path / "a" / "xzcf" / "first.csv", [XZCF_HEADER, *rows])
    write_csv(tmp_path / "b" / "xzcf" / "renamed.csv", [XZCF_HEADER, *reversed(rows)])
    assert ids(check(tmp_path / "a")) == ids(check(tmp_path / "b"))


def test_ids_survive_a_re_export_with_other_brackets_widths_and_codes(tmp_path, check):
    write_csv(
        tmp_path / "a" / "xzcf" / "a.csv", [XZCF_HEADER, penalty("甲", ORG, "示市监罚〔2026〕1号")]
    )
    row = penalty("甲", ORG.lower(), "示市监罚[2026]1号 ")
    row[XZCF_HEADER.index("处罚机关统一社会信用代码")] = row[
        XZCF_HEADER.index("处罚机关统一社会信用代码")
    ].lower()
    write_csv(tmp_path / "b" / "xzcf" / "b.csv", [XZCF_HEADER, row], encoding="gbk")
    a = check(tmp_path / "a").records["xzcf"].get_column("_id").to_list()
    b = check(tmp_path / "b").records["xzcf"].get_column("_id").to_list()
    assert a == b and len(a[0]) == 16


def test_same_number_from_another_authority_is_another_record(penalties):
    from conftest import ORG2

    a, b = penalty("甲", ORG, "1号"), penalty("甲", ORG, "1号")
    b[XZCF_HEADER.index("处罚机关统一社会信用代码")] = ORG2
    result = penalties(a, b)
    assert result.records["xzcf"].get_column("_id").n_unique() == 2


def test_duplicates_merged_last_row_wins(penalties):
    first = penalty("甲", ORG, "1号")
    changed = penalty("甲", ORG, "1号")
    changed[-1] = "更正后的备注"
    result = penalties(first, list(first), changed)
    assert result.records["xzcf"].get_column("_status").to_list() == [
        "merged",
        "merged",
        "published",
    ]
    assert flat(result, "duplicate-identical", "duplicate-conflict") == [
        ("duplicate-conflict", 2, None),
        ("duplicate-conflict", 3, None),
    ]
    published = result.published("xzcf").row(0, named=True)
    assert published["bz"] == "更正后的备注"


def test_identical_duplicates_are_info(penalties):
    row = penalty("甲", ORG, "1号")
    result = penalties(row, list(row))
    assert flat(result, "duplicate-identical") == [("duplicate-identical", 2, None)]
    assert [i.severity for i in result.issues if i.code == "duplicate-identical"] == ["info"]


def test_duplicates_across_files_later_file_wins(tmp_path, check):
    write_csv(tmp_path / "xzcf" / "2026-09.csv", [XZCF_HEADER, penalty("旧名称", ORG, "1号")])
    write_csv(tmp_path / "xzcf" / "2026-10.csv", [XZCF_HEADER, penalty("新名称", ORG, "1号")])
    result = check(tmp_path)
    assert result.published("xzcf").get_column("xdr_mc").to_list() == ["新名称"]


def test_the_natural_person_value_comes_from_the_schema(config):
    """No subject key for a natural person, whatever the schema calls one (person_value)."""
    import dataclasses

    import polars as pl

    from generator.identity import subject_expr

    schema = dataclasses.replace(config.schemas["xzcf"])
    schema.columns = [
        dataclasses.replace(c, person_value="个人") if c.role == "subject_category" else c
        for c in schema.columns
    ]
    schema.__dict__.pop("by_key", None)
    frame = pl.DataFrame(
        {"xdr_shxym": [ORG, ORG], "xdr_gszc": [None, None], "xdr_lb": ["个人", "法人及非法人组织"]}
    )
    assert frame.select(subject_expr(schema)).to_series().to_list() == [None, ORG]
