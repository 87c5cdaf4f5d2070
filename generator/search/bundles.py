"""Run Pagefind (extended build) over the search documents, one bundle at a time.

Each bundle is indexed by its own run of the Pagefind CLI, so its memory is returned when
the bundle is written: the peak is that of the largest bundles being indexed at once, not
of the whole site. Documents go to Pagefind as flat files: each is written to a pool as it
is made (so the documents' HTML is never all in memory), moved into its bundle's folder by
the worker that indexes the bundle, and deleted by it straight after (the Python API's
custom records wait 0.1 s per response: a day at a million). A document's page address
travels in its `href` metadata, not in its file name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
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


def doc_name(url: str) -> str:
    """A document's file name: its page address, quoted.

    One name per address, the same in every build: Pagefind writes it into the document's
    fragment, which then changes only when the document does.
    """
    name = quote(url, safe="")
    if len(name) > 200:  # file names stop at 255 bytes: a long address goes by its hash
        name = hashlib.sha256(url.encode()).hexdigest()
    return name + ".html"


def spool(docs: Iterable[Doc], pool: Path) -> Iterator[Doc]:
    """Write each document's HTML into `pool`; yield it with its digest and without its HTML."""
    pool.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        data = doc.html.encode()
        fd = os.open(pool / doc_name(doc.url), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        doc.digest = hashlib.sha256(doc.url.encode() + b"\0" + data).digest()
        doc.html = ""
        yield doc


def _index(source: Path, out: Path) -> None:
    """Run the extended Pagefind CLI over one documents folder.

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


def _job(docs: list[Doc], pool: Path, source: Path, out: Path) -> int:
    """Move one bundle's documents out of the pool, index them, delete them; return the count."""
    source.mkdir(parents=True, exist_ok=True)
    try:
        for doc in docs:
            name = doc_name(doc.url)
            os.rename(pool / name, source / name)
        _index(source, out)
        return len(docs)
    finally:
        shutil.rmtree(source, ignore_errors=True)


def index_bundles(jobs: list[tuple[list[Doc], Path, Path, Path]]) -> list[int]:
    """Index each (documents, pool, scratch folder, output folder); return the page counts.

    Moving and deleting a bundle's documents overlap with the other bundles' indexing.
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
