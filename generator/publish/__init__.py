"""Stage: publish — deploy the built site to a static host, changed files only.

Steps: the guard re-scans the tree about to go out (a leak never leaves the machine);
its manifest (SHA-256 per file) is compared with the live site's `.publish-manifest.json`;
the changed files go out in link order, deletions after them, the manifest last (see
plan.py, local.py, remote.py). Targets: a local or mounted folder (also what forge Pages
deploy: an artifact folder), rsync over SSH, S3-compatible object storage.

The publication ledger travels with the site (downloads/ledger.csv on the target):
`pull_ledger` fetches it before the next build, so CI needs no cache.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..guard import GuardError, scan_tree
from ..published import withheld_pages
from .local import LocalTarget, PublishError
from .plan import MANIFEST, PENDING, Plan, build_manifest, dump, load, make_plan
from .remote import RsyncTarget, S3Target

__all__ = [
    "LocalTarget",
    "PublishError",
    "PublishStats",
    "RsyncTarget",
    "S3Target",
    "make_target",
    "publish",
    "pull_ledger",
]
TARGETS = ("local", "rsync", "s3")
LEDGER = "downloads/ledger.csv"


def make_target(
    settings: dict[str, Any] | None,
    kind: str | None = None,
    dest: str | None = None,
    timeout: float = 3600,
) -> Any:
    """The target that site.yml's `publish:` section (or --target / --dest) describes.

    `timeout`: seconds each rsync command may take before it is stopped (PublishError).
    """
    s = dict(settings or {})
    kind = kind or str(s.get("target") or "local")
    if kind not in TARGETS:
        raise PublishError(f"publish.target 应为 {' / '.join(TARGETS)} 之一，实际为“{kind}”")
    if kind == "local":
        local = dict(s.get("local") or {})
        mode = str(local.get("mode") or "swap")
        if mode not in ("swap", "inplace"):
            raise PublishError(f"publish.local.mode 应为 swap 或 inplace，实际为“{mode}”")
        path = dest or local.get("path")
        if not path:
            raise PublishError("请在 site.yml 的 publish.local.path 中填写发布目录")
        return LocalTarget(Path(str(path)), mode)
    if kind == "rsync":
        r = dict(s.get("rsync") or {})
        target = dest or r.get("dest")
        if not target:
            raise PublishError("请在 site.yml 的 publish.rsync.dest 中填写 用户@服务器:/目录/")
        return RsyncTarget(
            str(target),
            str(r.get("ssh") or ""),
            [str(o) for o in r.get("options") or []],
            timeout=timeout,
        )
    o = dict(s.get("s3") or {})
    bucket, _, prefix = (dest or "").removeprefix("s3://").partition("/")
    bucket = bucket or str(o.get("bucket") or "")
    if not bucket:
        raise PublishError("请在 site.yml 的 publish.s3.bucket 中填写存储桶名称")
    return S3Target(bucket, prefix or str(o.get("prefix") or ""), str(o.get("endpoint") or ""),
                    str(o.get("region") or ""))  # fmt: skip


@dataclass
class PublishStats:
    target: str
    mode: str
    plan: Plan
    seconds: float

    @property
    def uploaded(self) -> int:
        return len(self.plan.upload_list)

    def line(self) -> str:
        if self.mode == "dry-run":
            return f"试运行（未上传）{self.target}：将{self.plan.line()}"
        return f"发布到 {self.target}：{self.plan.line()}，用时 {self.seconds:.1f} 秒"


def publish(
    site: Path,
    target: Any,
    today: dt.date,
    *,
    withheld: Iterable[str] = (),
    on_file: Callable[[str], None] | None = None,
    dry_run: bool = False,
) -> PublishStats:
    """Guard, diff and deploy `site` to `target` (`dry_run`: plan only).

    Raises GuardError or PublishError.
    """
    start = time.perf_counter()
    if not (site / "index.html").is_file():
        raise PublishError(f"{site} 中没有网站（缺少 index.html）：请先运行 make build")
    findings = scan_tree(site, today, withheld)
    if findings:
        raise GuardError(findings)
    new = build_manifest(site)
    try:
        live = load(target.read(MANIFEST))
        pending_raw = target.read(PENDING)
        pending = load_pending(pending_raw)
        plan = make_plan(new, live, pending)
        if dry_run:
            return PublishStats(target.describe(), "dry-run", plan, time.perf_counter() - start)
        mode = target.deploy(site, plan, dump(new), on_file or (lambda rel: None))
    except (OSError, ValueError) as exc:
        raise PublishError(f"发布失败：{exc}") from exc
    except Exception as exc:  # botocore's errors: no import needed when S3 is not used
        if type(exc).__module__.startswith(("botocore", "boto3")):
            raise PublishError(f"对象存储发布失败：{exc}") from exc
        raise
    return PublishStats(target.describe(), mode, plan, time.perf_counter() - start)


def load_pending(data: bytes | None) -> list[str]:
    import json

    return [str(p) for p in json.loads(data)] if data else []


def pull_ledger(target: Any, to: Path, ledger_url: str = "") -> bool:
    """Copy the live site's ledger to `to`; False when nothing was ever published there.

    A target with a manifest but no ledger is an error: history must not restart. A
    target that starts empty on every run (forge Pages) reads `ledger_url` instead.
    """
    try:
        manifest = target.read(MANIFEST)
        if manifest is None and not ledger_url:
            return False
        data = target.read(LEDGER) if manifest is not None else _download(ledger_url)
    except OSError as exc:
        raise PublishError(f"无法读取上次的发布台账：{exc}") from exc
    if data is None:
        raise PublishError(
            f"发布目标已有网站，但缺少 {LEDGER}：发布台账不能从头开始，请联系维护人员"
        )
    to.parent.mkdir(parents=True, exist_ok=True)
    to.write_bytes(data)
    return True


def _download(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 (configured URL)
        return bytes(resp.read())


def from_report(report: Path) -> tuple[dt.date | None, list[str]]:
    """The build date and the 'dataset/id' pages withheld, from the last build's report.json."""
    import json

    if not report.is_file():
        return None, []
    body = json.loads(report.read_text(encoding="utf-8"))
    rows = ((r["dataset"], r.get("id"), r["status"]) for r in body["rows"])
    return dt.date.fromisoformat(body["today"]), withheld_pages(rows)
