"""Benchmark the search stage (generator/search) at 1 M sample records, in the browser too.

Figures printed (no asserts; targets on the 2-core reference machine):

1. Index build: the search stage alone (`SearchIndex().write`) over the published records of
   the cached pipeline run (bench/out/records-<N>, as bench_export.py makes it), in a fresh
   child process. Printed: subjects (= subject documents), documents (+ narrative pages),
   bundles, build seconds (the stage only; loading and `prepare` are printed apart), and
   two peaks: the wrapper's RUSAGE_CHILDREN maximum (the largest single process: Python
   or one Pagefind service) and the sampled peak of the whole process tree (Python + the
   Pagefind processes running at once, summed RSS every 0.1 s) — the tree figure is the
   one compared with the target. Total index bytes = the bundle files the site serves.
   Targets: ≤ 6 GB peak RSS, ≤ 5 minutes.
2. Browser: a demo site (3 000 records, `python -m generator build`) provides the search
   page and its assets; an http.server thread on 127.0.0.1 serves it with /search/pf/
   answered from the 1 M index. For each query, a fresh Chromium context (no cache) loads
   the page, waits for the index to load, types the query and presses Enter. Bytes = the
   body bytes the server sent (counted server-side: Pagefind fetches from a worker, which
   page-level CDP events miss; the cache is disabled) of everything under /search/pf/ plus the
   code look-up (/subject/<code>/): "init" is what the page fetched before typing
   (pagefind.js, wasm, entry, filters), "query" after, "total" the sum compared with the
   target. Time = submit → first result <li> on the page. The code look-up fetches the
   subject page, which the demo site lacks at 1 M: a stub page is served for those codes.
   "merged" = the page merged `more-*` bundles (those the route tables name when main found
   less than a page, or in turn when main found nothing); the "click" row is the
   同时搜索其余主体 button after a fragment query. Targets: ≤ 500 KB, ≤ 500 ms.
3. Recall on a smaller sample (default 20 000 records): the same subject documents indexed
   sharded (main and more-* sizes set to main's share of the subjects at 1 M records, so
   main holds the same share) and as one unsharded index. 25 name queries (unique subject
   names) and 50 title queries (record titles; 4-character parts of them when there are
   fewer distinct titles) are typed into the real search page, once over each index:
   recall@10 = |page's first 10 ∩ unsharded page's first 10| / |unsharded first 10|. The
   unsharded side has no title tables (generator/search/titles.py): the truth is
   Pagefind's own ranking. 25 terms (4 Han characters out of a title, no title themselves,
   answered by the bundles, not the tables) are printed too, with no target. Bytes: the
   search files the sharded page fetched per query, its page load included (an upper
   bound: the browser's cache is not subtracted).
   Printed per group with the queries that merged older bundles (route tables) and those
   whose count says it covered part of the subjects. Record-level loss: published
   records of natural persons, which have no subject document (by design).

    .venv/bin/python bench/bench_search.py [--records 1000000] [--subjects N] [--skip-browser]
    .venv/bin/python bench/bench_search.py --recall-only [--recall-records 100000]
4. Rebuilds (--rebuild-only 100000): the stage alone over the cached records, then again
   over its own output with the same records (unchanged: no Pagefind run, every file
   linked) and over the records of a 1 % drop (bench_build.change_drop): seconds, share
   of the first build, bundles re-indexed.

    .venv/bin/python bench/bench_search.py --rebuild-only 100000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.server
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
from _measure import measure  # noqa: E402
from bench_check import sample  # noqa: E402
from browser import ARGS, CHROMIUM  # noqa: E402  (the test harness's Chromium and flags)

OUT = ROOT / "bench" / "out"
TODAY = dt.date(2026, 11, 22)
DEMO = OUT / "search-site"
TARGET_WALL, TARGET_PEAK = 300.0, 6 * 1024**3
TARGET_BYTES, TARGET_MS = 500_000, 500.0
SUBJECTS_1M = 250_000  # subjects at 1 M records as bench_build.py builds them: main's share is kept


# ---------------------------------------------------------------- preparation (not timed)
def records_cache(records: int, subjects: int | None = None) -> Path:
    cache = OUT / (f"records-{records}" + (f"-s{subjects}" if subjects else ""))
    if not (cache / ".complete").exists():
        data = sample(records, subjects)
        exporter = str(Path(__file__).parent / "bench_export.py")
        run = measure([sys.executable, exporter, "--_prepare", str(data), str(cache)], cwd=ROOT)
        print(f"pipeline over {records:,} rows in {run['wall']:.1f} s (not part of the figures)")
    return cache


def demo_site() -> Path:
    """The 3 000-record demo (search page and assets), rebuilt when the page's scripts change."""
    stale = any(
        not (DEMO / "assets/xy" / js).exists()
        or (DEMO / "assets/xy" / js).read_bytes()
        != (ROOT / "overrides/assets/xy" / js).read_bytes()
        for js in ("search.js", "tokens.js")
    )
    if stale or not (DEMO / "search" / "index.html").exists():
        shutil.rmtree(DEMO, ignore_errors=True)
        data = sample(3000)
        cmd = [sys.executable, "-m", "generator", "build", "--data", str(data), "--out", str(DEMO),
               "--work", str(OUT / "search-work"), "--today", TODAY.isoformat(),
               "--first-publication"]  # fmt: skip
        done = subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True, text=True)
        if done.returncode not in (0, 1):  # 1: the sample's deliberately bad rows rejected
            raise SystemExit(f"demo build failed:\n{done.stderr[-2000:]}")
    return DEMO


def narrative_urls(site: Path) -> list[str]:
    """The narrative pages of the demo site (article_docs reads them from there)."""
    from generator.site.narrative import page_urls

    keep = ("policies", "cases", "news", "guide", "about", "accessibility")
    return [u for u in page_urls(site) if u.split("/", 1)[0] in keep]


def load_datasets(cache: Path):
    import polars as pl

    from generator.config import load_config
    from generator.pipeline import Result
    from generator.web.model import prepare

    config = load_config(ROOT / "site.yml")
    schemas = config.datasets()
    records = {s.id: pl.read_parquet(cache / f"{s.id}.parquet") for s in schemas}
    result = Result(TODAY, records, pl.DataFrame(), [])
    return [prepare(result.published(s.id), s) for s in schemas], schemas, result


def ordered_subjects(datasets):
    """(url, code, name, date) of every subject in the stage's order (newest first)."""
    import polars as pl

    from generator.web.model import SUBJECT, subjects
    from generator.web.urls import subject_slug

    table = (
        subjects(datasets)
        .group_by(SUBJECT, maintain_order=True)
        .agg(pl.col("_date").drop_nulls().first(), pl.col("_name").drop_nulls().first())
    )
    rows = []
    for key, date, name in table.iter_rows():
        rows.append(
            (f"subject/{subject_slug(key)}/", key, name or key, date.isoformat() if date else "")
        )
    rows.sort(key=lambda r: (r[3], r[0]), reverse=True)
    return rows


# ---------------------------------------------------------------- 1. the measured child
class TreePeak(threading.Thread):
    """Sample the summed RSS of this process and its descendants."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psutil

        self.me = psutil.Process()
        self.peak = self.children_peak = 0
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            try:
                kids = self.me.children(recursive=True)
                rss_kids = 0
                for k in kids:
                    with contextlib.suppress(Exception):  # exited meanwhile
                        rss_kids += k.memory_info().rss
                total = self.me.memory_info().rss + rss_kids
                self.peak = max(self.peak, total)
                self.children_peak = max(self.children_peak, rss_kids)
            except Exception:  # noqa: BLE001
                pass
            time.sleep(0.1)


def index_child(cache: Path, out: Path, site: Path, sizes: str) -> None:
    from generator.search import SearchIndex
    from generator.web.writer import TreeWriter

    sampler = TreePeak()
    sampler.start()
    t0 = time.perf_counter()
    datasets, schemas, _ = load_datasets(cache)
    loaded = time.perf_counter() - t0
    shutil.rmtree(out, ignore_errors=True)
    main_n, more_n = (int(x) for x in sizes.split(","))
    stage = SearchIndex(main_subjects=main_n, more_subjects=more_n)
    t1 = time.perf_counter()
    stage.write(TreeWriter(out, None), datasets, schemas, site, narrative_urls(site),
                out.parent / f"{out.name}-scratch")  # fmt: skip
    wall = time.perf_counter() - t1
    sampler.stop = True
    order = ordered_subjects(datasets)
    in_main_urls = set(stage.subjects["main"]) | set(stage.subjects.get("recent", []))
    older = [r for r in order if r[0] not in in_main_urls]
    names = {}
    for r in order:
        names[r[2]] = names.get(r[2], 0) + 1
    # unique names, so a hit is the subject itself
    # an 18-character 统一社会信用代码 with a letter, so upper and lower case differ
    mains = [r for r in order if r[0] in set(stage.subjects["main"])]
    main = next((r for r in mains if names[r[2]] == 1 and len(r[1]) == 18
                 and re.search(r"[A-Z]", r[1])), mains[0])  # fmt: skip
    more = next((r for r in older if names[r[2]] == 1), older[0] if older else main)
    # the trade name (three characters after the district) of a subject in neither main nor
    # recent that no subject of main has in its name: found only in older bundles
    in_main = "".join(r[2] for r in mains)
    rare = ""
    for r in older:
        m = re.search(r"[县区]([\u4e00-\u9fff]{3})", r[2])
        if m and m.group(1) not in in_main:
            rare = m.group(1)
            break
    print(json.dumps({
        "wall": wall, "loaded": loaded, "subjects": len(order),
        "documents": sum(int(b["pages"]) for b in stage.bundles),
        "bundles": stage.bundles, "tree_peak": sampler.peak,
        "children_peak": sampler.children_peak,
        "main": main, "more": more, "rare": rare,
    }, ensure_ascii=False))  # fmt: skip


def part1(cache: Path, site: Path, records: int, sizes: str) -> dict:
    out = OUT / f"search-index-{cache.name.removeprefix('records-')}"
    figures = out.with_suffix(".json")
    run = measure([sys.executable, __file__, "--_index", str(cache), str(out), str(site), sizes],
                  stdout=figures, cwd=ROOT)  # fmt: skip
    if run["code"] != 0:
        raise SystemExit(f"index build failed with exit code {run['code']}")
    fig = json.loads(figures.read_text())
    size = sum(int(b["bytes"]) for b in fig["bundles"])
    more = [b for b in fig["bundles"] if b["id"].startswith("more-")]
    recent = [b for b in fig["bundles"] if b["id"] == "recent"]
    print(f"[1] index {records:,} records: {fig['subjects']:,} subjects → {fig['documents']:,} "
          f"documents in {len(fig['bundles'])} bundles (main + {len(more)} more-*"
          f"{' + recent' if recent else ''}; recent repeats main's share of subjects)")  # fmt: skip
    main = fig["bundles"][0]
    print(f"    main: {main['pages']:,} documents, {main['bytes'] / 1e6:.1f} MB; more-*: "
          f"{sum(int(b['pages']) for b in more):,} documents, "
          f"{sum(int(b['bytes']) for b in more) / 1e6:.1f} MB")  # fmt: skip
    print(f"    build {fig['wall']:.1f} s (stage only; loading + prepare {fig['loaded']:.1f} s, "
          f"process {run['wall']:.1f} s)")  # fmt: skip
    print(f"    peak RSS: process tree (Python + Pagefind processes at once, sampled) "
          f"{fig['tree_peak'] / 1024**2:,.0f} MB, of which Pagefind {fig['children_peak'] / 1024**2:,.0f} MB; "
          f"largest single process (RUSAGE_CHILDREN) {run['peak'] / 1024**2:,.0f} MB")  # fmt: skip
    routes = list((out / "search/pf/routes").glob("*.json"))
    print(f"    route tables {len(routes)} files, "
          f"{sum(p.stat().st_size for p in routes) / 1e6:.1f} MB")  # fmt: skip
    names = len(list((out / "search/pf/names").glob("*.json")))
    name_bytes = sum(p.stat().st_size for p in (out / "search/pf/names").glob("*.json"))
    print(f"    total index bytes {size / 1e6:.1f} MB; name tables {names} files, "
          f"{name_bytes / 1e6:.1f} MB ({name_bytes / max(names, 1) / 1e3:.1f} KB each)")  # fmt: skip
    ok = fig["wall"] <= TARGET_WALL and fig["tree_peak"] <= TARGET_PEAK
    print(f"    target ≤ {TARGET_WALL / 60:.0f} min and ≤ {TARGET_PEAK / 1024**3:.0f} GB: "
          f"{'met' if ok else 'MISSED'}")  # fmt: skip
    fig["out"] = str(out)
    return fig


# ---------------------------------------------------------------- serving
def serve(
    routes: dict[str, Path], stubs: dict[str, str]
) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve `routes` (URL prefix → folder, longest first) and stub subject pages."""
    prefixes = sorted(routes, key=len, reverse=True)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a) -> None:  # noqa: ANN002
            pass

        def translate_path(self, path: str) -> str:
            from urllib.parse import unquote

            path = unquote(path.split("?", 1)[0].split("#", 1)[0])
            for p in prefixes:
                if path.startswith(p):
                    return str(routes[p] / path[len(p) :])
            return str(routes["/"] / path.lstrip("/"))

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in stubs:
                body = stubs[path].encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                LOG.append((PHASE["name"], path, len(body)))
                return
            super().do_GET()
            local = self.translate_path(self.path)
            if os.path.isfile(local):
                LOG.append((PHASE["name"], path, os.path.getsize(local)))

    Handler.extensions_map = {**Handler.extensions_map, ".wasm": "application/wasm",
                              ".js": "text/javascript"}  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# ---------------------------------------------------------------- 2. browser
OBSERVE = """() => {
  window.__first = null; window.__status = [];
  const list = document.getElementById('xy-results');
  new MutationObserver(() => { if (window.__first === null && list.querySelector('li'))
    window.__first = performance.now(); }).observe(list, {childList: true});
  const st = document.getElementById('xy-status');
  new MutationObserver(() => window.__status.push([performance.now(), st.textContent]))
    .observe(st, {childList: true, characterData: true, subtree: true});
}"""
DONE = """(since) => window.__status.some(([t, s]) => t >= since && /^(找到|没有找到)/.test(s))"""


PHASE = {"name": "init"}
LOG: list[tuple[str, str, int]] = []  # (phase, path, body bytes) as the server sent them


def _tally() -> tuple[dict[str, int], dict[str, set]]:
    tally: dict[str, int] = {}
    more: dict[str, set] = {}
    for ph, path, n in list(LOG):
        if "/search/pf/" in path or path.startswith("/subject/"):
            tally[ph] = tally.get(ph, 0) + n
            m = re.search(r"/search/pf/(more-[0-9a-f]+-\d+)/", path)
            if m:
                more.setdefault(ph, set()).add(m.group(1))
    return tally, more


SET_FILTERS = """(filters) => {
  const sels = Object.entries(filters).map(([k, v]) => {
    const sel = document.querySelector(`select[data-filter='${k}']`);
    sel.value = v;
    return sel;
  });
  sels[sels.length - 1].dispatchEvent(new Event('change'));
}"""


async def one_query(browser, base: str, q: str, click: bool, filters: dict | None = None) -> dict:
    ctx = await browser.new_context()
    page = await ctx.new_page()
    cdp = await ctx.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    LOG.clear()
    phase = PHASE
    phase["name"] = "init"
    await page.goto(f"{base}/search/")
    await page.wait_for_function(
        "() => !document.getElementById('xy-filters').hidden", timeout=120_000
    )
    await page.evaluate(OBSERVE)
    await page.fill("#q", q)
    await asyncio.sleep(0.3)  # let init requests settle into the "init" tally
    phase["name"] = "query"
    t0 = await page.evaluate("() => performance.now()")
    if filters:
        await page.evaluate(SET_FILTERS, filters)
    else:
        await page.press("#q", "Enter")
    await page.wait_for_function(DONE, arg=t0, timeout=300_000)
    first = await page.evaluate("() => window.__first")
    tally, more = _tally()
    status = await page.evaluate("() => document.getElementById('xy-status').textContent")
    row = {
        "q": q, "init": tally.get("init", 0), "query": tally.get("query", 0),
        "ms": (first - t0) if first is not None else None, "status": status,
        "fallback": sorted(more.get("query", set())),
    }  # fmt: skip
    if click and await page.is_visible("#xy-older"):
        await asyncio.sleep(0.3)
        phase["name"] = "click"
        await page.evaluate("() => { window.__first = null; }")
        t1 = await page.evaluate("() => performance.now()")
        await page.click("#xy-older")
        await page.wait_for_function(DONE, arg=t1, timeout=300_000)
        t2 = await page.evaluate(
            f"() => window.__status.filter(([t, s]) => t >= {t1} && /^(找到|没有)/.test(s))[0][0]"
        )
        tally, more = _tally()
        row["click"] = {"bytes": tally.get("click", 0), "ms": t2 - t1,
                        "bundles": len(more.get("click", set())),
                        "status": await page.evaluate("() => document.getElementById('xy-status').textContent")}  # fmt: skip
    await ctx.close()
    return row


async def browse(base: str, queries: list[tuple[str, str, bool]]) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        rows = []
        for label, q, click, *filters in queries:
            row = await one_query(browser, base, q, click, *filters)
            row["label"] = label
            rows.append(row)
        await browser.close()
    return rows


def part2(fig: dict, site: Path) -> None:
    main_url, main_code, main_name, _ = fig["main"]
    more_url, _, more_name, _ = fig["more"]
    # a district or county (高新区, 临江县), and the two characters of the trade name after it
    district = re.search(r"(?:示例市)?([\u4e00-\u9fff]{2}[县区])", main_name)
    frag = district.group(1) if district else main_name[:3]
    start = district.end() if district else 3
    trade = main_name[start : start + 2]
    queries = [
        ("full name (main)", main_name, False),
        ("fragment (place)", frag, False),
        ("fragment (trade name)", trade, True),
        ("code upper", main_code.upper(), False),
        ("code lower", main_code.lower(), False),
        ("食品", "食品", False),
        ("超过保质期", "超过保质期", False),
        ("无证经营", "无证经营", False),
        (f"name in {_bundle_of(fig, more_url)}", more_name, False),
        ("older trade name (routed)", fig["rare"], False),
        ("filter 栏目, no query", "", False, {"栏目": "行政处罚"}),
        ("filter 年份+类别, no query", "", False, {"年份": "2025", "类别": "罚款"}),
        ("食品 + filter 栏目", "食品", False, {"栏目": "行政许可"}),
    ]
    stub = f'<!doctype html><html lang="zh"><body><h1>{main_name}</h1></body></html>'
    stubs = {f"/subject/{main_code.upper()}/": stub, f"/subject/{main_code.lower()}/": stub}
    server, base = serve({"/": site, "/search/pf/": Path(fig["out"]) / "search" / "pf"}, stubs)
    try:
        rows = asyncio.run(browse(base, queries))
    finally:
        server.shutdown()
    print(
        "[2] browser (fresh context per query; body bytes served under /search/pf/ + code look-up, counted by the server)"
    )
    print(
        f"    {'query':<34} {'init KB':>8} {'query KB':>9} {'total KB':>9} {'first ms':>9}  result"
    )
    worst_b = worst_ms = 0.0
    for r in rows:
        total = r["init"] + r["query"]
        ms = r["ms"]
        worst_b, worst_ms = max(worst_b, total), max(worst_ms, ms or 0)
        fb = f"; merged {len(r['fallback'])} more-* bundles" if r["fallback"] else ""
        label = f"{r['label']}: {r['q']}" if r["q"] else r["label"]
        print(f"    {label:<34} {r['init'] / 1e3:8.0f} {r['query'] / 1e3:9.0f} {total / 1e3:9.0f} "
              f"{(f'{ms:.0f}' if ms is not None else '-'):>9}  {r['status']}{fb}")  # fmt: skip
        if "click" in r:
            c = r["click"]
            print(f"      click 同时搜索其余主体: +{c['bytes'] / 1e3:.0f} KB, {c['ms']:.0f} ms to results "
                  f"({c['bundles']} more-* bundles merged) — {c['status']}")  # fmt: skip
    print(f"    max per query {worst_b / 1e3:.0f} KB, {worst_ms:.0f} ms to first result; target "
          f"≤ {TARGET_BYTES / 1e3:.0f} KB and ≤ {TARGET_MS:.0f} ms: "
          f"{'met' if worst_b <= TARGET_BYTES and worst_ms <= TARGET_MS else 'MISSED'} "
          f"(the click is not a query: printed apart)")  # fmt: skip


def _bundle_of(fig: dict, url: str) -> str:
    return "more-*"


# ---------------------------------------------------------------- 3. recall
# the first 10 results' addresses without the /s/ or /u/ the two sides are served under
TOP10 = """() => [...document.querySelectorAll('#xy-results li a')].slice(0, 10)
  .map((a) => new URL(a.href).pathname.split('/').slice(2).join('/'))"""


def recall_child(cache: Path, out: Path, site: Path, main_subjects: int) -> None:
    from generator.search import MAIN_SUBJECTS, MORE_SUBJECTS, SearchIndex
    from generator.web.writer import TreeWriter

    datasets, schemas, _ = load_datasets(cache)
    urls = narrative_urls(site)
    shutil.rmtree(out, ignore_errors=True)
    # more-* bundles hold MORE_SUBJECTS / MAIN_SUBJECTS times main's subjects, as at 1 M
    more = round(main_subjects * MORE_SUBJECTS / MAIN_SUBJECTS)
    sharded = SearchIndex(main_subjects=main_subjects, more_subjects=more)
    sharded.write(TreeWriter(out / "sharded", None), datasets, schemas, site, urls, out / "s1")
    whole = SearchIndex(main_subjects=10**9, titles=False)  # the truth: Pagefind alone
    whole.write(TreeWriter(out / "unsharded", None), datasets, schemas, site, urls, out / "s2")
    order = ordered_subjects(datasets)
    rng = random.Random(20261122)
    names = {}
    for r in order:
        names[r[2]] = names.get(r[2], 0) + 1
    near = set(sharded.subjects["main"])
    picks = rng.sample([r for r in order if names[r[2]] == 1], 25)
    titles = sorted({t for ds in datasets for t in ds.frame.filter(
        ds.frame["_subject"].is_not_null()).get_column("_t1").unique().to_list() if t})  # fmt: skip
    tq = rng.sample(titles, min(50, len(titles)))
    while len(tq) < 50 and titles:  # few distinct titles: add 4-character parts of them
        t = rng.choice(titles).replace(" ", "")
        if len(t) > 4:
            i = rng.randrange(len(t) - 3)
            if t[i : i + 4] not in tq:
                tq.append(t[i : i + 4])
    # Terms: 4 Han characters out of a title that are no title themselves (the title
    # tables do not answer them: the bundles do).
    whole_titles, terms = set(titles), []
    for t in rng.sample(titles, len(titles)):
        runs = re.findall(r"[\u4e00-\u9fff]{5,}", t)
        if runs:
            r = rng.choice(runs)
            i = rng.randrange(len(r) - 3)
            if r[i : i + 4] not in whole_titles and r[i : i + 4] not in terms:
                terms.append(r[i : i + 4])
        if len(terms) == 25:
            break
    print(json.dumps({
        "subjects": len(order), "main_share": main_subjects,
        "bundles": [b["id"] for b in sharded.bundles],
        "names": [[r[2], r[0], r[0] in near] for r in picks], "titles": tq, "terms": terms,
    }, ensure_ascii=False))  # fmt: skip


async def _page_tops(base: str, queries: list[str]) -> list[dict]:
    """Each query typed into the real search page over the sharded index (/s/) and over
    the unsharded one (/u/): the first 10 results' addresses, and the more-* fetched."""
    from urllib.parse import quote

    from playwright.async_api import async_playwright

    rows = []
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await b.new_page()
        for q in queries:
            row: dict = {"q": q}
            for side in ("s", "u"):
                LOG.clear()
                await page.goto(f"{base}/{side}/search/?q={quote(q)}")
                await page.wait_for_function(
                    "() => /^(找到|没有找到)/.test(document.getElementById('xy-status').textContent)",
                    timeout=120_000,
                )
                row[side] = await page.evaluate(TOP10)
                if side == "s":
                    row["status"] = await page.text_content("#xy-status")
                    row["bytes"] = sum(
                        n for _, path, n in list(LOG) if path.startswith("/s/search/pf/")
                    )
                    row["merged"] = sorted({m.group(1) for _, path, _ in list(LOG)
                                            if (m := re.search(r"/pf/(more-[0-9a-f]+-\d+)/", path))})  # fmt: skip
            rows.append(row)
        await b.close()
    return rows


def part3(
    records: int, ratio: float, site: Path, browser: bool, subjects: int | None = None
) -> None:
    cache = records_cache(records, subjects)
    if not browser:
        _, _, result = load_datasets(cache)
        loss_line(result, records)
        return

    tag = f"{records}" + (f"-s{subjects}" if subjects else "")
    out = OUT / f"search-recall-{tag}"
    figures = OUT / f"search-recall-{tag}.json"
    # the main share of subjects at 1 M, applied to this sample
    datasets, _, result = load_datasets(cache)
    n = len(ordered_subjects(datasets))
    main_subjects = max(20, round(n * ratio))
    run = measure([sys.executable, __file__, "--_recall", str(cache), str(out), str(site), str(main_subjects)],
                  stdout=figures, cwd=ROOT)  # fmt: skip
    if run["code"] != 0:
        raise SystemExit(f"recall build failed with exit code {run['code']}")
    fig = json.loads(figures.read_text())
    queries = [q for q, _, _ in fig["names"]] + fig["titles"] + fig.get("terms", [])
    routes = {"/s/search/pf/": out / "sharded" / "search" / "pf",
              "/u/search/pf/": out / "unsharded" / "search" / "pf", "/s/": site, "/u/": site,
              "/": site}  # fmt: skip
    server, base = serve(routes, {})
    try:
        rows = asyncio.run(_page_tops(base, queries))
    finally:
        server.shutdown()
    (OUT / f"search-recall-{tag}-pages.json").write_text(
        json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print_recall(fig, rows, records, ratio)
    loss_line(result, records)


def print_recall(fig: dict, rows: list[dict], records: int, ratio: float) -> None:
    def rec(got: list[str], truth: list[str]) -> float:
        return len(set(got) & set(truth)) / len(truth)

    n, t = len(fig["names"]), len(fig["titles"])
    groups = {"names": rows[:n], "titles": rows[n : n + t], "terms": rows[n + t :]}
    more = sum(1 for b in fig["bundles"] if b.startswith("more-"))
    print(f"[3] recall@10 on {records:,} records, the search page itself over a sharded and an "
          f"unsharded index: {fig['subjects']:,} subjects, main holds {fig['main_share']:,} "
          f"({ratio:.1%}, the 1 M share), {more} more-* bundles (+ recent)")  # fmt: skip
    for label, rs in groups.items():
        none = [r["q"] for r in rs if not r["u"]]
        if none:
            print(f"    {label}: {len(none)} of {len(rs)} queries find nothing even unsharded "
                  f"(left out), e.g. {', '.join(none[:3])}")  # fmt: skip
        rs = [r for r in rs if r["u"]]
        if not rs:
            continue
        shares = [rec(r["s"], r["u"]) for r in rs]
        merged = sum(1 for r in rs if r["merged"])
        partial = sum(1 for r in rs if "本次只搜索了" in (r["status"] or ""))
        worst = sorted(zip(shares, [r["q"] for r in rs], strict=True))[:3]
        sizes = sorted(r.get("bytes", 0) for r in rs)
        target = "" if label == "terms" else " (target ≥ 80 %)"
        print(f"    {label:<6} ({len(rs)} queries): recall@10 {sum(shares) / len(shares):.1%}"
              f"{target}; {merged} merged older bundles (routes); {partial} counts say "
              f"they covered part of the subjects; lowest: "
              + ", ".join(f"{q} {v:.0%}" for v, q in worst))  # fmt: skip
        print(f"           search files fetched per query (page load included): median "
              f"{sizes[len(sizes) // 2] / 1e3:.0f} KB, largest {sizes[-1] / 1e3:.0f} KB")  # fmt: skip
    found = sum(
        any(u.strip("/").endswith(url.strip("/")) for u in r["s"])
        for (_, url, _), r in zip(fig["names"], groups["names"], strict=True)
    )
    print(f"    named subject in the page's top 10: {found} of {len(groups['names'])}")


def loss_line(result, records: int) -> None:
    import polars as pl

    from generator.web.model import SUBJECT

    total = natural = 0
    for ds in result.records:
        f = result.published(ds)
        total += f.height
        natural += f.filter(pl.col(SUBJECT).is_null()).height
    print(f"    record-level loss at {records:,}: {natural:,} of {total:,} published records "
          f"({natural / max(total, 1):.1%}) belong to natural persons — no subject document, "
          f"not searchable by design")  # fmt: skip


# ---------------------------------------------------------------- 4. rebuilds
def drop_cache(records: int) -> Path:
    """The records of the sample changed as bench_build.change_drop changes it (1 %)."""
    cache = OUT / f"records-{records}-drop"
    if not (cache / ".complete").exists():
        from bench_build import change_drop

        data = OUT / f"sample-{records}-drop"
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(sample(records), data)
        change_drop(data)
        exporter = str(Path(__file__).parent / "bench_export.py")
        measure([sys.executable, exporter, "--_prepare", str(data), str(cache)], cwd=ROOT)
    return cache


def rebuild_child(first: Path, changed: Path, out: Path) -> None:
    """The stage over `first`, again over itself (unchanged) and over `changed` (1 % drop),
    each with the previous tree and the render cache of the first (as a build has them)."""
    import generator.search as search
    from generator.web.cache import RenderCache
    from generator.web.writer import TreeWriter

    shutil.rmtree(out, ignore_errors=True)
    runs: list[list[str]] = []
    real = search.index_bundles

    def spy(jobs, timeout):  # noqa: ANN001, ANN202
        runs.append([o.name for *_, o in jobs])
        return real(jobs, timeout)

    search.index_bundles = spy
    rows = {}
    for name, cache, prev in (("first", first, None), ("unchanged", first, "first"),
                              ("drop", changed, "first")):  # fmt: skip
        datasets, schemas, _ = load_datasets(cache)
        writer = TreeWriter(out / name, out / prev if prev else None, track=True)
        writer.cache = RenderCache(out / "work", ["bench"])
        runs.clear()
        stage = search.SearchIndex()
        t0 = time.perf_counter()
        stage.write(writer, datasets, schemas, Path("/nonexistent"), [], out / "scratch")
        wall = time.perf_counter() - t0
        if name == "first":
            writer.cache.save(writer.counts.stamps)
        rows[name] = {"wall": wall, "bundles": len(stage.bundles),
                      "indexed": runs[0] if runs else [], "load": os.getloadavg()[0]}  # fmt: skip
    print(json.dumps(rows))


def part4(records: int) -> None:
    first, changed = records_cache(records), drop_cache(records)
    out = OUT / f"search-rebuild-{records}"
    figures = out.with_suffix(".json")
    run = measure([sys.executable, __file__, "--_rebuild", str(first), str(changed), str(out)],
                  stdout=figures, cwd=ROOT)  # fmt: skip
    if run["code"] != 0:
        raise SystemExit(f"rebuild measurement failed with exit code {run['code']}")
    rows = json.loads(figures.read_text())
    print(f"[4] the stage alone at {records:,} records (no narrative pages): first build, "
          f"unchanged rebuild and a 1 % drop over it (bench_build.change_drop)")  # fmt: skip
    for name, r in rows.items():
        share = r["wall"] / rows["first"]["wall"]
        print(f"    {name:<9} {r['wall']:7.1f} s ({share:.0%} of the first), Pagefind runs "
              f"{len(r['indexed'])} of {r['bundles']} bundles, load {r['load']:.1f}")  # fmt: skip
    shutil.rmtree(out, ignore_errors=True)


# ---------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--recall-records", type=int, default=20_000)
    parser.add_argument("--recall-subjects", type=int, default=None,
                        help="subjects the recall sample names (default: the sample's)")  # fmt: skip
    parser.add_argument(
        "--subjects", type=int, default=None,
        help="subjects the sample names (default: the sample's, 59 855 at 1 M records)",
    )  # fmt: skip
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--recall-only", action="store_true", help="part 3 only")
    parser.add_argument("--main", type=int, default=None, help="subjects in the main bundle")
    parser.add_argument("--more", type=int, default=None, help="subjects in each more-* bundle")
    parser.add_argument("--_index", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--_recall", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--_rebuild", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument(
        "--rebuild-only", type=int, metavar="RECORDS",
        help="part 4 only: the stage's first build, unchanged rebuild and 1 %% drop",
    )  # fmt: skip
    args = parser.parse_args()
    if args._index:
        index_child(*map(Path, args._index[:3]), args._index[3])
        return
    if args._recall:
        recall_child(*map(Path, args._recall[:3]), int(args._recall[3]))
        return
    if args._rebuild:
        rebuild_child(*map(Path, args._rebuild))
        return
    if args.rebuild_only:
        part4(args.rebuild_only)
        return
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load {load[0]:.1f} at start; python "
          f"{sys.version.split()[0]}; today={TODAY}")  # fmt: skip
    site = demo_site()
    from generator.search import MAIN_SUBJECTS, MORE_SUBJECTS

    main_n, more_n = args.main or MAIN_SUBJECTS, args.more or MORE_SUBJECTS
    if args.recall_only:  # main's share of the subjects as at 1 M records
        part3(args.recall_records, main_n / SUBJECTS_1M, site, True, args.recall_subjects)
        return
    cache = records_cache(args.records, args.subjects)
    fig = part1(cache, site, args.records, f"{main_n},{more_n}")
    _, _, result = load_datasets(cache)
    loss_line(result, args.records)
    del result
    if not args.skip_browser:
        part2(fig, site)
    share = main_n / max(fig["subjects"], SUBJECTS_1M)  # as at 1 M records at least
    part3(args.recall_records, share, site, not args.skip_browser, args.recall_subjects)
    print(f"load {os.getloadavg()[0]:.1f} at end (2 cores: above 2 means contended)")


if __name__ == "__main__":
    main()
