"""Run Pagefind (extended build) over the search documents, one bundle at a time.

Each bundle is indexed by its own run of the Pagefind CLI, so its memory is returned when
the bundle is written: the peak is that of the largest bundles being indexed at once, not
of the whole site. Each document's HTML is kept compressed in memory as it is made (~0.5 KB
a subject: ~130 MB at a million records) with its digest; only the bundles whose documents
changed since the previous build are written out, as flat files into the bundle's folder by
the worker that indexes it, and deleted by it straight after (the Python API's custom
records wait 0.1 s per response: a day at a million). An unchanged bundle is never written
out. A document's page address travels in its `href` metadata, not in its file name.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import cbor2

from ..executors import map_ordered
from .documents import Doc
from .tokens import is_pair

# The search page uses the JS API only; the UI bundles and the playground are not copied.
KEEP = ("pagefind.js", "pagefind-worker.js", "pagefind-entry.json")
KEEP_SUFFIXES = (".pf_meta", ".pagefind", ".pf_index", ".pf_fragment", ".pf_filter")
CONCURRENT = 2  # bundles indexed at once (one Pagefind process each)
TIMEOUT = 1800.0  # seconds one Pagefind run may take (a 10 000-subject bundle takes ~1 min)
_MAGIC = b"pagefind_dcd"  # what Pagefind writes before the CBOR of every binary file
_META_FILTERS = 3  # index of the [filter name, file hash] list in the metadata
_META_SORTS = 4  # index of the [sort name, page order] list


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


def pack(docs: Iterable[Doc]) -> Iterator[Doc]:
    """Yield each document with its digest and its HTML compressed (`packed`), not in clear."""
    for doc in docs:
        data = doc.html.encode()
        doc.digest = hashlib.sha256(doc.url.encode() + b"\0" + data).digest()
        doc.packed = zlib.compress(data, 1)
        doc.html = ""
        yield doc


def html_of(doc: Doc) -> bytes:
    """A packed document's HTML."""
    return zlib.decompress(doc.packed)


def write_docs(docs: Iterable[Doc], folder: Path) -> None:
    """Write each packed document into `folder` as a flat file named by its address."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        fd = os.open(folder / doc_name(doc.url), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, html_of(doc))
        finally:
            os.close(fd)


def _index(source: Path, out: Path, timeout: float) -> None:
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
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise SearchError(
            f"Pagefind 建立搜索索引超时（超过 {timeout:g} 秒，已终止）：可用 --search-timeout 放宽"
        ) from exc
    if done.returncode != 0:
        raise SearchError(
            f"Pagefind 建立搜索索引失败：{done.stderr.strip() or done.stdout.strip()}"
        )
    try:
        json.loads((out / "pagefind-entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SearchError(f"Pagefind 索引不完整：{out}") from exc
    canonical(out)


def _load(path: Path) -> object:
    return cbor2.loads(gzip.decompress(path.read_bytes())[len(_MAGIC) :])


def _save(folder: Path, stem: str, suffix: str, value: object, digits: int) -> str:
    """Write `value` as Pagefind does (magic + CBOR, gzipped); its name is its own hash."""
    data = _MAGIC + cbor2.dumps(value)
    name = f"{stem}_{hashlib.sha256(data).hexdigest()[:digits]}"
    (folder / f"{name}{suffix}").write_bytes(gzip.compress(data, mtime=0))
    return name


def canonical(out: Path) -> None:
    """Make a bundle's bytes depend on its documents only.

    Pagefind writes each filter's values, and the filters and the sorts in the metadata,
    in hash-map order, different in every run: sort them, rename those files after their
    new content and point pagefind-entry.json at the new metadata file.
    """
    entry_path = out / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for lang, info in sorted(entry["languages"].items()):
        meta_path = out / f"pagefind.{info['hash']}.pf_meta"
        meta: Any = _load(meta_path)
        renamed = {}
        for _name, fhash in meta[_META_FILTERS]:
            path = out / "filter" / f"{fhash}.pf_filter"
            name, values = cast(list[Any], _load(path))
            path.unlink()
            renamed[fhash] = _save(out / "filter", lang, ".pf_filter", [name, sorted(values)], 7)
        meta[_META_FILTERS] = sorted([f, renamed[h]] for f, h in meta[_META_FILTERS])
        if len(meta) > _META_SORTS:  # the sorts (date, rank), in hash-map order too
            meta[_META_SORTS] = sorted(meta[_META_SORTS], key=lambda s: str(s[0]))
        meta_path.unlink()
        info["hash"] = _save(out, f"pagefind.{lang}", ".pf_meta", meta, 10).split(".", 1)[1]
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), "utf-8")


def _job(docs: list[Doc], source: Path, out: Path, timeout: float) -> int:
    """Write one bundle's documents into `source` (a document may be in two bundles: main
    or more-* and recent), index them, delete them; return the count."""
    try:
        write_docs(docs, source)
        _index(source, out, timeout)
        return len(docs)
    finally:
        shutil.rmtree(source, ignore_errors=True)


Job = tuple[list[Doc], Path, Path]  # documents, scratch folder, output folder


def _run(job: Job, timeout: float) -> int:
    return _job(job[0], job[1], job[2], timeout)


def index_bundles(
    jobs: list[Job], timeout: float = TIMEOUT, pool: Executor | None = None
) -> list[int]:
    """Index each (documents, scratch folder, output folder); return the page counts.

    Writing and deleting a bundle's documents overlap with the other bundles' indexing.
    Each Pagefind run is stopped after `timeout` seconds (SearchError). With `pool` (the
    build's executor: a process pool or a Dask cluster, whose workers share the work
    folder) each bundle is a task of its own, run where the executor puts it; without
    one, CONCURRENT Pagefind processes run from here.
    """
    if pool is not None:
        return map_ordered(pool, _run, jobs, timeout)
    with ThreadPoolExecutor(CONCURRENT) as local:
        return list(local.map(lambda job: _run(job, timeout), jobs))


def bundle_files(out: Path) -> Iterable[tuple[str, Path]]:
    """(relative path, file) of the bundle files the site serves, in a stable order."""
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames.sort()
        for name in sorted(filenames):
            if name in KEEP or name.endswith(KEEP_SUFFIXES):
                full = Path(dirpath) / name
                yield full.relative_to(out).as_posix(), full


_BODY = re.compile(r"<p[^>]*>([^<]*)</p>")


def pair_words(docs: Iterable[Doc]) -> set[str]:
    """The Han pair words (tokens.is_pair) in the bodies of packed `docs`."""
    out: set[str] = set()
    for doc in docs:
        for body in _BODY.findall(html_of(doc).decode()):
            out.update(w for w in body.split() if is_pair(w))
    return out
