"""Search: the index files (what is and is not in them) and the search page in Chromium,
served over HTTP at the root and under /credit/."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
import pytest
from browser import need_chromium
from make_fixtures import PERSON_ID
from site_demo import BUSY_CODE, BUSY_NOS, PERSON_NO, ROOT, Demo, demo, files

from generator.search import fnv1a, name_key
from generator.search.tokens import char_code, encode, filter_word, phrase, query

__all__ = ["demo"]


def a_company(demo: Demo) -> dict[str, Any]:
    """A legal person with a plain 统一社会信用代码 and a name of at least 8 characters."""
    frame = demo.result.published("xzcf")
    row = (
        frame.filter(
            (pl.col("xdr_lb") == "法人及非法人组织")
            & pl.col("xdr_shxym").str.contains(r"^[0-9A-Z]{18}$")
            & (pl.col("xdr_mc").str.len_chars() >= 10)
            & ~pl.col("xdr_mc").str.contains("[<（(]")
        )
        .sort("_id")
        .row(0, named=True)
    )
    return {"name": row["xdr_mc"], "code": row["xdr_shxym"]}


def bundle_text(demo: Demo) -> str:
    """Every index file, decompressed, as text (Pagefind gzips its files)."""
    out = []
    for path in files(demo.site / "search" / "pf"):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        out.append(data.decode("utf-8", "replace"))
    return "\n".join(out).replace("\u200b", "")  # Pagefind's segmenter adds them


# ---------------------------------------------------------------- the index files


def test_index_bundle_and_manifest(demo: Demo):
    manifest = json.loads((demo.site / "search/pf/manifest.json").read_text(encoding="utf-8"))
    assert [b["id"] for b in manifest["bundles"]] == ["main"]
    main = demo.site / "search/pf/main"
    assert (main / "pagefind.js").is_file() and (main / "pagefind-entry.json").is_file()
    assert not list(main.glob("pagefind-ui*")), "UI bundles are not published"
    entry = json.loads((main / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == ["zh"]
    assert manifest["bundles"][0]["pages"] == entry["languages"]["zh"]["page_count"]


def test_index_holds_no_person_withdrawn_record_or_id_number(demo: Demo):
    text = bundle_text(demo)
    c = a_company(demo)
    # The texts are indexed as words (tokens.encode) and shown as metadata in clear: look
    # for both forms, and check that the look-up does find what is published.
    assert c["name"] in text and encode(c["name"]) in text
    for absent in (PERSON_ID, "王小明", "示例市警告商贸有限公司"):
        # 王小明: a natural person, no subject page; the company: its only penalty withheld.
        assert absent not in text and encode(absent) not in text, absent
    assert "<script>" not in text


def test_manifest_names_and_filters(demo: Demo):
    pf = demo.site / "search/pf"
    manifest = json.loads((pf / "manifest.json").read_text(encoding="utf-8"))
    c = a_company(demo)
    key = name_key(c["name"])
    table = json.loads((pf / f"names/{fnv1a(key) % manifest['names']}.json").read_text("utf-8"))
    assert table[key][0][:2] == [f"subject/{c['code']}/", c["name"]]
    assert all(k != name_key("王小明") for n in range(manifest["names"])
               for k in json.loads((pf / f"names/{n}.json").read_text("utf-8")))  # fmt: skip
    years = [v for v, _ in manifest["filters"]["年份"]]
    assert years == sorted(years, reverse=True)
    columns = dict(manifest["filters"]["栏目"])
    assert columns["行政处罚"] > 0 and columns["政策法规"] == 6  # five documents and the 目录


def test_tokens_spell_han_text_as_ascii_pairs():
    assert encode("超过保质期") == " ".join(
        [char_code(a) + char_code(b) for a, b in zip("超过保质", "过保质期", strict=True)]
        + [char_code("期")]
    )
    assert query("超过保质期") == encode("超过保质期").rsplit(" ", 1)[0]  # no last character
    assert phrase("（第5批）企业抽查") == " ".join(encode("（第5批）企业抽查").split()[:-1])
    assert phrase("抽查（第5批") == encode("抽查（第5批")  # a one-character run keeps its word
    assert query("罚") == char_code("罚")  # a single character: matched as a prefix
    assert query("ＡＡＡ级") == f"0aaa {char_code('级')}"  # full-width letters: NFKC
    assert len({char_code(chr(c)) for c in range(0x4E00, 0xA000)}) == 0xA000 - 0x4E00
    assert char_code("\U00020000")[0] in "89" and len(char_code("\U00020000")) == 4
    assert all(w.isascii() and w.isalnum() for w in encode("示例市（第5批）“A”𠀀").split())


@pytest.fixture(scope="module")
def sharded(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The demo with small bundles (40 subjects in main, 40 in each more-*), served."""
    from browser import serve

    from generator.build import Paths, write_site
    from generator.search import SearchIndex
    from generator.search.documents import subject_docs
    from generator.web.model import prepare

    search = SearchIndex(main_subjects=40, more_subjects=40)
    base = tmp_path_factory.mktemp("sharded")
    paths = Paths(demo.data, base / "site", base / "work", ROOT / "site.yml")
    write_site(demo.result.view(demo.config), paths, index=search)
    schemas = demo.config.datasets()
    datasets = [prepare(demo.result.published(s.id), s) for s in schemas]
    words = {d.url: d.words for d in subject_docs(datasets, schemas)}
    url, httpd = serve(base / "site")
    yield url, search, words, str(base / "site")
    httpd.shutdown()
    httpd.server_close()


def test_bundles_tiered_by_document_length_recent_apart(sharded: tuple[str, Any]):
    search = sharded[1]
    ids = [b["id"] for b in search.bundles]
    more = ids[1:-1]
    assert ids[0] == "main" and ids[-1] == "recent" and len(more) >= 2
    assert all(re.fullmatch(r"more-[0-9a-f]+-\d+", b) for b in more)
    # main holds the subjects with the shortest documents (Pagefind ranks them first), then
    # then the more-* tiers in order: every tier's documents are at most as long as the next tier's.
    words = sharded[2]
    tiers = [[words[u] for u in search.subjects[b]] for b in ["main", *more]]
    assert all(max(t) <= min(n) for t, n in zip(tiers, tiers[1:], strict=False))
    assert len(search.subjects["main"]) <= 40
    assert all(len(search.subjects[b]) <= 50 for b in more)  # 40, small parts joined
    # recent repeats the most recently active subjects, for lists newest first.
    recent = search.bundles[-1]
    others = [b for b in search.bundles[:-1] if b["subjects"]]
    assert all(
        b["newest"] <= recent["oldest"]
        for b in others
        if set(search.subjects[b["id"]]).isdisjoint(search.subjects["recent"])
    )
    assert len(search.subjects["recent"]) == search.main_subjects
    manifest = json.loads((Path(sharded[3]) / "search/pf/manifest.json").read_text("utf-8"))
    assert [b["id"] for b in manifest["bundles"]] == ["main", *more]
    assert manifest["recent"]["id"] == "recent" and manifest["routes"] >= 1
    assert manifest["subjects"] == sum(len(search.subjects[b]) for b in ["main", *more])


def test_route_tables_name_the_bundles_that_hold_a_word(tmp_path: Path):
    from generator.search import _route_tables
    from generator.search.bundles import html_of, pack
    from generator.search.documents import RANK_TOP, render

    def doc(url: str, text: str):
        return render(url, text, [(text, 1)], {}, {}, "", "subject")

    groups = [
        ("main", [doc("a/", "甲乙丙"), doc("b/", "丁戊")]),
        ("more-1", [doc("c/", "甲乙己庚")]),
        ("more-2", [doc("d/", "甲乙辛")]),
        ("more-3", [doc("e/", "甲乙辛壬")]),
    ]
    for _, g in groups:
        g[:] = list(pack(g))
    routes = {w: held for table in _route_tables(groups) for w, held in table.items()}
    pair = lambda text: encode(text).split()[0]  # noqa: E731
    assert routes[pair("己庚")] == [1] and routes[pair("辛壬")] == [3]
    assert routes[pair("乙辛")] == [2, 3] and routes[pair("丁戊")] == []  # in main only
    assert pair("甲乙") not in routes  # in every more-<n>: no bundle to skip
    first = groups[0][1][0]
    assert first.words == len(encode("甲乙丙").split()) + 1  # + the mark in every document
    html = html_of(first).decode()
    assert f'data-pagefind-sort="rank">{RANK_TOP - first.words}<' in html


def test_title_tables_list_every_subject_holding_a_title():
    """A record title's entry counts every subject whose titles hold its words in a row —
    its own title or a longer one, never the words apart or across two titles — and lists
    the first TOP in Pagefind's order for a phrase (shorter documents first)."""
    from generator.search.documents import render
    from generator.search.titles import TOP, title_tables

    def subject(n: int, titles: list[str], words: int):
        doc = render(f"subject/{n:018d}/", f"主体{n}", [], {"summary": "行政处罚1条"}, {},
                     "", "subject")  # fmt: skip
        doc.titles, doc.words = titles, words
        return doc

    docs = [
        subject(1, ["超过保质期"], 30),
        subject(2, ["销售超过保质期的食品", "无证经营"], 20),  # a longer title holds it
        subject(3, ["超过", "保质期"], 10),  # the words apart: no
        subject(4, ["无证经营"], 5),
        subject(5, ["超过保质"], 1),  # a shorter title: holds 超过保质, not 超过保质期
        *(subject(100 + i, ["2025年排污单位执法检查（第3批）"], 40 + i) for i in range(TOP + 5)),
    ]
    table = {k: v for t in title_tables(docs) for k, v in t.items()}
    assert sorted(table) == sorted({phrase(t) for d in docs for t in d.titles})
    count, rows = table[phrase("超过保质期")]
    assert count == 2 and [r[0] for r in rows] == [docs[1].url, docs[0].url]  # shorter first
    assert rows[0][1:] == ["主体2", "行政处罚1条", "", "销售超过保质期的食品"]
    assert table[phrase("超过保质")][0] == 3  # 1, 2 and 5 (the phrase's last run is open)
    assert table[phrase("无证经营")][0] == 2 and table[phrase("保质期")][0] == 3
    count, rows = table[phrase("2025年排污单位执法检查（第3批）")]
    assert count == TOP + 5 and len(rows) == TOP and rows[0][0] == "subject/000000000000000100/"
    # In the file the page fetches: by the hash of the phrase's words.
    tables = title_tables(docs)
    key = phrase("无证经营")
    assert key in tables[fnv1a(key) % len(tables)]


# ---------------------------------------------------------------- in the browser


def search(page: Any, url: str, q: str = "", **params: str) -> list[dict[str, str]]:
    """Open the search page with a query; return the results shown (title, href, info)."""
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in {"q": q, **params}.items() if v)
    page.goto(f"{url}search/?{query}")
    page.wait_for_function(
        "() => /找到|没有找到/.test(document.getElementById('xy-status').textContent)"
    )
    return page.eval_on_selector_all(
        "#xy-results li",
        """els => els.map(li => ({title: li.querySelector('h2').textContent,
             href: li.querySelector('a').href, info: li.querySelector('p').textContent,
             text: li.textContent}))""",
    )


def test_document_number_finds_its_record_first(page, credit_url: str, demo: Demo):
    """A 行政处罚决定书文号 typed as people type it (full-width digits too) is looked up
    exactly, like a code: its record comes first, saying how it matched."""
    frame = demo.result.published("xzcf")
    for no in (BUSY_NOS[15], frame.filter(pl.col("xdr_lb") == "法人及非法人组织")["wsh"][0]):
        rid = frame.filter(pl.col("wsh") == no)["_id"][0]
        typed = no.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        results = search(page, credit_url, typed)
        assert results[0]["href"] == f"{credit_url}xzcf/{rid}.html", no
        assert "文号完全一致" in results[0]["info"]
        assert "条记录" in page.text_content("#xy-status")
    # A natural person's record is never looked up.
    assert search(page, credit_url, PERSON_NO) == []


@pytest.mark.parametrize("brackets", ["[]", "（）", "【】", "()"])
def test_document_number_with_other_brackets_is_exact_too(page, sharded, demo: Demo, brackets: str):
    """A 文号 typed with the brackets people use (示忙罚[2026]16号) is the same 文号, as
    takedowns match it: its record is looked up exactly, even when its subject is only in
    an older bundle, and no index file is fetched."""
    url, index, *_ = sharded
    frame = demo.result.published("xzcf")
    old = {u.split("/")[1] for b, urls in index.subjects.items() if b.startswith("more-")
           for u in urls}  # fmt: skip
    row = frame.filter(pl.col("_subject").is_in(old) & pl.col("wsh").str.contains("〔")).row(
        0, named=True
    )
    typed = row["wsh"].replace("〔", brackets[0]).replace("〕", brackets[1])
    results = search(page, url, typed)
    assert results[0]["href"] == f"{url}xzcf/{row['_id']}.html", (typed, results[:2])
    assert "文号完全一致" in results[0]["info"]
    assert not [u for u in page.requests if "/index/" in u]


def test_part_of_a_number_ranks_subjects_above_articles(page, base_url: str):
    """示忙罚 (the start of 50 文号 of one company) finds that company before any article."""
    results = search(page, base_url, "示忙罚")
    assert results and results[0]["href"] == f"{base_url}subject/{BUSY_CODE}/"


def test_full_name_finds_its_subject_first(page, base_url: str, demo: Demo):
    c = a_company(demo)
    results = search(page, base_url, c["name"])
    assert results[0]["title"] == c["name"]
    assert results[0]["href"] == f"{base_url}subject/{c['code']}/"


def test_name_fragment_finds_the_subject(page, base_url: str, demo: Demo):
    c = a_company(demo)
    fragment = c["name"][3:6]  # after 示例市 / 临江县: the trade name
    results = search(page, base_url, fragment)
    assert any(r["title"] == c["name"] for r in results), (fragment, results[:5])
    assert all(fragment in r["text"] for r in results)


@pytest.mark.parametrize("case", ["upper", "lower"])
def test_code_finds_its_subject_first(page, base_url: str, demo: Demo, case: str):
    c = a_company(demo)
    q = c["code"].upper() if case == "upper" else c["code"].lower()
    results = search(page, base_url, q)
    assert results[0]["title"] == c["name"]
    assert results[0]["href"] == f"{base_url}subject/{c['code']}/"
    assert len({r["href"] for r in results}) == len(results)  # not listed twice


@pytest.mark.parametrize("term", ["食品", "超过保质期", "无证经营"])
def test_penalty_terms(page, base_url: str, term: str):
    results = search(page, base_url, term)
    assert results, term
    # Substring semantics: every result shows the term in its title or excerpt.
    assert all(term in r["text"] for r in results), [r["text"] for r in results[:3]]


def test_filters_without_a_query(page, base_url: str, demo: Demo):
    results = search(page, base_url, 栏目="黑名单")
    assert results and all("黑名单" in r["info"] for r in results)
    year = str(demo.result.today.year)
    results = search(page, base_url, 栏目="行政处罚", 年份=year, sort="desc")
    assert results and all("行政处罚" in r["info"] for r in results)
    dates = [r["info"].rsplit(" · ", 1)[-1] for r in results]
    assert all(d.startswith(year) for d in dates[:1])


def found(page: Any) -> int:
    text = page.text_content("#xy-status")
    return int(text.split()[1]) if text.startswith("找到") else 0


def test_filters_with_a_query(page, base_url: str):
    search(page, base_url, "食品")
    everything = found(page)
    filtered = search(page, base_url, "食品", 栏目="行政处罚", 类别="罚款")
    assert 0 < found(page) < everything
    assert all("行政处罚" in r["info"] for r in filtered)
    # The filter menus are filled from the index and keep the chosen value.
    assert page.input_value("select[data-filter='栏目']") == "行政处罚"
    options = page.eval_on_selector_all("select[data-filter='部门'] option", "os => os.length")
    assert options > 2


def test_never_a_person_or_a_withdrawn_record(page, base_url: str):
    assert search(page, base_url, "王小明") == []
    assert search(page, base_url, "示例市警告商贸有限公司") == []
    assert search(page, base_url, PERSON_ID) == []


def test_hostile_name_shown_as_text(page, base_url: str):
    results = search(page, base_url, "测试")
    assert any("<b>测试</b>" in r["title"] for r in results)
    assert page.eval_on_selector_all("#xy-results b, #xy-results script", "e => e.length") == 0
    assert page.dialogs == []


def test_from_a_sub_path_with_no_third_party_request(page, credit_url: str, demo: Demo):
    c = a_company(demo)
    results = search(page, credit_url, c["code"].lower())
    assert results[0]["href"] == f"{credit_url}subject/{c['code']}/"
    results = search(page, credit_url, c["name"])
    assert results[0]["href"] == f"{credit_url}subject/{c['code']}/"
    assert page.requests and all(u.startswith(credit_url) for u in page.requests), page.requests


def test_header_box_leads_to_results(page, base_url: str, demo: Demo):
    c = a_company(demo)
    page.goto(f"{base_url}xzcf/")
    page.fill("#xy-q", c["name"])
    page.press("#xy-q", "Enter")
    # The list page has no status line: wait for the search page first (under load the
    # check could run before the browser had left the list page).
    page.wait_for_url("**/search/**")
    page.wait_for_function("() => /找到/.test(document.getElementById('xy-status')?.textContent)")
    assert page.text_content("#xy-results li h2") == c["name"]
    assert "q=" in page.url


def test_keyboard_only(page, base_url: str):
    page.goto(f"{base_url}search/")
    page.wait_for_function("() => !document.getElementById('xy-filters').hidden")
    focused = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id"))
        if focused[-1] == "q":
            break
    assert focused[-1] == "q"
    page.keyboard.type("无证经营")
    page.keyboard.press("Enter")
    page.wait_for_function("() => /找到/.test(document.getElementById('xy-status').textContent)")
    # Tab on through the button, the filters and the sort menu to the first result.
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                "document.activeElement.closest('li') ? 'result' : document.activeElement.id || document.activeElement.tagName"
            )
        )
        if seen[-1] == "result":
            break
    assert {"f-1", "f-2", "f-3", "f-4", "f-sort"} <= set(seen) and seen[-1] == "result", seen
    # Choose a filter with the keyboard: the results follow.
    page.focus("#f-1")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => location.search.includes('%E6%A0%8F%E7%9B%AE')")


def test_without_javascript_says_so(browser, base_url: str):
    need_chromium()
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(f"{base_url}search/")
    text = pg.inner_text("main")
    assert "需要浏览器启用 JavaScript" in text
    assert pg.eval_on_selector_all("main a[href='../xzcf/']", "e => e.length") == 1
    context.close()


def an_old_subject(demo: Demo, index: Any) -> tuple[str, str]:
    """(name, URL) of a legal person in neither main nor recent (only in a more-<n>)."""
    near = set(index.subjects["main"]) | set(index.subjects["recent"])
    names: dict[str, str] = {}
    for ds in demo.config.datasets():
        name = ds.role("subject_name")
        frame = demo.result.published(ds.id).filter(pl.col("_subject").is_not_null())
        for code, who in frame.select("_subject", name).iter_rows():
            names.setdefault(code, who)
    old = sorted(
        (code, who)
        for code, who in names.items()
        if f"subject/{code}/" not in near and re.fullmatch(r"[0-9A-Z]{18}", code) and len(who) >= 8
    )
    assert old, "no subject outside main and recent"
    code, name = old[0]
    return name, f"subject/{code}/"


def texts_but(demo: Demo, subject: str) -> str:
    """Every published text of every record except those of `subject` (its key)."""
    out = []
    for ds in demo.config.datasets():
        frame = demo.result.published(ds.id)
        frame = frame.filter(pl.col("_subject").is_null() | (pl.col("_subject") != subject))
        for col, dtype in frame.schema.items():
            if dtype == pl.Utf8 and not col.startswith("_"):
                out.extend(v for v in frame.get_column(col).to_list() if v)
    return "\n".join(out)


def test_exact_name_first_wider_search_on_request(page, base_url: str, demo: Demo):
    c = a_company(demo)
    results = search(page, base_url, c["name"])
    assert [r["title"] for r in results] == [c["name"]] and "名称完全一致" in results[0]["info"]
    assert not [u for u in page.requests if "/pf/main/index/" in u]  # no index file fetched
    page.click("#xy-wide")
    page.wait_for_function("() => !document.getElementById('xy-wide').offsetParent")
    page.wait_for_function("() => /找到/.test(document.getElementById('xy-status').textContent)")
    hrefs = page.eval_on_selector_all("#xy-results li a", "as => as.map(a => a.href)")
    assert hrefs[0] == f"{base_url}subject/{c['code']}/" and len(set(hrefs)) == len(hrefs)
    assert [u for u in page.requests if "/pf/main/index/" in u]


def test_filters_alone_fetch_one_index_file_newest_first(page, base_url: str):
    results = search(page, base_url, 栏目="行政处罚")
    assert len([u for u in page.requests if "/pf/main/index/" in u]) == 1
    dates = [r["info"].rsplit(" · ", 1)[-1] for r in results]
    key = [tuple(int(x) for x in re.findall(r"\d+", d)) for d in dates]
    assert len(results) == 20 and key == sorted(key, reverse=True)


def test_full_name_outside_main_found_by_the_name_table(page, sharded, demo: Demo):
    url, index, *_ = sharded
    name, subject = an_old_subject(demo, index)
    results = search(page, url, name)
    assert results[0]["href"] == f"{url}{subject}" and "名称完全一致" in results[0]["info"]
    assert len({r["href"] for r in results}) == len(results)  # not listed twice
    # Found by one look-up: no older bundle was fetched.
    assert not [u for u in page.requests if "/pf/more-" in u]


def test_term_only_in_an_old_subject_found_on_the_first_page(page, sharded, demo: Demo):
    """A term that only an old subject's records hold (the subject is in neither main nor
    recent): the page's default search finds it on its first page, merging only tiers
    the route tables name, and its count says which subjects it covered."""
    url, index, *_ = sharded
    name, subject = an_old_subject(demo, index)
    code = subject.split("/")[1]
    home = next(b for b, urls in index.subjects.items() if subject in urls and b != "recent")
    others = texts_but(demo, code)
    term = next(
        (name[i : i + n] for n in (3, 4, 5) for i in range(len(name) - n + 1)
         if re.fullmatch(r"[\u4e00-\u9fff]+", name[i : i + n]) and name[i : i + n] not in others),
        None,
    )  # fmt: skip
    assert term, name
    results = search(page, url, term)
    assert f"{url}{subject}" in [r["href"] for r in results[:20]], (term, results[:3])
    fetched = {u.split("/pf/")[1].split("/")[0] for u in page.requests if "/pf/more-" in u}
    assert home in fetched and len(fetched) <= 3, (fetched, home)  # the page's MAX_MERGED
    # The count says what it covered: every subject (the route tables rule out the tiers
    # not merged), or how many of them.
    total = sum(len(index.subjects[b]) for b in index.subjects if b != "recent")
    searched = sum(len(index.subjects[b]) for b in fetched | {"main"})
    status = page.text_content("#xy-status")
    assert (
        f"已搜索全站全部 {total} 个主体和全部文章" in status
        or f"本次只搜索了全站 {total} 个主体中的 {searched} 个和全部文章" in status
    ), status


def test_title_terms_rank_as_one_index_would(page, sharded, base_url: str, demo: Demo):
    """For record-title terms, the sharded page's first 10 results hold at least 80 % of
    what one index over every subject (the demo site) ranks in its first 10."""
    url = sharded[0]
    titles = demo.result.published("xzcf").get_column("wfxw").drop_nulls().unique().sort()
    terms = [t[:6] for t in titles.to_list() if len(t) >= 6][:8] + ["超过保质期", "食品", "经营"]
    shares = {}
    for term in terms:
        whole = [r["href"].removeprefix(base_url) for r in search(page, base_url, term)[:10]]
        part = [r["href"].removeprefix(url) for r in search(page, url, term)[:10]]
        if whole:
            shares[term] = len(set(whole) & set(part)) / len(whole)
    assert len(shares) >= 5 and sum(shares.values()) / len(shares) >= 0.8, shares


def test_record_title_answered_over_every_subject_in_one_fetch(page, sharded, base_url, demo):
    """A record title held by subjects in many bundles: the sharded page lists them from
    the title table (one small file, no more-* bundle), with the exact count of subjects
    over the whole site, in the order one Pagefind index over every subject gives the
    phrase's matches (the demo site's index, searched with the 查找…其他结果 button)."""
    from generator.web.model import prepare

    url, index, *_ = sharded
    frames = [prepare(demo.result.published(s.id), s).frame for s in demo.config.datasets()]
    holders = pl.concat([f.select("_subject", "_t1") for f in frames]).drop_nulls()
    counts = holders.unique().group_by("_t1").agg(pl.len()).sort("len", "_t1", descending=True)
    title, n = next((t, n) for t, n in counts.iter_rows() if len(t) >= 6 and 3 <= n <= 10)
    where = {b for b, urls in index.subjects.items() for u in urls if b != "recent"
             if u.split("/")[1] in set(holders.filter(pl.col("_t1") == title)["_subject"])}  # fmt: skip
    assert len(where) >= 2, where  # spread over bundles
    results = search(page, url, title)
    status = page.text_content("#xy-status")
    held = holders.filter(pl.col("_t1").str.contains(title, literal=True))["_subject"].n_unique()
    assert f"找到 {held} 个主体" in status and "已搜索全站全部主体" in status, status
    assert all(title in r["text"] for r in results) and len(results) == held
    assert not [u for u in page.requests if "/pf/more-" in u or "/pf/main/index/" in u]
    assert [u for u in page.requests if "/pf/titles/" in u]
    # The same subjects, in the same order, as Pagefind's own phrase search over one index.
    table = [r["href"].removeprefix(url) for r in results]
    search(page, base_url, title)
    page.click("#xy-wide")
    page.wait_for_function("() => !document.getElementById('xy-wide').offsetParent")
    page.wait_for_function("() => /找到/.test(document.getElementById('xy-status').textContent)")
    hrefs = page.eval_on_selector_all("#xy-results li a", "as => as.map(a => a.href)")
    assert [h.removeprefix(base_url) for h in hrefs][: len(table)] == table


def test_older_subjects_button_searches_every_bundle(page, sharded):
    url, index, *_ = sharded
    search(page, url, "有限公司")
    status = page.text_content("#xy-status")
    assert "本次只搜索了全站" in status and page.is_visible("#xy-older")
    recent = int(re.search(r"找到 (\d+) ", status).group(1))
    page.requests.clear()
    page.click("#xy-older")
    page.wait_for_function(
        "() => /找到/.test(document.getElementById('xy-status').textContent)"
        " && !/本次只/.test(document.getElementById('xy-status').textContent)"
    )
    fetched = {u.split("/pf/")[1].split("/")[0] for u in page.requests if "/pf/more-" in u}
    assert fetched == {b["id"] for b in index.bundles if b["id"].startswith("more-")}
    status = page.text_content("#xy-status")
    assert int(re.search(r"找到 (\d+) ", status).group(1)) > recent
    assert "已搜索全站全部" in status
    assert not page.is_visible("#xy-older")


def test_filters_alone_list_the_newest_from_the_recent_bundle(page, sharded):
    url, index, *_ = sharded
    results = search(page, url, 栏目="行政处罚")
    fetched = {u.split("/pf/")[1].split("/")[0] for u in page.requests if "/index/" in u}
    assert fetched == {"recent"}, fetched
    dates = [
        tuple(int(x) for x in re.findall(r"\d+", r["info"].rsplit(" · ", 1)[-1])) for r in results
    ]
    assert results and dates == sorted(dates, reverse=True)
    status = page.text_content("#xy-status")
    assert "最近有公示记录的 " in status, status


def test_title_with_digits_and_brackets(page, base_url: str, demo: Demo):
    titles = demo.result.published("shuangsuiji").get_column("rwmc").unique().sort()
    title = next(t for t in titles if "（第" in t and any(ch.isdigit() for ch in t))
    results = search(page, base_url, title)
    assert results and all(title in r["text"] for r in results), (title, results[:2])


def test_tokens_agree_with_the_page(page, base_url: str):
    """The page's tokens.js and generator/search/tokens.py split text the same way."""
    texts = ["超过保质期", "2025年特种设备使用单位抽查（第5批）", "ＧＢ 2760-2014 食品", "AAA级",
             "示例市〇〇一号", "𠀀𪚥字", "中文 mixed Text，句号。", "第5批"]  # fmt: skip
    page.goto(f"{base_url}search/")
    got = page.evaluate(
        """async (texts) => { const t = await import('../assets/xy/tokens.js');
           return texts.map((x) => [t.encode(x), t.query(x), t.phrase(x),
             t.decode(t.encode(x).replaceAll(" ", "\u200b. \u200b")).map(([p]) => p).join('').replace(/ +/g, "")
               === t.decode(t.encode(x)).map(([p]) => p).join('').replace(/ +/g, "") ? "same" : "differs",
             t.decode(t.encode(x)).map(([p]) => p).join('')]); }""",
        texts,
    )
    for text, (enc, q, ph, same, _) in zip(texts, got, strict=True):
        assert (enc, q, ph) == (encode(text), query(text), phrase(text)), text
        assert same == "same", (text, got)  # Pagefind's zero-width spaces and block ends ignored
    assert [b for *_, b in got][:4] == [
        "超过保质期", "2025年特种设备使用单位抽查（第5批）", "GB 2760-2014食品", "AAA级"]  # fmt: skip
    marks = page.evaluate(
        "async () => { const t = await import('../assets/xy/tokens.js');"
        " return [t.filterWord('栏目', '行政处罚'), t.filterWord('年份', '2025')]; }"
    )
    assert marks == [filter_word("栏目", "行政处罚"), filter_word("年份", "2025")]
    assert got[5][4] == "𠀀𪚥字" and got[6][4] == "中文MIXED TEXT，句号。"


def test_documents_are_flat_files_named_by_their_address(tmp_path: Path):
    from generator.search.bundles import pack, write_docs
    from generator.search.documents import Doc

    long = "policies/" + "示例市社会信用体系建设" * 10 + "/"
    docs = [Doc("subject/91990100MA0000000X/", "<p>a</p>"), Doc(long, "<p>b</p>"),
            Doc("subject/91990100MA0000000X", "<p>c</p>")]  # fmt: skip
    packed = list(pack(docs))
    assert [d.html for d in packed] == ["", "", ""]  # kept compressed, not in clear
    assert len({d.digest for d in packed}) == 3
    write_docs(packed, tmp_path / "docs")
    files = sorted((tmp_path / "docs").iterdir())
    assert len(files) == 3 and all(p.is_file() for p in files)
    assert all(len(p.name.encode()) <= 255 and p.name.endswith(".html") for p in files)
    assert (tmp_path / "docs" / "subject%2F91990100MA0000000X%2F.html").read_text() == "<p>a</p>"
