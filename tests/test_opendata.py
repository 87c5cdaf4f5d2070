"""Open data: downloads (CSV with BOM, XLSX, JSON), datapackage, formula neutralising,
privacy of every download file, the ledger's changelog and feeds across two builds, and
byte-identical rebuilds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from conftest import DEPT, ORG, ORG2, PERSON_ID, ROOT, XZCF_HEADER, penalty, write_csv
from frictionless import Package
from selectolax.lexbor import LexborHTMLParser

from generator.cli import main
from generator.config import load_config
from generator.opendata.export import Placer, export_dataset
from generator.opendata.fields import fields_for
from generator.pipeline import Result, run
from generator.sample import write_sample
from generator.web.writer import TreeWriter

TODAY = dt.date(2026, 11, 22)
FORMULA = "示例市公式测试有限公司"
WITHDRAWN_NAMES = ["示例市警告撤下商贸有限公司", "示例市旧案撤下商贸有限公司"]
REJECTED_NAME = "示例市拒收测试有限公司"


def build(data: Path, out: Path, today: dt.date, *extra: str) -> int:
    """Build `data` into `out`; a first publication when `out` has no ledger and none given."""
    work = out.parent / f"{out.name}-work"
    if "--ledger" not in extra and not (out / "downloads" / "ledger.csv").exists():
        extra = (*extra, "--first-publication")
    return main(
        ["--config", str(ROOT / "site.yml"), "build", "--data", str(data), "--out", str(out),
         "--work", str(work), "--today", today.isoformat(), *extra]
    )  # fmt: skip


def hostile() -> list[list[str]]:
    injected = penalty(FORMULA, ORG, "示测罚〔2026〕11号", fact="=1+1", wfxw="@SUM(A1:A2)")
    injected[4] = "+86-10-12345678"  # 法定代表人
    injected[-1] = "-2"  # 备注
    return [
        injected,
        penalty(WITHDRAWN_NAMES[0], ORG2, "示测罚〔2026〕12号", cat="警告", fine=""),
        penalty(WITHDRAWN_NAMES[1], ORG2, "示测罚〔2020〕13号", date="2020-01-06"),
        penalty(REJECTED_NAME, "91990100MA0000001X", "示测罚〔2026〕14号"),
        penalty("李四", "", "示测罚〔2026〕15号", kind="自然人", idnum=PERSON_ID, rep=""),
    ]


@dataclass
class Built:
    result: Result
    site: Path

    @property
    def downloads(self) -> Path:
        return self.site / "downloads"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("opendata")
    data = root / "data"
    write_sample(data, records=300, seed=3, anchor=TODAY)
    write_csv(data / "xzcf" / "注入.csv", [XZCF_HEADER, *hostile()])
    assert build(data, root / "site", TODAY) == 1  # the rejected row
    result = run(data, load_config(ROOT / "site.yml"), TODAY)
    return Built(result, root / "site")


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def text_of(path: Path) -> str:
    """A file's text; an XLSX's XML parts joined (what a scan of the archive sees)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode() for n in z.namelist())
    return path.read_bytes().decode("utf-8")


def test_csv_has_bom_and_the_package_validates(built: Built):
    csvs = sorted(built.downloads.rglob("*.csv"))
    assert {p.name for p in csvs} >= {"xzcf.csv", "xzxk.csv", "xzcf-2026.csv", "ledger.csv"}
    for p in csvs:
        if p.name != "ledger.csv":
            assert p.read_bytes().startswith(b"\xef\xbb\xbf"), p
    report = Package(str(built.downloads / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
    package = json.loads((built.downloads / "datapackage.json").read_text())
    formats = {r["format"] for r in package["resources"]}
    assert formats == {"csv", "xlsx", "json", "ndjson"}
    xzcf = next(r for r in package["resources"] if r["path"] == "xzcf/xzcf.csv")
    names = [f["name"] for f in xzcf["schema"]["fields"]]
    assert names[0] == "行政相对人名称" and names[-2:] == ["记录编号", "永久链接"]
    assert {f["type"] for f in xzcf["schema"]["fields"]} == {"string", "date", "number"}
    sums = (built.downloads / "SHA256SUMS").read_text().splitlines()
    assert "  xzcf/xzcf.xlsx" in "\n".join(sums) and len(sums) == len(package["resources"]) + 2


def test_rows_are_exactly_the_published_ones(built: Built):
    for ds in ("xzcf", "xzxk", "heimingdan"):
        published = built.result.published(ds)
        rows = read_csv(built.downloads / ds / f"{ds}.csv")
        assert sorted(r["记录编号"] for r in rows) == sorted(published.get_column("_id"))
        years = sum(len(read_csv(p)) for p in (built.downloads / ds).glob(f"{ds}-*.csv"))
        assert years == len(rows)
        lines = (built.downloads / ds / f"{ds}.ndjson").read_text().splitlines()
        assert len(lines) == len(rows)
        header = next(csv.reader(io.StringIO(
            (built.downloads / ds / f"{ds}.csv").read_bytes().decode("utf-8-sig"))))  # fmt: skip
        assert not [h for h in header if h.startswith("_")]
    row = next(
        r for r in read_csv(built.downloads / "xzcf" / "xzcf.csv") if r["行政相对人名称"] == "李*"
    )
    assert row["证件号码"].startswith("1") and "*" in row["证件号码"]
    assert row["永久链接"] == f"https://credit.example.gov.cn/xzcf/{row['记录编号']}.html"


def test_xlsx_codes_are_text_with_chinese_header(built: Built):
    book = openpyxl.load_workbook(built.downloads / "xzcf" / "xzcf.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["行政相对人名称", "行政相对人类别", "行政相对人代码_1(统一社会信用代码)"]
    assert book.properties.created == dt.datetime(2026, 11, 22)
    code, amount, date = (header.index(h) for h in ("行政相对人代码_1(统一社会信用代码)",
                                                     "罚款金额(万元)", "处罚决定日期"))  # fmt: skip
    codes = [row[code] for row in sheet.iter_rows(min_row=2) if row[code].value]
    assert codes and all(c.data_type == "s" and len(c.value) == 18 for c in codes)
    assert all(c.number_format == "@" for c in codes)
    amounts = [row[amount].value for row in sheet.iter_rows(min_row=2) if row[amount].value]
    assert amounts and all(isinstance(a, float) for a in amounts)
    assert all(isinstance(row[date].value, dt.datetime) for row in sheet.iter_rows(min_row=2))


def test_formulas_neutralised_in_csv_and_xlsx_not_json(built: Built):
    folder = built.downloads / "xzcf"
    row = next(r for r in read_csv(folder / "xzcf.csv") if r["行政相对人名称"] == FORMULA)
    assert row["违法事实"] == "'=1+1"
    assert row["违法行为类型"] == "'@SUM(A1:A2)"
    assert row["法定代表人"] == "'+86-10-12345678"
    assert row["备注"] == "'-2"
    assert row["罚款金额(万元)"] == "0.5"
    sheet = openpyxl.load_workbook(folder / "xzcf.xlsx").active
    header = [c.value for c in sheet[1]]
    cells = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == FORMULA)
    got = dict(zip(header, cells, strict=True))
    assert (got["违法事实"], got["备注"], got["罚款金额(万元)"]) == ("'=1+1", "'-2", 0.5)
    with zipfile.ZipFile(folder / "xzcf.xlsx") as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    records = [json.loads(line) for line in (folder / "xzcf.ndjson").read_text().splitlines()]
    assert next(r for r in records if r["行政相对人名称"] == FORMULA)["违法事实"] == "=1+1"


def test_every_formula_start_neutralised_and_negative_numbers_kept(tmp_path: Path):
    config = load_config(ROOT / "site.yml")
    schema = config.schemas["xzcf"]
    fields = [f for f in fields_for(schema, config) if f.key in ("bz", "nr_fk", "jdrq")]
    values = ["=1+1", "+8613800000000", "-2", "@SUM(A1)", "\t=cmd", "\r=cmd", "正常", "a=b"]
    frame = pl.DataFrame(
        {
            "备注": values,
            "罚款金额(万元)": [-2.0, -0.5, 1.0, 0.2, None, 3.0, -1e-05, 0.0],
            "处罚决定日期": [dt.date(2026, 1, 1)] * len(values),
            "_year": [2026] * len(values),
        }
    )
    placer = Placer(TreeWriter(tmp_path, None))
    export_dataset(frame, "xzcf", "行政处罚", fields, placer, TODAY, "测试")
    want = ["'=1+1", "'+8613800000000", "'-2", "'@SUM(A1)", "'\t=cmd", "'\r=cmd", "正常", "a=b"]
    rows = read_csv(tmp_path / "downloads" / "xzcf" / "xzcf.csv")
    assert [r["备注"] for r in rows] == want
    assert [r["罚款金额(万元)"] for r in rows][:2] == ["-2.0", "-0.5"]
    raw = (tmp_path / "downloads" / "xzcf" / "xzcf.csv").read_bytes().decode("utf-8-sig")
    # Schema order (amount, date, remark); the amount is unquoted, so a number.
    assert "\r\n-2.0,2026-01-01,'=1+1\r\n" in raw
    sheet = openpyxl.load_workbook(tmp_path / "downloads" / "xzcf" / "xzcf.xlsx").active
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [c[2] for c in cells] == want
    assert [c[0] for c in cells] == [-2.0, -0.5, 1.0, 0.2, None, 3.0, -1e-05, 0.0]


def test_withdrawn_and_rejected_rows_absent_from_every_file(built: Built):
    records = built.result.records["xzcf"]
    hidden = records.filter(pl.col("_status") != "published")
    gone_ids = set(hidden.get_column("_id").drop_nulls()) - set(
        built.result.published("xzcf").get_column("_id")
    )
    assert gone_ids
    names = [*WITHDRAWN_NAMES, REJECTED_NAME, PERSON_ID, "李四"]
    scanned = 0
    for folder in ("downloads", "feeds"):
        for path in (built.site / folder).rglob("*"):
            if not path.is_file():
                continue
            text = text_of(path)
            scanned += 1
            assert not [n for n in names if n in text], path
            assert not [i for i in gone_ids if i in text], path
    assert scanned > 50


def test_downloads_page(built: Built):
    html = (built.downloads / "index.html").read_text()
    tree = LexborHTMLParser(html)
    assert tree.css_first("html").attributes["lang"] == "zh-CN"
    assert len(tree.css("h1")) == 1
    assert tree.css_first("header") is not None and tree.css_first("footer") is not None
    for a in tree.css("a[href]"):
        href = a.attributes["href"] or ""
        assert not href.startswith("/"), href  # relative: the site works from a sub-path
    captions = [c.text() for c in tree.css("caption")]
    assert "行政处罚数据字典" in captions and "行政处罚下载文件" in captions
    assert tree.css_first('a[href="xzcf/xzcf-2026.xlsx"]') is not None
    assert "知识共享署名 4.0" in html and "2026年11月22日" in html and "WPS" in html
    digest = (built.downloads / "SHA256SUMS").read_text().split("  xzcf/xzcf.csv")[0][-64:]
    assert digest in html
    rows = {
        r.css("td")[0].text(): r
        for r in tree.css('section[aria-labelledby="xzcf"] .od-dict tr')
        if r.css("td")
    }
    assert "*" in rows["证件号码"].css("td")[4].text()  # example masked as published
    assert "&lt;" not in FORMULA and FORMULA not in html  # examples are data, never markup


def test_list_page_links_its_feed(built: Built):
    tree = LexborHTMLParser((built.site / "xzcf" / "index.html").read_text())
    link = tree.css_first('link[rel="alternate"][type="application/atom+xml"]')
    assert link is not None and link.attributes["href"] == "../feeds/xzcf.xml"
    assert tree.css_first('a[href="../feeds/xzcf.xml"]') is not None
    assert (built.site / "feeds" / "xzcf.xml").is_file()


# ---------------------------------------------------------------- two builds


def small_drop(data: Path, rows: list[list[str]], withdraw: list[str] = ()) -> None:
    write_csv(data / "xzcf" / "处罚.csv", [XZCF_HEADER, *rows])
    if withdraw:
        write_csv(
            data / "withdrawals" / "撤下.csv",
            [["数据集", "决定文书号", "决定机关统一社会信用代码", "撤下原因", "撤下日期"],
             *(["行政处罚", no, DEPT, "撤销", "2026-11-20"] for no in withdraw)],
        )  # fmt: skip


def ids_by_no(out: Path) -> dict[str, str]:
    rows = read_csv(out / "downloads" / "xzcf" / "xzcf.csv")
    return {r["行政处罚决定书文号"]: r["记录编号"] for r in rows}


def test_two_builds_changelog_and_feeds(tmp_path: Path):
    a = penalty("示例市甲商贸有限公司", ORG, "示测罚〔2026〕21号")
    b = penalty("示例市乙商贸有限公司", ORG2, "示测罚〔2026〕22号")
    c = penalty("示例市丙撤销商贸有限公司", ORG, "示测罚〔2026〕23号")
    d = penalty("示例市丁新增商贸有限公司", ORG2, "示测罚〔2026〕24号")
    first, second = dt.date(2026, 11, 1), dt.date(2026, 11, 22)
    small_drop(tmp_path / "d1", [a, b, c])
    assert build(tmp_path / "d1", tmp_path / "site", first) == 0
    before = ids_by_no(tmp_path / "site")
    changed_b = penalty("示例市乙商贸有限公司", ORG2, "示测罚〔2026〕22号", fact="更正后的违法事实")
    small_drop(tmp_path / "d2", [a, changed_b, c, d], withdraw=["示测罚〔2026〕23号"])
    ledger1 = tmp_path / "ledger-1.csv"
    ledger1.write_bytes((tmp_path / "site" / "downloads" / "ledger.csv").read_bytes())
    assert build(tmp_path / "d2", tmp_path / "site", second) == 0
    # CI: a fresh output directory, the ledger read back from the published copy.
    assert build(tmp_path / "d2", tmp_path / "fresh", second, "--ledger", str(ledger1)) == 0
    site = tmp_path / "site"
    after = ids_by_no(site)
    ledger = pl.read_csv(site / "downloads" / "ledger.csv")
    assert ledger.filter(pl.col("build") == 1).get_column("event").to_list() == ["added"] * 3
    events = ledger.filter(pl.col("build") == 2).select("id", "event", "reason").rows()
    assert sorted(events) == sorted(
        [
            (after["示测罚〔2026〕24号"], "added", None),
            (before["示测罚〔2026〕22号"], "changed", None),
            (before["示测罚〔2026〕23号"], "withdrawn", "revoked"),
        ]
    )
    page = (site / "downloads" / "changelog" / "2" / "index.html").read_text()
    tree = LexborHTMLParser(page)
    new_id = after["示测罚〔2026〕24号"]
    assert tree.css_first(f'a[href="../../../xzcf/{new_id}.html"]') is not None
    assert (site / "xzcf" / f"{new_id}.html").is_file()
    assert before["示测罚〔2026〕23号"] in page and "revoked" in page
    assert "丙撤销" not in page
    old = (site / "downloads" / "changelog" / "1" / "index.html").read_text()
    assert "丙撤销" not in old and before["示测罚〔2026〕23号"] in old  # id only, no link
    assert "2026年11月1日" in (site / "downloads" / "changelog" / "index.html").read_text()
    feed = (site / "feeds" / "xzcf.xml").read_text()
    assert "丙撤销" not in feed and before["示测罚〔2026〕23号"] not in feed
    entries = LexborHTMLParser(feed).css("entry")
    published = {e.css_first("id").text(): e.css_first("published").text() for e in entries}
    url = "https://credit.example.gov.cn/xzcf/"
    assert published == {
        f"{url}{new_id}.html": "2026-11-22T00:00:00+08:00",
        f"{url}{before['示测罚〔2026〕21号']}.html": "2026-11-01T00:00:00+08:00",
        f"{url}{before['示测罚〔2026〕22号']}.html": "2026-11-01T00:00:00+08:00",
    }
    assert list(published)[0] == f"{url}{new_id}.html"  # newest publication first
    for rel in ("downloads/ledger.csv", "feeds/xzcf.xml", "downloads/changelog/2/index.html"):
        assert (site / rel).read_bytes() == (tmp_path / "fresh" / rel).read_bytes()


def test_unreadable_ledger_stops_the_build(tmp_path: Path):
    small_drop(tmp_path / "d", [penalty("示例市甲商贸有限公司", ORG, "示测罚〔2026〕21号")])
    assert build(tmp_path / "d", tmp_path / "site", TODAY, "--ledger", str(tmp_path / "no")) == 2
    assert not (tmp_path / "site").exists()


def test_two_builds_give_identical_bytes(tmp_path: Path):
    rows = [penalty("示例市甲商贸有限公司", ORG, "示测罚〔2026〕21号"),
            penalty("示例市乙商贸有限公司", ORG2, "示测罚〔2025〕22号", date="2025-03-04")]  # fmt: skip
    small_drop(tmp_path / "d", rows)
    for out in ("one", "two"):
        assert build(tmp_path / "d", tmp_path / out, TODAY) == 0
    for folder in ("downloads", "feeds"):
        one = {p.relative_to(tmp_path / "one"): p.read_bytes()
               for p in (tmp_path / "one" / folder).rglob("*") if p.is_file()}  # fmt: skip
        two = {p.relative_to(tmp_path / "two"): p.read_bytes()
               for p in (tmp_path / "two" / folder).rglob("*") if p.is_file()}  # fmt: skip
        assert one.keys() == two.keys() and len(one) > 3
        assert [k for k in one if one[k] != two[k]] == []
    # A rebuild into the same directory changes nothing and keeps the ledger as it was.
    ledger = (tmp_path / "one" / "downloads" / "ledger.csv").read_bytes()
    assert build(tmp_path / "d", tmp_path / "one", TODAY) == 0
    assert (tmp_path / "one" / "downloads" / "ledger.csv").read_bytes() == ledger


def test_guard_ignores_digits_inside_digests_and_record_ids():
    from generator.guard import scan_bytes

    legacy = "110101900307451"  # a 15-digit ID number that passes the check
    digest = ("deadbeef" + legacy + "c" * 64)[:64]
    assert not list(scan_bytes("SHA256SUMS", f"{digest}  xzcf/xzcf.csv\n".encode(), TODAY))
    assert not list(scan_bytes("a.html", f'<a href="../xzcf/a{legacy}.html">'.encode(), TODAY))
    found = list(scan_bytes("a.html", f"身份证号{legacy}。".encode(), TODAY))
    assert [f.kind for f in found] == ["idnum"]


def test_links_of_the_open_data_pages_resolve(built: Built):
    pages = [
        built.downloads / "index.html",
        built.downloads / "changelog" / "index.html",
        *sorted((built.downloads / "changelog").glob("*/index.html")),
        built.site / "xzcf" / "index.html",
    ]
    for page in pages:
        for node in LexborHTMLParser(page.read_text()).css("a[href], link[href]"):
            href = (node.attributes["href"] or "").split("#")[0]
            if not href or href.startswith("https://"):
                continue
            target = (page.parent / href).resolve()
            assert target.is_file() or (target / "index.html").is_file(), (page, href)
    sitemap = (built.site / "sitemap.xml").read_text()
    assert "https://credit.example.gov.cn/downloads/changelog/1/" in sitemap


def _bare_build(data: Path, out: Path, *extra: str) -> int:
    """A build exactly as given (the `build` helper adds --first-publication by itself)."""
    return main(["--config", str(ROOT / "site.yml"), "build", "--data", str(data), "--out",
                 str(out), "--work", str(out.parent / "work"), "--today", TODAY.isoformat(),
                 "--workers", "1", *extra])  # fmt: skip


def test_the_ledger_never_restarts_silently(tmp_path: Path, capsys):
    small_drop(tmp_path / "d", [penalty("示例市甲商贸有限公司", ORG, "示测罚〔2026〕21号")])
    site = tmp_path / "site"
    # No previous ledger anywhere: a first publication must be said.
    assert _bare_build(tmp_path / "d", site) == 2
    assert "--first-publication" in capsys.readouterr().err and not site.exists()
    assert _bare_build(tmp_path / "d", site, "--first-publication") == 0
    # Once a ledger exists, the flag is refused …
    assert _bare_build(tmp_path / "d", site, "--first-publication") == 2
    assert "不是首次发布" in capsys.readouterr().err
    # … and a published site whose ledger is gone stops the build, site untouched.
    (site / "downloads" / "ledger.csv").unlink()
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert _bare_build(tmp_path / "d", site) == 2
    assert "缺少 downloads/ledger.csv" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert _bare_build(tmp_path / "d", site, "--first-publication") == 2  # still refused


def test_a_ledger_left_beside_a_missing_site_is_the_previous_one(tmp_path: Path):
    from generator.opendata.ledger import LedgerError, previous_ledger

    site, kept = tmp_path / "site", tmp_path / ".site.tmp-1-old" / "downloads" / "ledger.csv"
    kept.parent.mkdir(parents=True)
    kept.write_text("build,date,dataset,id,event,hash,reason\n1,2026-11-01,x,a,added,h,\n")
    frame, source = previous_ledger(site, None, [], first=False)
    assert source == str(kept) and frame.height == 1
    with pytest.raises(LedgerError):
        previous_ledger(site, None, [], first=True)


def test_a_kind_with_no_published_record_keeps_the_package_valid(tmp_path: Path):
    small_drop(tmp_path / "d", [penalty("示例市甲商贸有限公司", ORG, "示测罚〔2026〕21号")])
    assert build(tmp_path / "d", tmp_path / "site", TODAY) == 0
    downloads = tmp_path / "site" / "downloads"
    empty = [p for p in downloads.rglob("*.ndjson") if p.stat().st_size == 0]
    assert empty  # kinds without a published record: a 0-byte NDJSON each
    report = Package(str(downloads / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "type", "note"])
    package = json.loads((downloads / "datapackage.json").read_text())
    paths = {r["path"] for r in package["resources"]}
    sums = (downloads / "SHA256SUMS").read_text()
    for p in empty:
        rel = p.relative_to(downloads).as_posix()
        assert rel not in paths and f"  {rel}\n" in sums
        assert rel.replace(".ndjson", ".csv") in paths  # the kind is still described


def test_content_hashes_are_the_sha256_prefix_in_base32_of_each_row():
    import base64
    import hashlib

    from generator.opendata.fields import Field
    from generator.opendata.ledger import content_hashes

    rows = ["甲", "", "b\x1fc", "x" * 300]
    fields = [Field("备注", "bz", "text", "", ""), Field("记录编号", "_id", "id", "", "")]
    frame = pl.DataFrame({"备注": rows, "记录编号": ["1", "2", "3", "4"]})
    want = [
        base64.b32encode(hashlib.sha256(r.encode()).digest()[:10]).decode().lower() for r in rows
    ]
    assert content_hashes(frame, fields) == want
    assert all(len(h) == 16 for h in want)
