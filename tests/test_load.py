"""Stage 1 — reading drops as they really arrive (one real fixture per way of arriving)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from conftest import FIXTURES, ORG, ORG2, XZCF_HEADER, flat, penalty, write_csv

from generator.load import decode, load


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
        ("file-ignored", "other"),
        ("file-unreadable", "xzcf/坏文件.xlsx"),
        ("file-ignored", "xzcf/说明.docx"),
    ]
    assert "目录 other/ 中的 1 个文件不在已知数据集目录中" in result.issues[0].message


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
