"""Filesystem helpers: directories replaced atomically, so a failed build leaves the
previous output untouched."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replace_dir(target: Path, tag: str = "") -> Iterator[Path]:
    """Yield a fresh sibling directory; on success it replaces `target` in two renames.

    On any exception the temporary directory is removed and `target` is left as it was.
    The siblings are `.<name>.<tag>` and `.<name>.<tag>-old` (tag: `tmp-<pid>` unless given).
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = tag or f"tmp-{os.getpid()}"
    tmp = target.with_name(f".{target.name}.{tag}")
    old = target.with_name(f".{target.name}.{tag}-old")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def inside(child: Path, parent: Path) -> bool:
    """True when `child` is `parent` or lies under it."""
    c, p = child.resolve(), parent.resolve()
    return c == p or p in c.parents
