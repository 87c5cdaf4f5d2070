"""Run Pagefind (extended build) over the search documents, one bundle at a time.

Each bundle is indexed by its own run of the Pagefind CLI, so its memory is returned when
the bundle is written: the peak is that of the largest bundles being indexed at once, not
of the whole site. Documents go to Pagefind as flat files, one folder per bundle, written
by the worker that indexes them and deleted by it straight after (the Python API's custom
records wait 0.1 s per response: a day at a million). A document's page address travels in
its `href` metadata, not in its file name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from .documents import Doc

# The search page uses the JS API only; the UI bundles and the playground are not copied.
KEEP = ("pagefind.js", "pagefind-worker.js", "pagefind-entry.json")
KEEP_SUFFIXES = (".pf_meta", ".pagefind", ".pf_index", ".pf_fragment", ".pf_filter")
CONCURRENT = 2  # bundles indexed at once (one Pagefind process each)


class SearchError(Exception):
    """Pagefind failed to index a bundle."""


def write_docs(docs: Iterable[Doc], folder: Path) -> int:
    """Write each document into `folder` as one flat file; return how many.

    The file name is the page address, quoted (one name per address, the same in every
    build: Pagefind writes it into the document's fragment, which then only changes
    when the document does).
    """
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for doc in docs:
        n += 1
        name = quote(doc.url, safe="")
        if len(name) > 200:  # file names stop at 255 bytes: a long address goes by its hash
            name = hashlib.sha256(doc.url.encode()).hexdigest()
        name += ".html"
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, doc.html.encode())
        finally:
            os.close(fd)
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
    return sum(1 for _ in source.glob("*.html"))


def _job(docs: list[Doc], source: Path, out: Path) -> int:
    """Write one bundle's documents, index them, delete them; return the page count."""
    write_docs(docs, source)
    try:
        return _index(source, out)
    finally:
        shutil.rmtree(source, ignore_errors=True)


def index_bundles(jobs: list[tuple[list[Doc], Path, Path]]) -> list[int]:
    """Index each (documents, scratch folder, output folder); return the page count of each.

    Writing and deleting a bundle's documents overlap with the other bundles' indexing.
    """
    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(lambda job: _job(*job), jobs))


def bundle_files(out: Path) -> Iterable[tuple[str, Path]]:
    """(relative path, file) of the bundle files the site serves, in a stable order."""
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames.sort()
        for name in sorted(filenames):
            if name in KEEP or name.endswith(KEEP_SUFFIXES):
                full = Path(dirpath) / name
                yield full.relative_to(out).as_posix(), full
