"""Run Pagefind (extended build) over the search documents, one bundle at a time.

Each bundle is indexed by its own run of the Pagefind CLI, so its memory is returned when
the bundle is written: the peak is that of the largest bundle, not of the whole site.
Documents go to Pagefind as files in one directory per bundle (the Python API's custom
records wait 0.1 s per response: a day at a million).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .documents import Doc

# The search page uses the JS API only; the UI bundles and the playground are not copied.
KEEP = ("pagefind.js", "pagefind-worker.js", "pagefind-entry.json")
KEEP_SUFFIXES = (".pf_meta", ".pagefind", ".pf_index", ".pf_fragment", ".pf_filter")
CONCURRENT = 2  # bundles indexed at once (one Pagefind process each)


class SearchError(Exception):
    """Pagefind failed to index a bundle."""


def write_docs(docs: Iterable[Doc], folder: Path) -> int:
    """Write each document as <url>index.html under `folder`; return how many."""
    n = 0
    for doc in docs:
        path = folder / doc.url / "index.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc.html, encoding="utf-8")
        n += 1
    return n


def _index(source: Path, out: Path) -> int:
    """Run the extended Pagefind CLI over one documents folder; return its page count.

    A process per bundle, not the Python service API: the service answers WriteFiles
    before its files are flushed and is then terminated, which published truncated
    bundle files under load. A CLI run has written everything when it exits, and its
    memory goes back to the system with it.
    """
    cmd = [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(source),
        "--output-path",
        str(out),
        "--force-language",
        "zh",
        "--silent",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SearchError(
            f"Pagefind 建立搜索索引失败：{done.stderr.strip() or done.stdout.strip()}"
        )
    try:
        json.loads((out / "pagefind-entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SearchError(f"Pagefind 索引不完整：{out}") from exc
    return sum(1 for _ in source.rglob("index.html"))


def index_bundles(jobs: list[tuple[Path, Path]]) -> list[int]:
    """Index each (documents folder, output folder); return the page count of each."""
    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(lambda job: _index(*job), jobs))


def bundle_files(out: Path) -> Iterable[tuple[str, Path]]:
    """(relative path, file) of the bundle files the site serves, in a stable order."""
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames.sort()
        for name in sorted(filenames):
            if name in KEEP or name.endswith(KEEP_SUFFIXES):
                full = Path(dirpath) / name
                yield full.relative_to(out).as_posix(), full
