"""Deploy targets that write to a folder: the local (or mounted) folder a web server serves.

`swap` (default): a staged copy of the live folder is assembled next to it — unchanged
files hard-linked from the live copy, changed ones copied, the manifest included — and
exchanged with it in one atomic step (fsutil.swap_in), so readers see the old site or the
new one, never a mix or none, and a deploy that dies leaves the live folder as it was.
The deploy holds `.<live>-lock` beside the live folder (a second one stops: LockHeld), and
first repairs what a killed deploy left (fsutil.recover).

`inplace` (for a mount point, which cannot be renamed): files are written one by one
(each to a temporary name, then renamed over the old one) in the plan's order, deletions
after every upload, the manifest last — see `ordered_deploy`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..fsutil import backups, lock_file, locked, recover, replace_dir
from .plan import CONTROL, MANIFEST, PENDING, Plan

OnFile = Callable[[str], None]  # called after each file reaches the target


class PublishError(Exception):
    """The deploy could not be completed; the live site is as it was (or converges next run)."""


def ordered_deploy(
    target: InPlace, src: Path, plan: Plan, manifest: bytes, on_file: OnFile
) -> None:
    """Uploads phase by phase, then deletions, then the manifest; never delete early."""
    target.write(PENDING, json.dumps(plan.upload_list, ensure_ascii=False).encode())
    for group in plan.uploads:
        if group:
            target.put(src, group, on_file)
    if plan.deletions:
        target.delete(plan.deletions)
    target.write(MANIFEST, manifest)
    target.delete([PENDING])


class InPlace:
    """What an in-place target does; LocalTarget, RsyncTarget and S3Target implement it."""

    def read(self, rel: str) -> bytes | None:  # pragma: no cover - interface
        raise NotImplementedError

    def write(self, rel: str, data: bytes) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def put(self, src: Path, rels: list[str], on_file: OnFile) -> None:  # pragma: no cover
        raise NotImplementedError

    def delete(self, rels: list[str]) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def _atomic_copy(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = f"{dst}.publish-tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


class LocalTarget(InPlace):
    def __init__(self, path: Path, mode: str = "swap"):
        self.path = Path(os.path.abspath(path))
        self.mode = mode

    def describe(self) -> str:
        return f"本地目录 {self.path}（{'整体替换' if self.mode == 'swap' else '逐个文件替换'}）"

    def read(self, rel: str) -> bytes | None:
        if not self.path.exists() and backups(self.path):
            with locked(lock_file(self.path)):  # a killed swap: the live folder comes back
                recover(self.path)
        try:
            return (self.path / rel).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, rel: str, data: bytes) -> None:
        dst = self.path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(dst.name + ".publish-tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dst)

    def put(self, src: Path, rels: list[str], on_file: OnFile) -> None:
        for rel in rels:
            _atomic_copy(f"{src}/{rel}", f"{self.path}/{rel}")
            on_file(rel)

    def delete(self, rels: list[str]) -> None:
        for rel in rels:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path / rel)
            _prune(self.path, (self.path / rel).parent)

    def deploy(self, src: Path, plan: Plan, manifest: bytes, on_file: OnFile) -> str:
        """Deploy `plan`; return the mode used (a mount point cannot be swapped)."""
        with locked(lock_file(self.path)):
            recover(self.path)
            if self.mode == "swap" and not os.path.ismount(self.path):
                self._swap(src, plan, manifest, on_file)
                return "swap"
            self.path.mkdir(parents=True, exist_ok=True)
            ordered_deploy(self, src, plan, manifest, on_file)
            return "inplace"

    def _swap(self, src: Path, plan: Plan, manifest: bytes, on_file: OnFile) -> None:
        live = self.path
        sent = set(plan.upload_list)
        made: set[str] = set()
        with replace_dir(live, "publish-stage") as stage:
            for rel in plan.new:
                dst = f"{stage}/{rel}"
                folder = os.path.dirname(dst)
                if folder not in made:  # one mkdir per folder, not per file
                    os.makedirs(folder, exist_ok=True)
                    made.add(folder)
                if rel in sent:
                    shutil.copyfile(f"{src}/{rel}", dst)
                    on_file(rel)
                    continue
                try:  # unchanged: share the live file's bytes
                    os.link(f"{live}/{rel}", dst)
                except OSError:
                    shutil.copyfile(f"{live}/{rel}", dst)
            # Files this tool never put there (a verification file, .well-known/) stay.
            for rel in _untracked(live, plan):
                dst = f"{stage}/{rel}"
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.link(f"{live}/{rel}", dst)
            (stage / MANIFEST).write_bytes(manifest)


def _untracked(live: Path, plan: Plan) -> list[str]:
    if not live.is_dir():
        return []
    out = []
    for dirpath, _, filenames in os.walk(live):
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), live).replace(os.sep, "/")
            if rel not in plan.known and rel not in plan.new and rel not in CONTROL:
                out.append(rel)
    return sorted(out)


def _prune(root: Path, folder: Path) -> None:
    """Remove `folder` and its parents up to `root` while they are empty."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
