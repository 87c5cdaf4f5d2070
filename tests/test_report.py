"""Stage 6 — accounting and the report: every row accounted for, deterministic output."""

from __future__ import annotations

import io
import json
import string
from dataclasses import replace
from pathlib import Path

from conftest import DEPT, ORG, PERSON_ID, TODAY, XZCF_HEADER, penalty, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.report import accounting, render_html, text_lines, write_json

STATUSES = ("published", "withdrawn", "rejected", "merged")


def report_json(result, config) -> dict:
    buf = io.StringIO()
    write_json(result, config, buf)
    return json.loads(buf.getvalue())


def test_json_report_shape(penalties, config):
    result = penalties(
        penalty("甲公司", ORG, "示市监罚〔2026〕1号"), penalty("乙", ORG, "2号", fine="2000元")
    )
    data = report_json(result, config)
    assert data["today"] == TODAY.isoformat()
    assert data["summary"]["datasets"]["xzcf"]["files"]["xzcf/处罚.csv"] == {
        "read": 2,
        "published": 1,
        "withdrawn": 0,
        "rejected": 1,
        "merged": 0,
    }
    row = data["rows"][0]
    assert set(row) == {
        "dataset",
        "file",
        "sheet",
        "row",
        "status",
        "reason",
        "id",
        "name",
        "identity",
    }
    assert row["identity"] == {
        "处罚机关统一社会信用代码": DEPT,
        "行政处罚决定书文号": "示市监罚〔2026〕1号",
    }
    assert (row["file"], row["row"], row["status"], row["name"]) == (
        "xzcf/处罚.csv",
        2,
        "published",
        "甲公司",
    )
    issue = next(i for i in data["issues"] if i["code"] == "amount-yuan")
    assert {k: issue[k] for k in ("severity", "file", "row", "column", "value")} == {
        "severity": "error",
        "file": "xzcf/处罚.csv",
        "row": 3,
        "column": "罚款金额(万元)",
        "value": "2000元",
    }


def test_text_report_ends_with_counts_that_add_up(penalties, config):
    result = penalties(penalty("甲", ORG, "1号"), penalty("乙", ORG, "2号", cat="警告"))
    lines = list(text_lines(result, config))
    assert lines[-2] == "合计：读入 2 行 = 公示 1 + 撤下 1 + 拒收 0 + 合并 0"
    assert lines[-1] == "结论：没有被拒收的行，1 行可以公示。"
    assert "    撤下原因：仅予警告（不公示） 1" in lines


def test_html_report_escapes_and_quotes_values(penalties, config):
    row = penalty("<script>alert(1)</script>公司", ORG, "1号", fine="<b>2000元</b>")
    html = render_html(penalties(row), config)
    assert "<script>alert" not in html and "&lt;b&gt;2000元&lt;/b&gt;" in html
    assert '<html lang="zh-CN">' in html and "不得上传到公开网站" in html


def test_report_is_deterministic(tmp_path, check, config):
    rows = [
        penalty(f"公司{i}", ORG, f"{i}号", fine="2000元" if i % 3 == 0 else "0.1")
        for i in range(30)
    ]
    write_csv(tmp_path / "xzcf" / "a.csv", [XZCF_HEADER, *rows[:15]], encoding="gbk")
    write_csv(tmp_path / "xzcf" / "b.csv", [XZCF_HEADER, *rows[10:]])
    first = io.StringIO()
    second = io.StringIO()
    write_json(check(tmp_path), config, first)
    write_json(check(tmp_path), config, second)
    assert first.getvalue() == second.getvalue()


def test_repeated_issues_are_capped_per_code_and_file(tmp_path, check, config):
    # 60 rows with the same mistake: the report lists the first N (site.yml
    # limits.report_examples) and counts them all, so it stays small and readable.
    rows = [penalty(f"公司{i}", ORG, f"{i}号", fine="2000元") for i in range(60)]
    write_csv(tmp_path / "xzcf" / "a.csv", [XZCF_HEADER, *rows])
    write_csv(tmp_path / "xzcf" / "b.csv", [XZCF_HEADER, *rows[:3]])
    cfg = replace(config, site={**config.site, "limits": {"report_examples": 5}})
    result = check(tmp_path, cfg=cfg)
    data = report_json(result, cfg)
    listed = [(i["file"], i["row"]) for i in data["issues"] if i["code"] == "amount-yuan"]
    assert listed == [("xzcf/a.csv", r) for r in range(2, 7)] + [
        ("xzcf/b.csv", r) for r in (2, 3, 4)
    ]
    assert data["issue_counts"]["xzcf/a.csv"]["amount-yuan"] == 60
    assert data["issue_examples"] == 5
    assert len(data["rows"]) == 63  # every row still has its own line with its reason
    html = render_html(result, cfg)
    assert html.count("实际为“2000元”") == 8 and "另有 55 处同类问题未逐条列出" in html
    text = list(text_lines(result, cfg))
    assert sum("amount-yuan" in line for line in text) == 9  # 5 + 3 examples + one "另有"
    default = report_json(result, config)
    assert len([i for i in default["issues"] if i["code"] == "amount-yuan"]) == 20 + 3


# --- the accounting identity, as a property over generated drops -------------------------

_junk = st.sampled_from(
    [
        "",
        " ",
        "2000元",
        "2026-02-30",
        "2030-01-01",
        "abc",
        "0.5",
        "<x>",
        "个人",
        ORG.lower(),
        "00000000000000000X",
        PERSON_ID,
        "警告",
        "罚款；警告",
    ]
)
_text = st.text(alphabet=string.ascii_letters + "示例市公司罚款，。0123456789", max_size=12)


@st.composite
def drops(draw):
    """A drop of 1-3 penalty files in random encodings, with duplicated and mangled rows."""
    files = []
    for _ in range(draw(st.integers(1, 3))):
        rows = []
        for _ in range(draw(st.integers(0, 12))):
            row = penalty(
                draw(_text) or "甲",
                ORG,
                f"{draw(st.integers(1, 8))}号",
                date=draw(st.sampled_from(["2026-10-10", "2020-01-01", "2026年1月5日"])),
            )
            for _ in range(draw(st.integers(0, 3))):
                row[draw(st.integers(0, len(row) - 1))] = draw(_junk | _text)
            rows.append(row)
            if draw(st.booleans()):
                rows.append(list(row))  # a duplicate
        files.append((rows, draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))))
    return files


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drop=drops())
def test_every_row_is_accounted_for(tmp_path_factory, config, drop):
    from generator.pipeline import run

    data: Path = tmp_path_factory.mktemp("drop")
    written = {}
    for i, (rows, enc) in enumerate(drop):
        write_csv(data / "xzcf" / f"f{i}.csv", [XZCF_HEADER, *rows], encoding=enc)
        written[f"xzcf/f{i}.csv"] = sum(1 for r in rows if any(c.strip() for c in r))
    result = run(data, config, TODAY)
    acc = accounting(result, config)
    ds = acc["datasets"]["xzcf"]
    assert ds["read"] == sum(ds[s] for s in STATUSES) == sum(written.values())
    for file, n in written.items():
        counts = ds["files"].get(file, dict.fromkeys(("read", *STATUSES), 0))
        assert counts["read"] == sum(counts[s] for s in STATUSES) == n
    frame = result.records["xzcf"]
    assert set(frame.get_column("_status").to_list()) <= set(STATUSES)
    # Each row ends in exactly one status, and only published rows may be public.
    assert (
        frame.filter(frame["_status"] == "published").get_column("_error").null_count()
        == frame.filter(frame["_status"] == "published").height
    )


def test_files_without_rows_are_listed_with_zero_counts(tmp_path, check, config):
    write_csv(tmp_path / "xzcf" / "a.csv", [XZCF_HEADER, penalty("甲", ORG, "1号")])
    write_csv(tmp_path / "xzcf" / "empty.csv", [XZCF_HEADER])
    files = accounting(check(tmp_path), config)["datasets"]["xzcf"]["files"]
    assert files["xzcf/empty.csv"] == {
        "read": 0,
        "published": 0,
        "withdrawn": 0,
        "rejected": 0,
        "merged": 0,
    }
