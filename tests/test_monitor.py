"""信用监测 (generator/monitor): working days, first-seen dates, department figures, the
office partial and 通报 draft, the public /jiance/ page, and the weekly history demo."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
from conftest import DEPT, ORG, ORG2, ROOT, XZCF_HEADER, penalty, write_csv

from generator.cli import main
from generator.config import Config, load_config
from generator.disclose import PUBLISHED
from generator.monitor import Monitor, previous_month
from generator.monitor.calendar import WorkCalendar
from generator.monitor.office import write_draft
from generator.monitor.public import write_public
from generator.monitor.records import NO_DEPT, directory, first_seen
from generator.opendata.ledger import empty, update
from generator.pipeline import run
from generator.report import accounting
from generator.sample.history import write_history
from generator.web.chrome import Chrome
from generator.web.writer import TreeWriter

# 2025: 国庆 and 中秋 from 10-01 to 10-08; 09-28 (Sunday) and 10-11 (Saturday) are 调休 workdays.
FRIDAY_BEFORE = dt.date(2025, 9, 26)


def days(start: dt.date, end: dt.date) -> int | None:
    cal = WorkCalendar.between(start, end)
    frame = pl.DataFrame({"a": [start], "b": [end]})
    return cal.working_days(frame, "a", "b", "n").get_column("n")[0]


def test_calendar_counts_holidays_and_make_up_saturday():
    assert days(FRIDAY_BEFORE, dt.date(2025, 10, 13)) == 7
    assert days(FRIDAY_BEFORE, dt.date(2025, 10, 14)) == 8
    # The 调休 Saturday 2025-10-11 is a working day; an ordinary Saturday is not.
    assert days(dt.date(2025, 10, 10), dt.date(2025, 10, 11)) == 1
    assert days(dt.date(2025, 10, 17), dt.date(2025, 10, 18)) == 0
    assert days(dt.date(2025, 10, 17), dt.date(2025, 10, 17)) == 0


def test_unknown_year_falls_back_to_weekdays_and_says_so():
    cal = WorkCalendar.between(dt.date(2099, 1, 1), dt.date(2099, 1, 12))
    assert cal.fallback_years == [2099]
    assert "周一至周五" in cal.note()
    frame = pl.DataFrame({"a": [dt.date(2099, 1, 2)], "b": [dt.date(2099, 1, 9)]})  # Fri → Fri
    assert cal.working_days(frame, "a", "b", "n").get_column("n")[0] == 5
    assert WorkCalendar.between(dt.date(2025, 1, 1), dt.date(2025, 2, 1)).note() == ""


def submitted_drop(data: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """行政处罚 rows (name, 文书号, decision date, 报送时间) with the drop's own 报送时间."""
    body = [[*penalty(name, ORG, no, date=decided), sent] for name, no, decided, sent in rows]
    write_csv(data / "xzcf" / "处罚.csv", [[*XZCF_HEADER, "处罚入库时间"], *body])


def test_seven_working_days_on_time_eight_late(tmp_path: Path, config: Config):
    submitted_drop(
        tmp_path,
        [
            ("示例市准时商贸有限公司", "示测罚〔2025〕1号", "2025-09-26", "2025-10-13 16:30:00"),
            ("示例市逾期商贸有限公司", "示测罚〔2025〕2号", "2025-09-26", "2025-10-14"),
        ],
    )
    result = run(tmp_path, config, dt.date(2025, 10, 20))
    rows = Monitor.compute(result, config, empty()).rows.sort("days")
    assert rows.get_column("status").to_list() == [PUBLISHED, PUBLISHED]
    assert rows.get_column("measured").to_list() == [True, True]  # 报送时间: no ledger needed
    assert rows.get_column("days").to_list() == [7, 8]
    assert rows.get_column("late").to_list() == [False, True]
    assert rows.get_column("dept").to_list() == ["示例市市场监督管理局"] * 2


def test_deadline_per_dataset_is_configuration(tmp_path: Path, config: Config):
    submitted_drop(
        tmp_path, [("示例市逾期商贸有限公司", "示测罚〔2025〕2号", "2025-09-26", "2025-10-14")]
    )
    site = {**config.site, "monitoring": {"working_days": 7, "deadlines": {"xzcf": 10}}}
    relaxed = dataclasses.replace(config, site=site)
    result = run(tmp_path, relaxed, dt.date(2025, 10, 20))
    rows = Monitor.compute(result, relaxed, empty()).rows
    assert rows.get_column("deadline").to_list() == [10]
    assert rows.get_column("late").to_list() == [False]


def build_ledger(result, ledger: pl.DataFrame, config: Config) -> pl.DataFrame:
    """This build's ledger, as the open-data stage writes it (hashes do not matter here)."""
    current = pl.concat(
        result.published(ds).select(pl.lit(ds).alias("dataset"), pl.col("_id").alias("id"),
                                    pl.lit("h").alias("hash"))
        for ds in result.records
    )  # fmt: skip
    return update(ledger, current, result.view(config).gone, result.today)[0]


def small_drop(data: Path, rows: list[list[str]], withdraw: list[str] = ()) -> None:
    write_csv(data / "xzcf" / "处罚.csv", [XZCF_HEADER, *rows])
    if withdraw:
        write_csv(
            data / "withdrawals" / "撤下.csv",
            [["数据集", "决定文书号", "决定机关统一社会信用代码", "撤下原因", "撤下日期"],
             *(["行政处罚", no, DEPT, "撤销", "2026-11-01"] for no in withdraw)],
        )  # fmt: skip


def test_first_seen_survives_rebuilds_and_withdrawals(tmp_path: Path, config: Config):
    a = penalty("示例市甲商贸有限公司", ORG, "示测罚〔2026〕31号", date="2026-09-01")
    b = penalty("示例市乙商贸有限公司", ORG2, "示测罚〔2026〕32号", date="2026-09-28")
    builds = [
        (dt.date(2026, 9, 7), [a], []),
        (dt.date(2026, 10, 12), [a, b], []),  # b first seen 6 working days after 09-28
        (dt.date(2026, 10, 19), [a, b], []),  # a rebuild: nothing new
        (dt.date(2026, 11, 2), [a, b], ["示测罚〔2026〕32号"]),  # b withdrawn
        (dt.date(2026, 11, 9), [a, b], []),  # b back (withdrawal list gone)
    ]
    ledger = empty()
    seen_b: list[dt.date] = []
    for i, (today, rows, withdraw) in enumerate(builds):
        small_drop(tmp_path / f"d{i}", rows, withdraw)
        result = run(tmp_path / f"d{i}", config, today)
        monitor = Monitor.compute(result, config, ledger)
        timed = monitor.rows.filter(pl.col("dataset") == "xzcf").sort("decided")
        if i >= 1:
            seen_b.append(timed.get_column("public")[1])
            # 09-29, 09-30, 10-08, 10-09, 10-10 (调休 Saturday), 10-12
            assert timed.get_column("days")[1] == 6
            assert timed.get_column("late")[1] is False
        # a was public when the ledger began: its day is known, its timeliness is not.
        assert timed.get_column("public")[0] == dt.date(2026, 9, 7)
        assert timed.get_column("measured")[0] is False
        ledger = build_ledger(result, ledger, config)
    assert seen_b == [dt.date(2026, 10, 12)] * 4
    assert set(ledger.get_column("event")) == {"added", "withdrawn"}
    seen, start = first_seen(ledger)
    assert start == dt.date(2026, 9, 7)
    assert sorted(seen.get_column("seen").to_list()) == [dt.date(2026, 9, 7), dt.date(2026, 10, 12)]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("history")
    write_history(out, weeks=6, records=400, seed=1, anchor=dt.date(2026, 10, 26))
    return out


def weeks(history: Path) -> list[tuple[str, dt.date]]:
    lines = (history / "weeks.tsv").read_text(encoding="utf-8").splitlines()
    return [(f, dt.date.fromisoformat(d)) for f, d in (line.split("\t") for line in lines)]


def test_history_drops_are_weekly_and_cumulative(history: Path):
    dates = [d for _, d in weeks(history)]
    assert len(dates) == 6 and dates[-1] == dt.date(2026, 10, 26)
    assert all((b - a).days == 7 for a, b in zip(dates, dates[1:], strict=False))
    before: set[tuple[str, ...]] = set()
    for folder, _ in weeks(history):
        with open(history / folder / "xzcf" / "行政处罚.csv", encoding="utf-8-sig") as fh:
            rows = {tuple(r) for r in csv.reader(fh)}
        assert before <= rows and len(rows) >= len(before)
        before = rows
    assert len(before) > 50


@pytest.fixture(scope="module")
def replayed(history: Path, config: Config) -> Monitor:
    """Every weekly drop run in order, the ledger carried from one to the next."""
    ledger = empty()
    monitor = None
    for folder, day in weeks(history):
        result = run(history / folder, config, day)
        monitor = Monitor.compute(result, config, ledger)
        ledger = build_ledger(result, ledger, config)
    assert monitor is not None
    return monitor


def test_department_table_reconciles_with_the_accounting(replayed: Monitor):
    table = replayed.departments()
    parts = ["published", "withdrawn", "rejected", "merged"]
    assert table.select((pl.col("received") == pl.sum_horizontal(parts)).all()).item()
    total = accounting(replayed.result, load_config(ROOT / "site.yml"))["total"]
    for key, col in [("read", "received"), *((p, p) for p in parts)]:
        assert int(table.get_column(col).sum()) == total[key]
    assert table.get_column("measured").sum() > 0
    # The slow departments of the demo are late, the prompt ones are not.
    late = dict(table.select("dept", "late").iter_rows())
    assert late["示例市住房和城乡建设局"] > 0 and late["示例市市场监督管理局"] == 0


def test_department_directory_normalises_names(replayed: Monitor):
    from generator.departments import Department, Directory

    renamed = Department("示例市市场监管局", None, former=("示例市市场监督管理局",))
    config = dataclasses.replace(replayed.config, departments=Directory([renamed]))
    assert directory(config)["示例市市场监督管理局"] == "示例市市场监管局"
    monitor = Monitor.compute(replayed.result, config, empty())
    depts = set(monitor.rows.get_column("dept"))
    assert "示例市市场监管局" in depts and "示例市市场监督管理局" not in depts
    assert NO_DEPT not in depts


def test_office_partial_and_draft(replayed: Monitor, tmp_path: Path):
    html = str(replayed.office_html())
    assert "信用监测：各部门报送情况" in html and "阻止公示的错误" in html
    assert "示例市住房和城乡建设局" in html and "超过 7 个工作日" in html
    assert "双随机抽查结果为 20 个工作日" in html  # site.yml monitoring.deadlines, by name
    path = write_draft(replayed, tmp_path)
    assert path == tmp_path / "通报" / f"{previous_month(replayed.result.today)}.md"
    text = path.read_text(encoding="utf-8")
    assert "| 示例市住房和城乡建设局 |" in text and "逾期报送的部门" in text
    # A draft the office has edited is never overwritten.
    path.write_text(text.replace("通报如下", "通报如下（已修改）"), encoding="utf-8")
    assert write_draft(replayed, tmp_path) is None
    assert "已修改" in path.read_text(encoding="utf-8")


def render_public(monitor: Monitor, out: Path) -> Path:
    chrome = Chrome(monitor.config, "assets/material.css")
    out.mkdir()
    assert write_public(monitor, TreeWriter(out, None), chrome) == (
        ["jiance/"] if monitor.settings.public else []
    )
    return out


def test_public_page_charts_tables_csv_no_script(replayed: Monitor, tmp_path: Path):
    out = render_public(replayed, tmp_path / "a")
    page = (out / "jiance" / "index.html").read_text(encoding="utf-8")
    main_html = page.split('<main id="xy-main"', 1)[1].split("</main>", 1)[0]
    svgs = re.findall(r"<svg[^>]*>", main_html)
    assert len(svgs) == 4
    assert all('role="img"' in s and "aria-label=" in s and "width=" not in s for s in svgs)
    assert main_html.count("<table") == 3
    assert "<script" not in main_html and "font-family=" not in main_html
    assert not re.search(r"\d{11,}", main_html)  # nothing the guard could take for an ID
    assert not re.search(r"https?://(?!www\.w3\.org)", main_html)
    assert 'href="per-kind-month.csv"' in main_html and 'href="per-department.csv"' in main_html
    rows = list(csv.DictReader((out / "jiance" / "per-department.csv").open(encoding="utf-8-sig")))
    assert {"部门", "公示条数", "按时率", "逾期"} <= set(rows[0])
    # Deterministic: the same figures give the same bytes.
    again = render_public(replayed, tmp_path / "b")
    for name in ("index.html", "per-kind-month.csv", "per-department.csv"):
        assert (out / "jiance" / name).read_bytes() == (again / "jiance" / name).read_bytes()


def test_public_figures_are_configuration(replayed: Monitor, tmp_path: Path):
    for public, charts in (("per_kind", 2), ("none", 0)):
        site = {**replayed.config.site, "monitoring": {"public": public}}
        config = dataclasses.replace(replayed.config, site=site)
        monitor = Monitor.compute(replayed.result, config, empty())
        out = render_public(monitor, tmp_path / public)
        page = out / "jiance" / "index.html"
        if not charts:
            assert not page.exists()
            continue
        html = page.read_text(encoding="utf-8")
        assert html.count("<svg") == charts and "各部门" not in html.split("<main", 1)[1]
        assert not (out / "jiance" / "per-department.csv").exists()


@pytest.fixture(scope="module")
def built(history: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The last two weekly drops built in order through the CLI: (site, work)."""
    root = tmp_path_factory.mktemp("built")
    out, work = root / "site", root / "work"
    for i, (folder, day) in enumerate(weeks(history)[-2:]):
        first = ["--first-publication"] if i == 0 else []
        code = main(["--config", str(ROOT / "site.yml"), "build", "--data", str(history / folder),
                     "--out", str(out), "--work", str(work), "--today", day.isoformat(), *first])  # fmt: skip
        assert code in (0, 1)
    return out, work


def test_build_writes_page_report_and_draft(built: tuple[Path, Path]):
    out, work = built
    assert (out / "jiance" / "index.html").is_file()
    assert "jiance/" in (out / "sitemap.xml").read_text(encoding="utf-8")
    report = (work / "report" / "index.html").read_text(encoding="utf-8")
    assert report.index("信用监测：各部门报送情况") < report.index('id="summary"')
    assert (work / "通报" / "2026-09.md").is_file()
    assert not list(out.rglob("*.md"))


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.mark.browser
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_public_page_in_the_browser(page, built: tuple[Path, Path], elder: bool, width: str):
    from browser import PHONE, serve

    url, httpd = serve(built[0])
    try:
        errors: list[str] = []
        # Chromium's own /favicon.ico probe is not the page's: failed loads are checked below.
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
        if width == "phone":
            page.set_viewport_size(PHONE)
        page.goto(url)
        page.evaluate(f"localStorage.setItem('xy-elder', '{int(elder)}')")
        page.goto(url + "jiance/")
        assert page.locator("svg[role=img]").count() == 4
        # Nothing in the page's own content is wider than the screen (the shared header's
        # width is the site pages' concern, tested with them).
        wide = page.evaluate(
            "Math.max(...[...document.querySelectorAll('#xy-main *')]"
            ".map(e => e.getBoundingClientRect().right)) - window.innerWidth"
        )
        assert wide <= 0
        box = page.locator("svg[role=img]").first.bounding_box()
        assert (
            box is not None
            and box["x"] >= 0
            and box["x"] + box["width"] <= page.viewport_size["width"]
        )
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            "async t => (await axe.run(document, {runOnly: {type: 'tag', values: t}})).violations",
            TAGS,
        )
        assert [(v["id"], [n["target"][0] for n in v["nodes"]][:3]) for v in found] == []
        assert errors == []
        assert all(r.startswith(url) for r in page.requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
