"""Stage 2 — validation and normalisation rules of spec §3, one case each."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import DEPT, ORG, ORG2, PERSON_ID, XZCF_HEADER, flat, penalty

from generator.values import USCC_PLACEHOLDER, parse_date, uscc_check_char


@pytest.mark.parametrize(
    "raw, iso",
    [
        ("2019-10-10", "2019-10-10"),
        ("2019/10/10", "2019-10-10"),
        ("20191010", "2019-10-10"),
        ("2019年10月10日", "2019-10-10"),
        ("2019年1月5日", "2019-01-05"),
        ("2019/1/5", "2019-01-05"),
        ("43748", "2019-10-10"),
        ("43748.5", "2019-10-10"),
        ("2019-10-10 08:30:00", "2019-10-10"),
        ("2019-10-10T08:30", "2019-10-10"),
        ("２０１９－１０－１０", "2019-10-10"),
        ("2019.10.10", "2019-10-10"),
        ("2019-02-30", None),
        ("2019-13-01", None),
        ("十月十日", None),
        ("", None),
    ],
)
def test_date_forms(raw, iso):
    out = pl.DataFrame({"d": [raw]}).select(parse_date(pl.col("d")).cast(pl.Utf8)).item()
    assert out == iso


def test_impossible_future_and_too_old_dates(penalties):
    result = penalties(
        penalty("甲", ORG, "1号", date="2023-02-30"),
        penalty("乙", ORG, "2号", date="2026-11-23"),
        penalty("丙", ORG, "3号", date="1900-01-01"),
    )
    assert flat(result, "date-invalid", "date-future", "date-too-old") == [
        ("date-invalid", 2, "处罚决定日期"),
        ("date-future", 3, "处罚决定日期"),
        ("date-too-old", 4, "处罚决定日期"),
    ]
    assert result.records["xzcf"].get_column("_status").to_list() == ["rejected"] * 3


def test_uscc_check_character_and_format(penalties):
    bad = ORG[:-1] + ("0" if ORG[-1] != "0" else "1")
    result = penalties(
        penalty("甲", bad, "1号"),
        penalty("乙", "9199010012345", "2号"),
        penalty("丙", ORG.replace("9", "I", 1), "3号"),
    )
    assert flat(result, "uscc-check", "uscc-format") == [
        ("uscc-check", 2, "行政相对人代码_1(统一社会信用代码)"),
        ("uscc-format", 3, "行政相对人代码_1(统一社会信用代码)"),
        ("uscc-format", 4, "行政相对人代码_1(统一社会信用代码)"),
    ]
    message = [i.message for i in result.issues if i.code == "uscc-check"][0]
    assert f"应为“{ORG[-1]}”" in message


def test_uscc_with_letter_prefixes_pass():
    # stdnum.cn.uscc.validate rejects these valid codes; our check must not.
    from stdnum.cn import uscc

    for body in ("N2990100MA0000003", "Y1990100MA0000004", "A1990100MA0000005"):
        code = body + uscc_check_char(body)
        assert uscc.calc_check_digit(code[:17]) == code[17]


def test_letter_prefixed_codes_are_published(penalties):
    n = "N2990100MA0000003" + uscc_check_char("N2990100MA0000003")
    y = "Y1990100MA0000004" + uscc_check_char("Y1990100MA0000004")
    result = penalties(penalty("合作社", n, "1号"), penalty("其他组织", y, "2号"))
    assert result.records["xzcf"].get_column("_status").to_list() == ["published"] * 2


def test_placeholder_only_for_individual_business_with_registration_number(penalties):
    result = penalties(
        penalty("张记面馆", USCC_PLACEHOLDER, "1号", kind="个体工商户", regno="990100600012345"),
        penalty("李记面馆", USCC_PLACEHOLDER, "2号", kind="个体工商户"),
        penalty("某公司", USCC_PLACEHOLDER, "3号"),
    )
    assert flat(result, "uscc-placeholder", "uscc-check", "uscc-format", "conditional-missing") == [
        ("conditional-missing", 3, "行政相对人代码_2(工商注册号)"),
        ("conditional-missing", 4, "行政相对人代码_2(工商注册号)"),
        ("uscc-placeholder", 4, "行政相对人类别"),
    ]
    assert result.records["xzcf"].get_column("_status").to_list() == [
        "published",
        "rejected",
        "rejected",
    ]


def test_requirements_depend_on_subject_category(penalties):
    result = penalties(
        penalty("王小明", "", "1号", kind="自然人", rep=""),
        penalty("某公司", "", "2号"),
        penalty("赵小红", "", "3号", kind="自然人", rep="", idnum=PERSON_ID),
    )
    assert flat(result, "conditional-missing") == [
        ("conditional-missing", 2, "证件号码"),
        ("conditional-missing", 3, "行政相对人代码_1(统一社会信用代码)"),
    ]
    assert result.records["xzcf"].get_column("_status").to_list() == [
        "rejected",
        "rejected",
        "published",
    ]


def test_id_number_check(penalties):
    bad = PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1")
    result = penalties(penalty("王小明", "", "1号", kind="自然人", rep="", idnum=bad))
    assert flat(result, "idnum-invalid") == [("idnum-invalid", 2, "证件号码")]
    # The report never quotes an ID number, even a wrong one.
    assert bad not in " ".join(i.message + (i.value or "") for i in result.issues)


def test_amount_in_yuan_says_what_to_write(penalties):
    result = penalties(
        penalty("甲", ORG, "1号", fine="2000元"),
        penalty("乙", ORG, "2号", fine="两千"),
        penalty("丙", ORG, "3号", fine="0.5万元"),
        penalty("丁", ORG, "4号", fine="20000"),
    )
    assert flat(result, "amount-yuan", "amount-invalid", "amount-large") == [
        ("amount-yuan", 2, "罚款金额(万元)"),
        ("amount-invalid", 3, "罚款金额(万元)"),
        ("amount-large", 5, "罚款金额(万元)"),
    ]
    fix = [i.fix for i in result.issues if i.code == "amount-yuan"][0]
    assert "请填写 0.2" in fix
    assert result.records["xzcf"].get_column("nr_fk").to_list()[2:] == [0.5, 20000.0]


def test_enum_variants_normalise_and_unknown_values_are_listed(penalties):
    result = penalties(
        penalty("甲", ORG, "1号", kind="法人及其他组织"),
        penalty("乙", ORG, "2号", kind="公司"),
        penalty("丙", ORG, "3号", cat="罚款；没收违法所得"),
        penalty("丁", ORG, "4号", cat="罚款、停水"),
    )
    frame = result.records["xzcf"]
    assert frame.get_column("xdr_lb").to_list()[0] == "法人及非法人组织"
    assert frame.get_column("cflb").to_list()[2:] == ["罚款、没收违法所得", "罚款、停水"]
    assert flat(result, "enum-invalid", "enum-unknown") == [
        ("enum-invalid", 3, "行政相对人类别"),
        ("enum-unknown", 5, "处罚类别"),
    ]
    message = [i.fix for i in result.issues if i.code == "enum-invalid"][0]
    assert (
        message == "应为：法人及非法人组织、自然人、个体工商户。"
        or "法人及非法人组织、自然人、个体工商户" in message
    )


def test_required_values(penalties):
    row = penalty("甲", ORG, "")
    result = penalties(row)
    assert flat(result, "required-missing") == [("required-missing", 2, "行政处罚决定书文号")]


def test_messages_name_file_row_column_value_and_fix(penalties):
    result = penalties(penalty("甲", ORG, "1号", fine="2000元"))
    issue = [i for i in result.issues if i.code == "amount-yuan"][0]
    assert issue.text == (
        "xzcf/处罚.csv 第2行：「罚款金额(万元)」应为以万元为单位的数字，实际为“2000元”。"
        "请填写 0.2（单位万元，不写“元”字）。"
    )


def test_code_pattern_for_commitments(tmp_path, check):
    from conftest import write_csv

    header = [
        "承诺编码",
        "承诺人名称",
        "承诺人类别",
        "承诺人代码",
        "承诺类型",
        "承诺事由",
        "承诺内容",
        "承诺作出日期",
        "受理单位",
        "公开类型",
    ]
    good = [
        "99010020260101000001",
        "甲公司",
        "法人及非法人组织",
        ORG2,
        "审批替代型",
        "事由",
        "内容",
        "2026-01-01",
        "示例市行政审批局",
        "可向社会公开",
    ]
    bad = ["9901002026010100001", *good[1:]]
    write_csv(tmp_path / "xinyongchengnuo" / "c.csv", [header, good, bad])
    result = check(tmp_path)
    assert flat(result, "code-format") == [("code-format", 3, "承诺编码")]


def test_bad_data_never_raises(penalties):
    # Junk everywhere: the run completes and every row is accounted for.
    junk = ["\x00", "=cmd|' /C calc'!A0", "𠀾" * 300, "  ", "NaN", "-1", "1e309", "<script>"]
    rows = [[junk[(i + j) % len(junk)] for j in range(22)] for i in range(16)]
    result = penalties(*rows)
    assert result.records["xzcf"].height == 16
    assert set(result.records["xzcf"].get_column("_status").to_list()) == {"rejected"}


def test_dept_code_fixture_is_valid():
    assert uscc_check_char(DEPT[:17]) == DEPT[17]


# --- derivations (generator/derive.py) and the department directory ---------------------


def test_split_range_reads_the_ways_people_write_a_period():
    from generator.derive import split_range

    assert split_range("2026-03-01至2031-02-28") == ("2026-03-01", "2031-02-28")
    assert split_range("2026/4/2-2029/4/1") == ("2026/4/2", "2029/4/1")
    assert split_range("2026-04-02-2029-04-01") == ("2026-04-02", "2029-04-01")
    assert split_range("2026年5月6日～2028年5月5日") == ("2026年5月6日", "2028年5月5日")
    assert split_range("20260607到20310606") == ("20260607", "20310606")
    assert split_range("2026-07-08至长期") == ("2026-07-08", None)
    assert split_range("长期有效") == (None, None)


def test_code_kind_by_type_then_by_shape():
    from generator.derive import code_kind, regno_ok
    from generator.sample.codes import id_check_char, regno_check_digit, uscc_check_char

    uscc = "91990100MA0000001" + uscc_check_char("91990100MA0000001")
    idnum = "99010119850312123" + id_check_char("99010119850312123")
    regno = "99010060000001" + regno_check_digit("99010060000001")
    assert regno_ok(regno) and not regno_ok(regno[:-1] + str((int(regno[-1]) + 1) % 10))
    assert code_kind(uscc, None, "自然人") == "uscc"
    assert code_kind(idnum, None, "自然人") == "idnum"
    assert code_kind(regno, None, "自然人") == "regno"
    assert code_kind(regno, "自然人", "自然人") == "idnum"  # the 证件类型 decides
    assert code_kind(uscc.lower(), None, "自然人") == "uscc"


def test_department_directory_finds_former_names_and_the_nearest(config):
    d = config.departments
    assert d.find("示例市工商行政管理局").name == "示例市市场监督管理局"
    assert d.find(" 市 环保局 ").name == "示例市生态环境局"
    assert d.find("示例市水务局") is None
    assert d.nearest("示例市生态环境保护局").name == "示例市生态环境局"


def test_department_directory_rejects_a_name_given_to_two_departments():
    from generator.departments import load_directory

    problems: list[str] = []
    load_directory([{"name": "甲局", "abbr": ["局"]}, {"name": "乙局", "abbr": ["局"]}], problems)
    assert problems and "同时属于" in problems[0]


def test_unknown_department_without_code_is_rejected_with_nearest(penalties):
    row = penalty("某公司", ORG, "1号")
    row[XZCF_HEADER.index("处罚机关")] = "示例市生态环境保护局"
    row[XZCF_HEADER.index("处罚机关统一社会信用代码")] = ""
    result = penalties(row)
    unknown = [
        i for i in result.issues if i.code == "department-unknown" and i.column == "处罚机关"
    ]
    assert unknown and "示例市生态环境局" in unknown[0].message
    assert result.records["xzcf"].get_column("_reason").to_list() == ["required-missing"]


def test_known_department_without_code_gets_the_directory_code(penalties):
    row = penalty("某公司", ORG, "1号")
    row[XZCF_HEADER.index("处罚机关")] = "市环保局"
    row[XZCF_HEADER.index("处罚机关统一社会信用代码")] = ""
    result = penalties(row)
    rec = result.records["xzcf"].row(0, named=True)
    assert (rec["cfjg"], rec["cfjgdm"], rec["_reason"]) == (
        "示例市生态环境局",
        "119901000087021461",
        None,
    )
    assert {i.code for i in result.issues} >= {"department-renamed", "value-derived"}
