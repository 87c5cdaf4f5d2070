"""What a deploy must do: the manifest of a built tree, the diff against the live one, and
the order in which files go out.

The output is deterministic, so a file whose SHA-256 equals the live manifest's is not
sent again. Order: a reader must never follow a live link to a file that is not there yet.
New files go first: no live page links to them until a page that already exists is
replaced, so among themselves their order does not matter (record and subject pages link
to each other). Then the replaced files, each phase only after the files it links to —
assets and downloads, record and article pages, subject pages, lists, search index, feeds
and other index pages, the home page last. Deletions come after every upload, when no live
page links to the deleted files any more.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".publish-manifest.json"
# Paths this deploy is about to write, recorded before the first upload: if the deploy
# dies, the next one knows these may exist on the target although no manifest lists them.
PENDING = ".publish-pending.json"
CONTROL = {MANIFEST, PENDING}
PHASES = ("assets", "records", "subjects", "lists", "home")
# Top-level folders whose pages are lists, not records or articles (the changelog lists
# records; the search page loads the index).
_LIST_DIRS = {"downloads", "search", "feeds", "pagefind"}
# Files that are not pages but point at records: the search index, feeds, the sitemap.
_INDEX_DIRS = {"feeds", "pagefind", "search"}

Manifest = dict[str, str]  # relative /-path -> sha256 hex


def phase(rel: str) -> int:
    """The upload phase of a relative path (index into PHASES)."""
    parts = rel.split("/")
    if rel == "index.html":
        return 4
    html = rel.endswith(".html")
    if not html and parts[0] not in _INDEX_DIRS and rel != "sitemap.xml":
        return 0
    if parts[0] == "subject":
        return 2
    if html and parts[0] not in _LIST_DIRS:
        if len(parts) == 2 and parts[1] != "index.html":
            return 1  # <dataset>/<id>.html (<dataset>/index.html is its list)
        if len(parts) == 3:
            return 1  # <section>/<article>/index.html
    return 3


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_manifest(root: Path) -> Manifest:
    """SHA-256 of every file under `root` (control files excluded), by relative path."""
    out: Manifest = {}
    base = str(root)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, base).replace(os.sep, "/")
            if rel not in CONTROL:
                out[rel] = sha256_file(full)
    return dict(sorted(out.items()))


def dump(manifest: Manifest) -> bytes:
    body = {"version": 1, "files": manifest}
    return json.dumps(body, ensure_ascii=False, indent=0, sort_keys=True).encode() + b"\n"


def load(data: bytes | None) -> Manifest:
    """A manifest from its bytes; {} for None (nothing published yet)."""
    if data is None:
        return {}
    body = json.loads(data)
    if not isinstance(body, dict) or body.get("version") != 1:
        raise ValueError("不是本工具写入的发布清单")
    return {str(k): str(v) for k, v in body["files"].items()}


@dataclass
class Plan:
    """Uploads in order (new files by phase, then replaced files by phase), deletions after."""

    new: Manifest
    # 2 × len(PHASES) groups: [new assets, new records, …, replaced assets, …, replaced home]
    uploads: list[list[str]] = field(default_factory=lambda: [[] for _ in PHASES * 2])
    deletions: list[str] = field(default_factory=list)
    unchanged: int = 0
    known: set[str] = field(default_factory=set)  # paths the live manifest (or journal) lists

    @property
    def upload_list(self) -> list[str]:
        return [rel for group in self.uploads for rel in group]

    def line(self) -> str:
        added = sum(len(g) for g in self.uploads[: len(PHASES)])
        return (
            f"上传 {len(self.upload_list)} 个文件（新增 {added}，更新 "
            f"{len(self.upload_list) - added}），删除 {len(self.deletions)} 个，"
            f"未变 {self.unchanged} 个"
        )


def make_plan(new: Manifest, live: Manifest, pending: Iterable[str] = ()) -> Plan:
    """Diff `new` against `live`; `pending` paths (a dead deploy's) count as unknown."""
    live = dict(live)
    for rel in pending:
        live[rel] = ""  # present or not, its content is unknown: re-send or delete
    plan = Plan(new, known=set(live))
    for rel, digest in new.items():
        old = live.get(rel)
        if old == digest:
            plan.unchanged += 1
        else:
            plan.uploads[phase(rel) + (0 if old is None else len(PHASES))].append(rel)
    # Deletions: lists before records before assets, the reverse of the upload order.
    gone = [rel for rel in live if rel not in new and rel not in CONTROL]
    plan.deletions = sorted(gone, key=lambda r: (-phase(r), r))
    return plan
