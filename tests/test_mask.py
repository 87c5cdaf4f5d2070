"""Stage 5 — personal data (spec §5)."""

from __future__ import annotations

import datetime as dt

from conftest import ORG, PERSON_ID, TODAY, flat, penalty, write_csv

from generator.mask import mask_name, mask_text, scan_text

OTHER_ID = "11010519491231002X"  # valid check character, born 1949-12-31


def test_mask_rules():
    assert mask_text(PERSON_ID, 1, 2) == "1" + "*" * 15 + "14"
    assert mask_name("张三", {"欧阳"}) == "张*"
    assert mask_name("欧阳娜娜", {"欧阳"}) == "欧阳**"
    assert mask_name("欧阳", {"欧阳"}) == "欧*"


def test_scan_text_masks_valid_ids_and_mobiles_only(config):
    text = (
        f"当事人{PERSON_ID}，联系电话13812345678，注册号990100000012345，订单号123456789012345678。"
    )
    out, ids, mobiles = scan_text(text, config, TODAY)
    assert (ids, mobiles) == (1, 1)
    assert PERSON_ID not in out and "13812345678" not in out
    assert "1***************14" in out and "138****5678" in out
    assert "990100000012345" in out and "123456789012345678" in out  # not valid ID numbers


def test_full_width_digits_are_found(config):
    wide = PERSON_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    out, ids, _ = scan_text(f"身份证{wide}", config, TODAY)
    assert ids == 1 and wide not in out


def test_natural_person_is_masked_everywhere(penalties):
    fact = f"当事人王小明（身份证号{OTHER_ID}，电话13912345678）无证经营。"
    result = penalties(
        penalty("王小明", "", "1号", kind="自然人", rep="", idnum=PERSON_ID, fact=fact)
    )
    row = result.records["xzcf"].row(0, named=True)
    assert row["_status"] == "published"
    assert row["xdr_mc"] == "王**"
    assert row["xdr_zjhm"] == "1***************14"
    assert row["sy"] == "当事人王**（身份证号1***************2X，电话139****5678）无证经营。"
    assert row["_subject"] is None  # never a subject page for a natural person
    assert flat(result, "pii-in-text") == [("pii-in-text", 2, "违法事实")]
    joined = " ".join(str(v) for v in row.values())
    assert PERSON_ID not in joined and OTHER_ID not in joined and "王小明" not in joined


def test_legal_representative_id_is_masked(tmp_path, check):
    from conftest import XZCF_HEADER

    header = [*XZCF_HEADER, "法定代表人证件号码"]
    write_csv(tmp_path / "xzcf" / "a.csv", [header, [*penalty("甲公司", ORG, "1号"), PERSON_ID]])
    row = check(tmp_path).records["xzcf"].row(0, named=True)
    assert row["fr_zjhm"] == "1***************14"


def test_rejected_rows_are_masked_too(penalties):
    result = penalties(
        penalty("李四", "", "1号", kind="自然人", rep="", idnum=PERSON_ID, date="2030-01-01")
    )
    row = result.records["xzcf"].row(0, named=True)
    assert row["_status"] == "rejected" and row["xdr_zjhm"] == "1***************14"


def test_natural_persons_are_never_grouped(tmp_path, check):
    header = [
        "主体名称",
        "主体类别",
        "统一社会信用代码",
        "证件号码",
        "列入原因",
        "认定部门",
        "列入日期",
    ]
    rows = [
        header,
        ["张三", "自然人", "", PERSON_ID, "失信被执行", "示例市中级人民法院", "2026-01-01"],
        ["张三", "自然人", "", PERSON_ID, "失信被执行", "示例市中级人民法院", "2026-02-01"],
    ]
    write_csv(tmp_path / "heimingdan" / "h.csv", rows)
    frame = check(tmp_path).records["heimingdan"]
    assert frame.get_column("_subject").to_list() == [None, None]
    assert frame.get_column("_id").n_unique() == 2
    assert dt.date(2026, 1, 1) in frame.get_column("lrrq").to_list()


# --- issue 15: the shared detector, every writing, every text column ----------------------


def test_scan_text_masks_separated_and_prefixed_numbers(config):
    text = (
        "身份证510101 19900101 1231、510101199-001011231，"
        "电话138-0013-8000、138 0013 8000、+8613800138000、１３８ ００１３ ８０００"
    )
    out, ids, mobiles = scan_text(text, config, TODAY)
    assert (ids, mobiles) == (2, 4)
    assert out == (
        "身份证5***** ******** **31、5********-*******31，"
        "电话138-****-8000、138 **** 8000、+86138****8000、１３８ **** ８０００"
    )


def test_scan_mobile_off_keeps_mobiles(config):
    import dataclasses

    site = {**config.site, "masking": {**config.masking, "scan_mobile": False}}
    off = dataclasses.replace(config, site=site)
    out, ids, mobiles = scan_text(f"电话138 0013 8000，{PERSON_ID}", off, TODAY)
    assert (ids, mobiles) == (1, 0)
    assert out == "电话138 0013 8000，1***************14"


def test_separated_numbers_in_free_text_are_flagged_and_masked(penalties):
    fact = "当事人联系电话 138 0013 8000，身份证 510101 19900101 1231"
    result = penalties(penalty("甲公司", ORG, "1号", fact=fact))
    row = result.records["xzcf"].row(0, named=True)
    assert row["sy"] == "当事人联系电话 138 **** 8000，身份证 5***** ******** **31"
    assert flat(result, "pii-in-text") == [("pii-in-text", 2, "违法事实")]


def test_id_in_docno_is_masked_before_the_guard(penalties):
    docno = "示市监罚〔2026〕" + PERSON_ID + "号"
    row = penalties(penalty("甲公司", ORG, docno)).records["xzcf"].row(0, named=True)
    assert row["wsh"] == "示市监罚〔2026〕1***************14号"


def test_zero_width_inside_a_name_is_gone_before_masking(penalties):
    fact = "段军伟无证经营"
    row = (
        penalties(
            penalty("段\u200b军伟", "", "1号", kind="自然人", rep="", idnum=PERSON_ID, fact=fact)
        )
        .records["xzcf"]
        .row(0, named=True)
    )
    assert (row["xdr_mc"], row["sy"]) == ("段**", "段**无证经营")
