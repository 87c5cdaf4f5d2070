"""Checks on the Markdown under content/: the cleaned policy texts and the demo pages."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
POLICIES = CONTENT / "policies"
SCRIPT = REPO / "scripts" / "clean_policies.py"
SRC = next(
    (
        p
        for p in (Path("/work/shared/policies"), REPO.parent / "shared" / "policies")
        if (p / "index.yml").is_file()
    ),
    None,
)
needs_src = pytest.mark.skipif(SRC is None, reason="shared/policies (raw texts) not found")

ALLOWED_PLACEHOLDERS = {
    "kinds.count",
    "kinds.others",
    "office.name",
    "office.address",
    "office.phone",
    "office.email",
    "office.hours",
    "site.name",
    "site.region",
    "links.creditchina",
    "links.creditchina_repair",
}
NOTE = ['!!! note "示例内容"', "    本文为演示用虚构内容，所涉单位、人物和事件均不真实。"]
CJK = r"\u3400-\u9fff"
# Real places whose documents sit in 政策法规: the fictional pages must never name them.
REAL_PLACES = ("乐山", "眉山", "同江", "安康", "柳州")

PAGES = sorted(CONTENT.rglob("*.md"))
POLICY_PAGES = sorted(p for p in POLICIES.glob("*.md") if p.name != "index.md")
FICTIONAL = [p for p in PAGES if POLICIES not in p.parents]


def split_page(path: Path) -> tuple[dict, str]:
    """Return (front matter, body) of a Markdown page."""
    text = path.read_text(encoding="utf-8")
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert m, f"{path}: no front matter"
    return yaml.safe_load(m.group(1)), text[m.end() :]


def rel(path: Path) -> str:
    return str(path.relative_to(CONTENT))


def index_entries() -> list[dict]:
    assert SRC is not None
    return yaml.safe_load((SRC / "index.yml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- policies


@needs_src
def test_policy_pages_match_index():
    entries = index_entries()
    slugs = {e["file"].removesuffix(".txt") for e in entries}
    assert {p.stem for p in POLICY_PAGES} == slugs
    for e in entries:
        meta, _ = split_page(POLICIES / f"{e['file'].removesuffix('.txt')}.md")
        assert meta == {
            "title": e["title"],
            "doc_number": e["doc_number"],
            "issuer": e["issuer"],
            "date": e["date"],
            "source_file": e["file"],
        }


@needs_src
def test_cleaner_reproduces_committed_pages(tmp_path):
    subprocess.run(
        [sys.executable, str(SCRIPT), "--src", str(SRC), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    produced = {p.name: p.read_bytes() for p in tmp_path.glob("*.md")}
    committed = {p.name: p.read_bytes() for p in POLICIES.glob("*.md")}
    assert sorted(produced) == sorted(committed)
    for name, data in produced.items():
        assert data == committed[name], f"{name} differs from the script's output"


def raw_body(text: str) -> str:
    """The part of a raw text that must reach the page, computed independently of the script.

    From the addressee line (the header above it is front matter) to the end; for 眉山 up
    to where the body starts again, which also drops the portal footer after the repeat.
    """
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().endswith(("：", ":")))
    body = "\n".join(lines[start:])
    first_para = next(line.strip() for line in lines[start + 1 :] if line.strip())
    repeat = body.find(first_para, body.find(first_para) + 1)
    return body if repeat < 0 else body[:repeat]


def squeeze(text: str) -> str:
    """Drop whitespace and the characters Markdown markup adds (# * | - \\ and <br>)."""
    return re.sub(r"[\s#*|\\-]", "", text.replace("<br>", ""))


@needs_src
@pytest.mark.parametrize("page", POLICY_PAGES, ids=lambda p: p.stem)
def test_no_text_lost_or_added(page):
    raw = (SRC / f"{page.stem}.txt").read_text(encoding="utf-8")
    expected = squeeze(raw_body(raw))
    _, body = split_page(page)
    actual = squeeze(body)
    runs = set(re.findall(rf"[{CJK}]{{8,}}", expected))
    missing = sorted(r for r in runs if r not in actual)
    assert not missing, f"{len(missing)} runs of 8+ CJK characters lost, e.g. {missing[:3]}"
    # Stronger: the same characters in the same order, nothing dropped, nothing added.
    assert actual == expected


@needs_src
def test_meishan_repeat_and_chrome_dropped():
    raw = (SRC / "meishan-meifufa-2015-7.txt").read_text(encoding="utf-8")
    _, body = split_page(POLICIES / "meishan-meifufa-2015-7.md")
    first = "《眉山市社会信用体系建设规划(2015—2020年)》已经市第三届人民政府第108次常务会议审议通过"
    assert raw.count(first) == 2  # the source really repeats it
    assert body.count(first) == 1
    for chrome in ("关闭窗口", "扫一扫", "网站标识码", "ICP备", "公网安备", "当前位置", "执行时间"):
        assert chrome not in body
    assert body.count("专栏1") == 1 and body.count("抄送") == 1


def tables(body: str) -> list[list[list[str]]]:
    """Return the pipe tables of a page as lists of rows of cells."""
    found: list[list[list[str]]] = []
    previous = ""
    for line in body.split("\n"):
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if previous.startswith("|"):
                found[-1].append(cells)
            else:
                found.append([cells])
        previous = line
    return found


def test_tongjiang_task_table_is_a_real_table():
    _, body = split_page(POLICIES / "tongjiang-tongzhengfa-2018-12.md")
    (table,) = tables(body)
    assert table[0] == ["序号", "主要任务", "工作要点", "牵头单位", "配合单位"]
    assert re.fullmatch(r"(---\|?)+", "|".join(table[1]).replace(" ", ""))
    assert len(table) > 40
    assert [r[0] for r in table[2:] if r[0]] == list("一二三四五六七八九十") + ["十一", "十二"]
    assert not any(all(not c for c in row) for row in table)


@pytest.mark.parametrize("page", POLICY_PAGES + [POLICIES / "index.md"], ids=lambda p: p.stem)
def test_tables_are_rectangular(page):
    _, body = split_page(page)
    for table in tables(body):
        assert {len(row) for row in table} == {len(table[0])}, table[0]


@pytest.mark.parametrize("page", POLICY_PAGES, ids=lambda p: p.stem)
def test_paragraphs_are_whole(page):
    _, body = split_page(page)
    lines = body.split("\n")
    for a, b in zip(lines, lines[1:], strict=False):
        if not a.strip() or not b.strip():
            continue
        both_rows = a.startswith("|") and b.startswith("|")
        both_items = re.match(r"\d+\. ", a) and re.match(r"\d+\. ", b)
        assert both_rows or both_items, f"paragraph split across lines: {a[-20:]!r} / {b[:20]!r}"
        assert not re.search(rf"[{CJK}，、]$", a) or not re.match(rf"[{CJK}]", b)
    # ...and no two paragraphs were glued together.
    glued = r"[。；]\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|第[一二三四五六七八九十]+条)"
    for line in lines:
        assert not re.search(glued, line), line[:40]
        assert not re.search(r"(人民政府|办公室)\d{4}\s*年", line), line[:40]


# Paragraphs that really end without punctuation in the source: 眉山 omits a 。 once, and
# 乐山's 成员单位名单 is one 、-separated line.
UNPUNCTUATED_IN_SOURCE = ("我市社会诚信水平处于全省前列", "市政府电子政务办")


@pytest.mark.parametrize("page", POLICY_PAGES, ids=lambda p: p.stem)
def test_paragraphs_end_where_sentences_end(page):
    """A page break left as a blank line would split one paragraph into two."""
    meta, body = split_page(page)
    paras = [p.strip() for p in body.split("\n\n") if p.strip()]
    for i, para in enumerate(paras):
        if para.startswith(("#", "|", "1. ")) or re.search(r"[。；！？）〕”」』》)!?;]$", para):
            continue
        nxt = paras[i + 1] if i + 1 < len(paras) else ""
        if para.endswith(("：", ":")):
            # the addressee, or a lead-in to numbered items (第五条 …职责：, …主要涵盖:)
            opens_items = re.match(r"[（(][一二三四五六七八九十]+[)）]|\d+\\?[.．] ?", nxt)
            assert i == 0 or opens_items, f"split after a colon: {para[-20:]!r} / {nxt[:20]!r}"
            continue
        standalone = (
            para == meta["issuer"]
            or para.endswith(("人民政府", "办公室", "日", "印发"))  # signature, date, 印发 line
            or re.fullmatch(r"\*\*专栏\d+.*\*\*", para)  # table caption
            or para.startswith(("附件：", "信息公开选项：", "公开方式："))
            or para.endswith(UNPUNCTUATED_IN_SOURCE)
        )
        assert standalone, f"paragraph ends mid-sentence: {para[-20:]!r} / {nxt[:20]!r}"


@pytest.mark.parametrize("page", POLICY_PAGES, ids=lambda p: p.stem)
def test_policy_headings(page):
    meta, body = split_page(page)
    levels = [len(m) for m in re.findall(r"^(#+) ", body, re.M)]
    assert levels and min(levels) == 2, "body headings start at ## (the title is the h1)"
    for prev, cur in zip([2] + levels, levels, strict=False):
        assert cur <= prev + 1, "heading level skipped"
    assert meta["title"] not in body and meta["doc_number"] not in body


def test_policy_catalogue_lists_all_newest_first():
    meta, body = split_page(POLICIES / "index.md")
    assert meta["title"] == "政策法规"
    (table,) = tables(body)
    assert table[0] == ["标题", "文号", "发文机关", "成文日期"]
    links = [re.search(r"\]\(([^)]+)\)", row[0]).group(1) for row in table[2:]]
    assert sorted(links) == sorted(p.name for p in POLICY_PAGES)
    dates = [split_page(POLICIES / link)[0]["date"] for link in links]
    assert dates == sorted(dates, reverse=True)


# ---------------------------------------------------------------- all pages


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_page_has_a_title(page):
    meta, _ = split_page(page)
    assert isinstance(meta.get("title"), str) and meta["title"].strip()


@pytest.mark.parametrize("page", FICTIONAL, ids=rel)
def test_fictional_pages_carry_the_note(page):
    _, body = split_page(page)
    lines = body.lstrip("\n").split("\n")
    assert lines[:2] == NOTE
    for place in REAL_PLACES:
        assert place not in body, f"a fictional page names the real city {place}"


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_placeholders_are_allowed(page):
    text = page.read_text(encoding="utf-8")
    assert "{%" not in text and "{#" not in text
    names = re.findall(r"\{\{\s*([^{}]*?)\s*\}\}", text)
    assert set(names) <= ALLOWED_PLACEHOLDERS, set(names) - ALLOWED_PLACEHOLDERS
    rest = re.sub(r"\{\{[^{}]*\}\}", "", text)
    assert "{{" not in rest and "}}" not in rest


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_relative_links_resolve(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:|\{\{|#", target):
            continue  # external, placeholder or in-page anchor
        path = target.split("#", 1)[0]
        assert path.endswith(".md"), f"{target}: link to the .md file"
        assert (page.parent / path).resolve().is_file(), f"{rel(page)}: broken link {target}"


# ---------------------------------------------------------------- cases and news


def body_length(body: str) -> int:
    text = body.replace("\n".join(NOTE), "")
    text = re.sub(r"^#+ .*$", "", text, flags=re.M)
    return len(re.sub(r"[\s*#]", "", text))


@pytest.mark.parametrize(
    ("section", "categories"),
    [("cases", ("守信激励", "失信惩戒")), ("news", ("工作动态", "通知公告"))],
)
def test_articles(section, categories):
    folder = CONTENT / section
    articles = sorted(p for p in folder.glob("*.md") if p.name != "index.md")
    assert len(articles) == 6
    seen = []
    for page in articles:
        meta, body = split_page(page)
        assert set(meta) == {"title", "category", "date", "department"}, page.name
        assert isinstance(meta["date"], dt.date) and meta["date"].year == 2026
        assert meta["department"].startswith(("示例市", "国家税务总局示例市"))
        seen.append(meta["category"])
        if section == "cases":
            assert 300 <= body_length(body) <= 600, (page.name, body_length(body))
            for heading in ("## 基本情况", "## 典型意义"):
                assert heading in body, (page.name, heading)
            assert re.search(r"^## .*(措施)", body, re.M), page.name
    assert sorted(seen) == sorted(categories * 3)
    meta, index = split_page(folder / "index.md")
    for category in categories:
        assert f"## {category}" in index
    for page in articles:
        assert f"]({page.name})" in index, f"{section}/index.md does not link {page.name}"


# ---------------------------------------------------------------- guides and notes


@pytest.mark.parametrize(
    ("page", "facts"),
    [
        (
            "guide/repair.md",
            [
                "国家发展改革委令2023年第58号",
                "2023年5月1日",
                "3个月",
                "3年",
                "特种设备、安全生产、消防",
                "1年",
                "{{ links.creditchina_repair }}",
                "3个工作日",
                "国办发〔2020〕49号",
                "{{ office.phone }}",
            ],
        ),
        (
            "guide/objection.md",
            [
                "错误、遗漏",
                "异议申请表",
                "证明材料",
                "异议处理中",
                "{{ links.creditchina }}",
                "{{ office.address }}",
            ],
        ),
        (
            "about.md",
            ["7个工作日", "国发〔2016〕33号", "发改办财金〔2018〕424号", "随数据更新", "演示"],
        ),
        (
            "accessibility.md",
            [
                "WCAG",
                "2.1",
                "AA",
                "GB/T 37668-2019",
                "适老化",
                "大字号",
                "高对比度",
                "键盘",
                "弹出窗口",
                "{{ office.email }}",
            ],
        ),
        (
            "data.md",
            [
                "xzxk",
                "xzcf",
                "hongmingdan",
                "heimingdan",
                "shuangsuiji",
                "xinyongchengnuo",
                "5***************2X",
                "张*",
                "手机号码",
                "不设主体页面",
            ],
        ),
    ],
)
def test_guides_state_the_rules(page, facts):
    text = (CONTENT / page).read_text(encoding="utf-8")
    missing = [f for f in facts if f not in text]
    assert not missing, missing
