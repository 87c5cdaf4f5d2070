"""A new kind is one YAML file (issue 12 point 6): an office puts `<id>.yml` into a
`schemas/` folder beside its site.yml, drops a CSV, runs `generator build`, and the kind
appears on every public surface the packaged kinds appear on — menus (the narrative MkDocs
pages too), home, list with facets, record pages, subject pages, search and its filters,
downloads (CSV, XLSX, JSON), datapackage.json, feeds — and in the manual's column tables.
A row past its 有效期至 is on none of them, and the build accounts for it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import yaml
from browser import LAYOUT_JS, VIEWPORTS
from conftest import ORG, ORG2, ROOT, XZCF_HEADER, penalty, write_csv
from site_demo import demo

from generator.config import load_config
from generator.search import fnv1a, name_key
from generator.search.tokens import encode

KIND, NAME, SHORT = "shouhetong", "守合同重信用企业", "守合同"
OFFICE_DEPT = "示例市市场监督管理局"  # in site.yml's 部门目录
KEPT = "示例市守约商贸有限公司"  # also has a penalty: its subject page joins both kinds
ONLY = "示例市重信建材有限公司"  # has records of the new kind only
GONE, GONE_CODE = "示例市过期物流有限公司", "91990100MA0000004R"  # 有效期至 passed
TODAY = "2026-11-22"
__all__ = ["demo"]

SCHEMA = {
    "id": KIND,
    "name": NAME,
    "short_name": SHORT,
    "aliases": ["守合同重信用", "守重企业"],
    "description": "市场监管部门公示的“守合同重信用”企业，在有效期内公示。",
    "columns": [
        {"key": "qymc", "label": "企业名称", "type": "name", "required": "publish",
         "role": "subject_name", "aliases": ["单位名称"]},
        {"key": "tyshxydm", "label": "统一社会信用代码", "type": "uscc", "required": "publish",
         "role": "subject_code"},
        {"key": "gsnd", "label": "公示年度", "type": "text", "required": "publish"},
        {"key": "dj", "label": "守重等级", "type": "enum", "enum": "contract_grade",
         "required": "publish"},
        {"key": "rdjg", "label": "认定机关", "type": "text", "required": "publish",
         "role": "department"},
        {"key": "rdrq", "label": "认定日期", "type": "date", "required": "publish", "role": "date"},
        {"key": "yxqz", "label": "有效期至", "type": "date"},
    ],
    "identity": ["rdjg", "subject", "gsnd"],
    "title": ["qymc", "dj"],
    "facets": ["rdjg", "year", "dj"],
    "disclosure": [{"rule": "until_date", "field": "yxqz", "inclusive": True,
                    "reason": "contract-expired", "label": "守合同重信用有效期届满"}],
}  # fmt: skip
ENUMS = {"contract_grade": {"AAA": ["3A"], "AA": ["2A"], "A": ["1A"]}}
ROWS = [
    ["企业名称", "统一社会信用代码", "公示年度", "守重等级", "认定机关", "认定日期", "有效期至"],
    [KEPT, ORG, "2025", "3A", OFFICE_DEPT, "2026-03-01", "2027-12-31"],
    [ONLY, ORG2, "2024", "AA", OFFICE_DEPT, "2025-02-01", "2027-01-31"],
    [GONE, GONE_CODE, "2023", "A", OFFICE_DEPT, "2024-01-15", "2026-01-31"],
]


@dataclass
class Built:
    root: Path
    site: Path
    work: Path
    stdout: str
    rc: int


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("office")
    shutil.copy(ROOT / "site.yml", root / "site.yml")
    (root / "schemas").mkdir()
    dump = lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False)  # noqa: E731
    (root / "schemas" / f"{KIND}.yml").write_text(dump(SCHEMA), "utf-8")
    (root / "schemas" / "_enums.yml").write_text(dump(ENUMS), "utf-8")
    write_csv(root / "data" / KIND / "守合同重信用企业名单.csv", ROWS)
    no = "示测罚〔2026〕9号"
    write_csv(root / "data" / "xzcf" / "处罚.csv", [XZCF_HEADER, penalty(KEPT, ORG, no)])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["--config", str(root / "site.yml"), "build", "--data", str(root / "data")]
    args += ["--out", str(root / "site"), "--work", str(root / "work"), "--today", TODAY]
    proc = subprocess.run(
        [sys.executable, "-m", "generator", *args, "--first-publication"],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    return Built(root, root / "site", root / "work", proc.stdout + proc.stderr, proc.returncode)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def records(b: Built) -> list[Path]:
    return sorted(p for p in (b.site / KIND).glob("*.html") if p.name != "index.html")


def links_to_kind(html: str) -> bool:
    """A menu entry: a link to the kind's list whose text is its (short) name."""
    return (
        re.search(rf'href="[^"]*{KIND}/"[^>]*>\s*(?:<[^>]+>\s*)*({SHORT}|{NAME})', html) is not None
    )


def test_the_build_publishes_the_kind_and_accounts_for_every_row(built: Built):
    assert built.rc == 0, built.stdout
    assert f"{NAME}（{KIND}）：读入 3 行 = 公示 2 + 撤下 1 + 拒收 0 + 合并 0" in built.stdout
    assert "守合同重信用有效期届满 1" in built.stdout


def test_menus_of_every_page_kind_name_it(built: Built):
    pages = [
        built.site / "index.html",
        built.site / "xzcf" / "index.html",
        built.site / KIND / "index.html",
        records(built)[0],
        built.site / "subject" / ORG2 / "index.html",
        built.site / "downloads" / "index.html",
        built.site / "search" / "index.html",
        built.site / "about" / "index.html",  # narrative pages (MkDocs)
        built.site / "policies" / "index.html",
    ]
    missing = [p.relative_to(built.site).as_posix() for p in pages if not links_to_kind(text(p))]
    assert missing == []


def test_home_lists_the_kind(built: Built):
    home = text(built.site / "index.html")
    assert f'href="{KIND}/"' in home or f'href="./{KIND}/"' in home
    assert NAME in home


def test_list_with_facets(built: Built):
    page = text(built.site / KIND / "index.html")
    assert f"<h1>{NAME}</h1>" in page and SCHEMA["description"] in page
    assert KEPT in page and ONLY in page and GONE not in page
    assert "共 2 条" in page
    # One facet per `facets:` entry, each value with its count, each with its own page.
    for label in ("按认定机关筛选", "按年份筛选", "按守重等级筛选"):
        assert label in page
    assert f"{OFFICE_DEPT}（2）" in page and "AAA（1）" in page and "AA（1）" in page
    facet_pages = list((built.site / KIND / "dj").glob("*/index.html"))
    assert len(facet_pages) == 2
    assert any(KEPT in text(p) and ONLY not in text(p) for p in facet_pages)


def test_record_pages(built: Built):
    pages = [text(p) for p in records(built)]
    assert len(pages) == 2
    kept = next(p for p in pages if KEPT in p)
    for label, value in (("公示年度", "2025"), ("守重等级", "AAA"), ("认定机关", OFFICE_DEPT)):
        assert re.search(rf"<dt>{label}</dt><dd>{value}</dd>", kept), label
    assert "2027年12月31日" in kept and f"../subject/{ORG}/" in kept


def test_subject_pages_join_the_kinds(built: Built):
    joined = text(built.site / "subject" / ORG / "index.html")
    assert NAME in joined and "行政处罚" in joined
    assert re.search(rf'href="[^"]*{KIND}/[0-9a-f]{{16}}\.html"', joined)
    assert re.search(r'href="[^"]*xzcf/[0-9a-f]{16}\.html"', joined)
    assert NAME in text(built.site / "subject" / ORG2 / "index.html")
    assert not (built.site / "subject" / GONE_CODE).exists()


def search_text(site: Path) -> str:
    out = []
    for path in sorted((site / "search" / "pf").rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            out.append(data.decode("utf-8", "replace"))
    return "\n".join(out).replace("\u200b", "")


def test_search_index_and_filters(built: Built):
    pf = built.site / "search" / "pf"
    manifest = json.loads(text(pf / "manifest.json"))
    filters = {name: dict(values) for name, values in manifest["filters"].items()}
    assert filters["栏目"][NAME] == 2
    assert any(values.get("AAA") == 1 for values in filters.values())
    assert filters["部门"][OFFICE_DEPT] >= 2
    key = name_key(ONLY)
    table = json.loads(text(pf / f"names/{fnv1a(key) % manifest['names']}.json"))
    assert table[key][0][:2] == [f"subject/{ORG2}/", ONLY]
    index = search_text(built.site)
    assert encode(ONLY) in index  # its subject document: name and records' titles
    assert GONE not in index and encode(GONE) not in index


def test_downloads(built: Built):
    folder = built.site / "downloads" / KIND
    with open(folder / f"{KIND}.csv", encoding="utf-8-sig") as f:
        lines = f.read().splitlines()
    assert len(lines) == 3 and "守重等级" in lines[0] and "认定机关" in lines[0]
    assert any(KEPT in line for line in lines) and not any(GONE in line for line in lines)
    sheet = openpyxl.load_workbook(folder / f"{KIND}.xlsx", read_only=True).worksheets[0]
    cells = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert sum(ONLY in row for row in cells) == 1 and not any(GONE in row for row in cells)
    ndjson = [json.loads(line) for line in text(folder / f"{KIND}.ndjson").splitlines()]
    assert len(ndjson) == 2 and ONLY in json.dumps(ndjson, ensure_ascii=False)
    per_year = sorted(p.name for p in folder.glob(f"{KIND}-*.json"))
    assert per_year == [f"{KIND}-2025.json", f"{KIND}-2026.json"]
    page = text(built.site / "downloads" / "index.html")
    assert f'id="{KIND}"' in page and f"{KIND}/{KIND}.csv" in page


def test_datapackage(built: Built):
    package = json.loads(text(built.site / "downloads" / "datapackage.json"))
    mine = {r["name"]: r for r in package["resources"] if r["name"].startswith(KIND + "-")}
    assert {f"{KIND}-csv", f"{KIND}-xlsx", f"{KIND}-ndjson"} <= set(mine)
    assert mine[f"{KIND}-csv"]["title"] == NAME
    fields = [f["title"] for f in mine[f"{KIND}-csv"]["schema"]["fields"]]
    assert {"企业名称", "守重等级", "有效期至"} <= set(fields)
    assert NAME in package["description"]


def test_feed(built: Built):
    feed = text(built.site / "feeds" / f"{KIND}.xml")
    assert feed.count("<entry>") == 2 and f"{NAME}新公示记录" in feed
    assert KEPT in feed and GONE not in feed


def test_manual_tables(built: Built):
    sys.path.insert(0, str(ROOT / "scripts"))
    import manual_tables

    config = load_config(built.root / "site.yml")
    md = manual_tables.columns_md(config)
    assert f"## {NAME}（`data/{KIND}/`）" in md
    assert "| 守重等级 | 公示必需 | 固定取值：AAA、AA、A |" in md


def test_nothing_of_the_expired_row_anywhere(built: Built):
    for path in built.site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".xml", ".ndjson"):
            body = path.read_text(encoding="utf-8", errors="replace")
            assert GONE not in body and GONE_CODE not in body, path


# ---------------------------------------------------------------- the three packaged kinds
# 企业综合信用等级, 经营异常名录, 统一社会信用代码赋码公示: YAML only (generator/schemas/).
# Headers below are the synonyms offices and the 国家企业信用信息公示系统 write.
ON, OFF = "2026-11-22", "2026-11-21"  # the build date (TODAY) and the day before
GRADES = [
    [
        "被评价企业名称",
        "统一社会信用代码",
        "评价结果",
        "评定年度",
        "评价单位",
        "评定日期",
        "有效期截止日期",
    ],
    [KEPT, ORG, "A", "2025", OFFICE_DEPT, "2026-03-01", ON],  # valid through today
    [ONLY, ORG2, "B类", "2024", OFFICE_DEPT, "2025-03-01", OFF],  # expired yesterday
    [GONE, GONE_CODE, "E", "2025", OFFICE_DEPT, "2026-03-01", "2027-03-01"],  # no such grade
]
ABNORMAL = [
    ["企业名称", "统一社会信用代码/注册号", "列入经营异常名录原因", "列入日期", "作出决定机关(列入)",
     "移出经营异常名录原因", "移出日期", "作出决定机关(移出)"],
    [KEPT, ORG, "未按规定期限公示年度报告的", "2025-07-01", OFFICE_DEPT, "", "", ""],
    [ONLY, ORG2, "通过登记的住所或者经营场所无法联系的", "2025-07-01", OFFICE_DEPT,
     "依法办理住所变更登记", ON, OFFICE_DEPT],  # moved out today: off
    [GONE, GONE_CODE, "未按规定期限公示年度报告的", "2025-07-01", OFFICE_DEPT,
     "补报年度报告", "2026-12-01", OFFICE_DEPT],  # removal decided, not yet in force: on
]  # fmt: skip
CODES = [
    ["机构名称", "代码", "机构类别", "赋码时间", "登记管理机关"],
    [KEPT, ORG, "企业法人", "2016-05-04", OFFICE_DEPT],
    [ONLY, ORG2, "民办非企业单位", "2010-01-02", OFFICE_DEPT],  # public without end date
]


def statuses(result, ds: str) -> dict[str, tuple[str, str | None]]:
    frame = result.records[ds]
    name = load_config(ROOT / "site.yml").schemas[ds].role("subject_name")
    return {r[name]: (r["_status"], r["_reason"]) for r in frame.iter_rows(named=True)}


def test_three_kinds_disclosure_rules_and_synonyms(tmp_path: Path, check):
    write_csv(tmp_path / "qiyexinyongdengji" / "等级.csv", GRADES)
    write_csv(tmp_path / "jingyingyichang" / "异常.csv", ABNORMAL)
    write_csv(tmp_path / "tongyidaimafuma" / "赋码.csv", CODES)
    result = check(tmp_path)
    grades = statuses(result, "qiyexinyongdengji")
    assert grades[KEPT] == ("published", None) and grades[ONLY] == (
        "withdrawn",
        "credit-grade-expired",
    )
    assert grades[GONE][0] == "rejected"
    assert set(result.published("qiyexinyongdengji")["xydj"]) == {"A级"}  # A, a, A类 … -> A级
    abnormal = statuses(result, "jingyingyichang")
    assert abnormal[KEPT][0] == abnormal[GONE][0] == "published"
    assert abnormal[ONLY] == ("withdrawn", "abnormal-removed")
    row = result.published("jingyingyichang").filter(pl.col("ztmc") == GONE).row(0, named=True)
    assert row["ycrq"] == dt.date(2026, 12, 1) and row["ycjg"] == OFFICE_DEPT
    codes = result.published("tongyidaimafuma")
    assert sorted(codes["jglx"]) == ["企业", "民办非企业单位"] and codes.height == 2
    labels = load_config(ROOT / "site.yml").reason_labels()
    assert labels["credit-grade-expired"] == "信用等级有效期届满"
    assert labels["abnormal-removed"] == "已移出经营异常名录"


def test_three_kinds_can_be_withdrawn_by_their_identity(tmp_path: Path, check):
    write_csv(tmp_path / "qiyexinyongdengji" / "等级.csv", GRADES[:2])
    write_csv(tmp_path / "jingyingyichang" / "异常.csv", ABNORMAL[:2])
    write_csv(tmp_path / "tongyidaimafuma" / "赋码.csv", CODES[:2])
    write_csv(
        tmp_path / "withdrawals" / "撤下.csv",
        [
            ["数据集", "认定部门", "主体代码", "评价年度", "列入日期", "撤下原因", "撤下日期"],
            ["信用等级", OFFICE_DEPT, ORG, "2025", "", "撤销", "2026-11-01"],
            ["经营异常名录", OFFICE_DEPT, ORG, "", "2025-07-01", "撤销", "2026-11-01"],
            ["赋码公示", "", ORG, "", "", "变更", "2026-11-01"],
        ],
    )
    result = check(tmp_path)
    for ds in ("qiyexinyongdengji", "jingyingyichang", "tongyidaimafuma"):
        assert result.published(ds).height == 0, ds
        assert set(result.records[ds]["_status"]) == {"withdrawn"}, ds
    assert result.takedowns_not_executed == 0 and not result.takedowns


# ---------------------------------------------------------------- the demo, in a browser
NEW_KINDS = ("qiyexinyongdengji", "jingyingyichang", "tongyidaimafuma")


@pytest.mark.browser
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_new_kinds_pages_fit_a_phone(page, credit_url: str, demo, elder: bool):
    """The demo drop has the three kinds (sample data from their schemas): their list, a
    facet page and the longest record page of each fit 390 px, in both modes, cleanly."""
    page.set_viewport_size(VIEWPORTS["phone"])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(credit_url)
    page.evaluate(f"localStorage.setItem('xy-elder', '{int(elder)}')")
    urls = []
    for ds in NEW_KINDS:
        assert demo.result.published(ds).height > 0, ds
        folder = demo.site / ds
        longest = max(folder.glob("????????????????.html"), key=lambda p: p.stat().st_size)
        facet = sorted(p for p in folder.glob("*/*/index.html") if p.parts[-3] != "p")[0]
        urls += [
            f"{ds}/",
            f"{ds}/{longest.name}",
            facet.relative_to(demo.site).parent.as_posix() + "/",
        ]
    bad = {}
    for url in urls:
        errors.clear()
        page.goto(credit_url + url)
        found = page.evaluate(LAYOUT_JS)
        if found["overflow"] > 0 or errors:
            bad[url] = (found, errors[:3])
    assert bad == {}
