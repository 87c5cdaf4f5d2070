#!/usr/bin/env python3
"""Clean the raw policy texts in shared/policies into Markdown pages under content/policies.

Also writes content/policies/index.md, the catalogue of the documents (from index.yml).

The raw files are real, publicly released documents that went through a PDF or web-page
export: page breaks split sentences, one file repeats its body and carries the portal's
chrome, and annex tables were flattened one cell per line. This script undoes that
mechanically, with the few per-document facts it needs kept in ``DOCS`` below, and never
rewrites the wording: every character of the kept text reaches the Markdown in order
(tests/test_content.py checks this).

Usage: python scripts/clean_policies.py [--src DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SRC_CANDIDATES = (Path("/work/shared/policies"), REPO.parent / "shared" / "policies")

CN_NUM = "一二三四五六七八九十"
# A line that ends with one of these closes its paragraph; anything else was cut by a
# page break or a hard wrap. "：" is deliberately absent: 乐山 breaks after "责任部门：".
TERMINAL = "。；！？）〕”」』》)!?;"
SECTION_RE = re.compile(rf"^[{CN_NUM}]+、")  # 一、
ITEM_RE = re.compile(rf"^[（(]\s*[{CN_NUM}]+\s*[)）]\s*")  # （一）
NUM_RE = re.compile(r"^\d+\s*[.．](?!\d)\s*")  # 1. / 1．/ 1.
PAREN_NUM_RE = re.compile(r"^[（(]\d+[)）]")  # (1)
ARTICLE_RE = re.compile(rf"^第[{CN_NUM}]+条")  # 第一条
DATE_RE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日(印发)?$")
ANNEX_LABEL_RE = re.compile(r"^附件\d*：?$")  # 附件1 / 附件： on the annex page itself
ANNEX_LIST_RE = re.compile(r"^附件：\s*(1\s*[.．].*)$")  # 附件：1. … in the notice
COLOPHON_PREFIXES = ("抄送", "信息公开选项", "公开方式", "附件")
CONTINUATION_PREFIXES = ("（牵头", "(牵头", "〔牵头", "（责任", "(责任", "〔责任")


@dataclass
class Doc:
    """What the cleaner must know about one source file."""

    start: str  # prefix of the first body line (the addressee); the header above is front matter
    titles: list[str]  # the enclosed plan/方案 titles, rendered as ## headings
    stop: str | None = None  # prefix of the last body line kept (眉山: before the repeat)
    join_wrapped: bool = True  # 眉山 comes from a web page: its lines are whole paragraphs
    replace: dict[str, str] = field(default_factory=dict)  # exact line fixes (artefacts only)
    cell_joins: list[tuple[str, str]] = field(default_factory=list)  # wrapped table cells
    table: str | None = None  # "zhuanlan" (眉山 专栏) or "tabs" (同江 tab-separated cells)


DOCS: dict[str, Doc] = {
    "leshan-lefubanfa-2017-9": Doc(
        start="各区、市、县、自治县人民政府",
        titles=["乐山市社会信用体系建设工作实施方案"],
        # A stray list bullet from the export; the annex list itself is kept.
        replace={
            "- 附件：1. 乐山市社会信用体系建设联席会议制度": "附件：1. 乐山市社会信用体系建设联席会议制度"
        },
    ),
    "meishan-meifufa-2015-7": Doc(
        start="各区、县人民政府,市级各单位、部门",
        titles=["眉山市社会信用体系建设规划(2015—2020年)"],
        # The first copy is complete (it alone has 抄送 and the 印发 line); the second copy
        # and the portal footer after it are dropped.
        stop="眉山市人民政府办公室 2015年3月11日印发",
        join_wrapped=False,
        cell_joins=[
            ("信用", "数据库"),
            ("行政", "管理"),
            ("重点", "领域"),
            ("信用", "环境"),
            ("指标", "属性"),
            ("开展诚信", "创建活动"),
        ],
        table="zhuanlan",
    ),
    "tongjiang-tongzhengfa-2018-12": Doc(
        start="各乡（镇）政府、市政府各直属单位",
        titles=["同江市加快推进社会信用体系建设实施意见"],
        table="tabs",
    ),
    "ankang-anzhengbanfa-2017-64": Doc(
        start="各县区人民政府，市政府各工作部门",
        titles=["安康市 2017 年社会信用体系建设工作要点"],
    ),
    "liuzhou-liuzhengban-2017-151": Doc(
        start="各县、区人民政府，市直机关",
        titles=["加快推进柳州市社会信用体系建设工作方案"],
    ),
}


# ---------------------------------------------------------------- body and tables


def cut_body(lines: list[str], doc: Doc) -> list[str]:
    """Return the raw lines from the addressee to the last kept line."""
    starts = [i for i, line in enumerate(lines) if line.strip().startswith(doc.start)]
    if not starts:
        raise SystemExit(f"start line not found: {doc.start}")
    end = len(lines)
    if doc.stop:
        stops = [i for i, line in enumerate(lines) if line.strip().startswith(doc.stop)]
        if not stops:
            raise SystemExit(f"stop line not found: {doc.stop}")
        end = stops[0] + 1
    return lines[starts[0] : end]


def md_cell(text: str) -> str:
    """Escape a table cell (pipes only: the texts contain no other table syntax)."""
    return text.replace("|", "\\|")


def md_table(header: list[str], rows: list[list[str]]) -> str:
    """Render a pipe table with a header row."""
    out = ["| " + " | ".join(md_cell(h) for h in header) + " |"]
    out.append("|" + "---|" * len(header))
    out += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def tokens(lines: list[str], joins: list[tuple[str, str]]) -> list[str]:
    """Split one-cell-per-line text into cells; two or more blank lines mark an empty cell."""
    out: list[str] = []
    blanks = 0
    for line in lines:
        text = line.strip()
        if not text:
            blanks += 1
            continue
        if blanks >= 2 and out:
            out.append("")
        blanks = 0
        if out and (out[-1], text) in joins:
            out[-1] += text  # a cell the printed table wrapped onto two lines
        else:
            out.append(text)
    return out


def zhuanlan_table(lines: list[str], joins: list[tuple[str, str]]) -> str:
    """Rebuild one 眉山 专栏 table (3-column project list or the 6-column indicator table)."""
    cells = tokens(lines, joins)
    seq = re.compile(r"^\d+(\.\d+)?$")
    last = next(i for i, c in enumerate(cells) if c in ("建设内容", "指标属性"))
    header, body = cells[: last + 1], cells[last + 1 :]
    rows: list[list[str]] = []
    if len(header) == 3:  # 序号 | 项目名称 | 建设内容, content may span several lines
        for cell in body:
            if seq.match(cell):
                rows.append([cell, "", ""])
            elif not rows[-1][1]:
                rows[-1][1] = cell
            else:
                rows[-1][2] = f"{rows[-1][2]}<br>{cell}" if rows[-1][2] else cell
        return md_table(header, rows)
    # 类别 | 序号 | 指标 | 基础目标 | 奋斗目标 | 指标属性: each 类别 label (a merged cell)
    # appears once before its rows, sub-rows ("其中:…") have no 序号, and 指标属性 may be empty
    # (a double blank line) or missing altogether.
    if len(header) != 6:
        raise SystemExit(f"unexpected 专栏 header: {header}")
    attributes = ("约束性", "指导性", "")
    category, shown = "", set()
    i = 0
    while i < len(body):
        cell = body[i]
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if not seq.match(cell) and seq.match(nxt):
            category, i = cell, i + 1  # 类别 label (a merged cell), always followed by 序号 1
            continue
        number = ""
        if seq.match(cell):
            number, i = cell, i + 1
        indicator, base, target = body[i : i + 3]
        i += 3
        attr = ""
        if i < len(body) and body[i] in attributes:
            attr, i = body[i], i + 1
        rows.append(["" if category in shown else category, number, indicator, base, target, attr])
        shown.add(category)
    return md_table(header, rows)


def tab_table(lines: list[str]) -> tuple[str, str]:
    """Rebuild the 同江 task table: a tab opens each cell, lines without one continue it."""
    cells: list[list[str]] = []
    for line in lines:
        if "\t" in line:
            parts = line.split("\t")
            if parts[0].strip() and cells:
                cells[-1].append(parts[0].strip())
            cells += [[p.strip()] for p in parts[1:]]
        elif line.strip():
            cells[-1].append(line.strip())
    # The first cell is the annex page's heading: " \t附件：" and the title line after it.
    heading = "".join(p for p in cells[0] if p)
    texts = ["<br>".join(p for p in c if p) for c in cells[1:]]
    width = 5
    # The last row stops after 工作要点: its unit cells are merged with the row above.
    texts += [""] * (-len(texts) % width)
    rows = [texts[i : i + width] for i in range(0, len(texts), width)]
    # Merged (rowspan) cells were exported as whole rows of empty cells: drop those.
    rows = [r for r in rows if any(r)]
    return heading, md_table(rows[0], rows[1:])


# ---------------------------------------------------------------- paragraphs


def is_marker(text: str) -> bool:
    """Whether a line opens a new block (heading, numbered item, signature, colophon)."""
    return bool(
        SECTION_RE.match(text)
        or ITEM_RE.match(text)
        or NUM_RE.match(text)
        or PAREN_NUM_RE.match(text)
        or ARTICLE_RE.match(text)
        or DATE_RE.match(text)
        or ANNEX_LABEL_RE.match(text)
        or text.startswith(COLOPHON_PREFIXES)
    )


def is_standalone(text: str, doc: Doc, issuer: str) -> bool:
    """Whether a line is complete on its own although it has no closing punctuation."""
    return (
        text in doc.titles
        or text == issuer
        or bool(DATE_RE.match(text) or ANNEX_LABEL_RE.match(text))
        or (
            bool(SECTION_RE.match(text) or ITEM_RE.match(text) or NUM_RE.match(text))
            and len(text) <= 40
            and "，" not in text
            and "；" not in text
        )
    )


def paragraphs(lines: list[str], doc: Doc, issuer: str) -> list[str]:
    """Join lines that a page break or hard wrap split out of one paragraph."""
    out: list[str] = []
    for raw in lines:
        text = doc.replace.get(raw.strip(), raw.strip())
        if not text:
            continue
        # The addressee line and an annex title (the line after "附件1") stand alone.
        after_label = len(out) > 1 and bool(ANNEX_LABEL_RE.match(out[-2]))
        if doc.join_wrapped and len(out) > 1 and not after_label:
            prev = out[-1]
            wrapped = prev[-1] not in TERMINAL and not is_standalone(prev, doc, issuer)
            if (wrapped and not is_marker(text)) or (
                text.startswith(CONTINUATION_PREFIXES) and not is_standalone(prev, doc, issuer)
            ):
                out[-1] = prev + text
                continue
        out.append(text)
    return out


def run_in(text: str, marker: re.Pattern[str]) -> str | None:
    """Bold a short run-in heading such as "（一）加强组织领导。" at the start of a paragraph."""
    m = marker.match(text)
    if not m:
        return None
    head, sep, rest = text.partition("。")
    if not sep or not rest or len(head) > 40:
        return None
    return f"**{head}。**{rest}"


def render_block(text: str, doc: Doc, in_enumeration: bool) -> str:
    """Render one paragraph as a heading, a bold run-in item or plain text."""
    if text in doc.titles:
        return f"## {text}"
    short = len(text) <= 40 and not re.search(r"[，,；;]", text.rstrip("。"))
    single = "。" not in text.rstrip("。")
    if SECTION_RE.match(text) and short and single:
        return f"### {text}"
    for marker, level in ((ITEM_RE, "####"), (NUM_RE, "#####")):
        if not marker.match(text):
            continue
        if not in_enumeration and short and single and not (level == "#####" and "。" in text):
            return f"{level} {text}"
        bold = None if in_enumeration else run_in(text, marker)
        if bold:
            return bold
    # Keep "1. …" from turning into a Markdown list that would renumber it.
    return re.sub(r"^(\d+)\.(\s)", r"\1\\.\2", text)


def render_body(blocks: list[str], doc: Doc) -> list[str]:
    out: list[str] = []
    i = 0
    # Items introduced by "…：" (第五条 联席会议工作职责：) are an enumeration, not
    # headings: "pending" after the colon, then the marker kind of the first item.
    enumeration: str | None = None
    while i < len(blocks):
        text = blocks[i]
        annex_list = ANNEX_LIST_RE.match(text)
        if annex_list:
            items = [annex_list.group(1)]
            while i + 1 < len(blocks) and NUM_RE.match(blocks[i + 1]):
                i += 1
                items.append(blocks[i])
            out.append("附件：")
            out.append("\n".join(re.sub(r"^(\d+)\s*[.．]\s*", r"\1. ", it) for it in items))
        elif ANNEX_LABEL_RE.match(text) and i + 1 < len(blocks):
            sep = "" if text.endswith("：") else " "
            i += 1
            out.append(f"## {text}{sep}{blocks[i]}")
            enumeration = None
        else:
            kind = "item" if ITEM_RE.match(text) else "num" if NUM_RE.match(text) else None
            if enumeration == "pending" and kind:
                enumeration = kind
            elif enumeration != kind:
                enumeration = None
            out.append(render_block(text, doc, enumeration is not None))
            if text.endswith(("：", ":")):
                enumeration = "pending"
        i += 1
    return out


# ---------------------------------------------------------------- documents


def split_tables(lines: list[str], doc: Doc) -> list[tuple[str, list[str]]]:
    """Cut the body into ("text", lines) and ("zhuanlan"/"tabs", lines) runs."""
    runs: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        if doc.table == "zhuanlan" and re.match(r"^专栏\d+", text):
            j = i + 1
            while j < len(lines) and not (
                SECTION_RE.match(lines[j].strip()) or ITEM_RE.match(lines[j].strip())
            ):
                j += 1
            runs.append(("caption", [text]))
            runs.append(("zhuanlan", lines[i + 1 : j]))
            i = j
            continue
        if doc.table == "tabs" and "\t" in lines[i]:
            runs.append(("tabs", lines[i:]))
            break
        if not runs or runs[-1][0] != "text":
            runs.append(("text", []))
        runs[-1][1].append(lines[i])
        i += 1
    return runs


def convert(raw: str, doc: Doc, meta: dict) -> str:
    """Return the Markdown page for one raw policy text."""
    lines = cut_body(raw.replace("\r\n", "\n").split("\n"), doc)
    parts: list[str] = []
    for kind, run in split_tables(lines, doc):
        if kind == "text":
            parts += render_body(paragraphs(run, doc, meta["issuer"]), doc)
        elif kind == "caption":
            parts.append(f"**{run[0]}**")
        elif kind == "zhuanlan":
            parts.append(zhuanlan_table(run, doc.cell_joins))
        else:
            heading, table = tab_table(run)
            parts += [f"## {heading}", table]
    front = {k: meta[k] for k in ("title", "doc_number", "issuer")}
    lines_fm = [f"{k}: {v}" for k, v in front.items()]
    lines_fm.append(f"date: {meta['date']}")
    lines_fm.append(f"source_file: {meta['file']}")
    return "---\n" + "\n".join(lines_fm) + "\n---\n\n" + "\n\n".join(parts) + "\n"


def catalogue(index: list[dict]) -> str:
    """Return content/policies/index.md: the documents as a table, newest first."""
    rows = []
    for meta in sorted(index, key=lambda m: m["date"], reverse=True):
        day = meta["date"]
        link = f"[{meta['title']}]({meta['file'].removesuffix('.txt')}.md)"
        when = f"{day.year}年{day.month}月{day.day}日"
        rows.append([link, meta["doc_number"], meta["issuer"], when])
    intro = (
        "本栏目收录社会信用体系建设方面的规范性文件，按成文日期由新到旧排列。"
        "文件正文依据发文机关主动公开的原文整理，仅调整了排版格式。"
    )
    table = md_table(["标题", "文号", "发文机关", "成文日期"], rows)
    return f"---\ntitle: 政策法规\n---\n\n{intro}\n\n{table}\n"


def find_src(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    for cand in SRC_CANDIDATES:
        if (cand / "index.yml").is_file():
            return cand
    raise SystemExit("shared/policies not found; pass --src")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", help="folder with index.yml and the raw .txt files")
    parser.add_argument("--out", default=str(REPO / "content" / "policies"))
    args = parser.parse_args(argv)
    src, out = find_src(args.src), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    index = yaml.safe_load((src / "index.yml").read_text(encoding="utf-8"))
    for meta in index:
        slug = meta["file"].removesuffix(".txt")
        raw = (src / meta["file"]).read_text(encoding="utf-8")
        page = convert(raw, DOCS[slug], meta)
        (out / f"{slug}.md").write_text(page, encoding="utf-8")
    (out / "index.md").write_text(catalogue(index), encoding="utf-8")
    print(f"wrote {len(index) + 1} pages to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
