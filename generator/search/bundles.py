"""Run Pagefind (extended build) over the search documents, one bundle at a time.

Each bundle is indexed by its own Pagefind process (the Python API starts one service per
index), so its memory is returned when the bundle is written: the peak is that of the
largest bundle, not of the whole site. Documents go to Pagefind as files in one directory
per bundle (`add_directory`, one request): the Python API waits 0.1 s for every response,
so adding documents one request each would take a day at a million.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
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


async def _index(source: Path, out: Path, limit: asyncio.Semaphore) -> int:
    from pagefind.index import IndexConfig, PagefindIndex

    async with limit:
        # force_language: every document is Chinese, one index (no per-language split).
        # Leaving the context writes the bundle to output_path.
        config: IndexConfig = {"force_language": "zh", "output_path": str(out)}
        async with PagefindIndex(config) as index:
            result = await index.add_directory(str(source))
    return int(result["page_count"])


async def _index_all(jobs: list[tuple[Path, Path]]) -> list[int]:
    limit = asyncio.Semaphore(CONCURRENT)
    return list(await asyncio.gather(*(_index(s, o, limit) for s, o in jobs)))


def index_bundles(jobs: list[tuple[Path, Path]]) -> list[int]:
    """Index each (documents folder, output folder); return the page count of each."""
    # In a thread of its own: the caller may already run an event loop (Playwright does).
    try:
        with ThreadPoolExecutor(1) as pool:
            counts = pool.submit(asyncio.run, _index_all(jobs)).result()
    except Exception as exc:  # the service reports errors as bare Exceptions
        raise SearchError(f"Pagefind 建立搜索索引失败：{exc}") from exc
    for _, out in jobs:
        settle(out)
    return counts


def settle(out: Path, timeout: float = 60.0) -> None:
    """Wait until a bundle's files are complete on disk.

    Pagefind's service answers WriteFiles before every file is flushed: on a loaded
    machine an empty pagefind-entry.json was read back and published (a broken search).
    Ready means: the entry file parses and no file changes size between two looks.
    """
    deadline = time.monotonic() + timeout
    previous: list[tuple[str, int]] | None = None
    while time.monotonic() < deadline:
        try:
            json.loads((out / "pagefind-entry.json").read_text(encoding="utf-8"))
            sizes = sorted((p.name, p.stat().st_size) for p in out.rglob("*") if p.is_file())
        except (OSError, ValueError):
            sizes = None
        if sizes is not None and sizes == previous:
            return
        previous = sizes
        time.sleep(0.2)
    raise SearchError(f"Pagefind 索引文件在 {timeout:.0f} 秒内未写完：{out}")


def bundle_files(out: Path) -> Iterable[tuple[str, Path]]:
    """(relative path, file) of the bundle files the site serves, in a stable order."""
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames.sort()
        for name in sorted(filenames):
            if name in KEEP or name.endswith(KEEP_SUFFIXES):
                full = Path(dirpath) / name
                yield full.relative_to(out).as_posix(), full
