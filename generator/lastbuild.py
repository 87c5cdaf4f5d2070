"""The last build, remembered: a rebuild that would write the same site writes nothing.

A build is a pure function of its inputs — the drop, the configuration, the generator
(code, templates, libraries), the narrative sources (mkdocs.yml, content/), the build date
and the previous ledger — and it is idempotent: built again over its own output, it
writes the same files (tests/test_lastbuild.py). So when every input is the one the last
successful build used, and the live site and the office's report are exactly the files
that build left (same names, inodes, sizes and modification times), the build has
nothing to do: the site stays as it is, already checked by the guard.

The check comes before anything is loaded (the pipeline's kept result is a gigabyte at a
million records): the record holds the account the build printed and its exit code.
The previous ledger counts as unchanged only when it is the live site's own
(`downloads/ledger.csv`, covered by the tree's identity); a ledger given with --ledger or
fetched from a URL always means a full build. The record is kept in the private work
folder; it is removed before any other build starts and written only after the new site
and report are in place, so a missing, stale or damaged record only costs a full build.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import polars as pl

from .opendata.ledger import REL as LEDGER_REL
from .web.cache import code_stamp

NAME = "last-site.json"
PLACED = "site-files.arrow"  # the live site's files, as the last build placed them
VERSION = "2"  # bump when the key's or the record's layout changes
TOOLS = ("mkdocs", "mkdocs-material", "pagefind", "pagefind-bin-extended")


@dataclass(frozen=True)
class Kept:
    """What the last build printed of the drop and its exit code: said again when kept."""

    lines: list[str]
    code: int


def build_key(
    drop: str, out: Path, ledger: str | None, first: bool, sources: list[Path]
) -> str | None:
    """The key of everything a build's output depends on (`drop`: memo.drop_key); None
    when the previous ledger is not the live site's own (--ledger, --first-publication,
    no ledger in the site: opendata.ledger.previous_ledger looks elsewhere)."""
    if ledger is not None or first or not (out / LEDGER_REL).is_file():
        return None
    h = hashlib.sha256(f"{VERSION}\0{drop}\0{code_stamp()}\0{out.resolve()}".encode())
    for tool in TOOLS:
        try:
            h.update(f"\0{tool} {version(tool)}".encode())
        except PackageNotFoundError:
            h.update(f"\0{tool} -".encode())
    for source in sources:  # mkdocs.yml, content/, site.yml
        paths = sorted(source.rglob("*")) if source.is_dir() else [source]
        for p in paths:
            if p.is_file():
                h.update(b"\0" + str(p).encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def tree_identity(
    roots: list[Path], placed: dict[Path, list[FileIdent]] | None = None
) -> tuple[str, int]:
    """A digest of every file under `roots` (path, inode, size, mtime) and their number:
    any file added, removed, replaced or edited changes it. A root's files are read from
    disk, or taken from `placed` (what the build's writers placed there: `placed_files`)."""
    h = hashlib.sha256()
    files = 0
    for root in roots:
        h.update(b"\0root\0" + str(root).encode())
        found = (placed or {}).get(root)
        listed = sorted(found) if found is not None else _walk(root)
        for rel, ino, size, mtime in listed:
            h.update(f"{rel}\0{ino}\0{size}\0{mtime}\n".encode())
        files += len(listed)
    return h.hexdigest(), files


FileIdent = tuple[str, int, int, int]  # path under the root, inode, size, mtime_ns


def _walk(root: Path) -> list[FileIdent]:
    """Every file under `root` with its identity, sorted by path; a missing root is empty."""
    out: list[FileIdent] = []
    stack = [str(root)]
    base = len(str(root)) + 1
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
            else:
                st = e.stat(follow_symlinks=False)
                out.append((e.path[base:], st.st_ino, st.st_size, st.st_mtime_ns))
    out.sort()
    return out


def placed_files(work: Path) -> list[FileIdent] | None:
    """The files the last successful build placed in the site (`save_placed`), or None."""
    try:
        frame = pl.read_ipc(work / "cache" / PLACED)
        return [(str(r), int(i), int(s), int(m)) for r, i, s, m in frame.iter_rows()]
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None


def save_placed(work: Path, stamps: dict[str, tuple[int, int, int]]) -> None:
    """After the swap: every file the writers placed in the live site, with its identity
    (read back by `remember` instead of walking the site, and by the next build's count
    of removed files)."""
    path = work / "cache" / PLACED
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(
        [(r, *i) for r, i in stamps.items()],
        schema={"rel": pl.Utf8, "ino": pl.Int64, "size": pl.Int64, "mtime": pl.Int64},
        orient="row",
    )
    tmp = path.with_suffix(".tmp")
    frame.sort("rel").write_ipc(tmp)
    os.replace(tmp, path)


def _roots(out: Path, work: Path) -> list[Path]:
    return [out.resolve(), (work / "report").resolve(), (work / "records").resolve()]


def unchanged(out: Path, work: Path, key: str | None) -> Kept | None:
    """The last build's account when it had the same key and its site and report are
    untouched; None when the build must run."""
    if key is None:
        return None
    try:
        record = json.loads((work / "cache" / NAME).read_text(encoding="utf-8"))
        if record["key"] != key:
            return None
        lines, code = [str(x) for x in record["lines"]], int(record["code"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    digest, files = tree_identity(_roots(out, work))
    if record.get("tree") != digest:
        return None
    said = (
        f"数据、配置、内容页和生成器都与上次成功生成时相同，网站和内部报告的 {files} 个文件"
        "也未被改动：网站已是最新，本次没有重新生成（原网站保持不变，已通过安全检查）"
    )
    return Kept([*lines, said], code)


def forget(work: Path) -> None:
    """Before a build changes anything: the record no longer describes what will be there."""
    (work / "cache" / NAME).unlink(missing_ok=True)


def remember(out: Path, work: Path, key: str | None, lines: list[str], code: int) -> None:
    """After the site and the report were replaced: what this build used, left and said."""
    if key is None:
        return
    roots = _roots(out, work)
    placed = placed_files(work)  # the site's files as placed: no walk over a million
    digest, files = tree_identity(roots, {roots[0]: placed} if placed is not None else None)
    path = work / "cache" / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    body = {"key": key, "tree": digest, "files": files, "lines": lines, "code": code}
    tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
