"""Filesystem helpers: directories replaced in one atomic step, recovery after a kill, and
the lock that keeps two builds (or publishes) from sharing folders.

A replaced directory `<name>` has siblings while it is being replaced:

- `.<name>.<tag>` (tag `tmp-<pid>` unless given): the new tree being written;
- `.<name>.<tag>-new`: the same tree once it is complete (renamed, so it is complete by
  construction);
- `.<name>.<tag>-old`: the previous tree, only on a system without RENAME_EXCHANGE,
  between the two renames there.

On Linux the complete new tree and `<name>` are exchanged by one renameat2(RENAME_EXCHANGE)
call: a reader, or a kill at any instant, finds the old tree or the new one, never none.
`recover` (run at the start of the next build or publish) restores `<name>` from `-old`
(else `-new`) if a kill on a system without RENAME_EXCHANGE left it missing, and removes
what dead runs left behind.

With `standby`, the tree a swap takes out is kept as `.<name>.standby` instead of being
deleted, and the next replacement starts from it (renamed to its `.<name>.tmp-<pid>`): the
site build then only replaces the files that changed and removes the ones it did not place
(TreeWriter.prune), instead of linking every unchanged file into an empty folder and
deleting the whole previous tree after the swap. The standby may share files (hard links)
with the live tree, so nothing may be written into it in place: every writer replaces a
path (a new file, renamed or linked over it). A replacement that fails deletes it: a tree
the guard refused is never kept.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# Test hooks (fault injection, tests/test_swap.py): the process exits at the named step of
# a swap; XY_NO_EXCHANGE=1 takes the two-rename path as on a system without renameat2.
FAULT_ENV, NO_EXCHANGE_ENV = "XY_SWAP_FAULT", "XY_NO_EXCHANGE"
SWAP_STEPS = ("written", "ready", "exchanged", "moved-aside", "renamed", "cleaned")
FAULT_EXIT = 86
_TMP = re.compile(r"^\..+\.tmp-(?P<pid>\d+)(-new|-old)?$")
_DONE = ("-old", "-new")
STANDBY = "standby"


def _fault(step: str) -> None:
    if os.environ.get(FAULT_ENV) == step:
        os._exit(FAULT_EXIT)


def _renameat2() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_RENAMEAT2 = _renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Swap `a` and `b` atomically (both must exist); False where the system cannot."""
    if _RENAMEAT2 is None or os.environ.get(NO_EXCHANGE_ENV) == "1":
        return False
    rc = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # this filesystem (or kernel) has no RENAME_EXCHANGE
    raise OSError(err, os.strerror(err), str(a))


def standby_of(target: Path) -> Path:
    """Where the tree a swap took out of `target` is kept for the next build (`standby`)."""
    return target.with_name(f".{target.name}.{STANDBY}")


def _retire(old: Path, spare: Path | None) -> None:
    """The tree a swap took out: kept as the standby `spare`, else deleted."""
    if spare is None:
        shutil.rmtree(old, ignore_errors=True)
        return
    shutil.rmtree(spare, ignore_errors=True)
    try:
        old.rename(spare)
    except OSError:
        shutil.rmtree(old, ignore_errors=True)


def swap_in(new: Path, target: Path, spare: Path | None = None) -> None:
    """Put the complete tree `new` at `target`; the previous one, if any, is removed (or
    kept at `spare`)."""
    ready = new.with_name(new.name + "-new")
    old = new.with_name(new.name + "-old")
    shutil.rmtree(ready, ignore_errors=True)
    new.rename(ready)
    _fault("ready")
    if not target.exists():
        ready.rename(target)
        return
    if exchange(ready, target):
        _fault("exchanged")
        _retire(ready, spare)  # now the previous tree
    else:
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        _fault("moved-aside")
        ready.rename(target)
        _fault("renamed")
        _retire(old, spare)
    _fault("cleaned")


@contextmanager
def replace_dir(target: Path, tag: str = "", standby: bool = False) -> Iterator[Path]:
    """Yield a fresh sibling directory; on success it replaces `target` (see swap_in).

    With `standby`, the directory yielded is the tree the last swap took out, when there is
    one (else empty), and the tree this swap takes out is kept for the next (module doc).
    On any exception the temporary directory is removed and `target` is left as it was.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = tag or f"tmp-{os.getpid()}"
    tmp = target.with_name(f".{target.name}.{tag}")
    for stale in (tmp, tmp.with_name(tmp.name + "-new"), tmp.with_name(tmp.name + "-old")):
        shutil.rmtree(stale, ignore_errors=True)
    spare = standby_of(target) if standby else None
    if spare is not None and spare.is_dir() and not spare.is_symlink():
        spare.rename(tmp)
    else:
        tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fault("written")
    try:
        swap_in(tmp, target, spare)
    except BaseException:
        if target.exists():  # old or new, complete either way: drop the leftovers
            for left in (tmp, tmp.with_name(tmp.name + "-new"), tmp.with_name(tmp.name + "-old")):
                shutil.rmtree(left, ignore_errors=True)
        raise  # else `recover` restores it on the next run


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(target: Path) -> list[str]:
    """Repair what a killed replacement of `target` left; return what was done (Chinese).

    `target` missing: restored from a `-old` sibling (the previous complete tree), else a
    `-new` one (a complete, checked new tree). Then every sibling left by a dead process
    (`.<name>.tmp-<pid>…`, pid not alive) and every stray `-old`/`-new` is removed.
    """
    target = Path(os.path.abspath(target))
    parent = target.parent
    if not parent.is_dir():
        return []
    done: list[str] = []
    siblings = _siblings(target)
    if not target.exists():
        for suffix in ("-old", "-new"):
            found = [p for p in siblings if p.name.endswith(suffix)]
            if found:
                found[0].rename(target)
                siblings.remove(found[0])
                done.append(f"上次运行在替换 {target} 时中断：已从 {found[0].name} 恢复")
                break
    for p in siblings:
        m = _TMP.match(p.name)
        alive = m is not None and _pid_alive(int(m["pid"]))
        if (p.name.endswith(_DONE) or m) and not alive and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"已删除中断的运行留下的临时目录 {p}")
    return done


def backups(target: Path) -> list[Path]:
    """Siblings of `target` that may hold a previous complete tree (`-old`, `-new`)."""
    return [p for p in _siblings(Path(os.path.abspath(target))) if p.name.endswith(_DONE)]


def _siblings(target: Path) -> list[Path]:
    """`.<name>.<tag>…` beside `target` (a tag has no dot: `.<name>.x.tmp-1` is not one)."""
    head = f".{target.name}."
    if not target.parent.is_dir():
        return []
    return sorted(
        p
        for p in target.parent.iterdir()
        if p.name.startswith(head) and "." not in p.name[len(head) :] and p.is_dir()
    )


class LockHeld(Exception):
    """Another process holds the lock; `pid` is its process id (0 when unknown)."""

    def __init__(self, path: Path, pid: int):
        super().__init__(f"{path} is locked by {pid}")
        self.path = path
        self.pid = pid


@contextmanager
def locked(path: Path, wait: bool = False) -> Iterator[Path]:
    """Hold an exclusive flock on `path` (created, with this pid written in it).

    Raises LockHeld at once when another process holds it, unless `wait`. The kernel
    releases the lock when the process dies, so a killed build never leaves it held.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fh: IO[str] = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held until the end)
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            text = fh.read().strip()
            raise LockHeld(path, int(text) if text.isdigit() else 0) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield path
    finally:
        with contextlib.suppress(OSError):
            fh.close()


def lock_file(folder: Path) -> Path:
    """The lock beside a replaced folder: `.<name>-lock` in its parent (never replaced)."""
    folder = Path(os.path.abspath(folder))
    return folder.with_name(f".{folder.name}-lock")


def inside(child: Path, parent: Path) -> bool:
    """True when `child` is `parent` or lies under it."""
    c, p = child.resolve(), parent.resolve()
    return c == p or p in c.parents
