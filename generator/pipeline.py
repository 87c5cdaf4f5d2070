"""The pipeline, stage by stage: load → validate → identity → disclose → mask → account.

Stages return values and report progress through a callback; only the CLI prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import polars as pl

from .columns import DUPLICATE, ERROR, FILE, ID, REASON, REJECTED, REVIEW, ROW, SEQ, SHEET, STATUS
from .config import Config, Schema
from .disclose import Withdrawal, disclose, match_withdrawals
from .executors import map_ordered
from .exits import EXIT_OK, EXIT_REJECTED, EXIT_TAKEDOWN
from .identity import assign_ids, merge_duplicates
from .issues import Issue, make_issue
from .load import Table, load
from .mask import mask_frame
from .published import Published, published_rows, published_view
from .takedowns import (
    REVOKED_WITHIN_WORKING_DAYS,
    Candidate,
    Takedowns,
    plan_takedowns,
    revoked_reasons,
    working_days_since,
)
from .text import normalise
from .validate import validate_table

Progress = Callable[[str, int, int], None]
# Withdrawal list rows end in one of these. Withheld: the row could not be applied as
# written, every record it may name is off the site until it is reviewed. Unmatched and
# rejected rows are takedowns not executed (撤下未执行, exit code 5).
W_APPLIED, W_PENDING, W_UNMATCHED, W_REJECTED = "applied", "pending", "unmatched", "rejected"
W_WITHHELD = "withheld"
W_NOT_EXECUTED = (W_UNMATCHED, W_REJECTED)
WORKDAYS, WORKDAYS_EXACT, OVERDUE, CANDIDATES = (
    "_workdays",
    "_workdays_exact",
    "_overdue",
    "_candidates",
)


@dataclass
class Result:
    today: dt.date
    records: dict[str, pl.DataFrame]  # dataset -> every input row, masked, with _status/_reason
    withdrawals: pl.DataFrame  # every withdrawal-list row with _status/_reason
    issues: list[Issue]
    files: list[tuple[str, str, str | None]] = field(default_factory=list)  # (dataset, file, sheet)
    # withdrawal row index -> records withheld for review because of it
    takedowns: dict[int, list[Candidate]] = field(default_factory=dict)

    def published(self, dataset: str) -> pl.DataFrame:
        """One kind's published rows (the rule: generator/published.py)."""
        return self.records[dataset].filter(published_rows())

    def view(self, config: Config) -> Published:
        """What the public stages receive: published, masked rows and nothing else."""
        return published_view(self.records, config, self.today)

    @property
    def takedowns_not_executed(self) -> int:
        """Withdrawal rows that withheld nothing (撤下未执行): the run ends with exit code 5."""
        return self.withdrawals.filter(pl.col(STATUS).is_in(W_NOT_EXECUTED)).height

    @property
    def rejected_rows(self) -> int:
        return sum(f.filter(pl.col(STATUS) == REJECTED).height for f in self.records.values())

    def exit_code(self) -> int:
        """5 when a takedown could not be executed (撤下未执行: the site is built without
        every candidate, CI fails) or a withdrawal list could not be read; else 1 when any
        row was rejected or any file could not be read; else 0."""
        from .issues import codes

        if self.takedowns_not_executed or any(
            str(codes().get(i.code, {}).get("exit")) == str(EXIT_TAKEDOWN) for i in self.issues
        ):  # a withdrawal list that could not be read (issue_codes.yml: `exit: 5`)
            return EXIT_TAKEDOWN
        failed = self.rejected_rows or any(i.severity == "error" for i in self.issues)
        return EXIT_REJECTED if failed else EXIT_OK


def _validate_all(
    tables: list[Table],
    config: Config,
    today: dt.date,
    issues: list[Issue],
    pool: Executor | None = None,
) -> dict[str, pl.DataFrame]:
    """Each table (a file or sheet: the drop's partitions) validated on `pool`, in order."""
    offsets = list(accumulate((t.frame.height for t in tables), initial=0))
    checked = map_ordered(pool, _validate_one, zip(tables, offsets, strict=False), config, today)
    frames: dict[str, list[pl.DataFrame]] = {}
    for t, (frame, found) in zip(tables, checked, strict=True):
        issues.extend(found)
        frames.setdefault(t.dataset, []).append(frame)
    return {k: pl.concat(v, how="vertical_relaxed") for k, v in frames.items()}


def _validate_one(
    job: tuple[Table, int], config: Config, today: dt.date
) -> tuple[pl.DataFrame, list[Issue]]:
    """One table, its rows numbered from its offset in the drop (a partition's task)."""
    table, seq = job
    wanted = table.dataset
    schema = config.withdrawals if wanted == config.withdrawals.id else config.schemas[wanted]
    frame, found = validate_table(table, schema, config, today, seq_offset=seq)
    if frame.height != table.frame.height:  # the offsets above would overlap
        raise AssertionError(f"validate changed the row count of {table.file}")
    return frame, found


def _empty(schema: Schema, config: Config, today: dt.date) -> pl.DataFrame:
    """A typed frame with no rows, for a dataset the drop does not contain."""
    raw = pl.DataFrame(schema={**{c.key: pl.Utf8 for c in schema.columns}, ROW: pl.Int64})
    frame, _ = validate_table(Table(schema.id, "", None, raw), schema, config, today)
    return frame


def run(
    data_dir: Path,
    config: Config,
    today: dt.date,
    progress: Progress | None = None,
    pool: Executor | None = None,
) -> Result:
    """Run every stage over the drop in `data_dir` as of `today`, one call a stage.

    `pool` (generator/executors.py) validates the drop's files in parallel, anywhere.
    """
    step = progress or (lambda name, i, n: None)
    stages = 4 + len(config.schemas)
    step("读取文件", 0, stages)
    loaded = normalise(load(data_dir, config))  # load: every file accounted for
    issues = list(loaded.issues)
    step("校验数据", 1, stages)
    frames = _validate_all(loaded.tables + loaded.rejected_tables, config, today, issues, pool)
    step("识别主体", 2, stages)
    frames = _identify(frames, config, today, issues, pool)  # ids, subjects, duplicates
    step("公示期限与撤下", 3, stages)
    records, wframe, plan = _disclose(frames, config, today, issues, pool)  # and takedowns
    step("屏蔽个人信息", stages - 1, stages)
    records = _mask(records, config, today, issues, pool)
    files = sorted(
        {(t.dataset, t.file, t.sheet) for t in loaded.tables + loaded.rejected_tables},
        key=lambda x: (x[1], x[2] or ""),
    )
    step("完成", stages, stages)
    return Result(today, records, wframe, _sorted(issues), files, plan.candidates)


def _identify(
    frames: dict[str, pl.DataFrame],
    config: Config,
    today: dt.date,
    issues: list[Issue],
    pool: Executor | None = None,
) -> dict[str, pl.DataFrame]:
    """Every kind's rows with record ids and subjects, duplicates marked (one task a kind);
    the withdrawal list's rows as they are (under its own id)."""
    jobs = [(s, frames.get(s.id)) for s in config.datasets()]
    out = _each_kind(pool, _identified, jobs, config, today, issues)
    wframe = frames.get(config.withdrawals.id)
    out[config.withdrawals.id] = (
        _empty(config.withdrawals, config, today) if wframe is None else wframe
    )
    return out


def _disclose(
    frames: dict[str, pl.DataFrame],
    config: Config,
    today: dt.date,
    issues: list[Issue],
    pool: Executor | None = None,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, Takedowns]:
    """Withdrawals applied (or their candidates withheld), then each kind's disclosure rules.

    Returns the records with _status/_reason, the withdrawal list with its rows' statuses
    and the takedown plan.
    """
    frames = dict(frames)
    wframe = frames.pop(config.withdrawals.id)
    withdrawals: list[Withdrawal]
    withdrawals, wframe, found = match_withdrawals(wframe, config, today)
    issues.extend(found)
    plan = plan_takedowns(wframe, withdrawals, frames, config)
    issues.extend(plan.issues)
    applied: set[int] = set()
    matched: set[int] = set()
    records: dict[str, pl.DataFrame] = {}
    kinds = config.datasets()
    jobs = [(s, frames[s.id], plan.held(s.id)) for s in kinds]
    for schema, (frame, found, done, hit) in zip(
        kinds, map_ordered(pool, _disclosed, jobs, config, today, withdrawals), strict=True
    ):
        issues.extend(found)
        applied |= done
        matched |= hit
        records[schema.id] = frame
    wframe = _withdrawal_status(wframe, applied, matched, plan, config, today, issues)
    return records, wframe, plan


def _mask(
    records: dict[str, pl.DataFrame],
    config: Config,
    today: dt.date,
    issues: list[Issue],
    pool: Executor | None = None,
) -> dict[str, pl.DataFrame]:
    """ID numbers and natural persons' details masked in every kind's rows (a task a kind)."""
    jobs = [(s, records[s.id]) for s in config.datasets()]
    out = _each_kind(pool, _masked, jobs, config, today, issues)
    return {kind: frame.drop(DUPLICATE).sort(SEQ) for kind, frame in out.items()}


def _each_kind(
    pool: Executor | None,
    task: Callable[..., tuple[pl.DataFrame, list[Issue]]],
    jobs: list[Any],
    config: Config,
    today: dt.date,
    issues: list[Issue],
) -> dict[str, pl.DataFrame]:
    """`task` over one job a kind (its schema first), on `pool`; issues collected in order."""
    out: dict[str, pl.DataFrame] = {}
    for job, (frame, found) in zip(jobs, map_ordered(pool, task, jobs, config, today), strict=True):
        issues.extend(found)
        out[job[0].id] = frame
    return out


# One kind's share of a stage: module-level, so an executor can run it in another process.


def _identified(
    job: tuple[Schema, pl.DataFrame | None], config: Config, today: dt.date
) -> tuple[pl.DataFrame, list[Issue]]:
    """One kind's rows with record ids, duplicates marked merged."""
    schema, frame = job
    if frame is None:
        frame = _empty(schema, config, today)
    frame = assign_ids(frame, schema, config)
    return merge_duplicates(frame, schema)


def _disclosed(
    job: tuple[Schema, pl.DataFrame, set[str]],
    config: Config,
    today: dt.date,
    withdrawals: list[Withdrawal],
) -> tuple[pl.DataFrame, list[Issue], set[int], set[int]]:
    """One kind's disclosure: status and reason of each row, withdrawals applied."""
    schema, frame, held = job
    return disclose(frame, schema, config, today, withdrawals, held)


def _masked(
    job: tuple[Schema, pl.DataFrame], config: Config, today: dt.date
) -> tuple[pl.DataFrame, list[Issue]]:
    schema, frame = job
    return mask_frame(frame, schema, config, today)


def _withdrawal_status(
    frame: pl.DataFrame,
    applied: set[int],
    matched: set[int],
    plan: Takedowns,
    config: Config,
    today: dt.date,
    issues: list[Issue],
) -> pl.DataFrame:
    """Status of every withdrawal row, its working days since its date, overdue revocations."""
    frame = frame.with_row_index("_i").with_columns(pl.col("_i").cast(pl.Int64))
    i = pl.col("_i")
    status = (
        pl.when(pl.col(ERROR).is_null() & i.is_in(sorted(applied)))
        .then(pl.lit(W_APPLIED))
        .when(pl.col(ERROR).is_null() & i.is_in(sorted(matched)))
        .then(pl.lit(W_PENDING))
        .when(i.is_in(sorted(plan.candidates)))
        .then(pl.lit(W_WITHHELD))
        .when(i.is_in(sorted(plan.nameless)))
        .then(pl.lit(W_REJECTED))
        .otherwise(pl.lit(W_UNMATCHED))
    )
    reason = pl.coalesce(
        pl.col(ERROR),
        pl.when(status == W_WITHHELD).then(pl.lit(REVIEW)),
        pl.when(status == W_UNMATCHED).then(pl.lit("withdrawal-unmatched")),
    )
    days = working_days_since(frame.get_column("date").to_list(), today)
    held = [
        [f"{c.dataset}/{c.id}" for c in plan.candidates.get(n, [])] for n in range(frame.height)
    ]
    frame = frame.with_columns(
        status.alias(STATUS),
        reason.alias(REASON),
        pl.Series(WORKDAYS, [d for d, _ in days], dtype=pl.Int64),
        pl.Series(WORKDAYS_EXACT, [e for _, e in days], dtype=pl.Boolean),
        pl.Series(CANDIDATES, held, dtype=pl.List(pl.Utf8)),
    )
    limit = int(config.rules.get("revoked_within_working_days", REVOKED_WITHIN_WORKING_DAYS))
    overdue = (
        pl.col("reason").is_in(sorted(revoked_reasons(config)))
        & (pl.col(WORKDAYS) > limit)
        & ~pl.col(STATUS).is_in([W_APPLIED, W_WITHHELD])
    ).fill_null(False)
    frame = frame.with_columns(overdue.alias(OVERDUE))
    for f, s, r, n in frame.filter(pl.col(OVERDUE)).select(FILE, SHEET, ROW, WORKDAYS).iter_rows():
        issues.append(
            make_issue(
                "withdrawal-overdue",
                dataset=config.withdrawals.id,
                file=f,
                sheet=s,
                row=r,
                value=str(n),
                detail=str(limit),
            )
        )
    return frame.drop("_i")


def _sorted(issues: list[Issue]) -> list[Issue]:
    """Issues in a stable order: file, sheet, row, then code."""
    return sorted(
        issues,
        key=lambda i: (i.file, i.sheet or "", i.row or 0, i.code, i.column or "", i.value or ""),
    )


__all__ = ["Result", "run", "ID"]
