"""Command line: `python -m generator check | build | sample`.

The only module that prints or exits. Exit codes: 0 no row rejected, 1 some rows
rejected, 2 input or configuration unusable, 3 the guard found something that must not be
public in the output (nothing was replaced or deployed), 4 the deploy failed (the live site
is as it was, or converges on the next run), 5 a withdrawal row could not be executed
(撤下未执行: the site is built with every candidate withheld, but CI must fail), 6 another
build or publish holds the lock, 70 an unexpected internal error (traceback in
<work>/crash.log; site, report and ledger left as they were).

A build writes its report (<work>/report/, <work>/records/) into staging folders that
replace the previous ones only after the site itself was replaced: whatever stops a build
(exit 2, 3, 6, 70) leaves site, report and ledger as the last successful build left them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from .config import Config, ConfigError, load_config
from .exits import (
    EXIT_CRASH,
    EXIT_DEPLOY,
    EXIT_GUARD,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_UNUSABLE,
)
from .fsutil import LockHeld, inside, lock_file, locked, recover
from .load import DATA_SUFFIXES, data_files
from .pipeline import Result, run

CRASH_LOG = "crash.log"
SEARCH_TIMEOUT, DEPLOY_TIMEOUT = 1800, 3600  # seconds, per Pagefind run / per rsync command


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD，实际为“{text}”") from exc


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m generator",
        description="信用XX：把信用办的数据文件变成静态信用信息公示网站。",
    )
    p.add_argument(
        "--config", type=Path, default=Path("site.yml"), help="站点配置文件（默认 site.yml）"
    )
    sub = p.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="只检查数据，不生成网站")
    check.add_argument("--data", type=Path, default=Path("data"), help="数据目录（默认 data）")
    check.add_argument("--today", type=_date, default=None, help="数据日期 YYYY-MM-DD（默认今天）")
    check.add_argument("--format", choices=("text", "json"), default="text")
    _build_arguments(sub.add_parser("build", help="检查数据并生成网站"))
    pub = sub.add_parser("publish", help="把已生成的网站发布到 site.yml 中 publish 指定的位置")
    pub.add_argument(
        "--site", type=Path, default=Path("site"), help="要发布的网站目录（默认 site）"
    )
    pub.add_argument("--work", type=Path, default=Path("build"), help="内部工作目录（读取报告）")
    pub.add_argument("--target", choices=("local", "rsync", "s3"), default=None,
                     help="发布方式（默认取 site.yml 的 publish.target）")  # fmt: skip
    pub.add_argument(
        "--dest", default=None, help="发布位置：目录、用户@服务器:/目录/ 或 s3://桶/前缀"
    )
    pub.add_argument("--today", type=_date, default=None, help="安全检查用的日期（默认取报告）")
    pub.add_argument("--dry-run", action="store_true", help="只列出将上传和删除的文件，不发布")
    pub.add_argument("--pull-ledger", type=Path, default=None, metavar="FILE",
                     help="只从发布目标取回上次的发布台账到 FILE，不发布")  # fmt: skip
    pub.add_argument("--wait", action="store_true", help="另一个构建或发布正在进行时排队等待")
    pub.add_argument("--timeout", type=int, default=DEPLOY_TIMEOUT, metavar="SECONDS",
                     help=f"每条 rsync 命令的时限（秒，默认 {DEPLOY_TIMEOUT}）")  # fmt: skip
    sample = sub.add_parser("sample", help="生成示例市的虚构演示数据")
    sample.add_argument("--records", type=int, default=2000)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument(
        "--subjects",
        type=int,
        default=None,
        help="记录涉及的主体数（默认每 4 条记录 1 个，最多 60000）",
    )
    sample.add_argument("--out", type=Path, default=Path("data"))
    sample.add_argument("--today", type=_date, default=None, help="示例数据的基准日期（默认今天）")
    sample.add_argument("--weeks", type=int, default=None,
                        help="写出按周报送的历史数据 drop-001/…（信用监测演示，如 52）")  # fmt: skip
    return p


def _build_arguments(build: argparse.ArgumentParser) -> None:
    build.add_argument("--data", type=Path, default=Path("data"))
    build.add_argument("--out", type=Path, default=Path("site"), help="公开输出目录（默认 site）")
    build.add_argument(
        "--work",
        type=Path,
        default=Path("build"),
        help="内部工作目录：报告与中间数据，绝不公开（默认 build）",
    )
    build.add_argument("--today", type=_date, default=None)
    build.add_argument(
        "--workers", type=int, default=None, help="生成记录页面的进程数（默认：记录多时用 2 个）"
    )
    build.add_argument(
        "--executor",
        default="inline",
        metavar="inline|process|dask-local|dask://HOST:PORT",
        help="并行处理数据文件的方式：本进程（默认）、本机进程池、本机 Dask 集群或远程 Dask 调度器",
    )
    build.add_argument(
        "--ledger",
        default=None,
        help="上次发布的台账 ledger.csv（路径或网址；默认读取输出目录中上次构建的台账）",
    )
    build.add_argument(
        "--first-publication",
        action="store_true",
        help="首次发布：没有上次的发布台账，台账从头开始（已有台账时不得使用）",
    )
    build.add_argument(
        "--wait", action="store_true", help="另一个构建正在进行时排队等待（默认立即退出，退出码 6）"
    )
    build.add_argument(
        "--search-timeout",
        type=int,
        default=SEARCH_TIMEOUT,
        metavar="SECONDS",
        help=f"每次运行 Pagefind 建立搜索索引的时限（秒，默认 {SEARCH_TIMEOUT}）",
    )


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr, only when stderr is a terminal."""
    if not enabled:
        yield lambda name, i, n: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=_stderr_console(),
    ) as bar:
        task = bar.add_task("开始", total=1)

        def update(name: str, i: int, n: int) -> None:
            bar.update(task, description=name, completed=i, total=n)

        yield update


def _warn(line: str) -> None:
    print(line, file=sys.stderr)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _unusable(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_UNUSABLE


def _config(args: argparse.Namespace) -> Config | int:
    """site.yml and the drop folder, or the exit code of why they cannot be used."""
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print("配置有误，无法继续：", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_UNUSABLE
    if not args.data.is_dir():
        return _unusable(f"找不到数据目录 {args.data}")
    if not any(p.suffix.lower() in DATA_SUFFIXES for p in data_files(args.data)):
        return _unusable(
            f"数据目录 {args.data} 中没有 CSV/XLSX/XLS 文件；"
            "可先运行 python -m generator sample 生成演示数据"
        )
    return config


def _run(args: argparse.Namespace) -> tuple[Config, Result] | int:
    config = _config(args)
    if isinstance(config, int):
        return config
    today = args.today or dt.date.today()
    with progress_bar(sys.stderr.isatty()) as step:
        result = run(args.data, config, today, progress=step)
    return config, result


def cmd_check(args: argparse.Namespace) -> int:
    from .report import text_lines, write_json

    outcome = _run(args)
    if isinstance(outcome, int):
        return outcome
    config, result = outcome
    if args.format == "json":
        write_json(result, config, sys.stdout)
    else:
        for line in text_lines(result, config):
            print(line)
        for line in mapping_proposals(result, config):
            print(line)
    return _exit_code(result)


def mapping_proposals(result: Result, config: Config) -> list[str]:
    """For each unknown header, the nearest standard column and a ready-to-paste mapping."""
    unknown: dict[str, dict[str, None]] = {}
    for i in result.issues:
        if i.code == "column-unknown" and i.column and i.dataset in config.schemas:
            unknown.setdefault(i.dataset, {})[i.column] = None
    if not unknown:
        return []
    lines = [
        "",
        "未识别的列与建议的映射（确认后粘贴到 data/<数据集>/columns.yml，再运行一次检查）：",
    ]
    for dataset, headers in sorted(unknown.items()):
        schema = config.schemas[dataset]
        paste: list[str] = []
        for header in headers:
            hit = schema.suggest(header)
            if hit is None:
                lines.append(f"  {dataset}「{header}」：没有相近的标准列；如无需公示可不处理")
                continue
            key, why = hit
            label = schema.label(key)
            lines.append(f"  {dataset}「{header}」→「{label}」（{why}）")
            paste.append(f"{yaml_quote(header)}: {yaml_quote(label)}")
        if paste:
            lines += [f"  # data/{dataset}/columns.yml", *(f"  {p}" for p in paste)]
    return lines


def yaml_quote(text: str) -> str:
    """A YAML scalar for `text`, quoted only when it needs it."""
    import yaml

    return str(yaml.safe_dump(text, allow_unicode=True, default_style=None)).split("\n")[0]


def cmd_build(args: argparse.Namespace) -> int:
    from .build import Options, Paths, Stop, build
    from .executors import ExecutorError, valid

    if inside(args.work, args.out) or inside(args.out, args.work):
        return _unusable(
            f"内部工作目录 {args.work} 与公开输出目录 {args.out} 不能相互包含："
            "报告引用原始数据，绝不能进入公开网站"
        )
    if inside(args.out, args.data) or inside(args.work, args.data):
        return _unusable(
            f"输出目录 {args.out} 和工作目录 {args.work} 不能位于数据目录 {args.data} 之内"
        )
    config = _config(args)
    if isinstance(config, int):
        return config
    paths = Paths(args.data, args.out, args.work, args.config)
    opts = Options(
        args.today or dt.date.today(),
        args.ledger,
        args.first_publication,
        args.workers,
        args.search_timeout,
        args.wait,
        args.executor,
    )
    if not valid(args.executor):
        return _unusable(
            f"--executor 应为 inline、process、dask-local 或 dask://主机:端口，实际为“{args.executor}”"
        )
    try:
        with progress_bar(sys.stderr.isatty()) as step:
            outcome = build(config, paths, opts, step, print, _warn)
    except ExecutorError as exc:
        return _unusable(f"{exc}；原网站 {args.out} 保持不变")
    except Stop as stop:
        if stop.code == EXIT_GUARD:
            return guard_failed(stop, stop.message)
        return _unusable(stop.message)
    print(f"内部报告：{args.work / 'report' / 'index.html'}（不公开）")
    return outcome if isinstance(outcome, int) else _exit_code(outcome)


def guard_failed(exc: Exception, outcome: str) -> int:
    """Print the guard's findings (file and byte position, never the value) and exit 3."""
    findings = getattr(exc, "findings", [])
    print(
        f"安全检查未通过：输出中有 {len(findings)} 处不得公开的内容；{outcome}。", file=sys.stderr
    )
    for f in findings[:50]:
        print(f"  - {f.text()}", file=sys.stderr)
    if len(findings) > 50:
        print(f"  - ……另有 {len(findings) - 50} 处", file=sys.stderr)
    print("请按操作手册“安全检查拦截”一节处理（docs/manual/）。", file=sys.stderr)
    return EXIT_GUARD


def cmd_publish(args: argparse.Namespace) -> int:
    from .guard import GuardError
    from .publish import PublishError, from_report, make_target, publish, pull_ledger

    try:
        config = load_config(args.config)
        target = make_target(config.site.get("publish"), args.target, args.dest, args.timeout)
        if args.pull_ledger is not None:
            ledger_url = str((config.site.get("publish") or {}).get("ledger_url") or "")
            if pull_ledger(target, args.pull_ledger, ledger_url):
                print(f"已取回上次的发布台账：{args.pull_ledger}")
            else:
                print(
                    "发布目标上还没有网站，也没有上次的发布台账："
                    "如确为首次发布，构建时请加 --first-publication"
                )
            return EXIT_OK
        if inside(args.work, args.site):
            return _unusable(f"内部工作目录 {args.work} 不能位于网站目录 {args.site} 之内")
        with locked(args.work / ".lock", args.wait), locked(lock_file(args.site), args.wait):
            for line in recover(args.site):
                print(line, file=sys.stderr)
            built, withheld = from_report(args.work / "report" / "report.json")
            today = args.today or built or dt.date.today()
            stats = publish(args.site, target, today, withheld=withheld, dry_run=args.dry_run)
    except ConfigError as exc:
        return _unusable("配置有误：" + "；".join(exc.problems))
    except GuardError as exc:
        return guard_failed(exc, "没有上传任何文件")
    except PublishError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        print("线上网站保持原样（或在下次发布时自动补齐）；请按操作手册“发布失败”一节处理。",
              file=sys.stderr)  # fmt: skip
        return EXIT_DEPLOY
    if args.dry_run:
        for rel in stats.plan.upload_list:
            print(f"上传\t{rel}")
        for rel in stats.plan.deletions:
            print(f"删除\t{rel}")
        if hasattr(target, "shell"):
            print("上传命令：" + target.shell())
    print(stats.line())
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    from .sample import write_sample

    if args.records < 1:
        return _unusable("--records 应为正整数")
    if args.subjects is not None and args.subjects < 60:
        return _unusable("--subjects 应不少于 60")
    # 信用监测 demo: a year of weekly drops (generator/sample/history.py)
    if args.weeks is not None:
        from .sample.history import write_history

        if not 1 <= args.weeks <= 520:
            return _unusable("--weeks 应为 1 到 520 之间的整数")
        done = write_history(args.out, args.weeks, args.records, args.seed, args.today)
        print(f"共 {args.weeks} 周、{len(done)} 个文件，写入 {args.out}（构建顺序见 weeks.tsv）")
        return EXIT_OK
    try:  # the office's own kinds (schemas/ beside site.yml) get demo rows too
        config = load_config(args.config) if args.config.is_file() else None
    except ConfigError as exc:
        return _unusable("配置有误：" + "；".join(exc.problems))
    written = write_sample(
        args.out,
        records=args.records,
        seed=args.seed,
        anchor=args.today or dt.date.today(),
        subjects=args.subjects,
        config=config,
    )
    for path, n in sorted(written.items()):
        print(f"{path}\t{n} 行")
    print(f"共 {sum(written.values())} 行，写入 {args.out}")
    return EXIT_OK


def _exit_code(result: Result) -> int:
    return result.exit_code()


def main(argv: list[str] | None = None) -> int:
    """Run one command; an unexpected exception exits 70, never 0 or 1 (see crashed)."""
    args = parser().parse_args(argv)
    commands = {
        "check": cmd_check,
        "build": cmd_build,
        "publish": cmd_publish,
        "sample": cmd_sample,
    }
    try:
        return commands[args.command](args)
    except LockHeld as exc:
        return locked_out(exc)
    except Exception:
        return crashed(getattr(args, "work", None) or Path("build"), args.command)


def locked_out(exc: LockHeld) -> int:
    holder = f"进程 {exc.pid}" if exc.pid else "另一个进程"
    print(
        f"错误：另一个构建或发布正在进行（{holder} 持有锁 {exc.path}）；本次没有做任何改动。"
        "请等它结束后重试，或加 --wait 排队等待。",
        file=sys.stderr,
    )
    return EXIT_LOCKED


_CRASH_OUTCOME = {
    "build": "网站、内部报告和发布台账都保持原样。",
    "publish": "本地网站保持原样；线上网站保持原样，或在下次成功发布时补齐。",
    "check": "没有生成或发布任何内容。",
    "sample": "示例数据可能不完整，请重新生成。",
}


def crashed(work: Path, command: str = "build") -> int:
    """Write the traceback to <work>/crash.log (private) and exit 70.

    Only the exception's type is printed: its message may quote a cell of the data, and CI
    logs are read by more people than the work folder.
    """
    kind = sys.exc_info()[0]
    text = traceback.format_exc()
    log = work / CRASH_LOG
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(text, encoding="utf-8")
    except OSError:
        import tempfile

        log = Path(tempfile.gettempdir()) / f"xinyong-{CRASH_LOG}"
        log.write_text(text, encoding="utf-8")
    print(
        f"内部错误（{kind.__name__ if kind else '未知'}）：程序出现了意外错误，这不是数据的问题。"
        f"{_CRASH_OUTCOME.get(command, _CRASH_OUTCOME['build'])}\n"
        f"详细信息已写入 {log}；请把这个文件发给维护人员（其中可能含有原始数据，不要公开）。",
        file=sys.stderr,
    )
    return EXIT_CRASH
