"""Stage: publish — changed files only, link order, atomic swap, killed deploys, rsync, S3,
and the guard before upload. Two tiny builds: A, and B with one penalty row changed."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ORG2, PERSON_ID, ROOT, XZCF_HEADER, penalty, write_csv
from selectolax.lexbor import LexborHTMLParser

from generator.cli import main
from generator.publish import LocalTarget, publish
from generator.publish.plan import MANIFEST, PENDING, build_manifest, load, phase
from generator.sample import write_sample

TODAY = "2026-11-22"
ROW = ("示例市改动测试有限公司", ORG2, "示测罚〔2026〕99号")


@dataclass
class Builds:
    a: Path
    b: Path
    work: Path  # B's work dir (its report)


def _build(data: Path, out: Path, work: Path, *extra: str) -> None:
    argv = ["--config", str(ROOT / "site.yml"), "build", "--data", str(data), "--out", str(out)]
    if not (out / "downloads" / "ledger.csv").exists():
        extra = (*extra, "--first-publication")
    code = main([*argv, "--work", str(work), "--today", TODAY, "--workers", "1", *extra])
    assert code in (0, 1)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    import datetime as dt

    base = tmp_path_factory.mktemp("publish")
    data = base / "data"
    write_sample(data, records=80, seed=3, anchor=dt.date(2026, 11, 22))
    write_csv(data / "xzcf" / "改动.csv", [XZCF_HEADER, penalty(*ROW, fine="0.5")])
    _build(data, base / "a", base / "work-a")
    write_csv(data / "xzcf" / "改动.csv", [XZCF_HEADER, penalty(*ROW, fine="0.8")])
    shutil.copytree(base / "a", base / "b")  # B is built over A, as on the office's machine
    _build(data, base / "b", base / "work-b")
    return Builds(base / "a", base / "b", base / "work-b")


# --- helpers ------------------------------------------------------------------------------


def live_files(root: Path) -> dict[str, str]:
    """What the target serves (control files excluded), as a manifest."""
    return build_manifest(root)


def broken_links(root: Path) -> list[str]:
    """Links on pages reachable from the home page that do not resolve under `root`."""
    seen, todo, broken = set(), ["index.html"], []
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        html = (root / rel).read_bytes()
        for node in LexborHTMLParser(html).css("a[href], link[href], script[src], img[src]"):
            url = node.attributes.get("href") or node.attributes.get("src") or ""
            parts = urllib.parse.urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            target = urllib.parse.urljoin("/" + rel, parts.path).lstrip("/")
            target = urllib.parse.unquote(target)
            if target == "" or target.endswith("/"):
                target += "index.html"
            if not (root / target).is_file():
                broken.append(f"{rel} -> {url}")
            elif target.endswith(".html"):
                todo.append(target)
    return broken


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def changed_record_page(b: Builds) -> str:
    return next(
        rel
        for rel in build_manifest(b.b)
        if phase(rel) == 1 and ROW[2].encode() in (b.b / rel).read_bytes()
    )


# --- tests --------------------------------------------------------------------------------


def test_phases():
    assert phase("assets/stylesheets/main.css") == 0
    assert phase("downloads/xzcf/xzcf.csv") == 0
    assert phase("xzcf/0123456789abcdef.html") == 1  # a record page: a flat file
    assert phase("policies/some-policy/index.html") == 1
    assert phase("xzcf/index.html") == 3  # the dataset's list, beside its record pages
    assert phase("policies/index.html") == 3 and phase("downloads/index.html") == 3
    assert phase("search/index.html") == 3 and phase("404.html") == 3
    assert phase("subject/91110000MA01ABCD1X/index.html") == 2
    assert phase("xzcf/p/2/index.html") == 3
    assert phase("downloads/changelog/index.html") == 3
    assert phase("sitemap.xml") == 3 and phase("feeds/xzcf.xml") == 3
    assert phase("search/pf/main/fragment/zh_168ed1b.pf_fragment") == 3  # points at records
    assert phase("index.html") == 4


def test_second_deploy_sends_only_what_changed_and_is_served(builds, tmp_path):
    www = tmp_path / "www"
    first = publish(builds.a, LocalTarget(www), builds_today())
    assert first.uploaded == len(build_manifest(builds.a))
    inode = {rel: (www / rel).stat().st_ino for rel in build_manifest(builds.a)}
    a, b = build_manifest(builds.a), build_manifest(builds.b)
    differ = {rel for rel in b if a.get(rel) != b[rel]}
    assert 0 < len(differ) < len(b) / 4  # one row: its page, lists, downloads, feeds …
    page = changed_record_page(builds)
    with serve(www) as url:
        before = urllib.request.urlopen(url + page).read().decode()
        second = publish(builds.b, LocalTarget(www), builds_today())
        after = urllib.request.urlopen(url + page).read().decode()
    assert set(second.plan.upload_list) == differ
    assert second.plan.unchanged == len(b) - len(differ)
    assert set(second.plan.deletions) == set(a) - set(b)
    # Unchanged files were not copied again: the live file is the same inode.
    assert all((www / r).stat().st_ino == inode[r] for r in b if r not in differ and r in inode)
    assert "0.5" in before and "0.8" in after
    assert load((www / MANIFEST).read_bytes()) == live_files(www) == b
    assert broken_links(www) == []
    third = publish(builds.b, LocalTarget(www), builds_today())
    assert third.uploaded == 0 and third.plan.deletions == []


def test_inplace_order_never_shows_a_broken_link(builds, tmp_path):
    www = tmp_path / "www"
    publish(builds.a, LocalTarget(www, "inplace"), builds_today())
    checked: list[int] = []
    plan_groups: dict[str, int] = {}

    def on_file(rel: str) -> None:
        group = plan_groups[rel]
        if not checked or checked[-1] != group:
            checked.append(group)
            assert broken_links(www) == [], f"after {rel}"

    from generator.publish.plan import make_plan

    plan = make_plan(build_manifest(builds.b), load((www / MANIFEST).read_bytes()))
    plan_groups.update({rel: i for i, g in enumerate(plan.uploads) for rel in g})
    publish(builds.b, LocalTarget(www, "inplace"), builds_today(), on_file=on_file)
    assert len(checked) >= 2
    assert broken_links(www) == []
    assert load((www / MANIFEST).read_bytes()) == live_files(www) == build_manifest(builds.b)
    assert not (www / PENDING).exists()


KILLER = """
import os, signal, sys, datetime as dt
from pathlib import Path
import shutil
from generator.publish import LocalTarget, publish
n = {"files": 0}
real = shutil.copyfile
def copyfile(src, dst, *a, **k):
    n["files"] += 1
    if n["files"] > {after}:
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no finally: a real crash
    return real(src, dst, *a, **k)
shutil.copyfile = copyfile
publish(Path(sys.argv[1]), LocalTarget(Path(sys.argv[2]), sys.argv[3]), dt.date(2026, 11, 22))
"""


@pytest.mark.parametrize("mode", ["swap", "inplace"])
def test_killed_deploy_leaves_a_consistent_live_site(builds, tmp_path, mode):
    www = tmp_path / "www"
    publish(builds.a, LocalTarget(www, mode), builds_today())
    before = live_files(www)
    script = textwrap.dedent(KILLER).replace("{after}", "3")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(builds.b), str(www), mode],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == -9, proc.stderr
    manifest = load((www / MANIFEST).read_bytes())
    assert broken_links(www) == []
    if mode == "swap":  # nothing of B is live: the old site, byte for byte
        assert live_files(www) == before == manifest
    else:  # nothing deleted; the journal names what may have changed
        assert set(before) <= set(live_files(www)) and manifest == before
        assert (www / PENDING).exists()
    # The next deploy converges, and leaves no staging folder or journal behind.
    publish(builds.b, LocalTarget(www, mode), builds_today())
    assert load((www / MANIFEST).read_bytes()) == live_files(www) == build_manifest(builds.b)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".www-lock", "www"]
    assert not (www / PENDING).exists()


def test_guard_refuses_a_planted_leak_before_upload(builds, tmp_path):
    www, leaky = tmp_path / "www", tmp_path / "site"
    publish(builds.a, LocalTarget(www), builds_today())
    before = live_files(www)
    shutil.copytree(builds.b, leaky)
    page = leaky / changed_record_page(builds)
    page.write_text(page.read_text("utf-8").replace("</main>", f"{PERSON_ID}</main>"), "utf-8")
    code = main(["publish", "--site", str(leaky), "--work", str(builds.work), "--target",
                 "local", "--dest", str(www)])  # fmt: skip
    assert code == 3
    assert live_files(www) == before


def test_guard_refuses_a_withheld_record_page(builds, tmp_path):
    import json

    rows = json.loads((builds.work / "report" / "report.json").read_text("utf-8"))["rows"]
    gone = next(r for r in rows if r["status"] == "withdrawn" and r["id"])
    site = tmp_path / "site"
    shutil.copytree(builds.b, site)
    (site / gone["dataset"] / f"{gone['id']}.html").write_text("<p>旧页面</p>", "utf-8")
    code = main(["publish", "--site", str(site), "--work", str(builds.work), "--target",
                 "local", "--dest", str(tmp_path / "www")])  # fmt: skip
    assert code == 3 and not (tmp_path / "www").exists()


def test_pull_ledger_carries_history_between_runs(builds, tmp_path, capsys):
    www, got = tmp_path / "www", tmp_path / "prev" / "ledger.csv"
    args = ["publish", "--target", "local", "--dest", str(www), "--pull-ledger", str(got)]
    assert main(args) == 0 and not got.exists()
    assert "首次发布" in capsys.readouterr().out
    publish(builds.a, LocalTarget(www), builds_today())
    assert main(args) == 0
    assert got.read_bytes() == (builds.a / "downloads" / "ledger.csv").read_bytes()
    (www / "downloads" / "ledger.csv").unlink()
    assert main(args) == 4  # a site without its ledger: history must not restart


@pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync not installed")
def test_rsync_to_a_local_path(builds, tmp_path):
    from generator.publish import RsyncTarget

    dest = str(tmp_path / "www")
    first = publish(builds.a, RsyncTarget(dest), builds_today())
    second = publish(builds.b, RsyncTarget(dest), builds_today())
    a, b = build_manifest(builds.a), build_manifest(builds.b)
    assert first.uploaded == len(a)
    assert set(second.plan.upload_list) == {r for r in b if a.get(r) != b[r]}
    assert live_files(tmp_path / "www") == b == load((tmp_path / "www" / MANIFEST).read_bytes())
    assert not (tmp_path / "www" / PENDING).exists()
    # A page gone from the build is deleted on the target, and nothing else is.
    c = tmp_path / "c"
    shutil.copytree(builds.b, c)
    page = changed_record_page(builds)
    (c / page).unlink()
    third = publish(c, RsyncTarget(dest), builds_today())
    assert third.plan.deletions == [page] and third.uploaded == 0
    assert live_files(tmp_path / "www") == build_manifest(c)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_endpoint(monkeypatch) -> Iterator[str]:
    server = Path(sys.executable).with_name("moto_server")
    if not server.exists():
        pytest.skip("moto[server] not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=1)
            break
        time.sleep(0.1)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_s3_compatible_storage(builds, s3_endpoint):
    import boto3

    from generator.publish import S3Target

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="credit")
    s3.put_object(Bucket="credit", Key="credit/MP_verify.txt", Body=b"keep")  # not ours
    first = publish(builds.a, S3Target("credit", "credit/", s3_endpoint), builds_today())
    second = publish(builds.b, S3Target("credit", "credit/", s3_endpoint), builds_today())
    a, b = build_manifest(builds.a), build_manifest(builds.b)
    assert first.uploaded == len(a)
    assert set(second.plan.upload_list) == {r for r in b if a.get(r) != b[r]}
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="credit", Prefix="credit/"):
        keys |= {o["Key"].removeprefix("credit/") for o in page.get("Contents", [])}
    assert keys == set(b) | {MANIFEST, "MP_verify.txt"}
    head = s3.head_object(Bucket="credit", Key="credit/index.html")
    assert head["ContentType"] == "text/html; charset=utf-8"
    manifest = s3.get_object(Bucket="credit", Key="credit/" + MANIFEST)["Body"].read()
    assert load(manifest) == b


def builds_today():
    import datetime as dt

    return dt.date.fromisoformat(TODAY)


def test_publish_needs_a_built_site(tmp_path):
    assert main(["publish", "--site", str(tmp_path / "none"), "--dest", str(tmp_path / "w")]) == 4
    assert not os.path.exists(tmp_path / "w")


def test_dry_run_lists_the_plan_and_sends_nothing(builds, tmp_path, capsys):
    www = tmp_path / "www"
    argv = ["publish", "--site", str(builds.a), "--work", str(builds.work), "--target", "rsync"]
    assert main([*argv, "--dest", str(www), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "上传\tindex.html" in out and "rsync --recursive" in out and "试运行" in out
    assert not www.exists()
