"""The pipeline's result kept between builds, keyed by everything that decides it.

An unchanged drop rebuilt (a template fix, a new policy page, a re-run after a failed
deploy) skips load → validate → identity → disclose → mask. The key is a SHA-256 over the
drop's every file (path and bytes), the configuration as loaded (site.yml, the schemas,
the department directory: its full repr), the generator's code, and the build date; anything else changed makes a
new key. The file lives in the private work folder (never public). A missing, unreadable
or stale file only makes the build slower: the pipeline runs and the file is rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path

from .config import PACKAGE_DIR, Config
from .pipeline import Progress, Result, run

NAME = "pipeline.pickle"
VERSION = b"1"  # bump when the file's layout changes


def drop_key(data: Path, config: Config, today: dt.date) -> str:
    """SHA-256 of everything the pipeline's result depends on."""
    h = hashlib.sha256(VERSION + today.isoformat().encode())
    _files(
        h, "code", PACKAGE_DIR, (p for p in PACKAGE_DIR.rglob("*") if p.suffix in (".py", ".yml"))
    )
    _files(h, "data", data, _walk(data))
    h.update(b"config\0" + repr(config).encode())  # no set inside: the repr is stable
    return h.hexdigest()


def _walk(root: Path) -> Iterable[Path]:
    """Every file under `root`, links included (the loader decides what they mean)."""
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            yield Path(folder) / name


def _files(h: hashlib._Hash, label: str, root: Path, paths: Iterable[Path]) -> None:
    h.update(label.encode() + b"\0")
    for p in sorted(paths):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
        elif p.is_symlink():  # a dangling or special link still changes the drop
            h.update(p.relative_to(root).as_posix().encode() + b"\0link\0")


def run_cached(
    cache: Path,
    data: Path,
    config: Config,
    today: dt.date,
    progress: Progress | None = None,
    pool: Executor | None = None,
    key: str | None = None,
) -> Result:
    """`pipeline.run`, or the result of the last run over exactly the same inputs
    (`key`: their drop_key, when the caller has it already)."""
    key = key or drop_key(data, config, today)
    path = cache / NAME
    kept = _read(path, key)
    if kept is not None:
        return kept
    result = run(data, config, today, progress, pool)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(key, fh)
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return result


def _read(path: Path, key: str) -> Result | None:
    """The kept result when its key is `key`; None when there is none or it cannot be read."""
    try:
        with path.open("rb") as fh:
            if pickle.load(fh) != key:  # noqa: S301 (our own private file)
                return None
            result = pickle.load(fh)  # noqa: S301
    except Exception:  # noqa: BLE001 - any unreadable cache means: run the pipeline
        return None
    return result if isinstance(result, Result) else None
