"""Write the new site tree next to the previous one, re-using unchanged files.

A file whose bytes equal the previous build's is hard-linked from it instead of written,
so an unchanged rebuild changes nothing on disk (and deploy tools that compare inodes or
mtimes see only the pages a data change touched).

The new tree may start as the standby (generator/fsutil.py): the tree before the live one,
sharing most files with it by hard links. A path is then never written in place (it may be
a link to a live file): it is replaced, and a path that already is the live file's link is
left as it is. `prune` removes what the build did not place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .cache import RenderCache


class Scanner(Protocol):
    """The guard's first pass (generator/guard.py): findings in a file as it is written."""

    def bytes(self, rel: str, data: bytes) -> list[Any]: ...

    def path(self, rel: str, path: str) -> list[Any]: ...

    def flush(self) -> list[Any]: ...


@dataclass
class Counts:
    files: int = 0
    changed: int = 0
    cpu: float = 0.0  # CPU seconds spent by worker processes (for the benchmark)
    scanned: int = 0  # files whose bytes the scanner read (the rest: unchanged, inherited)
    scan_s: float = 0.0  # seconds spent scanning, summed over processes
    findings: list[Any] = field(default_factory=list)
    kept: int = 0  # files not rendered: linked from the previous build (render cache)
    # rel -> (inode, size, mtime_ns) of each file written, when the writer tracks them
    stamps: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        self.files += other.files
        self.changed += other.changed
        self.cpu += other.cpu
        self.scanned += other.scanned
        self.scan_s += other.scan_s
        self.findings += other.findings
        self.kept += other.kept
        self.stamps.update(other.stamps)


class TreeWriter:
    """Write files under `new`, linking those identical to the ones under `prev`.

    With a `scanner`, every file is checked as it is written, from the bytes in hand (no
    re-read of the tree). With `inherit`, a file identical to the previous build's keeps
    that build's verdict: the previous tree passed the same scanner before it went live.
    With `track`, the identity of every file placed is kept in `counts.stamps` (for the
    render cache, generator/web/cache.py).
    """

    def __init__(
        self,
        new: Path,
        prev: Path | None,
        scanner: Scanner | None = None,
        inherit: bool = False,
        track: bool = False,
    ):
        self.new = str(new)
        self.prev = str(prev) if prev is not None and prev.is_dir() else None
        self.counts = Counts()
        self.scanner = scanner
        self.inherit = inherit and self.prev is not None
        self.track = track
        # The render cache of the build (generator/web/cache.py), for the stages that
        # skip unchanged pages; None: every page is rendered.
        self.cache: RenderCache | None = None
        self._dirs: set[str] = set()
        self.standby = False  # the tree started as the standby (prune removes its rest)

    def scan(self, rel: str, data: bytes | None = None, linked: bool = False) -> None:
        """Run the scanner over a file just placed at `rel` (its bytes, or read from disk)."""
        if self.scanner is None or (linked and self.inherit):
            return
        start = time.perf_counter()
        self.counts.scanned += 1
        if data is not None:
            self.counts.findings += self.scanner.bytes(rel, data)
        else:
            self.counts.findings += self.scanner.path(rel, f"{self.new}/{rel}")
        self.counts.scan_s += time.perf_counter() - start

    def finish(self) -> Counts:
        """Scan what the scanner still holds (it reads in batches); return the counts."""
        if self.scanner is not None:
            start = time.perf_counter()
            self.counts.findings += self.scanner.flush()
            self.counts.scan_s += time.perf_counter() - start
        return self.counts

    def _mkdir(self, parent: str) -> None:
        if parent in self._dirs:
            return
        # Once per folder (record pages are flat files: one folder per dataset); one mkdir
        # for the usual case, makedirs only when a parent is missing too.
        try:
            os.mkdir(parent)
        except FileExistsError:
            if not os.path.isdir(parent):  # a file of the standby where a folder goes now
                os.unlink(parent)
                os.mkdir(parent)
        except FileNotFoundError:
            os.makedirs(parent, exist_ok=True)
        self._dirs.add(parent)

    def write(self, rel: str, data: bytes) -> None:
        """Write `data` at `rel` (a /-separated path under the site root)."""
        path = f"{self.new}/{rel}"
        self._mkdir(path.rpartition("/")[0])
        self.counts.files += 1
        old = self._same(f"{self.prev}/{rel}", data) if self.prev is not None else None
        if old is not None:
            try:
                _link(f"{self.prev}/{rel}", path, old.st_ino)
                self.stamp(rel, old)
                self.scan(rel, data, linked=True)
                return
            except OSError:  # another filesystem: copy the bytes, still unchanged
                self.counts.changed -= 1
        # os.open/os.write: the buffered file object costs more than the write itself.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            # Never truncate in place: a path of the standby or one written twice may be a
            # hard link into the live site, which must stay untouched until the swap.
            clear(Path(path))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
            if self.track:
                self.stamp(rel, os.fstat(fd))
        finally:
            os.close(fd)
        self.counts.changed += 1
        self.scan(rel, data)

    def stamp(self, rel: str, st: os.stat_result) -> None:
        """Note the identity of the file now at `rel` (when tracking)."""
        if self.track:
            self.counts.stamps[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)

    def keep(self, rel: str, ident: tuple[int, int, int]) -> bool:
        """Place the previous build's file at `rel` without rendering it, if it is still
        the file the render cache knows (same inode, size and mtime); else False.

        The file is hard-linked, as write() links an unchanged page, and keeps the
        previous build's guard verdict the same way (or is scanned from disk)."""
        if self.prev is None:
            return False
        old = f"{self.prev}/{rel}"
        try:
            st = os.stat(old)
        except OSError:
            return False
        if (st.st_ino, st.st_size, st.st_mtime_ns) != ident:
            return False
        path = f"{self.new}/{rel}"
        self._mkdir(path.rpartition("/")[0])
        try:
            _link(old, path, st.st_ino)
        except OSError:
            return False
        self.counts.files += 1
        self.counts.kept += 1
        self.stamp(rel, st)
        self.scan(rel, linked=True)
        return True

    def move(self, rel: str, src: str) -> int:
        """Move the file `src` (a scratch file) to `rel`; return its size.

        A rename where it can (no bytes copied); the bytes go through write() when the
        previous build may hold the same file (so that it is linked, unchanged) or when
        `src` is on another filesystem.
        """
        size = os.path.getsize(src)
        path = f"{self.new}/{rel}"
        if self.prev is None or _size(f"{self.prev}/{rel}") != size:
            self._mkdir(path.rpartition("/")[0])
            clear(Path(path))  # never rename over a path linked into the previous tree
            try:
                os.rename(src, path)
                self.counts.files += 1
                self.counts.changed += 1
                if self.track:
                    self.stamp(rel, os.stat(path))
                self.scan(rel)
                return size
            except OSError:
                pass
        with open(src, "rb") as fh:
            self.write(rel, fh.read())
        os.unlink(src)
        return size

    @staticmethod
    def _same(old: str, data: bytes) -> os.stat_result | None:
        """The stat of the previous build's file when its bytes equal `data`, else None."""
        try:
            st = os.stat(old)
            if st.st_size != len(data):
                return None
            with open(old, "rb") as fh:
                return st if fh.read() == data else None
        except OSError:
            return None

    def copy_tree(self, src: Path, skip: set[str]) -> None:
        """Feed every file under `src` (but `skip`, relative paths) through write()."""
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, src).replace(os.sep, "/")
                if rel not in skip:
                    with open(full, "rb") as fh:
                        self.write(rel, fh.read())

    def prune(self) -> int:
        """Remove every file (and emptied folder) under the tree that this build did not
        place (its `counts.stamps`): what a standby still held. Returns the files removed."""
        if not self.standby:
            return 0  # an empty folder at the start: it holds only what was placed
        placed, gone = self.counts.stamps, 0
        root = self.new + "/"
        for dirpath, dirnames, filenames in os.walk(self.new, topdown=False):
            base = dirpath[len(root) :] + "/" if dirpath != self.new else ""
            for name in filenames:
                if base + name not in placed:
                    os.unlink(f"{dirpath}/{name}")
                    gone += 1
            for name in dirnames:
                if os.path.islink(f"{dirpath}/{name}"):  # os.walk lists, never follows, it
                    os.unlink(f"{dirpath}/{name}")
                    continue
                with contextlib.suppress(OSError):  # not empty: it holds placed files
                    os.rmdir(f"{dirpath}/{name}")
        return gone


def _link(old: str, path: str, ino: int) -> None:
    """Hard-link `old` at `path`, replacing what is there unless it already is `old`'s
    inode `ino` (the standby's link to a file the live tree still has)."""
    try:
        os.link(old, path)
    except FileExistsError:
        try:
            if os.lstat(path).st_ino == ino:
                return
        except OSError:
            pass
        clear(Path(path))
        os.link(old, path)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return -1


def count_files(root: Path) -> int:
    """Files under `root` (no stat: directory entries only)."""
    n = 0
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                else:
                    n += 1
    return n


def removed(prev: Path, new: Path) -> int:
    """Files of the previous tree that the new one no longer has."""
    if not prev.is_dir():
        return 0
    n = 0
    stack = [(str(prev), str(new))]
    while stack:
        old_dir, new_dir = stack.pop()
        try:
            present = set(os.listdir(new_dir))
        except OSError:  # the folder is gone: every file under it
            n += count_files(Path(old_dir))
            continue
        with os.scandir(old_dir) as entries:
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    stack.append((e.path, f"{new_dir}/{e.name}"))
                elif e.name not in present:
                    n += 1
    return n


def clear(path: Path) -> None:
    """Remove the file or folder at `path`, if any."""
    try:
        os.unlink(path)
    except IsADirectoryError:
        shutil.rmtree(path, ignore_errors=True)
    except FileNotFoundError:
        pass
    except PermissionError:  # a folder, on systems that say so
        shutil.rmtree(path, ignore_errors=True)
