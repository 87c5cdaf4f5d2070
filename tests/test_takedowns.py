"""Takedowns fail closed (issue 11 §8, spec §4): withdrawal headers as offices write them,
rows that cannot be applied as written withhold every candidate, rows that find nothing
end the run with exit code 5 and their own report section."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import zipfile
from pathlib import Path

import chinese_calendar
import polars as pl
from conftest import DEPT, ORG, ORG2, ROOT, TODAY, XZCF_HEADER, flat, penalty, write_csv

from generator.cli import main
from generator.config import load_config
from generator.pipeline import run
from generator.report import accounting, render_html, text_lines
from generator.takedowns import working_days_since

# The reported case: a 信用修复 list exported with the platform's own header names.
REPAIR_HEADER = ["数据集", "决定书文号", "机关统一社会信用代码", "修复原因", "修复日期"]
REAL_HEADER = [
    "数据集",
    "决定书文号",
    "机关统一社会信用代码",
    "信用主体名称",
    "撤下原因",
    "撤销日期",
]
LICENCE_HEADER = [
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


def statuses(result, ds="xzcf"):
    frame = result.records[ds]
    return list(zip(frame.get_column("_status"), frame.get_column("_reason"), strict=True))


def wstatus(result):
    return result.withdrawals.get_column("_status").to_list()


def check_cli(data: Path, fmt: str = "text") -> int:
    args = ["--config", str(ROOT / "site.yml"), "check", "--data", str(data)]
    return main([*args, "--today", TODAY.isoformat(), "--format", fmt])


def test_reported_case_repair_with_platform_headers_comes_off(penalties, tmp_path, capsys):
    result = penalties(
        penalty("甲公司", ORG, "示市监罚〔2026〕1号", date="2026-06-01"),
        penalty("乙公司", ORG2, "示市监罚〔2026〕2号", date="2026-06-01"),
        withdrawals=[
            REPAIR_HEADER,
            ["行政处罚", "示市监罚〔2026〕1号", DEPT, "修复", "2026-11-01"],
        ],
    )
    assert statuses(result) == [("withdrawn", "repaired"), ("published", None)]
    assert wstatus(result) == ["applied"]
    assert not [i for i in result.issues if i.dataset == "withdrawals"]
    capsys.readouterr()
    assert check_cli(tmp_path) == 0


def test_bad_date_but_good_docno_withholds_the_candidate_for_review(penalties):
    result = penalties(
        penalty("甲公司", ORG, "示市监罚〔2026〕1号"),
        penalty("乙公司", ORG2, "示市监罚〔2026〕2号"),
        withdrawals=[
            REAL_HEADER,
            ["行政处罚", "示市监罚[2026] 1号", DEPT, "", "撤销", "2026-11-31"],
        ],
    )
    assert statuses(result) == [
        ("withdrawn", "withdrawal-withheld-review"),
        ("published", None),
    ]
    assert wstatus(result) == ["withheld"]
    rid = result.records["xzcf"].get_column("_id")[0]
    review = [i for i in result.issues if i.code == "withdrawal-withheld-review"]
    assert len(review) == 1 and review[0].row == 2 and review[0].severity == "error"
    assert rid in review[0].message and "示市监罚〔2026〕1号" in review[0].message
    assert "日期无法识别" in review[0].message  # the cause, from the row's own error
    assert result.withdrawals.get_column("_candidates").to_list() == [[f"xzcf/{rid}"]]


def test_wrong_department_code_still_withholds_what_the_docno_names(penalties):
    result = penalties(
        penalty("甲公司", ORG, "示市监罚〔2026〕1号"),
        withdrawals=[
            REPAIR_HEADER,
            ["行政处罚", "示市监罚〔2026〕1号", ORG2, "撤销", "2026-11-20"],
        ],
    )
    assert statuses(result) == [("withdrawn", "withdrawal-withheld-review")]
    assert wstatus(result) == ["withheld"]


def test_missing_dataset_column_is_matched_across_datasets(tmp_path, check):
    write_csv(tmp_path / "xzcf" / "p.csv", [XZCF_HEADER, penalty("甲公司", ORG, "示罚〔2026〕7号")])
    licence = [
        "乙公司",
        "法人及非法人组织",
        ORG2,
        "李四",
        "示许〔2026〕7号",
        "食品经营",
        "2026-01-05",
    ]
    write_csv(
        tmp_path / "xzxk" / "l.csv",
        [LICENCE_HEADER, [*licence, "示例市市场监督管理局", DEPT]],
    )
    write_csv(
        tmp_path / "withdrawals" / "w.csv",
        [
            ["决定书文号", "机关统一社会信用代码", "撤下原因", "撤下日期"],
            ["示许〔2026〕7号", DEPT, "撤销", "2026-11-20"],
        ],
    )
    result = check(tmp_path)
    assert flat(result, "column-missing") == [("column-missing", 1, None)]
    assert statuses(result, "xzxk") == [("withdrawn", "withdrawal-withheld-review")]
    assert statuses(result) == [("published", None)]
    assert wstatus(result) == ["withheld"]
    assert result.takedowns[0][0].dataset == "xzxk"


def test_unknown_header_and_unknown_dataset_value_fail_closed(penalties):
    result = penalties(
        penalty("甲公司", ORG, "示罚〔2026〕1号"),
        penalty("乙公司", ORG2, "示罚〔2026〕2号"),
        withdrawals=[
            ["数据集", "处罚决定编号", "当事人名称", "撤下原因", "撤下日期"],
            ["行政处罚决定", "示罚〔2026〕2号", "乙公司", "撤销", "2026-11-20"],
        ],
    )
    assert ("column-unknown", 1, "处罚决定编号") in flat(result)
    assert ("enum-invalid", 2, "数据集") in flat(result)
    assert statuses(result) == [("published", None), ("withdrawn", "withdrawal-withheld-review")]
    assert wstatus(result) == ["withheld"]


def test_subject_name_alone_withholds_all_three_records(penalties):
    name = "示例市乙（城东）商贸有限公司"
    result = penalties(
        penalty(name, ORG2, "示罚〔2026〕1号"),
        penalty("示例市甲商贸有限公司", ORG, "示罚〔2026〕2号"),
        penalty(name, ORG2, "示罚〔2026〕3号"),
        penalty(name, ORG2, "示罚〔2026〕4号"),
        withdrawals=[
            ["数据集", "信用主体名称", "撤下原因", "撤下日期"],
            ["行政处罚", "示例市乙 (城东) 商贸有限公司", "撤销", "2026-11-20"],
        ],
    )
    review = "withdrawal-withheld-review"
    assert [s for s, _ in statuses(result)] == ["withdrawn", "published", "withdrawn", "withdrawn"]
    assert [r for _, r in statuses(result)] == [review, None, review, review]
    assert wstatus(result) == ["withheld"]
    assert len(result.takedowns[0]) == 3
    assert [i.code for i in result.issues if i.dataset == "withdrawals"] == [
        "withdrawal-identity",  # no 文号 or 机关代码 for an exact match
        review,
    ]


def test_row_matching_nothing_exits_5_with_its_section_first(penalties, tmp_path, capsys):
    result = penalties(
        penalty("甲公司", ORG, "示罚〔2026〕1号"),
        withdrawals=[
            REAL_HEADER,
            ["行政处罚", "示罚〔2026〕99号", DEPT, "", "撤销", "2026-11-02"],
            ["行政处罚", "", "", "", "撤销", "2026-11-02"],
        ],
    )
    assert wstatus(result) == ["unmatched", "rejected"]
    assert result.takedowns_not_executed == 2
    assert statuses(result) == [("published", None)]
    unmatched = [i for i in result.issues if i.code == "withdrawal-unmatched"]
    assert unmatched[0].severity == "error" and "撤下未执行" in unmatched[0].message
    capsys.readouterr()
    assert check_cli(tmp_path) == 5
    out = capsys.readouterr().out
    lines = out.splitlines()
    section = next(i for i, line in enumerate(lines) if line.startswith("■ 撤下未执行"))
    first_file = next(i for i, line in enumerate(lines) if line.startswith("■ withdrawals/"))
    assert section < first_file
    assert "示罚〔2026〕99号" in out and "结论：撤下未执行" in out
    config = load_config(ROOT / "site.yml")
    html = render_html(result, config)
    assert 'id="not-executed"' in html
    assert html.index('id="not-executed"') < html.index('id="summary"') < html.index('id="issues"')
    assert html.count("未找到") >= 2 and "已拒收" in html


def test_exit_5_outranks_rejected_rows(penalties, tmp_path, capsys):
    bad = penalty("乙公司", ORG2, "示罚〔2026〕2号")
    bad[XZCF_HEADER.index("处罚决定日期")] = "2026-02-30"
    penalties(
        penalty("甲公司", ORG, "示罚〔2026〕1号"),
        bad,
        withdrawals=[REAL_HEADER, ["行政处罚", "示罚〔2026〕99号", DEPT, "", "撤销", "2026-11-02"]],
    )
    assert check_cli(tmp_path) == 5
    capsys.readouterr()
    (tmp_path / "withdrawals" / "撤下.csv").unlink()
    assert check_cli(tmp_path) == 1


def test_every_withdrawal_row_reported_with_working_days(penalties, tmp_path, capsys):
    result = penalties(
        penalty("甲公司", ORG, "示罚〔2026〕1号", date="2026-06-01"),
        penalty("乙公司", ORG2, "示罚〔2026〕2号"),
        withdrawals=[
            REAL_HEADER,
            ["行政处罚", "示罚〔2026〕1号", DEPT, "", "撤销", "2026-11-16"],  # applied
            ["行政处罚", "示罚〔2026〕2号", DEPT, "", "撤销", "2026-11-31"],  # withheld
            ["行政处罚", "示罚〔2026〕9号", DEPT, "", "撤销", "2026-11-16"],  # overdue
            ["行政处罚", "示罚〔2026〕8号", DEPT, "", "撤销", "2026-11-19"],  # not yet late
        ],
    )
    config = load_config(ROOT / "site.yml")
    capsys.readouterr()
    check_cli(tmp_path, "json")
    rows = json.loads(capsys.readouterr().out)["takedowns"]
    assert [r["status_label"] for r in rows] == ["已撤下", "待复核，已暂停公示", "未找到", "未找到"]
    # 2026-11-16 is a Monday: Tue–Fri 17–20 count, the weekend not, today (Sunday 22nd) not.
    assert [r["workdays"] for r in rows] == [4, None, 4, 1]
    assert [r["overdue"] for r in rows] == [False, False, True, False]
    assert rows[1]["candidates"][0]["name"] == "乙公司"
    assert [i.row for i in result.issues if i.code == "withdrawal-overdue"] == [4]
    html = render_html(result, config)
    assert html.count("超期") >= 2 and "乙公司" in html and 'id="withdrawals"' in html
    text = "\n".join(text_lines(result, config))
    assert "撤下清单：读入 4 行 = 已撤下 1 + 待生效 0 + 待复核，已暂停公示 1 + 未找到 2" in text


def test_working_days_follow_the_state_council_calendar():
    # National Day 2026: 1–7 October off, Saturday 10 October a make-up working day.
    days = working_days_since(
        [dt.date(2026, 9, 30), None, dt.date(2026, 12, 1)], dt.date(2026, 10, 12)
    )
    assert days == [(4, True), (None, True), (0, True)]
    # The same count as the package's own, over years of holidays and make-up days.
    first, last = dt.date(2010, 1, 1), dt.date(2026, 11, 20)
    expected = len(chinese_calendar.get_workdays(first + dt.timedelta(days=1), last))
    assert working_days_since([first], last) == [(expected, True)]
    # Outside the calendar's years: Monday to Friday, marked as an estimate.
    assert working_days_since([dt.date(2040, 1, 6)], dt.date(2040, 1, 13)) == [(5, False)]


def test_accounting_holds_with_withheld_candidates(penalties):
    result = penalties(
        penalty("甲公司", ORG, "示罚〔2026〕1号"),
        penalty("甲公司", ORG, "示罚〔2026〕1号"),  # merged duplicate of a withheld record
        penalty("乙公司", ORG2, "示罚〔2026〕2号"),
        penalty("丙公司", ORG2, "示罚〔2026〕3号", date="2026-13-01"),  # rejected
        withdrawals=[
            ["信用主体名称", "撤下原因", "撤下日期"],
            ["甲公司", "撤销", "2026-11-20"],
        ],
    )
    acc = accounting(result, load_config(ROOT / "site.yml"))
    f = acc["datasets"]["xzcf"]["files"]["xzcf/处罚.csv"]
    assert f == {"read": 4, "published": 1, "withdrawn": 1, "rejected": 1, "merged": 1}
    assert acc["withdrawals"] == {
        "read": 1,
        "applied": 0,
        "pending": 0,
        "withheld": 1,
        "unmatched": 0,
        "rejected": 0,
    }


def _site_text(site: Path) -> str:
    """Every file of the built site as text: gzip (search) and XLSX (downloads) opened."""
    out = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                data = b"".join(z.read(n) for n in z.namelist())
        out.append(data.decode("utf-8", "replace"))
    return "\n".join(out).replace("\u200b", "")


def test_withheld_records_leave_every_public_surface(tmp_path):
    data, site, work = tmp_path / "data", tmp_path / "site", tmp_path / "work"
    write_csv(
        data / "xzcf" / "p.csv",
        [
            XZCF_HEADER,
            penalty("示例市甲撤下商贸有限公司", ORG, "示测罚〔2026〕31号"),
            penalty("示例市乙商贸有限公司", ORG2, "示测罚〔2026〕32号"),
            penalty("示例市乙商贸有限公司", ORG2, "示测罚〔2026〕33号"),
            penalty("示例市甲撤下商贸有限公司", ORG, "示测罚〔2026〕34号"),
        ],
    )
    write_csv(
        data / "withdrawals" / "w.csv",
        [
            REAL_HEADER,
            ["行政处罚", "示测罚〔2026〕32号", DEPT, "", "撤销", "2026-11-31"],
            ["", "", "", "示例市甲撤下商贸有限公司", "撤销", "2026-11-20"],
        ],
    )
    args = ["--config", str(ROOT / "site.yml"), "build", "--data", str(data), "--out", str(site)]
    assert (
        main([*args, "--work", str(work), "--today", TODAY.isoformat(), "--first-publication"]) == 1
    )
    result = run(data, load_config(ROOT / "site.yml"), TODAY)
    frame = result.records["xzcf"]
    gone = frame.filter(pl.col("_status") == "withdrawn").get_column("_id").to_list()
    kept = frame.filter(pl.col("_status") == "published").get_column("_id").to_list()
    assert len(gone) == 3 and len(kept) == 1
    text = _site_text(site)
    assert "示测罚〔2026〕33号" in text and kept[0] in text  # the check can see a record
    for needle in ["示测罚〔2026〕31号", "示测罚〔2026〕32号", "示测罚〔2026〕34号", *gone]:
        assert needle not in text, needle
    assert "示例市甲撤下商贸有限公司" not in text  # its subject page and list entries too
    assert not list(site.rglob(f"*{gone[0]}*"))
    for name in ("xzcf.csv", "xzcf.ndjson"):
        body = (site / "downloads" / "xzcf" / name).read_text("utf-8-sig")
        assert "示测罚〔2026〕33号" in body and "示测罚〔2026〕32号" not in body
    report = json.loads((work / "report" / "report.json").read_text("utf-8"))
    assert [t["status"] for t in report["takedowns"]] == ["withheld", "withheld"]
    hidden = {r["id"] for r in report["rows"] if r["status"] == "withdrawn"}
    assert hidden == set(gone)  # what `publish` withholds from the live site too
