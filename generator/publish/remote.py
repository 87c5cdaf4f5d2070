"""Remote deploy targets: rsync over SSH, and S3-compatible object storage (阿里云 OSS,
腾讯云 COS, 华为云 OBS, MinIO …). Both deploy in place, in the plan's order (`ordered_deploy`):
each file is replaced whole (rsync renames a finished temporary file; an S3 PUT is atomic
per object), deletions come after every upload, the manifest last.
"""

from __future__ import annotations

import mimetypes
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .local import InPlace, OnFile, PublishError, ordered_deploy
from .plan import Plan

_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8",
          ".csv": "text/csv; charset=utf-8", ".json": "application/json; charset=utf-8",
          ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".txt": "text/plain; charset=utf-8"}  # fmt: skip


class RsyncTarget(InPlace):
    """`rsync` to `dest` (`user@host:/srv/www/credit/`, or a local path); `ssh` is its -e."""

    def __init__(
        self, dest: str, ssh: str = "", options: list[str] | None = None, timeout: float = 3600
    ):
        self.dest = dest if dest.endswith("/") else dest + "/"
        self.ssh = ssh
        self.options = list(options or [])
        self.timeout = timeout  # seconds per rsync command

    def describe(self) -> str:
        return f"rsync {self.dest}"

    def command(self, src: str, *extra: str) -> list[str]:
        """The rsync command line (without the file list): archive mode, no skipping."""
        cmd = ["rsync", "--recursive", "--links", "--times", "--ignore-times", "--chmod=F644,D755"]
        if self.ssh:
            cmd += ["-e", self.ssh]
        return [*cmd, *self.options, *extra, src, self.dest]

    def _run(self, cmd: list[str], missing_ok: bool = False) -> None:
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, check=False, timeout=self.timeout
            )
        except FileNotFoundError as exc:
            raise PublishError("找不到 rsync 命令：请先安装（apt-get install rsync）") from exc
        except subprocess.TimeoutExpired as exc:
            raise PublishError(f"rsync 超时（超过 {self.timeout:g} 秒，已终止）") from exc
        # The target folder itself does not exist yet: nothing was ever published there.
        if missing_ok and proc.returncode == 23 and "No such file or directory" in proc.stderr:
            return
        if proc.returncode != 0:
            raise PublishError(f"rsync 失败（退出码 {proc.returncode}）：{proc.stderr.strip()}")

    def _files_from(self, src: str, rels: list[str], *extra: str) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as fh:
            fh.write("\n".join(rels) + "\n")
            fh.flush()
            # --delay-updates: the phase's files are renamed into place together at its end.
            self._run(self.command(src, f"--files-from={fh.name}", "--delay-updates", *extra))

    def read(self, rel: str) -> bytes | None:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = ["rsync", "--ignore-missing-args"] + (["-e", self.ssh] if self.ssh else [])
            self._run([*cmd, *self.options, self.dest + rel, tmp + "/"], missing_ok=True)
            path = Path(tmp) / Path(rel).name
            return path.read_bytes() if path.exists() else None

    def write(self, rel: str, data: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self._files_from(tmp + "/", [rel])

    def put(self, src: Path, rels: list[str], on_file: OnFile) -> None:
        self._files_from(f"{src}/", rels)
        for rel in rels:
            on_file(rel)

    def delete(self, rels: list[str]) -> None:
        """Delete exactly `rels`: --delete from an empty tree, every other path excluded.

        (--delete-missing-args would be simpler, but rsync 3.2.7 rejects it for nested
        paths: "invalid file mode 00".)
        """
        if any(c in rel for rel in rels for c in "*?[\\"):
            raise PublishError("待删除的文件名含有 * ? [ \\，无法用 rsync 精确删除")
        rules: set[str] = set()
        with tempfile.TemporaryDirectory() as empty:
            for rel in rels:
                parts = rel.split("/")
                for i in range(1, len(parts)):
                    rules.add(f"+ /{'/'.join(parts[:i])}/")
                    os.makedirs(os.path.join(empty, *parts[:i]), exist_ok=True)
                rules.add(f"+ /{rel}")
            rule_file = os.path.join(empty, ".rsync-filter-publish")
            with open(rule_file, "w", encoding="utf-8") as fh:
                fh.write("\n".join(sorted(rules)) + "\n- *\n")
            self._run(self.command(empty + "/", "--delete", f"--filter=merge {rule_file}"))

    def deploy(self, src: Path, plan: Plan, manifest: bytes, on_file: OnFile) -> str:
        ordered_deploy(self, src, plan, manifest, on_file)
        return "inplace"

    def shell(self) -> str:
        """The upload command as an operator would type it (for messages and the manual)."""
        return shlex.join(self.command("site/", "--files-from=LIST", "--delay-updates"))


class S3Target(InPlace):
    """A bucket (and key prefix) on an S3-compatible endpoint; credentials from the usual
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables, never site.yml."""

    def __init__(self, bucket: str, prefix: str = "", endpoint: str = "", region: str = ""):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint = endpoint or None
        self.region = region or None
        self._client: Any = None

    def describe(self) -> str:
        return f"对象存储 s3://{self.bucket}/{self.prefix}（{self.endpoint or 'AWS'}）"

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import boto3
            except ImportError as exc:
                raise PublishError("对象存储发布需要 boto3：pip install 'xinyong-xx[s3]'") from exc
            self._client = boto3.client(
                "s3", endpoint_url=self.endpoint, region_name=self.region or "us-east-1"
            )
        return self._client

    def read(self, rel: str) -> bytes | None:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.prefix + rel)
        except self.client.exceptions.NoSuchKey:
            return None
        return bytes(obj["Body"].read())

    def write(self, rel: str, data: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.prefix + rel, Body=data, ContentType=_type(rel)
        )

    def put(self, src: Path, rels: list[str], on_file: OnFile) -> None:
        """Upload one phase, 8 objects at a time; the next phase starts after all of them."""
        from concurrent.futures import ThreadPoolExecutor, as_completed

        def one(rel: str) -> str:
            with open(os.path.join(src, rel), "rb") as fh:
                self.client.put_object(
                    Bucket=self.bucket, Key=self.prefix + rel, Body=fh, ContentType=_type(rel)
                )
            return rel

        client = self.client  # create it once, before the threads share it
        assert client is not None
        with ThreadPoolExecutor(max_workers=8) as pool:
            for done in as_completed([pool.submit(one, rel) for rel in rels]):
                on_file(done.result())

    def delete(self, rels: list[str]) -> None:
        for i in range(0, len(rels), 1000):
            keys = [{"Key": self.prefix + rel} for rel in rels[i : i + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    def deploy(self, src: Path, plan: Plan, manifest: bytes, on_file: OnFile) -> str:
        ordered_deploy(self, src, plan, manifest, on_file)
        return "inplace"


def _type(rel: str) -> str:
    ext = os.path.splitext(rel)[1].lower()
    return _TYPES.get(ext) or mimetypes.guess_type(rel)[0] or "application/octet-stream"
