"""Stage 1 — reading drops as they really arrive (one real fixture per way of arriving)."""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from conftest import (
    DEPT,
    FIXTURES,
    ORG,
    ORG2,
    ROOT,
    TODAY,
    XZCF_HEADER,
    flat,
    penalty,
    write_csv,
)
from openpyxl import Workbook

from generator.cli import main
from generator.issues import codes as issue_codes
from generator.load import Limits, decode, load


def rows_of(result, dataset):
    return result.records[dataset].select("_file", "_sheet", "_row", "_status").rows()


def test_gbk_csv_is_detected_and_read(check):
    result = check(FIXTURES / "gbk-csv")
    assert [(i.code, i.message) for i in result.issues if i.code == "file-encoding"] == [
        ("file-encoding", "文件编码识别为 GBK。")
    ]
    names = result.records["xzcf"].get_column("xdr_mc").to_list()
    assert names == ["示例市甲餐饮管理有限公司", "示例市乙商贸有限公司"]
    assert rows_of(result, "xzcf") == [
        ("xzcf/行政处罚.csv", None, 2, "published"),
        ("xzcf/行政处罚.csv", None, 3, "rejected"),
    ]


def test_gb18030_csv_keeps_characters_outside_gbk(check):
    result = check(FIXTURES / "gb18030-csv")
    assert result.records["shuangsuiji"].get_column("ztmc").to_list() == ["示例市𠀾记食品商行"]
    assert "GB18030" in [i.message for i in result.issues if i.code == "file-encoding"][0]


def test_bom_csv_with_field_codes(check):
    result = check(FIXTURES / "bom-csv")
    frame = result.records["xzxk"]
    # Lower-case and full-width codes are normalised (NFKC, upper) and pass the check.
    assert frame.get_column("xdr_shxym").to_list() == [ORG, ORG2]
    assert frame.get_column("jdrq").cast(pl.Utf8).to_list() == ["2026-09-01", "2026-09-02"]
    assert not [i for i in result.issues if i.code == "file-encoding"]  # UTF-8 is not news


def test_utf8_bom_is_stripped():
    text, enc = decode("名称".encode("utf-8-sig"))
    assert (text, enc) == ("名称", "UTF-8（带 BOM）")


def test_xlsx_title_rows_serial_dates_two_sheets_trailing_blanks(check):
    result = check(FIXTURES / "xlsx-title")
    frame = result.records["xzcf"]
    # Row numbers are those Excel shows: title (1), 填报 row (2), header (3), data 4-5.
    assert frame.select("_sheet", "_row").rows() == [
        ("第一批", 4),
        ("第一批", 5),
        ("第二批", 4),
        ("第二批", 5),
    ]
    assert frame.get_column("jdrq").cast(pl.Utf8).to_list() == [
        "2026-10-09",
        "2026-10-08",
        "2026-10-09",
        "2026-10-08",
    ]
    # 46670 typed as a plain number in a date column is an Excel serial: 2027-10-10.
    assert frame.get_column("yxq").cast(pl.Utf8).to_list()[0] == "2027-10-10"
    assert result.issues == [] or all(i.severity != "error" for i in result.issues)


def test_old_xls_with_merged_title(check):
    result = check(FIXTURES / "xls")
    assert rows_of(result, "heimingdan") == [
        ("heimingdan/黑名单.xls", "黑名单", 3, "published"),
        ("heimingdan/黑名单.xls", "黑名单", 4, "withdrawn"),
    ]


def test_old_layout_aliases_and_unknown_columns_reported(check):
    result = check(FIXTURES / "old-layout")
    assert flat(result, "column-unknown", "column-ignored") == [
        ("column-ignored", 1, "DFBM"),
        ("column-ignored", 1, "SJC"),
        ("column-unknown", 1, "XK_LSH"),
    ]
    row = result.records["xzxk"].row(0, named=True)
    assert (row["xkws"], row["xklb"], row["jdrq"].isoformat()) == ("排污许可", "普通", "2016-05-04")


def test_no_header_rejects_every_row_once(check):
    result = check(FIXTURES / "no-header")
    assert flat(result) == [("header-not-found", None, None)]
    assert [s for *_, s in rows_of(result, "xzcf")] == ["rejected"] * 3


def test_blank_lines_inside_csv_keep_excel_row_numbers(tmp_path, check):
    path = tmp_path / "xzcf" / "a.csv"
    write_csv(path, [XZCF_HEADER, penalty("甲公司", ORG, "罚〔2026〕1号")])
    lines = path.read_text(encoding="utf-8")
    row2 = ",".join(penalty("乙公司", ORG, "罚〔2026〕2号"))
    path.write_text(lines + "\n\n" + ",,,\n" + row2 + "\n\n\n", encoding="utf-8")
    result = check(tmp_path)
    assert result.records["xzcf"].get_column("_row").to_list() == [2, 6]


def test_unreadable_and_stray_files_are_reported_not_raised(tmp_path, check):
    (tmp_path / "xzcf").mkdir()
    (tmp_path / "xzcf" / "坏文件.xlsx").write_bytes(b"not a zip file")
    (tmp_path / "xzcf" / "说明.docx").write_bytes(b"x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / "xzcf" / "~$锁定.xlsx").write_bytes(b"lock")
    result = check(tmp_path)
    assert [(i.code, i.file) for i in result.issues] == [
        ("folder-unknown", "other/"),
        ("file-skipped", "xzcf/~$锁定.xlsx"),
        ("file-unreadable", "xzcf/坏文件.xlsx"),
        ("file-type-unsupported", "xzcf/说明.docx"),
    ]
    assert "其中 1 个文件未读取" in result.issues[0].message


def test_missing_required_column_rejects_rows_with_one_issue(tmp_path, check):
    # 处罚内容 is what a record cannot be published without: one file-level error.
    header = [h for h in XZCF_HEADER if h != "处罚内容"]
    row = penalty("甲公司", ORG, "罚〔2026〕1号")
    del row[XZCF_HEADER.index("处罚内容")]
    write_csv(tmp_path / "xzcf" / "a.csv", [header, row, row])
    result = check(tmp_path)
    assert flat(result, "column-missing", "required-missing") == [("column-missing", 1, None)]
    assert result.records["xzcf"].get_column("_reason").to_list() == ["column-missing"] * 2


def test_missing_standard_column_is_one_warning_and_rows_publish(tmp_path, check):
    # 处罚依据 is asked for by the standard, not needed to publish.
    header = [h for h in XZCF_HEADER if h != "处罚依据"]
    row = penalty("甲公司", ORG, "罚〔2026〕1号")
    del row[XZCF_HEADER.index("处罚依据")]
    write_csv(tmp_path / "xzcf" / "a.csv", [header, row])
    result = check(tmp_path)
    assert flat(result, "column-missing", "column-standard-missing") == [
        ("column-standard-missing", 1, None)
    ]
    assert result.records["xzcf"].get_column("_reason").to_list() == [None]


def test_files_are_read_in_sorted_order(tmp_path: Path, config):
    write_csv(tmp_path / "xzcf" / "b.csv", [XZCF_HEADER, penalty("乙", ORG, "2号")])
    write_csv(tmp_path / "xzcf" / "a.csv", [XZCF_HEADER, penalty("甲", ORG, "1号")])
    loaded = load(tmp_path, config)
    assert [t.file for t in loaded.tables] == ["xzcf/a.csv", "xzcf/b.csv"]


def test_gbk_after_a_long_ascii_start_is_still_detected(tmp_path, check):
    # The first 64 KiB are ASCII (valid UTF-8); a GBK row comes later: polars refuses the
    # bytes and the file is read again with full detection.
    header = ["CF_XDR_MC", "CF_WSH", "BZ"]
    rows = [header] + [[f"ACME {i}", f"No.{i}", "x" * 100] for i in range(700)]
    rows.append(["示例市甲公司", "示罚〔2026〕1号", "备注"])
    path = write_csv(tmp_path / "xzcf" / "late.csv", rows, encoding="gbk")
    assert path.stat().st_size > 1 << 16
    result = check(tmp_path)
    names = result.records["xzcf"].get_column("xdr_mc").to_list()
    assert names[-1] == "示例市甲公司" and len(names) == 701
    assert [i.message for i in result.issues if i.code == "file-encoding"] == [
        "文件编码识别为 GBK。"
    ]


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("行政处罚决定书文号：", "wsh"),
        (" 行政处罚决定书文号: ", "wsh"),
        ("* 处罚决定书文号", "wsh"),
        ("行政相对人代码_3(工商登记码)", "xdr_gszc"),  # 2016 numbering: the hint decides
        ("行政相对人代码_3（组织机构代码）", "xdr_zzjg"),
        ("行政相对人代码_2(组织机构代码)", "xdr_zzjg"),
        ("行政相对人代码_5 (居民身份证号)：", "xdr_zjhm"),
        ("行政相对人代码_5(身份证号)", "xdr_zjhm"),
        ("【处罚机关】", "cfjg"),
        ("信用主体名称", "xdr_mc"),
        ("处罚决定文书号", "wsh"),
        ("法人身份证件号码", "fr_zjhm"),  # ID words and a representative word
        ("当事人身份证号", "xdr_zjhm"),  # an ID-number header is always the masked column
        ("行政相对人名称（必填）", "xdr_mc"),  # a bracketed remark that names no column
        ("罚款金额（元）", None),  # ... but for an amount the bracket is the unit
    ],
)
def test_real_headers_resolve(config, header, key):
    assert config.schemas["xzcf"].resolve(header) == key


def test_an_id_number_header_is_never_read_as_a_plain_code(config):
    # Even when an office maps it elsewhere, a header saying ID number is the masked column.
    schema = config.schemas["xzcf"].with_office_headers({"负责人身份证": "xdr_shxym"})
    assert schema.resolve("负责人身份证") == "fr_zjhm"


def test_columns_yml_maps_headers_and_reports_bad_targets(tmp_path, check):
    header = ["办件时间" if h == "处罚决定日期" else h for h in XZCF_HEADER]
    write_csv(tmp_path / "xzcf" / "a.csv", [header, penalty("甲公司", ORG, "罚〔2026〕1号")])
    (tmp_path / "xzcf" / "columns.yml").write_text(
        "办件时间: 处罚决定日期\n其他列: 不存在的列\n", encoding="utf-8"
    )
    result = check(tmp_path)
    assert flat(result, "columns-map-invalid", "column-missing", "file-ignored") == [
        ("columns-map-invalid", None, None)
    ]
    assert result.records["xzcf"].get_column("_reason").to_list() == [None]
    assert result.records["xzcf"].get_column("jdrq").to_list()[0] is not None


# --- Every file in data/ accounted; rows, not files, rejected; bounded input ---------------

W_HEADER = ["数据集", "决定文书号", "决定机关统一社会信用代码", "撤下原因", "撤下日期"]
W_ROW = ["行政处罚", "罚〔2026〕1号", DEPT, "撤销", "2026-11-20"]


def two_penalties(folder: Path) -> Path:
    return write_csv(
        folder / "xzcf" / "处罚.csv",
        [
            XZCF_HEADER,
            penalty("甲公司", ORG, "罚〔2026〕1号"),
            penalty("乙公司", ORG, "罚〔2026〕2号"),
        ],
    )


def codes(result, *wanted: str) -> list[tuple[str, str, int | None]]:
    return [(i.code, i.file, i.row) for i in result.issues if not wanted or i.code in wanted]


def chinese_only(issue) -> bool:
    """The message and fix are Chinese: no library exception text."""
    text = issue.message + issue.fix
    return re.search(r"[\u4e00-\u9fff]", text) is not None and not re.search(
        r"Error|Exception|Traceback|EOCD|field limit", text
    )


def with_limits(config, **limits):
    return replace(config, site={**config.site, "limits": {**config.site["limits"], **limits}})


def exit_code(data: Path, *extra: str) -> int:
    return main(["--config", str(ROOT / "site.yml"), "check", "--data", str(data),
                 "--today", TODAY.isoformat(), *extra])  # fmt: skip


def test_random_bytes_named_csv_is_reported_as_not_text(tmp_path, check):
    two_penalties(tmp_path)
    (tmp_path / "xzcf" / "乱码.csv").write_bytes(random.Random(1).randbytes(5000))
    result = check(tmp_path)
    [issue] = [i for i in result.issues if i.file == "xzcf/乱码.csv"]
    assert (issue.code, issue.severity) == ("file-not-text", "error") and chinese_only(issue)
    assert exit_code(tmp_path) == 1


def test_a_cell_over_the_limit_rejects_its_row_not_its_file(tmp_path, check):
    rows = [penalty("甲公司", ORG, f"罚〔2026〕{i}号") for i in range(1, 4)]
    rows[1][XZCF_HEADER.index("违法事实")] = "很长" * 70_000  # 140,000 characters, 420 KB
    write_csv(tmp_path / "xzcf" / "a.csv", [XZCF_HEADER, *rows])
    result = check(tmp_path)
    assert rows_of(result, "xzcf") == [
        ("xzcf/a.csv", None, 2, "published"),
        ("xzcf/a.csv", None, 3, "rejected"),
        ("xzcf/a.csv", None, 4, "published"),
    ]
    [issue] = [i for i in result.issues if i.code == "cell-too-long"]
    assert (issue.row, issue.column) == (3, "违法事实") and "140000" in issue.message
    assert result.records["xzcf"].get_column("_reason").to_list()[1] == "cell-too-long"
    assert chinese_only(issue)


def test_a_cell_over_the_limit_in_xlsx_rejects_its_row(tmp_path, check, config):
    wb = Workbook()
    ws = wb.active
    ws.append(XZCF_HEADER)
    ws.append(penalty("甲公司", ORG, "罚〔2026〕1号", fact="x" * 200))
    ws.append(penalty("乙公司", ORG, "罚〔2026〕2号"))
    (tmp_path / "xzcf").mkdir()
    wb.save(tmp_path / "xzcf" / "a.xlsx")
    result = check(tmp_path, cfg=with_limits(config, cell_chars=100))
    assert [s for *_, s in rows_of(result, "xzcf")] == ["rejected", "published"]
    assert codes(result, "cell-too-long") == [("cell-too-long", "xzcf/a.xlsx", 2)]


def test_mixed_encodings_are_read_line_by_line(tmp_path, check):
    lines = [
        ",".join(XZCF_HEADER).encode("utf-8"),
        ",".join(penalty("甲公司", ORG, "罚〔2026〕1号")).encode("utf-8"),
        ",".join(penalty("乙公司", ORG, "罚〔2026〕2号")).encode("gbk"),
        b"\xff\xfe\xfd," + ",".join(penalty("", ORG, "罚〔2026〕3号")[1:]).encode("utf-8"),
        ",".join(penalty("丁公司", ORG, "罚〔2026〕4号")).encode("utf-8"),
    ]
    (tmp_path / "xzcf").mkdir()
    (tmp_path / "xzcf" / "混合.csv").write_bytes(b"\r\n".join(lines) + b"\r\n")
    result = check(tmp_path)
    assert result.records["xzcf"].get_column("xdr_mc").to_list()[:2] == ["甲公司", "乙公司"]
    assert [s for *_, s in rows_of(result, "xzcf")] == [
        "published", "published", "rejected", "published",
    ]  # fmt: skip
    assert codes(result, "line-undecodable", "file-encoding-mixed") == [
        ("file-encoding-mixed", "xzcf/混合.csv", None),
        ("line-undecodable", "xzcf/混合.csv", 4),
    ]
    assert all(chinese_only(i) for i in result.issues)


def test_gbk_late_in_a_utf8_file_is_not_garbled(tmp_path, check):
    rows = [XZCF_HEADER] + [penalty(f"甲{i}公司", ORG, f"罚〔2026〕{i}号") for i in range(400)]
    path = write_csv(tmp_path / "xzcf" / "a.csv", rows)
    path.write_bytes(path.read_bytes() + ",".join(penalty("乙公司", ORG, "罚2号")).encode("gbk"))
    names = check(tmp_path).records["xzcf"].get_column("xdr_mc").to_list()
    assert names[0] == "甲0公司" and names[-1] == "乙公司"


def test_truncated_xlsx_gets_a_chinese_message_and_the_detail_apart(tmp_path, check):
    wb = Workbook()
    wb.active.append(XZCF_HEADER)
    wb.active.append(penalty("甲公司", ORG, "罚〔2026〕1号"))
    buf = io.BytesIO()
    wb.save(buf)
    (tmp_path / "xzcf").mkdir()
    (tmp_path / "xzcf" / "截断.xlsx").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    [issue] = check(tmp_path).issues
    assert (issue.code, issue.severity, issue.file) == (
        "file-unreadable",
        "error",
        "xzcf/截断.xlsx",
    )
    assert chinese_only(issue) and "另存为" in issue.fix
    assert issue.value and "BadZipFile" in issue.value  # the technical detail, kept apart


def test_empty_file_is_reported_empty_not_header_not_found(tmp_path, check):
    (tmp_path / "xzcf").mkdir()
    (tmp_path / "xzcf" / "空.csv").write_bytes(b"")
    (tmp_path / "xzcf" / "空.xlsx").write_bytes(b"")
    assert codes(check(tmp_path)) == [
        ("file-empty", "xzcf/空.csv", None),
        ("file-empty", "xzcf/空.xlsx", None),
    ]


def test_hidden_files_and_folders_are_reported(tmp_path, check):
    two_penalties(tmp_path)
    write_csv(tmp_path / "xzcf" / ".隐藏.csv", [XZCF_HEADER, penalty("丙", ORG, "3号")])
    write_csv(tmp_path / ".old" / "xzcf.csv", [XZCF_HEADER])
    (tmp_path / "xzcf" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (tmp_path / ".gitkeep").write_bytes(b"")
    result = check(tmp_path)
    assert [(i.code, i.file, i.severity) for i in result.issues] == [
        ("file-skipped", ".gitkeep", "info"),
        ("folder-hidden", ".old/", "error"),
        ("file-skipped", "xzcf/.DS_Store", "info"),
        ("file-hidden", "xzcf/.隐藏.csv", "error"),
    ]
    assert "隐藏文件" in result.issues[3].message


def test_stray_folders_and_files_are_errors_and_fail_the_run(tmp_path, check):
    two_penalties(tmp_path)
    write_csv(tmp_path / "2026年" / "处罚.csv", [XZCF_HEADER, penalty("丙", ORG, "3号")])
    write_csv(tmp_path / "处罚.csv", [XZCF_HEADER, penalty("丁", ORG, "4号")])
    result = check(tmp_path)
    assert [(i.code, i.file, i.severity) for i in result.issues] == [
        ("folder-unknown", "2026年/", "error"),
        ("file-misplaced", "处罚.csv", "error"),
    ]
    assert exit_code(tmp_path) == 1  # published, but data was left out: not a clean run


def test_tsv_is_read_as_tab_separated(tmp_path, check):
    (tmp_path / "xzcf").mkdir()
    rows = [XZCF_HEADER, penalty("甲公司,分公司", ORG, "罚〔2026〕1号")]
    (tmp_path / "xzcf" / "a.tsv").write_text("\n".join("\t".join(r) for r in rows) + "\n", "utf-8")
    result = check(tmp_path)
    assert result.records["xzcf"].get_column("xdr_mc").to_list() == ["甲公司,分公司"]
    assert rows_of(result, "xzcf") == [("xzcf/a.tsv", None, 2, "published")]


@pytest.mark.parametrize("where", ["撤下清单/撤下.csv", "withdrawal/list.csv", "withdrawals.csv"])
def test_withdrawal_list_in_the_wrong_place_is_still_applied(tmp_path, check, where):
    two_penalties(tmp_path)
    write_csv(tmp_path / where, [W_HEADER, W_ROW])
    result = check(tmp_path)
    assert [s for *_, s in rows_of(result, "xzcf")] == ["withdrawn", "published"]
    [issue] = result.issues
    assert (issue.code, issue.severity) == ("withdrawal-file-misplaced", "warning")
    assert result.withdrawals.get_column("_status").to_list() == ["applied"]


@pytest.mark.parametrize(
    "name",
    ["withdrawals/撤下.xlsx", "withdrawals/.撤下.csv", "撤下.docx", "withdrawals/撤下.pdf",
     "other/撤销清单.csv"],
)  # fmt: skip
def test_withdrawal_list_that_cannot_be_read_fails_the_run(tmp_path, check, name):
    two_penalties(tmp_path)
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04 truncated")
    result = check(tmp_path)
    lost = [i for i in result.issues if i.code == "withdrawal-file-lost"]
    assert [i.file for i in lost] == [name] and lost[0].severity == "error"
    assert issue_codes()["withdrawal-file-lost"]["exit"] == 5  # cli: exit 5, 撤下未执行
    config = str(ROOT / "site.yml")
    assert (
        main(["--config", config, "check", "--data", str(tmp_path), "--today", "2026-11-22"]) == 5
    )


def test_file_link_out_of_data_is_not_followed(tmp_path, check):
    data = tmp_path / "data"
    two_penalties(data)
    outside = write_csv(tmp_path / "secret.csv", [XZCF_HEADER, penalty("外部", ORG, "9号")])
    (data / "xzcf" / "link.csv").symlink_to(outside)
    (data / "xzcf" / "broken.csv").symlink_to(tmp_path / "nowhere.csv")
    result = check(data)
    assert "外部" not in result.records["xzcf"].get_column("xdr_mc").to_list()
    assert codes(result) == [
        ("symlink-outside", "xzcf/broken.csv", None),
        ("symlink-outside", "xzcf/link.csv", None),
    ]


def test_links_inside_data_files_read_folders_reported(tmp_path, check):
    data = tmp_path / "data"
    two_penalties(data)
    (data / "archive").mkdir()
    (data / "xzcf" / "same.csv").symlink_to(data / "xzcf" / "处罚.csv")
    (data / "heimingdan").symlink_to(data / "archive", target_is_directory=True)
    (data / "xzxk").symlink_to(tmp_path, target_is_directory=True)
    result = check(data)
    assert len(result.files) == 2  # 处罚.csv and the link to it
    assert [
        (i.code, i.file, i.severity) for i in result.issues if i.code != "duplicate-identical"
    ] == [
        ("folder-unknown", "archive/", "error"),
        ("folder-symlink", "heimingdan/", "warning"),
        ("symlink-outside", "xzxk", "error"),
    ]


def test_zip_bomb_is_refused_from_the_zip_directory(tmp_path, check):
    (tmp_path / "xzcf").mkdir()
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    write_xlsx_parts(tmp_path / "xzcf" / "bomb.xlsx", row * 400_000)  # 20 MB sheet
    assert (tmp_path / "xzcf" / "bomb.xlsx").stat().st_size < 200_000
    [issue] = check(tmp_path).issues
    assert (issue.code, issue.severity) == ("xlsx-bomb", "error") and chinese_only(issue)


def test_a_far_away_cell_is_refused_before_the_sheet_is_allocated(tmp_path, check):
    wb = Workbook()
    wb.active.append(XZCF_HEADER)
    wb.active.cell(row=1_048_576, column=16_384, value="x")  # would need 17e9 cells in memory
    (tmp_path / "xzcf").mkdir()
    wb.save(tmp_path / "xzcf" / "far.xlsx")
    [issue] = check(tmp_path).issues
    assert issue.code == "sheet-too-many-cells" and "1048576 行 × 16384 列" in issue.message


def test_a_huge_declared_shared_string_count_is_refused(tmp_path, check):
    # calamine reserves memory for every declared shared string: 4e9 would abort the process.
    path = tmp_path / "xzcf" / "sst.xlsx"
    path.parent.mkdir()
    write_xlsx_parts(path, b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/sharedStrings.xml", b'<sst count="4000000000"><si><t>x</t></si></sst>')
    [issue] = check(tmp_path).issues
    assert issue.code == "file-unreadable" and "共享字符串表声明了 4000000000 项" in issue.message


def test_limits_on_size_rows_and_unzipped_size_come_from_site_yml(tmp_path, check, config):
    rows = [XZCF_HEADER] + [penalty("甲", ORG, f"{i}号") for i in range(30)]
    write_csv(tmp_path / "xzcf" / "a.csv", rows)
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(tmp_path / "xzcf" / "b.xlsx")
    assert codes(check(tmp_path, cfg=with_limits(config, rows=20)), "file-too-many-rows") == [
        ("file-too-many-rows", "xzcf/a.csv", None),
        ("file-too-many-rows", "xzcf/b.xlsx", None),
    ]
    small = with_limits(config, file_mb=0.001, xlsx_unzipped_mb=0.001)
    assert codes(check(tmp_path, cfg=small)) == [
        ("file-too-large", "xzcf/a.csv", None),
        ("file-too-large", "xzcf/b.xlsx", None),
    ]
    assert codes(check(tmp_path, cfg=with_limits(config, xlsx_unzipped_mb=0.001))) == [
        ("xlsx-too-large", "xzcf/b.xlsx", None)
    ]


def test_bad_limits_are_reported_and_defaults_used(tmp_path, check, config):
    two_penalties(tmp_path)
    result = check(tmp_path, cfg=with_limits(config, rows="many", typo=3))
    assert codes(result) == [("limits-invalid", "site.yml", None)] * 2
    assert Limits.of(with_limits(config, rows="many")).rows == Limits().rows


def write_xlsx_parts(path: Path, sheet_rows: bytes) -> None:
    """A minimal valid XLSX whose one sheet holds `sheet_rows` (raw <row> elements)."""
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b"<?xml version=\"1.0\"?><workbook " + ns + b" " + rel + b'><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": b"<?xml version=\"1.0\"?><worksheet " + ns + b"><sheetData>" + sheet_rows + b"</sheetData></worksheet>",
    }  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
