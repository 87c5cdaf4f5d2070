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
    (tmp_path / "xzcf" / "abcdef0123456789").mkdir(parents=True)
    found = scan_tree(tmp_path, TODAY, withheld=["xzcf/abcdef0123456789", "xzcf/0000000000000000"])
    assert sorted((f.path, f.kind) for f in found) == [
        ("a/page.html", "idnum"),
        ("data.csv", "idnum"),
        ("frag.pf_fragment", "idnum"),
        ("report.html", "report"),
        ("x.xlsx!xl/sharedStrings.xml", "idnum"),
        ("xzcf/abcdef0123456789/", "withheld-page"),
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
