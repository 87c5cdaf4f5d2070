"""Stage: guard — a planted leak anywhere in the output is found."""

from __future__ import annotations

import gzip
import io
import zipfile

import polars as pl
import pytest
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
    from generator.published import withheld_pages

    ids = ["a", "b", "b", None, "c"]
    statuses = ["published", "withdrawn", "published", "rejected", "rejected"]
    assert withheld_pages(("xzcf", i, s) for i, s in zip(ids, statuses, strict=True)) == ["xzcf/c"]


def test_the_published_view_holds_published_rows_only(config):
    from generator.published import published_view

    records = {
        s.id: pl.DataFrame(
            {
                "_id": ["a", "b", "b", None, "c"],
                "_status": ["published", "withdrawn", "published", "rejected", "rejected"],
                "_reason": [None, "expired", None, "bad", "bad"],
            }
        )
        for s in config.datasets()
    }
    view = published_view(records, config, TODAY)
    kind = config.datasets()[0].id
    assert view.frame(kind).get_column("_id").to_list() == ["a", "b"]
    assert view.gone_of(kind).rows() == [("b", "expired"), ("c", "rejected")]
    assert f"{kind}/c" in view.withheld and f"{kind}/b" not in view.withheld


def test_blocks_find_each_leak_once_across_boundaries(tmp_path, monkeypatch):
    from generator import guard, scan

    monkeypatch.setattr(guard, "CHUNK", 300)  # the Python path (text that is not UTF-8)
    monkeypatch.setattr(scan, "BLOCK", 300)  # the batched path
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


# --- the guard checks files as the build writes them ------------------------------------


def _writer_tree(tmp_path, guard, prev=None, inherit=False):
    from generator.web.writer import TreeWriter

    new = tmp_path / f"new{len(list(tmp_path.glob('new*')))}"
    new.mkdir()
    return TreeWriter(new, prev, guard.scanner, inherit), new


def test_written_files_are_scanned_once_and_linked_ones_inherit(tmp_path):
    from generator.guard import Guard, GuardError

    guard = Guard(TODAY, work=tmp_path / "work")
    writer, first = _writer_tree(tmp_path, guard)
    writer.write("a.html", f"<p>{PERSON_ID}</p>".encode())
    writer.write("b.html", b"<p>clean</p>")
    writer.finish()
    assert writer.counts.scanned == 2 and len(writer.counts.findings) == 1
    try:
        guard(first, writer.counts)
        raise AssertionError("the guard let an ID number through")
    except GuardError as exc:
        assert [f.path for f in exc.findings] == ["a.html"]
    (first / "a.html").write_bytes(b"<p>fixed</p>")
    guard.passed(first)
    assert guard.inherit(first)
    writer, second = _writer_tree(tmp_path, guard, prev=first, inherit=guard.inherit(first))
    writer.write("a.html", b"<p>fixed</p>")  # identical: linked, verdict inherited
    writer.write("b.html", b"<p>changed</p>")
    assert writer.finish().scanned == 1
    guard(second, writer.counts)


def test_a_file_written_behind_the_writers_back_is_still_found(tmp_path):
    from generator.guard import Guard, GuardError

    guard = Guard(TODAY)
    writer, root = _writer_tree(tmp_path, guard)
    writer.write("index.html", b"<p>clean</p>")
    writer.finish()
    (root / "stray.json").write_text(f'{{"id": "{PERSON_ID}"}}', "utf-8")
    try:
        guard(root, writer.counts)
        raise AssertionError("a file the writer never saw went unchecked")
    except GuardError as exc:
        assert [f.path for f in exc.findings] == ["stray.json"]


def test_no_verdict_is_inherited_from_another_detector_or_site(tmp_path):
    import json

    from generator.guard import Guard

    guard = Guard(TODAY, work=tmp_path / "work")
    site = tmp_path / "site"
    site.mkdir()
    assert not guard.inherit(site)  # never checked
    guard.passed(site)
    assert guard.inherit(site) and not guard.inherit(tmp_path / "other")
    state = json.loads((tmp_path / "work" / "guard.json").read_text("utf-8"))
    (tmp_path / "work" / "guard.json").write_text(json.dumps({**state, "stamp": "old"}), "utf-8")
    assert not guard.inherit(site)
    guard.passed(site)
    guard.forget()
    assert not guard.inherit(site)


def test_batched_scan_agrees_with_the_python_path_in_every_container(tmp_path):
    """Pages, gzip, XLSX parts, GBK text (the Python path) and the report's sentence."""
    from generator.guard import REPORT_MARK, Scanner, scan_stream

    page = f"<p>甲{PERSON_ID}乙</p><p>{'1' * 15}</p>".encode()
    files = {
        "a.html": page,
        "b.pf_fragment": gzip.compress(page),
        "c.txt": f"甲{PERSON_ID}".encode("gbk"),
        "d.html": "内部报告".encode() + REPORT_MARK,
        "e.html": ("甲" * 5000 + PERSON_ID).encode(),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/sharedStrings.xml", page)
    files["f.xlsx"] = buf.getvalue()
    scanner = Scanner(TODAY)
    batched = [f for rel, data in files.items() for f in scanner.bytes(rel, data)]
    batched += scanner.flush()
    expected = [
        f
        for rel, data in files.items()
        for f in scan_stream(rel, lambda d=data: io.BytesIO(d), TODAY)
    ]
    key = lambda f: (f.path, f.offset, f.kind)  # noqa: E731
    assert sorted(batched, key=key) == sorted(expected, key=key)
    assert {f.path for f in batched} == {
        "a.html", "b.pf_fragment", "c.txt", "d.html", "e.html", "f.xlsx!xl/sharedStrings.xml"
    }  # fmt: skip


# --- issue 15: the shared detector, content/ sources, attachments, the row behind a page ---


def _pdf(text: str) -> bytes:
    """A one-page PDF whose text layer is `text` (ASCII), with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def test_mobiles_and_spaced_ids_are_found_in_output(tmp_path):
    (tmp_path / "a.html").write_text(
        "<p>电话 138-0013-8000，+8613900139000</p><p>510101 19900101 1231</p>"
        "<p>５１０１０１１９９００１０１１２３１</p><p>5101011990\u200b01011231</p>",
        encoding="utf-8",
    )
    found = scan_tree(tmp_path, TODAY)
    assert [f.kind for f in found] == ["mobile", "mobile", "idnum", "idnum", "idnum"]
    assert "138****8000" in found[0].text() and "13800138000" not in found[0].text()


def test_registration_numbers_and_hashes_are_not_findings(tmp_path):
    from generator.sample.codes import regno_check_digit

    regno = "51010119900101" + regno_check_digit("51010119900101")
    digest = "ab" + "13800138000" + "c" * 51  # a SHA-256 with a mobile-like run inside
    (tmp_path / "a.html").write_text(f"<p>注册号 {regno}</p>{digest}", encoding="utf-8")
    assert scan_tree(tmp_path, TODAY) == []


def test_pdf_text_is_scanned(tmp_path):
    (tmp_path / "notice.pdf").write_bytes(_pdf(f"ID {PERSON_ID} tel 138 0013 8000"))
    (tmp_path / "clean.pdf").write_bytes(_pdf("No personal data here 2026-11-22"))
    found = scan_tree(tmp_path, TODAY)
    assert [(f.path, f.kind, f.unit) for f in found] == [
        ("notice.pdf", "idnum", "页"),
        ("notice.pdf", "mobile", "页"),
    ]


def test_content_markdown_is_scanned_by_line(tmp_path):
    from generator.guard import scan_content

    content = tmp_path / "content"
    (content / "news").mkdir(parents=True)
    (content / "news" / "a.md").write_text(
        "# 通知\n\n咨询电话：138 0013 8000\n\n身份证 510101 19900101 1231\n", encoding="utf-8"
    )
    (content / "about.md").write_text("办公电话 0000-12345678\n", encoding="utf-8")
    found = scan_content(content, TODAY)
    assert [(f.path, f.offset, f.kind) for f in found] == [
        ("content/news/a.md", 3, "mobile"),
        ("content/news/a.md", 5, "idnum"),
    ]
    assert "content/news/a.md（第 3 行）" in found[0].text()


def test_unreadable_attachments_are_refused_unless_checked(tmp_path):
    from generator.guard import scan_content

    content = tmp_path / "content"
    (content / "news").mkdir(parents=True)
    (content / "news" / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    (content / "news" / "scan.pdf").write_bytes(_pdf(f"{PERSON_ID}"))
    found = scan_content(content, TODAY)
    assert [(f.path, f.kind) for f in found] == [
        ("content/news/photo.png", "unchecked-file"),
        ("content/news/scan.pdf", "idnum"),
    ]
    checked = scan_content(content, TODAY, checked=["content/news/photo.png"])
    assert [(f.path, f.kind) for f in checked] == [("content/news/scan.pdf", "idnum")]


def test_a_finding_on_a_record_page_names_its_input_row(tmp_path):
    from generator.guard import GuardError, verifier

    (tmp_path / "xzcf").mkdir()
    (tmp_path / "xzcf" / "0123456789abcdef.html").write_text("<td>13800138000</td>")
    records = {
        "xzcf": pl.DataFrame(
            {
                "_id": ["0123456789abcdef"],
                "_status": ["published"],
                "_file": ["xzcf/处罚.csv"],
                "_sheet": [None],
                "_row": [7],
            }
        )
    }
    with pytest.raises(GuardError) as err:
        verifier(TODAY, records=records)(tmp_path)
    (finding,) = err.value.findings
    assert finding.source == "xzcf 数据 xzcf/处罚.csv 第 7 行"
    assert "来源：xzcf 数据 xzcf/处罚.csv 第 7 行" in finding.text()


def test_build_guard_reads_site_content(tmp_path, config):
    import dataclasses

    from generator.guard import GuardError, guard_for
    from generator.published import published_view

    root = tmp_path / "office"
    (root / "content").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("docs_dir: content\n")
    (root / "content" / "a.md").write_text("电话 +86 138 0013 8000\n", encoding="utf-8")
    (root / "content" / "b.png").write_bytes(b"\x89PNG")
    site = {**config.site, "guard": {"checked_attachments": ["content/b.png"]}}
    office = dataclasses.replace(config, root=root, site=site)
    empty = pl.DataFrame(schema={"_id": pl.Utf8, "_status": pl.Utf8, "_reason": pl.Utf8})
    view = published_view({s.id: empty for s in office.datasets()}, office, TODAY)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(GuardError) as err:
        guard_for(view)(out)
    assert [(f.path, f.offset, f.kind) for f in err.value.findings] == [
        ("content/a.md", 1, "mobile")
    ]


def test_style_sheet_decimals_are_not_numbers_but_plain_ones_are(tmp_path):
    css = ".a{d:path('M1.33 9.491 1.33 8.622 1.41 1.694')} .b{content:'13800138000'}"
    (tmp_path / "main.css").write_text(css, encoding="utf-8")
    (tmp_path / "page.html").write_text("<p>1.33 9.491 1.33 8.622</p>", encoding="utf-8")
    found = scan_tree(tmp_path, TODAY)
    assert [(f.path, f.kind) for f in found] == [("main.css", "mobile"), ("page.html", "mobile")]


def test_a_record_id_after_percent_encoded_text_is_not_a_number():
    """The objection mailto puts the id right after encoded text: %9A74a17988184579ba."""
    from generator.guard import Scanner

    link = b'<a href="mailto:x@example.gov.cn?body=%E7%BC%96%E5%8F%B7%EF%BC%9A74a17988184579ba">'
    scanner = Scanner(TODAY)
    assert scanner.bytes("xzxk/74a17988184579ba.html", link) + scanner.flush() == []
    leak = b"<p>%E5%8F%B7%EF%BC%9A13800138000</p>"  # a real mobile after encoded text is found
    assert [f.kind for f in scanner.bytes("a.html", leak) + scanner.flush()] == ["mobile"]


def test_report_numbers_never_read_as_id_numbers():
    import datetime as dt

    from generator import pii
    from generator.site.subject import report_number

    day = dt.date(2026, 11, 22)
    for i in range(2000):
        number = report_number(f"9199010{i:011d}", day)
        assert pii.find(number, day) == [], number
