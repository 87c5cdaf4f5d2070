"""Stage 4 — disclosure at a build date (spec §4), one rule per test."""

from __future__ import annotations

import dataclasses
import datetime as dt

from conftest import DEPT, ORG, ORG2, TODAY, flat, penalty, write_csv


def statuses(result, ds="xzcf"):
    return list(
        zip(
            result.records[ds].get_column("_status").to_list(),
            result.records[ds].get_column("_reason").to_list(),
            strict=True,
        )
    )


def test_penalty_comes_off_after_three_years(penalties):
    result = penalties(
        penalty("甲", ORG, "1号", date="2023-11-22"), penalty("乙", ORG, "2号", date="2023-11-21")
    )
    assert statuses(result) == [("published", None), ("withdrawn", "period-over")]
    until = result.records["xzcf"].get_column("_until").to_list()
    assert [d.isoformat() for d in until] == ["2026-11-22", "2026-11-21"]


def test_given_deadline_rules_and_odd_ones_are_flagged(penalties):
    result = penalties(
        penalty("甲", ORG, "1号", date="2026-01-10", deadline="2026-04-10"),
        penalty("乙", ORG, "2号", date="2025-01-10", deadline="2026-11-21"),
        penalty("丙", ORG, "3号", date="2026-10-01", deadline="2026-12-15"),
        penalty("丁", ORG, "4号", date="2025-01-01", deadline="2028-06-01"),
    )
    assert [s for s, _ in statuses(result)] == ["withdrawn", "withdrawn", "published", "published"]
    # A deadline past the 3-year maximum is capped: never public longer than the law allows.
    until = result.records["xzcf"].get_column("_until").to_list()
    assert [d.isoformat() for d in until[2:]] == ["2026-12-15", "2028-01-01"]
    assert flat(result, "period-deadline") == [
        ("period-deadline", 4, "公示截止期"),
        ("period-deadline", 5, "公示截止期"),
    ]


def test_warning_only_excluded_by_default_and_configurable(penalties, config):
    rows = [penalty("甲", ORG, "1号", cat="警告"), penalty("乙", ORG, "2号", cat="警告、罚款")]
    assert statuses(penalties(*rows)) == [("withdrawn", "warning-only"), ("published", None)]
    site = {**config.site, "rules": {**config.rules, "exclude_warning_only": False}}
    relaxed = dataclasses.replace(config, site=site)
    assert statuses(penalties(*rows, cfg=relaxed)) == [("published", None), ("published", None)]


def withdrawal(no: str, reason: str, date: str, code: str = DEPT) -> list[str]:
    return ["行政处罚", no, code, reason, date]


W_HEADER = ["数据集", "决定文书号", "决定机关统一社会信用代码", "撤下原因", "撤下日期"]


def test_revoked_penalty_comes_off_at_once(penalties):
    result = penalties(
        penalty("甲", ORG, "示市监罚〔2026〕1号"),
        penalty("乙", ORG, "示市监罚〔2026〕2号"),
        withdrawals=[W_HEADER, withdrawal("示市监罚[2026]1号", "撤销", "2026-11-20")],
    )
    assert statuses(result) == [("withdrawn", "revoked"), ("published", None)]
    assert result.withdrawals.get_column("_status").to_list() == ["applied"]


def test_repair_waits_for_the_minimum_period(penalties):
    # Decided 2026-10-10: the 3-month minimum ends 2027-01-10; 消防 needs a full year.
    result = penalties(
        penalty("甲", ORG, "1号", date="2026-06-01"),
        penalty("乙", ORG, "2号", date="2026-10-10"),
        penalty("丙", ORG, "3号", date="2026-06-01", wfxw="消防设施未保持完好有效"),
        withdrawals=[
            W_HEADER,
            withdrawal("1号", "修复", "2026-11-01"),
            withdrawal("2号", "修复", "2026-11-01"),
            withdrawal("3号", "修复", "2026-11-01"),
        ],
    )
    assert statuses(result) == [("withdrawn", "repaired"), ("published", None), ("published", None)]
    assert result.withdrawals.get_column("_status").to_list() == ["applied", "pending", "pending"]
    messages = [i.message for i in result.issues if i.code == "withdrawal-pending"]
    assert "2027-01-10" in messages[0] and "2027-06-01" in messages[1]


def test_future_withdrawal_is_pending_and_unmatched_is_reported(penalties):
    result = penalties(
        penalty("甲", ORG, "1号"),
        withdrawals=[
            W_HEADER,
            withdrawal("1号", "撤销", "2026-12-01"),
            withdrawal("99号", "撤销", "2026-11-01"),
            ["行政处罚", "", "", "撤销", "2026-11-01"],
        ],
    )
    assert statuses(result) == [("published", None)]
    assert result.withdrawals.get_column("_status").to_list() == [
        "pending",
        "unmatched",
        "rejected",
    ]
    assert flat(result, "withdrawal-unmatched", "withdrawal-identity") == [
        ("withdrawal-unmatched", 3, None),
        ("withdrawal-identity", 4, None),
    ]


def test_withdrawal_by_record_id(penalties):
    first = penalties(penalty("甲", ORG, "1号"))
    rid = first.records["xzcf"].get_column("_id").item()
    result = penalties(
        penalty("甲", ORG, "1号"),
        withdrawals=[
            ["数据集", "记录编号", "撤下原因", "撤下日期"],
            ["行政处罚", rid.upper(), "确认违法或无效", "2026-11-01"],
        ],
    )
    assert statuses(result) == [("withdrawn", "annulled")]


LIST_HEADER = ["主体名称", "主体类别", "统一社会信用代码", "列入原因", "认定部门", "列入日期"]


def test_black_list_shown_until_removed(tmp_path, check):
    rows = [
        [*LIST_HEADER, "移出日期"],
        ["甲公司", "法人及非法人组织", ORG, "拖欠工资", "示例市人社局", "2025-01-01", ""],
        [
            "乙公司",
            "法人及非法人组织",
            ORG2,
            "拖欠工资",
            "示例市人社局",
            "2025-01-01",
            TODAY.isoformat(),
        ],
        [
            "丙公司",
            "法人及非法人组织",
            ORG2,
            "拖欠工资",
            "示例市人社局",
            "2025-02-01",
            "2027-01-01",
        ],
    ]
    write_csv(tmp_path / "heimingdan" / "h.csv", rows)
    assert statuses(check(tmp_path), "heimingdan") == [
        ("published", None),
        ("withdrawn", "list-removed"),
        ("published", None),
    ]


def test_red_list_shown_until_expiry(tmp_path, check):
    rows = [
        [*LIST_HEADER, "有效期至"],
        [
            "甲公司",
            "法人及非法人组织",
            ORG,
            "纳税信用A级",
            "示例市税务局",
            "2025-01-01",
            TODAY.isoformat(),
        ],
        [
            "乙公司",
            "法人及非法人组织",
            ORG2,
            "纳税信用A级",
            "示例市税务局",
            "2024-01-01",
            "2026-11-21",
        ],
    ]
    write_csv(tmp_path / "hongmingdan" / "r.csv", rows)
    assert statuses(check(tmp_path), "hongmingdan") == [
        ("published", None),
        ("withdrawn", "list-expired"),
    ]


def test_licence_hidden_when_revoked(tmp_path, check):
    header = [
        "行政相对人名称",
        "行政相对人类别",
        "统一社会信用代码",
        "法定代表人",
        "行政许可决定文书号",
        "许可内容",
        "许可决定日期",
        "许可机关",
        "许可机关统一社会信用代码",
        "当前状态",
    ]
    base = ["甲公司", "法人及非法人组织", ORG, "张三"]
    tail = ["食品销售", "2026-01-01", "示例市市场监督管理局", DEPT]
    write_csv(
        tmp_path / "xzxk" / "x.csv",
        [
            header,
            [*base, "许1号", *tail, "有效"],
            [*base, "许2号", *tail, "已撤销"],
            [*base, "许3号", *tail, "注销"],
        ],
    )
    assert statuses(check(tmp_path), "xzxk") == [
        ("published", None),
        ("withdrawn", "licence-revoked"),
        ("published", None),
    ]


def test_only_public_commitments(tmp_path, check):
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
    base = [
        "甲公司",
        "法人及非法人组织",
        ORG,
        "审批替代型",
        "事由",
        "内容",
        "2026-01-01",
        "示例市行政审批局",
    ]
    write_csv(
        tmp_path / "xinyongchengnuo" / "c.csv",
        [
            header,
            ["99010020260101000001", *base, "可向社会公开"],
            ["99010020260101000002", *base, "不予公开"],
        ],
    )
    assert statuses(check(tmp_path), "xinyongchengnuo") == [
        ("published", None),
        ("withdrawn", "not-public"),
    ]


def test_build_date_decides(penalties):
    rows = [penalty("甲", ORG, "1号", date="2024-01-01")]
    assert statuses(penalties(*rows, today=dt.date(2026, 12, 31))) == [("published", None)]
    assert statuses(penalties(*rows, today=dt.date(2027, 1, 2))) == [("withdrawn", "period-over")]


def test_withdrawal_naming_a_licence_number_the_data_lacks_still_matches(tmp_path, check):
    header = [
        "行政相对人名称",
        "行政相对人类别",
        "统一社会信用代码",
        "法定代表人",
        "行政许可决定文书号",
        "许可内容",
        "许可决定日期",
        "许可机关",
        "许可机关统一社会信用代码",
    ]
    write_csv(
        tmp_path / "xzxk" / "x.csv",
        [
            header,
            [
                "甲公司",
                "法人及非法人组织",
                ORG,
                "张三",
                "许1号",
                "食品销售",
                "2026-01-01",
                "示例市市场监督管理局",
                DEPT,
            ],
        ],
    )
    write_csv(
        tmp_path / "withdrawals" / "w.csv",
        [
            [
                "数据集",
                "决定文书号",
                "决定机关统一社会信用代码",
                "许可编号",
                "撤下原因",
                "撤下日期",
            ],
            ["行政许可", "许1号", DEPT, "JY199010001", "变更", "2026-11-01"],
        ],
    )
    assert statuses(check(tmp_path), "xzxk") == [("withdrawn", "changed")]
