"""Tests for the fictional 示例市 data drop (generator/sample/).

Check digits, encodings and defect detectors are computed here independently of the module,
so a bug in the generator's helpers cannot hide itself.
"""

import csv
import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from generator import sample
from generator.config import load_config
from generator.sample import write_sample

ANCHOR = dt.date(2026, 9, 30)
XLSX = "xzcf/行政处罚-2026年第三季度.xlsx"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PLACEHOLDER = "00000000000000000X"
CATEGORIES = {"法人及非法人组织", "自然人", "个体工商户"}
DATASET_FILES = {
    "xzcf": ["xzcf/行政处罚-市场监管.csv", XLSX, "xzcf/行政处罚-2016平台.csv"],
    "xzxk": ["xzxk/行政许可.csv", "xzxk/行政许可-旧格式.csv", "xzxk/行政许可-审批系统.csv"],
    "hongmingdan": ["hongmingdan/红名单.xlsx", "hongmingdan/红名单-续.csv"],
    "heimingdan": ["heimingdan/黑名单.xlsx", "heimingdan/黑名单-续.csv"],
    "shuangsuiji": ["shuangsuiji/双随机抽查结果.csv"],
    "xinyongchengnuo": ["xinyongchengnuo/信用承诺.csv"],
}
ENCODINGS = {
    "xzcf/行政处罚-市场监管.csv": "gbk",
    "xzxk/行政许可.csv": "utf-8-sig",
    "xzxk/行政许可-旧格式.csv": "utf-8",
    "xzcf/行政处罚-2016平台.csv": "utf-8",
    "xzxk/行政许可-审批系统.csv": "gb18030",
    "hongmingdan/红名单-续.csv": "utf-8",
    "heimingdan/黑名单-续.csv": "utf-8",
    "shuangsuiji/双随机抽查结果.csv": "gb18030",
    "xinyongchengnuo/信用承诺.csv": "utf-8",
    "withdrawals/撤下清单.csv": "utf-8-sig",
}
ID_COLUMNS = {
    "证件号码",
    "法定代表人证件号码",
    "XK_FR_ZJHM",
    "XK_XDR_ZJHM",
    "XK_XDR_SFZ",
    "行政相对人代码_5(居民身份证号)",
}
# One column for either code (real approval-system layout): an ID number or a USCC/注册号.
MIXED_COLUMNS = {"证件号码/统一社会信用代码："}
CODE_COLUMNS = {
    "行政相对人代码_1(统一社会信用代码)",
    "处罚机关统一社会信用代码",
    "数据来源单位统一社会信用代码",
    "XK_XDR_SHXYM",
    "XK_XKJGDM",
    "XK_SJLYDM",
    "统一社会信用代码",
    "承诺人代码",
    "受理单位代码",
    "决定机关统一社会信用代码",
    "主体代码",
}


# --- independent checks --------------------------------------------------------------------


def uscc_ok(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return code[17] == USCC_ALPHABET[(31 - total % 31) % 31]


def id_ok(number: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(number[:17]))
    return number[17] == "10X98765432"[total % 11]


def parse_date(value) -> dt.date | None:
    """Read any date style the drop uses; None for empty or impossible dates."""
    if isinstance(value, dt.datetime):
        return value.date()
    if not value:
        return None
    m = re.fullmatch(
        r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?(?: .*)?|(\d{4})(\d{2})(\d{2})", str(value)
    )
    if not m:
        return None
    y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


# --- reading the drop ------------------------------------------------------------------------


def read_csv(path: Path, encoding: str) -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def read_xlsx(path: Path) -> list[dict]:
    """Data rows of every sheet; the header is the first row whose first cell is a column name."""
    rows = []
    for ws in openpyxl.load_workbook(path).worksheets:
        values = list(ws.iter_rows(values_only=True))
        h = next(i for i, r in enumerate(values) if r[0] in ("行政相对人名称", "主体名称"))
        header = values[h]
        rows += [
            dict(zip(header, r, strict=True))
            for r in values[h + 1 :]
            if any(v is not None for v in r)
        ]
    return rows


def read_drop(root: Path) -> dict[str, list[dict]]:
    """Every file of a drop as rows of dicts, keyed by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".xlsx":
            out[rel] = read_xlsx(path)
        elif path.suffix == ".csv":
            # Kinds written from their schema alone (sample/kinds.py): UTF-8 with BOM.
            out[rel] = read_csv(path, ENCODINGS.get(rel, "utf-8-sig"))
    return out


def sha256_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def drop500(tmp_path_factory):
    root = tmp_path_factory.mktemp("drop500")
    counts = write_sample(root, records=500, seed=7, anchor=ANCHOR)
    return root, counts, read_drop(root)


# --- tests -----------------------------------------------------------------------------------


def test_same_inputs_give_identical_bytes(tmp_path):
    first = write_sample(tmp_path / "a", records=1500, seed=3, anchor=ANCHOR)
    second = write_sample(tmp_path / "b", records=1500, seed=3, anchor=ANCHOR)
    other = write_sample(tmp_path / "c", records=1500, seed=4, anchor=ANCHOR)
    assert first == second
    assert {k: v for k, v in first.items() if not k.startswith("withdrawals/")} == {
        k: v for k, v in other.items() if not k.startswith("withdrawals/")
    }
    hashes = sha256_tree(tmp_path / "a")
    assert hashes == sha256_tree(tmp_path / "b")
    assert set(hashes) == set(first)
    different = sha256_tree(tmp_path / "c")
    assert all(hashes[name] != different[name] for name in hashes)


def test_bytes_do_not_depend_on_the_process(tmp_path):
    # str hashes differ per process (PYTHONHASHSEED); nothing may leak into the output.
    write_sample(tmp_path / "here", records=800, seed=5, anchor=ANCHOR)
    script = (
        "import sys, datetime; from pathlib import Path; from generator.sample import write_sample;"
        "write_sample(Path(sys.argv[1]), records=800, seed=5, anchor=datetime.date(2026, 9, 30))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "there")], check=True, env=env, cwd=root
    )
    assert sha256_tree(tmp_path / "here") == sha256_tree(tmp_path / "there")


def test_encodings_and_headers(drop500):
    root, counts, _ = drop500
    gbk = (root / "xzcf/行政处罚-市场监管.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    header = gbk.decode("gbk").splitlines()[0].split(",")
    assert header[:3] == ["行政相对人名称", "行政相对人类别", "行政相对人代码_1(统一社会信用代码)"]
    assert {"罚款金额(万元)", "处罚决定日期", "公示截止期", "处罚机关统一社会信用代码"} <= set(
        header
    )

    for name in ("xzxk/行政许可.csv", "withdrawals/撤下清单.csv"):
        assert (root / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    for name in ("xzxk/行政许可-旧格式.csv", "xinyongchengnuo/信用承诺.csv"):
        raw = (root / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
    main = (root / "xzxk/行政许可.csv").read_text("utf-8-sig").splitlines()[0].split(",")
    assert main[:3] == ["XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM"] and main[-1] == "BZ"
    old = (root / "xzxk/行政许可-旧格式.csv").read_text("utf-8").splitlines()[0].split(",")
    assert {"XK_XMMC", "XK_SPLB", "XK_XDR_SFZ", "DFBM", "SJC"} <= set(old)

    ssj = (root / "shuangsuiji/双随机抽查结果.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        ssj.decode("utf-8")
    assert ssj.decode("gb18030").startswith("抽查计划编号,抽查计划名称,抽查任务编号")


def test_real_layouts_are_in_the_drop(drop500):
    root, counts, rows = drop500
    old = rows["xzcf/行政处罚-2016平台.csv"]
    assert counts["xzcf/行政处罚-2016平台.csv"] > 0
    assert {"行政相对人代码_3(工商登记码)", "行政相对人代码_5(居民身份证号)", "处罚类别1"} <= set(
        old[0]
    )
    assert "行政相对人类别" not in old[0] and "处罚机关统一社会信用代码" not in old[0]
    assert all("年" in r["处罚决定日期"] for r in old)
    appr = rows["xzxk/行政许可-审批系统.csv"]
    assert {"证件号码/统一社会信用代码：", "有效期限：", "办理主体："} <= set(appr[0])
    assert all("至" in r["有效期限："] or "-" in r["有效期限："] for r in appr)


def test_counts_match_files_and_split(drop500):
    root, counts, rows = drop500
    assert {k: len(v) for k, v in rows.items()} == counts
    per_dataset = {k: sum(counts.get(f, 0) for f in files) for k, files in DATASET_FILES.items()}
    assert sum(per_dataset.values()) == 500
    expected = {
        "xzxk": 0.35,
        "xzcf": 0.30,
        "shuangsuiji": 0.15,
        "xinyongchengnuo": 0.12,
        "hongmingdan": 0.04,
        "heimingdan": 0.04,
    }
    for k, share in expected.items():
        assert abs(per_dataset[k] / 500 - share) < 0.01, k
    assert (
        0
        < counts["withdrawals/撤下清单.csv"]
        < 0.05 * (per_dataset["xzcf"] + per_dataset["xzxk"]) + 10
    )


def test_overflow_goes_to_csv_at_larger_sizes(tmp_path, monkeypatch):
    # Spreadsheets stay office-sized (a few thousand rows); lower the caps to test cheaply.
    assert 1000 <= sample.XLSX_MAX_ROWS <= 5000 and 1000 <= sample.LIST_XLSX_MAX_ROWS <= 5000
    monkeypatch.setattr(sample, "XLSX_MAX_ROWS", 100)
    monkeypatch.setattr(sample, "LIST_XLSX_MAX_ROWS", 60)
    monkeypatch.setattr(sample, "OLD_LAYOUT_MAX_ROWS", 30)
    counts = write_sample(tmp_path, records=4000, seed=1, anchor=ANCHOR)
    assert counts[XLSX] == 100 and counts["xzcf/行政处罚-市场监管.csv"] == 1100 - 30
    assert counts["xzcf/行政处罚-2016平台.csv"] == 30 and counts["xzxk/行政许可-审批系统.csv"] == 30
    assert counts["hongmingdan/红名单.xlsx"] == 60 and counts["hongmingdan/红名单-续.csv"] == 100
    assert counts["xzxk/行政许可-旧格式.csv"] == 30
    assert sum(v for k, v in counts.items() if k.split("/")[0] in DATASET_FILES) == 4000
    assert {k: len(v) for k, v in read_drop(tmp_path).items()} == counts


def test_xlsx_is_office_shaped(drop500):
    root = drop500[0]
    wb = openpyxl.load_workbook(root / XLSX)
    assert len(wb.worksheets) == 2
    assert wb.properties.created == dt.datetime(2026, 9, 30, 9, 0)
    date_cells = text_dates = 0
    for ws in wb.worksheets:
        assert ws["A1"].value == "示例市行政处罚信息公示表"
        assert any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)
        assert "填报单位" in ws["A2"].value and "填报日期" in ws["A2"].value
        header = [c.value for c in ws[3]]
        assert header[0] == "行政相对人名称" and "处罚决定日期" in header
        col = header.index("处罚决定日期") + 1
        for y in range(4, ws.max_row - 1):
            cell = ws.cell(y, col)
            if cell.is_date:
                date_cells += 1
            elif re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}/\d{1,2}/\d{1,2}|\d{8}", cell.value):
                text_dates += 1
        last_two = list(ws.iter_rows(min_row=ws.max_row - 1, values_only=True))
        assert all(v is None for row in last_two for v in row)
        assert any(
            v is not None
            for v in next(
                ws.iter_rows(min_row=ws.max_row - 2, max_row=ws.max_row - 2, values_only=True)
            )
        )
    assert date_cells and text_dates
    assert wb.worksheets[1].max_row > wb.worksheets[0].max_row


def test_every_code_is_valid_outside_the_deliberate_defects(drop500):
    _, _, rows = drop500
    seen, bad = set(), []
    for file_rows in rows.values():
        for row in file_rows:
            for col, value in row.items():
                if col not in CODE_COLUMNS or not value or value == PLACEHOLDER:
                    continue
                code = unicodedata.normalize("NFKC", value).upper()
                seen.add(code[:2])
                if not uscc_ok(code):
                    bad.append(code)
    # Only wrong check characters: well-formed otherwise, and rare.
    assert bad and len(bad) <= 12
    assert all(len(c) == 18 and all(ch in USCC_ALPHABET for ch in c) for c in bad)
    assert {"91", "92", "11", "N2", "Y1"} <= seen


def test_person_ids_pass_mod_11_2_and_appear_only_where_allowed(drop500):
    _, _, rows = drop500
    in_id_columns = in_text = 0
    token = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
    for name, file_rows in rows.items():
        for row in file_rows:
            for col, value in row.items():
                if col in MIXED_COLUMNS and value and not id_ok(value):
                    assert uscc_ok(value) or re.fullmatch(r"\d{15}", value), value
                    continue
                if col in (ID_COLUMNS | MIXED_COLUMNS) and value:
                    assert id_ok(value), value
                    assert value.startswith("99")
                    assert 1950 <= int(value[6:10]) <= 2005
                    dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
                    in_id_columns += 1
                    continue
                for found in token.findall(str(value or "")):
                    if id_ok(found):
                        assert (name, col) == ("xzcf/行政处罚-市场监管.csv", "违法事实"), found
                        in_text += 1
    assert in_id_columns > 50 and in_text >= 1


@pytest.mark.parametrize("records", [200, 500])
def test_each_defect_kind_appears(tmp_path, records):
    write_sample(tmp_path, records=records, seed=11, anchor=ANCHOR)
    rows = read_drop(tmp_path)
    cf = rows["xzcf/行政处罚-市场监管.csv"]
    code = "行政相对人代码_1(统一社会信用代码)"
    dates = [(r["处罚决定日期"], parse_date(r["处罚决定日期"])) for r in cf]
    by_identity: dict[tuple, list[dict]] = {}
    for r in cf:
        by_identity.setdefault((r["处罚机关统一社会信用代码"], r["行政处罚决定书文号"]), []).append(
            r
        )
    reexported = [
        group
        for group in by_identity.values()
        if len(group) > 1
        and len({r["备注"] for r in group}) > 1
        and len({tuple(v for k, v in r.items() if k != "备注") for r in group}) == 1
    ]
    mobile = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    rare = lambda name: any(ord(ch) > 0xFFFF for ch in name)  # noqa: E731
    xk = rows["xzxk/行政许可.csv"]
    found = {
        "uscc-bad-check": any(
            r[code]
            and r[code] != PLACEHOLDER
            and not uscc_ok(unicodedata.normalize("NFKC", r[code]).upper())
            for r in cf
        ),
        "uscc-lowercase": any(re.search(r"[a-z]", r[code]) for r in cf),
        "uscc-fullwidth": any(re.search(r"[\uff10-\uff5a]", r[code]) for r in cf),
        "amount-with-unit": any(re.fullmatch(r"\d+元", r["罚款金额(万元)"]) for r in cf),
        "bad-date": any(raw and parsed is None for raw, parsed in dates),
        "future-date": any(parsed and parsed > ANCHOR for _, parsed in dates),
        "old-penalty": any(parsed and parsed < dt.date(2023, 9, 30) for _, parsed in dates),
        "person-no-id": any(r["行政相对人类别"] == "自然人" and not r["证件号码"] for r in cf),
        "unknown-category": any(r["行政相对人类别"] not in CATEGORIES for r in cf),
        "duplicate": any(n > 1 for n in Counter(tuple(r.values()) for r in cf).values()),
        "reexport": bool(reexported),
        "warning-only": any(r["处罚类别"] == "警告" for r in cf),
        "id-in-text": any(
            id_ok(t) for r in cf for t in re.findall(r"(?<!\d)\d{17}[\dX](?!\d)", r["违法事实"])
        ),
        "mobile-in-text": any(mobile.search(r["违法事实"]) for r in cf),
        "name-variant": any(
            r["行政相对人名称"] != r["行政相对人名称"].strip() and "(" in r["行政相对人名称"]
            for r in cf
        ),
        "placeholder-no-regno": any(
            r[code] == PLACEHOLDER and not r["行政相对人代码_2(工商注册号)"] for r in cf
        ),
        "rare-char-xlsx": any(rare(r["行政相对人名称"]) for r in rows[XLSX]),
        "rare-char-xzxk": any(rare(r["XK_XDR_MC"]) for r in xk),
        "rare-char-ssj": any(rare(r["主体名称"]) for r in rows["shuangsuiji/双随机抽查结果.csv"]),
        "xzxk-revoked": any(r["XK_ZT"] == "撤销" for r in xk),
        "xzxk-bad-check": any(r["XK_XDR_SHXYM"] and not uscc_ok(r["XK_XDR_SHXYM"]) for r in xk),
        "fullwidth-brackets": any("（" in r["行政相对人名称"] for r in cf + rows[XLSX]),
    }
    assert [k for k, v in found.items() if not v] == []
    # Mobile numbers and ID numbers only ever sit in a handful of planted rows.
    assert sum(bool(mobile.search(r["违法事实"])) for r in cf) <= max(2, len(cf) // 40)


def test_penalty_amounts_match_the_content(drop500):
    _, _, rows = drop500
    checked = 0
    for r in rows["xzcf/行政处罚-市场监管.csv"] + rows[XLSX]:
        amount, content = r["罚款金额(万元)"], r["处罚内容"]
        m = re.search(r"罚款人民币(\d+)元", content or "")
        if m and amount is not None and re.fullmatch(r"[\d.]+", str(amount)):
            assert round(float(amount) * 10000) == int(m.group(1)), (amount, content)
            checked += 1
        if r["处罚类别"]:
            assert set(r["处罚类别"].split(";")) <= {
                "警告",
                "罚款",
                "没收违法所得",
                "责令停产停业",
                "暂扣许可证件",
                "吊销许可证件",
            }
    assert checked > 100


def test_dates_span_four_years_before_the_anchor(drop500):
    _, _, rows = drop500
    decided = [
        parse_date(r["处罚决定日期"]) for r in rows["xzcf/行政处罚-市场监管.csv"] + rows[XLSX]
    ]
    decided += [parse_date(r["XK_JDRQ"]) for r in rows["xzxk/行政许可.csv"]]
    valid = [d for d in decided if d]
    future = [d for d in valid if d > ANCHOR]
    assert len(future) <= 3
    assert min(valid) >= dt.date(2022, 9, 30)
    three_years = dt.date(2023, 9, 30)
    assert sum(d < three_years for d in valid) > 20 and sum(d >= three_years for d in valid) > 200


def test_lists_have_expired_and_removed_rows(drop500):
    _, _, rows = drop500
    red, black = rows["hongmingdan/红名单.xlsx"], rows["heimingdan/黑名单.xlsx"]
    assert any(r["有效期至"] and r["有效期至"].date() < ANCHOR for r in red)
    assert any(r["有效期至"] and r["有效期至"].date() >= ANCHOR for r in red)
    assert any(
        r["移出日期"] and r["移出日期"].date() <= ANCHOR and r["移出原因"] and r["移出决定机关"]
        for r in black
    )
    assert any(not r["移出日期"] for r in black)


def test_commitment_codes_and_identities_are_unique(drop500):
    _, _, rows = drop500
    pledges = rows["xinyongchengnuo/信用承诺.csv"]
    for r in pledges:
        code = r["承诺编码"]
        assert re.fullmatch(r"990100\d{14}", code)
        assert code[6:14] == r["承诺作出日期"].replace("-", "")
        assert r["公开类型"] in ("可向社会公开", "不予公开")
    assert len({r["承诺编码"] for r in pledges}) == len(pledges)
    ssj = rows["shuangsuiji/双随机抽查结果.csv"]
    assert len({(r["抽查任务编号"], r["统一社会信用代码"]) for r in ssj}) == len(ssj)
    licences = rows["xzxk/行政许可.csv"] + rows["xzxk/行政许可-旧格式.csv"]
    assert len({(r["XK_XKJGDM"], r["XK_WSH"]) for r in licences}) == len(licences)


def identities(rows: dict[str, list[dict]]) -> dict[str, set[tuple]]:
    """Record identities per Chinese dataset name, as the withdrawals list names them."""

    def iso(v):  # list dates are real date cells in the XLSX and ISO text in the CSV
        return v.date().isoformat() if isinstance(v, dt.datetime) else v

    ids: dict[str, set[tuple]] = {
        k: set() for k in ("行政处罚", "行政许可", "红名单", "黑名单", "双随机抽查结果", "信用承诺")
    }
    for r in rows["xzcf/行政处罚-市场监管.csv"] + rows[XLSX]:
        ids["行政处罚"].add((r["处罚机关统一社会信用代码"], r["行政处罚决定书文号"]))
    # Real layouts without department codes: the 部门目录 in site.yml gives them.
    directory = load_config(Path(__file__).parents[1] / "site.yml").departments
    for r in rows["xzcf/行政处罚-2016平台.csv"]:
        ids["行政处罚"].add((directory.find(r["处罚机关"]).code, r["行政处罚决定书文号"]))
    for r in rows["xzxk/行政许可.csv"] + rows["xzxk/行政许可-旧格式.csv"]:
        ids["行政许可"].add((r["XK_XKJGDM"], r["XK_WSH"]))
    for r in rows["xzxk/行政许可-审批系统.csv"]:
        ids["行政许可"].add((directory.find(r["办理主体："]).code, r["行政许可决定书文号："]))
    for label, files in (
        ("红名单", DATASET_FILES["hongmingdan"]),
        ("黑名单", DATASET_FILES["heimingdan"]),
    ):
        for f in files:
            for r in rows.get(f, []):
                ids[label].add((r["认定部门"], r["统一社会信用代码"], iso(r["列入日期"])))
    for r in rows["shuangsuiji/双随机抽查结果.csv"]:
        ids["双随机抽查结果"].add((r["抽查任务编号"], r["统一社会信用代码"]))
    for r in rows["xinyongchengnuo/信用承诺.csv"]:
        ids["信用承诺"].add((r["承诺编码"],))
    return ids


def test_withdrawals_name_existing_records(drop500):
    _, _, rows = drop500
    ids = identities(rows)
    keys = {
        "行政处罚": ("决定机关统一社会信用代码", "决定文书号"),
        "行政许可": ("决定机关统一社会信用代码", "决定文书号"),
        "红名单": ("认定部门", "主体代码", "列入日期"),
        "黑名单": ("认定部门", "主体代码", "列入日期"),
        "双随机抽查结果": ("抽查任务编号", "主体代码"),
        "信用承诺": ("承诺编码",),
    }
    unknown, future, datasets = [], [], set()
    for w in rows["withdrawals/撤下清单.csv"]:
        assert w["撤下原因"] in ("修复", "撤销", "变更", "确认违法或无效")
        datasets.add(w["数据集"])
        if tuple(w[k] for k in keys[w["数据集"]]) not in ids[w["数据集"]]:
            unknown.append(w)
        if dt.date.fromisoformat(w["撤下日期"]) > ANCHOR:
            future.append(w)
    assert len(unknown) == 1
    assert [w["撤下原因"] for w in future] == ["修复"]
    assert datasets == set(keys)


def test_smallest_drop(tmp_path):
    counts = write_sample(tmp_path, records=50, seed=0, anchor=ANCHOR)
    per_dataset = sum(v for k, v in counts.items() if k.split("/")[0] in DATASET_FILES)
    assert per_dataset == 50
    rows = read_drop(tmp_path)
    assert {k: len(v) for k, v in rows.items()} == counts
    assert all((tmp_path / name).exists() for name in counts)


def test_many_subjects_get_towns_in_their_names():
    import random

    from generator.sample.subjects import NAME_SPACE_SUBJECTS, PLACEHOLDER, build_subjects

    few = build_subjects(random.Random(1), 500)
    assert not any(("镇" in s.name or "街道" in s.name) for s in few)
    many = build_subjects(random.Random(1), NAME_SPACE_SUBJECTS + 20_000)
    names = [s.name for s in many]
    codes = [s.code for s in many if s.code != PLACEHOLDER]
    assert len(set(names)) == len(names) and len(set(codes)) == len(codes)
    towns = sum(bool(re.search(r"[\u4e00-\u9fff]{2}(镇|街道)", n)) for n in names)
    assert 0.7 < towns / len(names) < 0.9
    assert all(re.search(r"临江县[\u4e00-\u9fff]{2}镇", n) for n in names if "镇" in n)


def test_subjects_option_spreads_the_records(tmp_path):
    default = write_sample(tmp_path / "a", records=600, seed=2, anchor=ANCHOR)
    wide = write_sample(tmp_path / "b", records=600, seed=2, anchor=ANCHOR, subjects=600)
    assert sum(default.values()) == sum(wide.values())

    def names(root: Path) -> set[str]:
        rows = read_drop(root)["xzcf/行政处罚-市场监管.csv"]
        return {r["行政相对人名称"] for r in rows}

    assert len(names(tmp_path / "b")) > len(names(tmp_path / "a"))
