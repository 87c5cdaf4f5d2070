"""Write the new site tree next to the previous one, re-using unchanged files.

A file whose bytes equal the previous build's is hard-linked from it instead of written,
so an unchanged rebuild changes nothing on disk (and deploy tools that compare inodes or
mtimes see only the pages a data change touched).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Counts:
    files: int = 0
    changed: int = 0

    def add(self, other: Counts) -> None:
        self.files += other.files
        self.changed += other.changed


class TreeWriter:
    """Write files under `new`, linking those identical to the ones under `prev`."""

    def __init__(self, new: Path, prev: Path | None):
        self.new = str(new)
        self.prev = str(prev) if prev is not None and prev.is_dir() else None
        self.counts = Counts()
        self._dirs: set[str] = set()

    def _mkdir(self, path: str) -> None:
        parent = os.path.dirname(path)
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)

    def write(self, rel: str, data: bytes) -> None:
        """Write `data` at `rel` (a /-separated path under the site root)."""
        path = os.path.join(self.new, rel)
        self._mkdir(path)
        self.counts.files += 1
        if self.prev is not None and self._same(os.path.join(self.prev, rel), data):
            try:
                os.link(os.path.join(self.prev, rel), path)
                return
            except OSError:  # another filesystem: copy the bytes, still unchanged
                self.counts.changed -= 1
        with open(path, "wb") as fh:
            fh.write(data)
        self.counts.changed += 1

    @staticmethod
    def _same(old: str, data: bytes) -> bool:
        try:
            if os.path.getsize(old) != len(data):
                return False
            with open(old, "rb") as fh:
                return fh.read() == data
        except OSError:
            return False

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


def removed(prev: Path, new: Path) -> int:
    """Files of the previous tree that the new one no longer has."""
    if not prev.is_dir():
        return 0
    n = 0
    for dirpath, _, filenames in os.walk(prev):
        rel_dir = os.path.relpath(dirpath, prev)
        target = os.path.join(new, rel_dir)
        if not os.path.isdir(target):
            n += len(filenames)
            continue
        present = set(os.listdir(target))
        n += sum(1 for f in filenames if f not in present)
    return n


def clear(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
