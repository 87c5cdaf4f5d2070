"""The public site: page structure, record fields, escaping, privacy, determinism and
incremental, atomic rebuilds — on one small demo built per session."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import polars as pl
import pytest
from site_demo import (
    BUSY_CODE,
    BUSY_NOS,
    PERSON_ID,
    PERSON_NO,
    ROOT,
    SCRIPT_FACT,
    SCRIPT_NO,
    WITHDRAWN_NOS,
    Demo,
    build,
    demo,
    files,
    html_pages,
    parse,
)

from generator.guard import scan_bytes
from generator.web.extras import column_keys, flag
from generator.web.model import display_columns
from generator.web.templating import cn_date
from generator.web.urls import subject_slug

__all__ = ["demo"]  # the session fixture, imported for pytest

INTERNAL = [
    "_file",
    "_sheet",
    "_row",
    "_seq",
    "_status",
    "_reason",
    "_error",
    "_idkey",
    "_min_until",
]


def record_page(d: Demo, ds: str, rid: str) -> Path:
    return d.site / ds / f"{rid}.html"


def find(d: Demo, ds: str, column: str, value: str) -> dict:
    rows = d.result.published(ds).filter(pl.col(column) == value)
    assert rows.height == 1, f"{ds}.{column} = {value}: {rows.height} rows"
    return rows.row(0, named=True)


def test_build_reports_counts(demo: Demo):
    assert demo.stats.files > 400 and demo.stats.changed == demo.stats.files
    assert demo.stats.removed == 0 and demo.stats.subjects > 0
    assert demo.stats.line().startswith("site: ")


def test_every_page_has_structure(demo: Demo):
    pages = html_pages(demo.site)
    assert len(pages) > 300
    for path in pages:
        tree = parse(path)
        where = path.relative_to(demo.site)
        assert tree.css_first("html").attributes.get("lang") == "zh-CN", where
        assert len(tree.css("h1")) == 1, where
        title = tree.css_first("title")
        assert title is not None and title.text().strip(), where
        for landmark in ("header", "nav", "main", "footer"):
            assert tree.css_first(landmark) is not None, (where, landmark)
        skip = tree.css_first("a.xy-skip")
        assert skip is not None and tree.css_first("#xy-main") is not None, where


def test_header_footer_from_site_yml(demo: Demo):
    office = demo.config.site["office"]
    for rel in ("index.html", "policies/index.html", "xzcf/index.html"):
        tree = parse(demo.site / rel)
        assert tree.css_first(".xy-name").text() == demo.config.site["site"]["name"]
        assert demo.config.site["site"]["region"] in tree.css_first(".xy-region").text()
        assert tree.css_first(".xy-demo") is not None  # site.demo: true
        labels = [a.text() for a in tree.css("nav.xy-nav a")]
        assert labels == [
            "首页",
            "行政许可",
            "行政处罚",
            "红名单",
            "黑名单",
            "双随机抽查",
            "信用承诺",
            "信用等级",
            "经营异常",
            "赋码公示",
            "政策法规",
            "典型案例",
            "信用动态",
            "异议申诉",
            "信用修复",
            "关于本站",
        ]
        footer = tree.css_first("footer").text()
        for key in ("host", "address", "phone", "site_code", "icp", "police"):
            assert office[key] in footer, (rel, key)
        links = {a.text(): a.attributes["href"] for a in tree.css("footer a")}
        assert links[office["icp"]] == "https://beian.miit.gov.cn/"
        assert links[office["police"]] == "https://www.beian.gov.cn/"


def test_narrative_placeholders_and_front_matter(demo: Demo):
    text = (demo.site / "guide" / "objection" / "index.html").read_text(encoding="utf-8")
    assert "{{" not in text and demo.config.site["office"]["phone"] in text
    tree = parse(demo.site / "policies" / "leshan-lefubanfa-2017-9" / "index.html")
    meta = {
        dt.text(): dd.text()
        for dt, dd in zip(tree.css(".xy-meta dt"), tree.css(".xy-meta dd"), strict=True)
    }
    assert meta == {
        "文号": "乐府办发〔2017〕9号",
        "发文机关": "乐山市人民政府办公室",
        "成文日期": "2017年2月10日",
    }
    tree = parse(demo.site / "news" / "tonggao-xitong-weihu" / "index.html")
    assert "发布日期" in tree.css_first(".xy-meta").text()
    assert tree.css_first(".admonition") is not None  # !!! note
    for path in html_pages(demo.site):
        assert "fonts.googleapis" not in path.read_text(encoding="utf-8")


def test_every_published_field_shown(demo: Demo):
    for schema in demo.config.datasets():
        frame = demo.result.published(schema.id)
        cols = display_columns(schema)
        for row in frame.head(30).iter_rows(named=True):
            tree = parse(record_page(demo, schema.id, row["_id"]))
            shown = dict(
                zip(
                    [n.text() for n in tree.css(".xy-fields dt")],
                    [n.text() for n in tree.css(".xy-fields dd")],
                    strict=True,
                )
            )
            future = column_keys(schema, "future_label")
            for key, label, kind in cols:
                value = row[key]
                if value is None or value == "":
                    assert label not in shown
                elif key in future and value > demo.result.today:
                    assert label not in shown
                    assert shown[future[key]] == f"{cn_date(value)}（尚未移出，目前仍在公示）"
                elif kind == "date":
                    assert shown[label] == cn_date(value)
                elif kind == "amount":
                    assert shown[label].startswith(f"{value:g}万元（")
                else:
                    assert shown[label] == value, (schema.id, label)
            assert shown["记录编号"] == row["_id"]
            assert shown["永久链接"].endswith(f"/{schema.id}/{row['_id']}.html")
            if row.get("_until"):
                assert shown["公示截止期"] == cn_date(row["_until"])
            assert not any("行政相对人代码_" in label for label in shown)  # public labels
            hrefs = [a.attributes["href"] for a in tree.css("main a")]
            assert "../guide/objection/" in hrefs
            assert f"../objection/?r={schema.id}/{row['_id']}" in hrefs
            mail = next(h for h in hrefs if h.startswith("mailto:"))
            assert row["_id"] in mail and quote(shown["永久链接"], safe=":/") in mail
            # 信用修复 only where records can be repaired (penalties, black list).
            assert ("../guide/repair/" in hrefs) == flag(schema, "repairable"), schema.id
            assert "./" in hrefs  # the breadcrumb: the dataset's list, in the same folder


def test_amount_with_units(demo: Demo):
    row = find(demo, "xzcf", "wsh", SCRIPT_NO)
    tree = parse(record_page(demo, "xzcf", row["_id"]))
    shown = {n.text(): n.next.text() for n in tree.css(".xy-fields dt")}
    assert shown["罚款金额"] == "0.5万元（5000元）"


def test_record_pages_are_flat_files(demo: Demo):
    """<dataset>/<id>.html beside the list page: no folder per record."""
    for schema in demo.config.datasets():
        folder = demo.site / schema.id
        ids = set(demo.result.published(schema.id).get_column("_id").to_list())
        assert {p.stem for p in folder.glob("*.html") if p.name != "index.html"} == ids
        assert not [p for p in folder.iterdir() if p.is_dir() and p.name in ids]


def test_record_page_cut_renders_what_jinja_renders(demo: Demo):
    """The record template cut at its values gives, for every record, Jinja's own bytes."""
    from markupsafe import Markup

    from generator.site.records import RecordPage, job_for
    from generator.web.chrome import Chrome
    from generator.web.model import prepare
    from generator.web.templating import environment, template
    from generator.web.urls import subject_slug

    chrome = Chrome(demo.config, "assets/stylesheets/main.css")
    chrome.xy["site"]["url"] = "https://credit.example.gov.cn/a&b/"  # escaped in the URL
    tpl = template("site/record.html")
    filtered = environment().from_string("<h1>{{ title | upper }}</h1>{{ fields_html }}{{ id }}")
    shapes = set()
    for schema in demo.config.datasets():
        ds = prepare(demo.result.published(schema.id), schema)
        job = job_for(ds, chrome)
        page, fallback = RecordPage(tpl, job.context), RecordPage(filtered, job.context)
        assert all(page.shapes.values()) and not any(fallback.shapes.values())
        for rid, subject, until, _, t0, t1, _, _, html, _ in ds.frame.iter_rows():
            title = f"{t0}：{t1}" if t0 and t1 else (t0 or t1 or rid)
            url = f"{job.site_url}{ds.id}/{rid}.html"
            slug = subject_slug(subject) if subject else None
            values = {"id": rid, "until": until, "title": title, "url": url, "subject": slug}
            for cut, jinja in ((page, tpl), (fallback, filtered)):
                expected = jinja.render(job.context, fields_html=Markup(html), **values)
                assert cut.render(rid, title, until, html.encode(), url, slug) == expected.encode()
            shapes.add((bool(until), bool(slug), "<" in title))
    assert {(u, s) for u, s, _ in shapes} == {(u, s) for u in (False, True) for s in (False, True)}
    assert any(markup for _, _, markup in shapes)


def test_markup_in_data_is_text(demo: Demo):
    row = find(demo, "xzcf", "wsh", SCRIPT_NO)
    path = record_page(demo, "xzcf", row["_id"])
    tree = parse(path)
    shown = {n.text(): n.next.text() for n in tree.css(".xy-fields dt")}
    assert shown["违法事实"] == SCRIPT_FACT
    assert [s.attributes.get("src", "") for s in tree.css("script")] == ["../assets/xy/site.js"]
    assert tree.css("b") == []  # the <b> in the name stayed text
    assert "<script>alert" not in path.read_text(encoding="utf-8")


def test_natural_person_masked_and_without_subject_page(demo: Demo):
    row = find(demo, "xzcf", "wsh", PERSON_NO)
    assert row["_subject"] is None
    tree = parse(record_page(demo, "xzcf", row["_id"]))
    assert not [a for a in tree.css("a") if "subject/" in a.attributes.get("href", "")]
    assert "王小明" not in tree.text()


def test_no_unmasked_id_or_withdrawn_record_anywhere(demo: Demo):
    withdrawn = set()
    for frame in demo.result.records.values():
        ids = frame.filter(pl.col("_status") != "published").get_column("_id").drop_nulls()
        withdrawn |= set(ids.to_list())
    assert withdrawn
    published = {i for ds in demo.result.records for i in demo.result.published(ds)["_id"]}
    withdrawn -= published
    hex_id = re.compile(r"[0-9a-f]{16}")
    for path in files(demo.site):
        text = path.read_bytes().decode("utf-8", errors="replace")
        where = path.relative_to(demo.site)
        assert PERSON_ID not in text, where
        assert list(scan_bytes(str(where), path.read_bytes(), demo.result.today)) == [], where
        for no in WITHDRAWN_NOS:
            assert no not in text, where
        assert not set(hex_id.findall(text)) & withdrawn, where
        for column in INTERNAL:
            assert f">{column}<" not in text, where
    for ds in demo.result.records:
        assert not any((demo.site / ds / f"{rid}.html").exists() for rid in withdrawn)
        assert not any((demo.site / ds / rid).exists() for rid in withdrawn)


def test_lists_newest_first_paginated_with_facets(demo: Demo):
    tree = parse(demo.site / "xzxk" / "index.html")
    dates = [tr.css("td")[-1].text() for tr in tree.css("table.xy-list tbody tr")]
    assert 20 <= len(dates) <= 100 and dates == sorted(dates, key=_date_key, reverse=True)
    nxt = tree.css_first("a[rel=next]").attributes["href"]
    assert (demo.site / "xzxk" / nxt / "index.html").exists()
    facet_links = [a.attributes["href"] for a in tree.css(".xy-facets a")]
    years = [h for h in facet_links if "/year/" in h]
    assert years and all(
        (demo.site / "xzxk" / h.split("xzxk/")[1] / "index.html").exists() for h in facet_links
    )
    year_page = parse(demo.site / "xzxk" / years[0].split("xzxk/")[1] / "index.html")
    year = years[0].rstrip("/").rsplit("/", 1)[1]
    assert all(
        tr.css("td")[-1].text().startswith(f"{year}年")
        for tr in year_page.css("table.xy-list tbody tr")
    )


def _date_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text))


def test_subject_page_lists_all_records(demo: Demo):
    """A summary (records per column, latest dates), then the records grouped by column,
    newest first, without the subject's name on every row."""
    row = find(demo, "xzcf", "wsh", SCRIPT_NO)
    key = row["_subject"]
    per = {
        ds: demo.result.published(ds).filter(pl.col("_subject") == key).height
        for ds in demo.result.records
    }
    tree = parse(demo.site / "subject" / key / "index.html")
    groups = {s.css_first("h2").attributes["id"]: s for s in tree.css("section.xy-group")}
    assert {ds: len(g.css("li")) for ds, g in groups.items()} == {
        ds: n for ds, n in per.items() if n
    }
    assert len(tree.css(".xy-summary li")) == len(groups)
    for g in groups.values():
        dates = [li.css_first(".xy-muted").text().split("　")[0] for li in g.css("li")]
        assert dates == sorted(dates, key=_date_key, reverse=True)
        assert all(row["xdr_mc"] not in li.css_first("a").text() for li in g.css("li"))
    assert tree.css_first("a.xy-btn").attributes["href"] == "credit-report/"


def test_black_list_entry_highlighted_on_its_subject(demo: Demo):
    frame = demo.result.published("heimingdan").filter(pl.col("_subject").is_not_null())
    row = frame.row(0, named=True)
    tree = parse(demo.site / "subject" / subject_slug(row["_subject"]) / "index.html")
    alert = tree.css_first(".xy-alert")
    assert alert is not None and "黑名单" in alert.text()
    assert tree.css_first(".xy-summary li.xy-warn") is not None
    # A subject on no alert list has no highlight.
    quiet = parse(demo.site / "subject" / subject_slug(BUSY_CODE) / "index.html")
    assert quiet.css_first(".xy-alert") is None


def test_report_per_subject(demo: Demo):
    """信用报告: number, dates, identity, every record with every field, the rules, the
    permanent address with its QR code (inline SVG), the disclaimer; none for a person."""
    from generator.site.subject import report_number

    tree = parse(demo.site / "subject" / BUSY_CODE / "credit-report" / "index.html")
    text = tree.text()
    assert report_number(BUSY_CODE, demo.result.today) in text
    assert report_number(BUSY_CODE, demo.result.today) != report_number("x", demo.result.today)
    assert text.count("2026年11月22日") >= 2 and BUSY_CODE in text
    recs = tree.css(".xy-rrec")
    assert len(recs) == 50
    assert all(no in text for no in BUSY_NOS)
    url = f"{demo.config.site['site']['url']}subject/{BUSY_CODE}/credit-report/"
    assert tree.css_first(f".xy-verify a[href='{url}']") is not None
    svg = tree.css_first(".xy-verify svg")
    assert svg is not None and svg.attributes.get("role") == "img"
    assert "最长36个月" in text and "不是信用评价" in text
    person = find(demo, "xzcf", "wsh", PERSON_NO)
    assert person["_subject"] is None
    assert not [p for p in (demo.site / "subject").rglob("*.html") if "王小明" in p.read_text()]


def test_pager_marks_far_pages(demo: Demo):
    first = parse(demo.site / "xzxk" / "index.html").css_first("a[rel=next]")
    tree = parse(demo.site / "xzxk" / first.attributes["href"] / "index.html")
    items = tree.css("ul.xy-pages > li")
    far = [li.text() for li in items if "xy-far" in (li.attributes.get("class") or "")]
    near = [li.text() for li in items if "xy-far" not in (li.attributes.get("class") or "")]
    assert "首页" in far and not {"上一页", "下一页"} & set(far) and "上一页" in near
    assert tree.css_first("details.xy-facets") is not None


def test_every_search_box_has_a_placeholder_and_every_page_a_favicon(demo: Demo):
    for path in [demo.site / "xzcf" / "index.html", demo.site / "guide" / "repair" / "index.html"]:
        tree = parse(path)
        assert tree.css_first("#xy-q").attributes.get("placeholder")
        assert tree.css_first("link[rel=icon]") is not None
    assert (demo.site / "assets" / "xy" / "favicon.svg").is_file()


def test_home_sitemap_robots_404(demo: Demo):
    tree = parse(demo.site / "index.html")
    form = tree.css_first("form.xy-search")
    assert form.attributes["action"] == "search/" and tree.css_first("label[for=q]")
    assert "2026年11月22日" in tree.text()
    sitemap = (demo.site / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>(.*?)</loc>", sitemap)
    base = demo.config.site["site"]["url"]
    assert locs and all(u.startswith(base) for u in locs)
    assert all(
        (demo.site / u[len(base) :]).is_file()
        if u.endswith(".html")
        else (demo.site / u[len(base) :] / "index.html").is_file()
        for u in locs
    )
    assert f"Sitemap: {base}sitemap.xml" in (demo.site / "robots.txt").read_text(encoding="utf-8")
    assert "lastmod" not in sitemap
    # 404.html is served at any depth under any host: no asset to load (inline CSS and
    # script), links from the path of site.url, never the absolute canonical host.
    text = (demo.site / "404.html").read_text(encoding="utf-8")
    tree = parse(demo.site / "404.html")
    assert "credit.example.gov.cn" not in text
    assert not tree.css("link[rel=stylesheet], script[src]") and tree.css_first("style")
    assert all(
        a.attributes["href"].startswith(("/", "#", "https://beian", "https://www.beian"))
        for a in tree.css("a[href]")
    )


def test_two_builds_identical_bytes_with_two_workers(demo: Demo, tmp_path: Path):
    stats = build(demo, tmp_path / "site", workers=2)
    assert stats.files == demo.stats.files
    ours = {p.relative_to(demo.site): p.read_bytes() for p in files(demo.site)}
    theirs = {p.relative_to(tmp_path / "site"): p.read_bytes() for p in files(tmp_path / "site")}

    # Pagefind writes its filter files in hash-map order, so a fresh index differs in them
    # (and in the metadata and entry files naming them); its words and fragments do not.
    # An unchanged rebuild re-uses the previous index (test_incremental_rebuild).
    def stable(k: Path) -> bool:
        return not (
            k.parts[:2] == ("search", "pf")
            and (k.suffix in (".pf_filter", ".pf_meta") or k.name == "pagefind-entry.json")
        )

    assert {k for k in ours if stable(k)} == {k for k in theirs if stable(k)}
    assert [k for k in ours if stable(k) and ours[k] != theirs[k]] == []


def test_incremental_rebuild(demo: Demo, tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(demo.site, site)
    again = build(demo, site)
    assert (again.changed, again.removed) == (0, 0)
    # Withdraw one penalty: its page goes, the pages listing it change, nothing else.
    frame = demo.result.records["xzcf"]
    victim = demo.result.published("xzcf").sort("_id").row(0, named=True)["_id"]
    untouched = demo.result.published("xzxk").row(0, named=True)["_id"]
    inode = (site / "xzxk" / f"{untouched}.html").stat().st_ino
    changed = frame.with_columns(
        pl.when(pl.col("_id") == victim)
        .then(pl.lit("withdrawn"))
        .otherwise(pl.col("_status"))
        .alias("_status")
    )
    result = type(demo.result)(
        demo.result.today,
        {**demo.result.records, "xzcf": changed},
        demo.result.withdrawals,
        demo.result.issues,
        demo.result.files,
    )
    index_before = {p.relative_to(site) for p in files(site / "search" / "pf")}
    stats = build(demo, site, result)
    assert not (site / "xzcf" / f"{victim}.html").exists()
    # The search index is rebuilt: its chunks naming the changed subject get new names.
    index_gone = index_before - {p.relative_to(site) for p in files(site / "search" / "pf")}
    # The record page, and the subject page if it was its only one.
    assert 1 <= stats.removed - len(index_gone) <= 2
    assert 0 < stats.changed < stats.files // 10
    assert (site / "xzxk" / f"{untouched}.html").stat().st_ino == inode


def test_failed_build_leaves_previous_site(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from generator.site.pages import Pages

    site = tmp_path / "site"
    shutil.copytree(demo.site, site)
    before = sorted(str(p.relative_to(site)) for p in files(site))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Pages, "sitemap", boom)
    with pytest.raises(RuntimeError):
        build(demo, site)
    assert sorted(str(p.relative_to(site)) for p in files(site)) == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary tree left
    assert os.path.exists(site / "index.html")


def test_tree_writer_moves_new_files_and_links_unchanged_ones(tmp_path: Path):
    from generator.web.writer import TreeWriter

    prev, new, scratch = tmp_path / "prev", tmp_path / "new", tmp_path / "scratch"
    (prev / "pf").mkdir(parents=True)
    (prev / "pf" / "same.bin").write_bytes(b"abc")
    (prev / "pf" / "other.bin").write_bytes(b"abc")
    scratch.mkdir()
    for name, data in [("same.bin", b"abc"), ("other.bin", b"xyz"), ("fresh.bin", b"12345")]:
        (scratch / name).write_bytes(data)
    writer = TreeWriter(new, prev)
    sizes = [
        writer.move(f"pf/{n}", str(scratch / n)) for n in ("same.bin", "other.bin", "fresh.bin")
    ]
    assert sizes == [3, 3, 5] and list(scratch.iterdir()) == []
    assert (new / "pf" / "same.bin").stat().st_ino == (prev / "pf" / "same.bin").stat().st_ino
    assert (new / "pf" / "other.bin").read_bytes() == b"xyz"
    assert (prev / "pf" / "other.bin").read_bytes() == b"abc"  # the live tree is untouched
    assert (new / "pf" / "fresh.bin").read_bytes() == b"12345"
    assert (writer.counts.files, writer.counts.changed) == (3, 2)


def test_demo_keeps_lists_apart_and_news_spread_over_the_year(demo: Demo):
    """The demo reads as one city's year: no company on the red and the black list at
    once, and the news dated across the data's year, not only its first months."""
    red, black = (
        set(demo.result.published(ds).get_column("_subject").drop_nulls())
        for ds in ("hongmingdan", "heimingdan")
    )
    assert red and black and not red & black
    dates = sorted(
        re.search(r"^date: (\S+)", p.read_text(encoding="utf-8"), re.M).group(1)
        for p in (ROOT / "content" / "news").glob("*.md")
        if p.name != "index.md"
    )
    assert int(dates[-1][5:7]) - int(dates[0][5:7]) >= 8


def test_report_qr_code_decodes_to_the_reports_own_address():
    """The inline SVG, drawn module by module, reads back as the URL (zxing-cpp's reader)."""
    import re

    import zxingcpp

    from generator.site.subject import qr_svg

    url = "https://credit.example.gov.cn/credit/subject/91510100MA6C9ABCD1/credit-report/"
    svg = str(qr_svg(url))
    assert (
        svg.startswith('<svg role="img" aria-label=') and "<?xml" not in svg and " id=" not in svg
    )
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    scale = 4
    pixels = bytearray([255]) * (size * scale) ** 2
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    for x, y, dx, dy in re.findall(r"M(\d+) (\d+)h(\d+)v(\d+)", path):
        x, y, dx, dy = int(x), int(y), int(dx), int(dy)
        for row in range(y * scale, (y + dy) * scale):
            start = row * size * scale + x * scale
            pixels[start : start + dx * scale] = bytes(dx * scale)
    image = memoryview(pixels).cast("B", shape=[size * scale, size * scale])
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]
