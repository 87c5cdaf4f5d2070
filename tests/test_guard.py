"""Stage: guard — a planted leak anywhere in the output is found."""

from __future__ import annotations

import gzip
import io
import zipfile

import xlsxwriter
from conftest import PERSON_ID, TODAY

from generator.guard import scan_tree


def test_clean_tree_has_no_findings(tmp_path):
    (tmp_path / "index.html").write_text(
        "<p>1***************14 注册号990100000012345</p>", encoding="utf-8"
    )
    assert scan_tree(tmp_path, TODAY) == []


def test_planted_leaks_are_found_everywhere(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "page.html").write_text(f"<td>{PERSON_ID}</td>", encoding="utf-8")
    (tmp_path / "data.csv").write_bytes(f"\ufeff名称,号码\n甲,{PERSON_ID.lower()}\n".encode())
    (tmp_path / "frag.pf_fragment").write_bytes(gzip.compress(f"pagefind_dcd{PERSON_ID}".encode()))
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    book.add_worksheet().write_string(0, 0, PERSON_ID)
    book.close()
    (tmp_path / "x.xlsx").write_bytes(buf.getvalue())
    (tmp_path / "report.html").write_text("本报告……不得上传到公开网站", encoding="utf-8")
    (tmp_path / "xzcf" / "fedcba9876543210").mkdir(parents=True)  # a record's folder, as before
    (tmp_path / "xzcf" / "abcdef0123456789.html").write_text("<p>记录</p>", encoding="utf-8")
    withheld = ["xzcf/abcdef0123456789", "xzcf/fedcba9876543210", "xzcf/0000000000000000"]
    found = scan_tree(tmp_path, TODAY, withheld=withheld)
    assert sorted((f.path, f.kind) for f in found) == [
        ("a/page.html", "idnum"),
        ("data.csv", "idnum"),
        ("frag.pf_fragment", "idnum"),
        ("report.html", "report"),
        ("x.xlsx!xl/sharedStrings.xml", "idnum"),
        ("xzcf/abcdef0123456789.html", "withheld-page"),
        ("xzcf/fedcba9876543210/", "withheld-page"),
    ]
    # The finding names where, never the number itself.
    assert all(PERSON_ID not in f.text() for f in found)
    assert "1***************14" in found[0].text()


def test_zip_inside_tree(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner/data.json", f'{{"id": "{PERSON_ID}"}}')
    (tmp_path / "all.zip").write_bytes(buf.getvalue())
    assert [(f.path, f.kind) for f in scan_tree(tmp_path, TODAY)] == [
        ("all.zip!inner/data.json", "idnum")
    ]


# --- wired into the build: fail closed -------------------------------------------------


def _build(tmp_path, config, data, out):
    import subprocess
    import sys

    from conftest import ROOT

    return subprocess.run(
        [sys.executable, "-m", "generator", "--config", str(config), "build", "--data",
         str(data), "--out", str(out), "--work", str(tmp_path / "work"), "--today", "2026-11-22",
         "--workers", "1"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_planted_leak_refuses_build_and_keeps_previous_site(tmp_path):
    """An ID number in the office address (config is not masked) reaches every page."""
    from conftest import ORG, ROOT, XZCF_HEADER, penalty, write_csv

    data = tmp_path / "data"
    write_csv(data / "xzcf" / "a.csv", [XZCF_HEADER, penalty("甲公司", ORG, "示罚〔2026〕1号")])
    out = tmp_path / "site"  # the previous site (any tree: one build is enough here)
    (out / "xzcf").mkdir(parents=True)
    (out / "index.html").write_text("<h1>上次的网站</h1>", "utf-8")
    (out / "xzcf" / "index.html").write_text("<h1>行政处罚</h1>", "utf-8")
    (out / "downloads").mkdir()  # its publication ledger (empty: no event yet)
    (out / "downloads" / "ledger.csv").write_text("build,date,dataset,id,event,hash,reason\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    leaky = tmp_path / "site.yml"
    text = (ROOT / "site.yml").read_text(encoding="utf-8")
    leaky.write_text(text.replace("示例市示例大道 1 号", f"示例大道 {PERSON_ID}"), "utf-8")
    bad = _build(tmp_path, leaky, data, out)
    assert bad.returncode == 3
    assert "安全检查未通过" in bad.stderr and "index.html（第 " in bad.stderr
    assert PERSON_ID not in bad.stderr + bad.stdout
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not list(tmp_path.glob(".site.*"))  # the rejected tree was removed


def test_withheld_pages_are_the_ids_not_also_published():
    import polars as pl

    from generator.guard import withheld_pages

    records = {
        "xzcf": pl.DataFrame(
            {
                "_id": ["a", "b", "b", None, "c"],
                "_status": ["published", "withdrawn", "published", "rejected", "rejected"],
            }
        )
    }
    assert withheld_pages(records) == ["xzcf/c"]


def test_blocks_find_each_leak_once_across_boundaries(tmp_path, monkeypatch):
    from generator import guard

    monkeypatch.setattr(guard, "CHUNK", 300)
    filler = "甲" * 7  # 21 bytes of UTF-8 between planted numbers
    offsets = []
    text = ""
    for i in range(40):
        text += filler + ("x" * (i % 17))
        offsets.append(len(text.encode()))
        text += PERSON_ID
    digest = "a" * 10 + PERSON_ID + "b" * 36  # a 64-hex token: not an ID number
    text += " " + digest
    (tmp_path / "big.txt").write_text(text, encoding="utf-8")
    found = scan_tree(tmp_path, TODAY)
    assert [f.offset for f in found] == offsets
