"""Generate a deterministic, fictional data drop for the demo city 示例市 (site 信用示例).

`write_sample(out, records, seed, anchor)` writes the six dataset kinds of the data standard
plus a withdrawals list into `out`, streaming rows so that a million records fit in memory.
Everything depends only on (records, seed, anchor, subjects): no clock, no global random state, and
XLSX files carry a creation time derived from `anchor`.

Files (relative to `out`):
  xzcf/行政处罚-市场监管.csv          GBK, national-standard Chinese headers (bulk, 市场监管 only)
  xzcf/行政处罚-<year>年第<q>季度.xlsx  two title rows, mixed date cells, two sheets, blank tail
  xzxk/行政许可.csv                   UTF-8 with BOM, field-code headers (XK_…)
  xzxk/行政许可-旧格式.csv            UTF-8, older 2015–2017 layout (XK_XMMC, XK_SPLB, DFBM, SJC)
  xzcf/行政处罚-2016平台.csv          UTF-8, the 2016 platform layout (see layouts.py)
  xzxk/行政许可-审批系统.csv          GB18030, an approval system's export (see layouts.py)
  hongmingdan/红名单.xlsx, heimingdan/黑名单.xlsx  one title row; overflow in *-续.csv (UTF-8)
  shuangsuiji/双随机抽查结果.csv       GB18030
  xinyongchengnuo/信用承诺.csv         UTF-8
  withdrawals/撤下清单.csv             UTF-8 with BOM
  <id>/<name>.csv                     UTF-8 with BOM: every other kind of the configuration,
                                      from its schema and `sample:` hints (kinds.py)

Deliberate defects (about 1–3 % of rows; every kind at least once when records >= 200):
  xzcf CSV:  uscc-bad-check (wrong check character), uscc-lowercase, uscc-fullwidth,
             amount-with-unit (罚款金额(万元) = "2000元"), bad-date (yyyy-02-30),
             future-date (decision after anchor), person-no-id (自然人 without 证件号码),
             unknown-category (行政相对人类别 = 企业法人), duplicate (exact copy of a row),
             reexport (same decision again with a changed 备注), warning-only (处罚类别 = 警告),
             old-penalty (decided more than 3 years before anchor), id-in-text and
             mobile-in-text (in 违法事实), name-variant (branch name with half-width brackets
             and stray spaces), placeholder-no-regno (个体工商户 with 00000000000000000X and
             no 工商注册号)
  xzcf XLSX: rare-char (trade name with a character outside the BMP)
  xzxk CSV:  revoked (当前状态 撤销), rare-char, uscc-bad-check
  双随机:     rare-char
  撤下清单:   one row with a mistyped 决定机关统一社会信用代码 (withheld for review), one 修复 row dated after anchor
Natural, not defects: penalties past the 3-year maximum, expired red-list rows, removed
black-list rows, 不予公开 commitments, expired licences.

Modules: words, penalty_templates, licence_templates (word lists and text templates); codes
(check characters, dates, amounts); subjects (companies, persons, departments); drop (state
shared by the writers, defect planning); files (CSV and XLSX writing); one module per dataset
family: penalties, licences, lists, inspections, commitments, withdrawals; kinds (any other
kind, from its schema).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..config import Config, load_config
from .commitments import write_commitments
from .drop import Drop
from .inspections import write_inspections
from .kinds import write_kinds
from .licences import write_xzxk
from .lists import write_list
from .penalties import write_xzcf
from .withdrawals import write_withdrawals

__all__ = ["DEFAULT_ANCHOR", "write_sample"]

DEFAULT_ANCHOR = dt.date(2026, 9, 30)
SPLIT = {
    "xzxk": 0.35,
    "xzcf": 0.30,
    "shuangsuiji": 0.15,
    "xinyongchengnuo": 0.12,
    "hongmingdan": 0.04,
    "heimingdan": 0.04,
}
XLSX_MAX_ROWS = 3000  # office spreadsheets are small; the bulk goes to CSV
LIST_XLSX_MAX_ROWS = 2000
OLD_LAYOUT_MAX_ROWS = 300


def split_counts(records: int) -> dict[str, int]:
    """Split records over the six datasets by SPLIT; the last one takes the rounding."""
    counts = {k: round(records * p) for k, p in list(SPLIT.items())[:-1]}
    counts["heimingdan"] = max(0, records - sum(counts.values()))
    return counts


def write_sample(
    out: Path,
    records: int = 2000,
    seed: int = 0,
    anchor: dt.date = DEFAULT_ANCHOR,
    subjects: int | None = None,
    config: Config | None = None,
) -> dict[str, int]:
    """Write a fictional drop for 示例市 into `out`; return rows written per file (relative path -> rows).

    `subjects`: how many companies and 个体工商户 the rows name (default: one per 4 rows, at
    most 60 000); more subjects means fewer records each, as in a large city.
    `config`: its kinds without a hand-written generator (not in SPLIT) get rows from their
    schema alone (kinds.py), on top of `records` (default: the packaged schemas).
    """
    out = Path(out)
    drop = Drop(records, seed, anchor, subjects)
    counts = split_counts(records)
    # The row caps are read here, at call time, so that a test can lower them.
    written = write_xzcf(drop, out, counts["xzcf"], XLSX_MAX_ROWS, OLD_LAYOUT_MAX_ROWS)
    written |= write_xzxk(drop, out, counts["xzxk"], OLD_LAYOUT_MAX_ROWS)
    written |= write_list(drop, out, "hongmingdan", counts["hongmingdan"], LIST_XLSX_MAX_ROWS)
    written |= write_list(drop, out, "heimingdan", counts["heimingdan"], LIST_XLSX_MAX_ROWS)
    written |= write_inspections(drop, out, counts["shuangsuiji"])
    written |= write_commitments(drop, out, counts["xinyongchengnuo"])
    config = config or load_config()
    written |= write_kinds(drop, out, config, records, set(SPLIT))
    written |= write_withdrawals(drop.withdrawals, out)
    return written
