"""Stage 1 — reading drops as they really arrive (one real fixture per way of arriving)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
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
        ("folder-unknown", "other/"),
        ("file-skipped", "xzcf/~$锁定.xlsx"),
        ("file-unreadable", "xzcf/坏文件.xlsx"),
        ("file-type-unsupported", "xzcf/说明.docx"),
    ]
    assert "其中 1 个文件未读取" in result.issues[0].message


def test_missing_required_column_rejects_rows_with_one_issue(tmp_path, check):
    header = [h for h in XZCF_HEADER if h != "处罚依据"]
    row = penalty("甲公司", ORG, "罚〔2026〕1号")
    del row[XZCF_HEADER.index("处罚依据")]
    write_csv(tmp_path / "xzcf" / "a.csv", [header, row, row])
    result = check(tmp_path)
    assert flat(result, "column-missing", "required-missing") == [("column-missing", 1, None)]
    assert result.records["xzcf"].get_column("_reason").to_list() == ["column-missing"] * 2


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
