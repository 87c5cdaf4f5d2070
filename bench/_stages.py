"""Run the real CLI (`generator.cli.main`) with a wall clock and a memory probe per stage.

    python bench/_stages.py TIMINGS.json -- build --data … --out … --work … --today …

The stages are the build's own functions, wrapped where the build calls them: the wrapper
records when each starts and ends; a thread samples the RSS of the whole process tree (this
process and every child: record-page workers, Pagefind) every 0.1 s. The JSON written holds,
per stage, its wall seconds and the tree's peak RSS while it ran, plus the run's total wall,
peak and exit code. A stage the code no longer has is simply not reported (the "other" line
of bench_build.py is the remainder), so a refactoring never breaks the benchmark.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (stage name, module, attribute path): wrapped in the namespace the build calls it from.
STAGES = [
    ("pipeline", "generator.build", "run_cached"),
    ("report", "generator.build", "render_html"),
    ("report", "generator.build", "write_json"),
    ("narrative (MkDocs)", "generator.site", "build_narrative"),
    ("record pages", "generator.site", "render_records"),
    ("list pages", "generator.site.pages", "Pages.dataset_lists"),
    ("subject pages", "generator.site.pages", "Pages.subjects"),
    ("search", "generator.search", "SearchIndex.write"),
    ("downloads & feeds", "generator.opendata", "OpenData.write"),
    ("信用监测 (monitor)", "generator.monitor", "Monitor.compute"),
    ("信用监测 (monitor)", "generator.monitor", "Monitor.office_html"),
    ("信用监测 (monitor)", "generator.monitor", "Monitor.write_draft"),
    ("信用监测 (monitor)", "generator.monitor", "Monitor.write"),
]


class Probe:
    """Samples the process tree's RSS; keeps the peak of each open stage interval."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.peak = 0
        self.open: dict[int, int] = {}  # token -> peak while open
        self.lock = threading.Lock()
        self.stop = threading.Event()
        threading.Thread(target=self._loop, daemon=True).start()

    def rss(self) -> int:
        total = 0
        for p in [self.me, *self.me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _loop(self) -> None:
        while not self.stop.wait(0.1):
            self.sample()

    def sample(self) -> None:
        value = self.rss()
        with self.lock:
            self.peak = max(self.peak, value)
            for token in self.open:
                self.open[token] = max(self.open[token], value)

    def begin(self) -> int:
        with self.lock:
            token = len(self.open) + int(time.monotonic_ns())
            self.open[token] = 0
        self.sample()
        return token

    def end(self, token: int) -> int:
        self.sample()
        with self.lock:
            return self.open.pop(token)


def _timed(name: str, fn: Callable[..., Any], probe: Probe, log: list[dict[str, Any]]) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token, start = probe.begin(), time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            wall = time.perf_counter() - start
            log.append({"stage": name, "wall": wall, "peak": probe.end(token)})

    return wrapper


def _guard(probe: Probe, log: list[dict[str, Any]]) -> None:
    """The guard: its final check is timed; its scanning of files as they are written
    happens inside the other stages (also in the record-page workers), so the seconds the
    writers spent scanning (`Counts.scan_s`, summed over processes) are logged apart."""
    try:
        guard = importlib.import_module("generator.guard")
    except ImportError:
        return
    cls = getattr(guard, "Guard", None)
    if cls is None:
        return
    final = cls.__call__

    def call(self: Any, root: Any, counts: Any = None) -> Any:
        if counts is not None:
            scan = {"stage": "guard: scan as written", "wall": counts.scan_s, "peak": 0}
            log.append({**scan, "nested": True, "files": counts.scanned})
        return _timed("guard: final check", final, probe, log)(self, root, counts)

    cls.__call__ = call


def install(probe: Probe, log: list[dict[str, Any]]) -> None:
    for name, module, path in STAGES:
        try:
            owner: Any = importlib.import_module(module)
        except ImportError:
            continue
        *parents, attr = path.split(".")
        for p in parents:
            owner = getattr(owner, p, None)
        if owner is not None and callable(getattr(owner, attr, None)):
            setattr(owner, attr, _timed(name, getattr(owner, attr), probe, log))
    _guard(probe, log)


def main() -> None:
    target, sep, *argv = sys.argv[1:]
    assert sep == "--", "usage: _stages.py TIMINGS.json -- <generator arguments>"
    probe = Probe()
    log: list[dict[str, Any]] = []
    install(probe, log)
    from generator.cli import main as cli

    start = time.perf_counter()
    try:
        code = cli(argv)
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    wall = time.perf_counter() - start
    probe.stop.set()
    probe.sample()
    stages: dict[str, dict[str, Any]] = {}
    for entry in log:  # a stage called several times (lists per dataset) is summed
        s = stages.setdefault(entry["stage"], {"wall": 0.0, "peak": 0})
        s["wall"] += entry["wall"]
        s["peak"] = max(s["peak"], entry["peak"])
        s.update({k: v for k, v in entry.items() if k in ("nested", "files")})
    Path(target).write_text(
        json.dumps({"wall": wall, "peak": probe.peak, "code": code, "stages": stages}),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
