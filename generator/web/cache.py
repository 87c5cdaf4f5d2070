"""Render cache: pages whose inputs did not change are not rendered again.

A build renders a page from (a) the page's own inputs — a record's masked fields, a
subject's records, a list page's rows — and (b) everything global: templates, chrome,
site.yml, schemas, the generator's own code and, for pages that print it, the build date.
Per page family the cache keeps, in the work folder (never in the public tree):

- a family key: a hash of (b) — a different key drops the family's whole cache;
- per page: the path, a 128-bit hash of (a) and the identity (inode, size, mtime) of the
  file that the previous build wrote for it.

A page whose input hash matches is not rendered: the previous build's file is hard-linked
into the new tree (TreeWriter.keep) — but only when the file still has the identity the
cache recorded, so a cache from another tree, another work folder or a hand-edited file
only costs a render. Identities are taken as the files are written; the cache is saved
after the new tree went live, and a missing, unreadable or foreign cache is simply empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from ..config import PACKAGE_DIR, Config

CACHE_DIR = "render-cache"
FORMAT = 1  # bump when the cache's layout changes
_SEEDS = (0x5EED_0001, 0x5EED_0002)  # two 64-bit row hashes: a 128-bit page key
Ident = tuple[int, int, int]  # inode, size, mtime_ns of a file in the tree
PAGE_COLUMNS = {"rel": pl.Utf8, "h1": pl.UInt64, "h2": pl.UInt64}
IDENT_COLUMNS = {"ino": pl.Int64, "size": pl.Int64, "mtime": pl.Int64}


@cache
def code_stamp() -> str:
    """The generator's own files (code, templates, schemas, assets) and the libraries that
    shape its output: any change is a new generator version for the cache."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"{FORMAT}|{sys.version}".encode())
    for lib in ("polars", "jinja2", "markupsafe"):
        digest.update(f"|{lib} {version(lib)}".encode())
    for root in (PACKAGE_DIR, PACKAGE_DIR.parent / "overrides"):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def config_stamp(config: Config) -> str | None:
    """site.yml, schemas and enums as loaded; None when they do not print stably."""
    text = repr((config.site, config.schemas, config.withdrawals, config.enums))
    if " object at 0x" in text:  # a value without a stable repr: no cache
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def row_hashes(frame: pl.DataFrame, columns: Iterable[str | pl.Expr]) -> pl.DataFrame:
    """h1, h2: two independent 64-bit hashes of each row's `columns` (nulls distinct from
    empty strings)."""
    parts = [
        (pl.col(c) if isinstance(c, str) else c).cast(pl.Utf8).fill_null("\x00") for c in columns
    ]
    joined = pl.concat_str(parts, separator="\x1f")
    return frame.select(joined.hash(_SEEDS[0]).alias("h1"), joined.hash(_SEEDS[1]).alias("h2"))


def text_hash(*parts: Any) -> tuple[int, int]:
    """A 128-bit hash of Python values (by their repr), for pages hashed one at a time."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")


class RenderCache:
    """The render cache of one build (see the module's docstring).

    `base` is everything global to every family (config, material stylesheet …); each
    family adds its own parts (the build date for pages that print it) in `family()`.
    `None` as base: nothing is reused (and nothing saved).
    """

    def __init__(self, work: Path, base: Iterable[Any] | None):
        self.dir = work / CACHE_DIR
        self.base = None if base is None else json.dumps([code_stamp(), *base], default=str)
        self.keys: dict[str, str] = {}
        self.pages: dict[str, list[pl.DataFrame]] = {}
        self.rows: dict[str, list[tuple[str, int, int]]] = {}  # pages hashed one at a time
        self.kept: dict[str, int] = {}  # family -> pages not rendered (linked from the last build)
        self.notes: dict[str, dict[str, Any]] = {}  # family -> rel -> what a stage notes of it

    def family(self, name: str, *parts: Any) -> None:
        """Declare a page family and what, beyond the base, all its pages depend on."""
        if self.base is None:
            return
        text = json.dumps([self.base, name, *parts], default=str)
        self.keys[name] = hashlib.sha256(text.encode()).hexdigest()
        self.pages.setdefault(name, [])
        self.rows.setdefault(name, [])
        self.kept.setdefault(name, 0)
        self.notes.setdefault(name, {})

    def _meta(self, name: str) -> dict[str, Any] | None:
        try:
            meta = json.loads((self.dir / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) and meta.get("key") == self.keys[name] else None

    def previous_notes(self, name: str) -> dict[str, Any]:
        """What the previous build noted of its files of family `name` (see `note`)."""
        meta = self._meta(name) if name in self.keys else None
        notes = (meta or {}).get("notes")
        return notes if isinstance(notes, dict) else {}

    def note(self, name: str, rel: str, value: Any) -> None:
        """Keep a JSON value with the file at `rel` (a download's checksum) for next time."""
        if name in self.keys:
            self.notes[name][rel] = value

    def _load(self, name: str) -> pl.DataFrame | None:
        """The previous build's pages of the family, or None (missing, foreign, damaged)."""
        meta = self._meta(name)
        if meta is None:
            return None
        try:
            frame = pl.read_ipc(io.BytesIO((self.dir / f"{name}.arrow").read_bytes()))
            want = {**PAGE_COLUMNS, **IDENT_COLUMNS}
            if dict(frame.schema) != want or frame.height != meta.get("rows"):
                return None
            return frame
        except (OSError, ValueError, pl.exceptions.PolarsError):
            return None  # missing or damaged: an empty cache, never a failed build

    def candidates(self, name: str, pages: pl.DataFrame) -> dict[str, Ident]:
        """Record this build's `pages` (rel, h1, h2) of family `name`; return those whose
        hash equals the previous build's, with the identity of the file it wrote."""
        if name not in self.keys:
            return {}
        pages = pages.select(pl.col(k).cast(t) for k, t in PAGE_COLUMNS.items())
        self.pages[name].append(pages)
        old = self._load(name)
        if old is None:
            return {}
        same = pages.join(old, on=["rel", "h1", "h2"], how="inner")
        return {r: (i, s, m) for r, i, s, m in same.select("rel", *IDENT_COLUMNS).iter_rows()}

    def lookup(self, name: str) -> dict[str, tuple[int, int, Ident]]:
        """The previous build's pages of a (small) family: rel -> (h1, h2, identity)."""
        old = self._load(name) if name in self.keys else None
        if old is None:
            return {}
        return {r: (a, b, (i, s, m)) for r, a, b, i, s, m in old.iter_rows()}

    def add(self, name: str, rel: str, h: tuple[int, int]) -> None:
        """Record one page of a family hashed in Python (see `lookup`)."""
        if name in self.keys:
            self.rows[name].append((rel, *h))

    def save(self, stamps: dict[str, Ident]) -> None:
        """Write each family's pages with the identity of the file now live for it.

        Called once the new tree is live. A page without a stamp (not written through a
        tracking writer) is left out: it is rendered next time."""
        if self.base is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        idents = pl.DataFrame(
            [(r, *i) for r, i in stamps.items()],
            schema={"rel": pl.Utf8, **IDENT_COLUMNS},
            orient="row",
        )
        for name, parts in self.pages.items():
            rows = pl.DataFrame(self.rows[name], schema=PAGE_COLUMNS, orient="row")
            frame = pl.concat([*parts, rows])
            frame = frame.unique("rel", keep="last").join(idents, on="rel", how="inner")
            frame = frame.sort("rel")
            for path in (self.dir / f"{name}.json", self.dir / f"{name}.arrow"):
                path.unlink(missing_ok=True)
            tmp = self.dir / f".{name}.arrow.tmp"
            frame.write_ipc(tmp)
            os.replace(tmp, self.dir / f"{name}.arrow")
            notes = self.notes[name]
            rels = frame.get_column("rel").to_list() if notes else []
            meta = {
                "key": self.keys[name],
                "rows": frame.height,
                "notes": {r: notes[r] for r in rels if r in notes},
            }
            (self.dir / f"{name}.json").write_text(json.dumps(meta), encoding="utf-8")
        # What this build did not render, per family (for the benchmark and tests).
        pages = {n: len(self.rows[n]) + sum(p.height for p in self.pages[n]) for n in self.keys}
        body = {n: {"pages": pages[n], "kept": self.kept.get(n, 0)} for n in sorted(self.keys)}
        (self.dir / "last-build.json").write_text(json.dumps(body), encoding="utf-8")

    def drop(self) -> None:
        """Forget everything (tests, or a build that cannot vouch for its tree)."""
        with contextlib.suppress(FileNotFoundError):
            for path in self.dir.iterdir():
                path.unlink()

    def count(self, name: str, n: int) -> None:
        """Note `n` pages of family `name` kept, not rendered."""
        self.kept[name] = self.kept.get(name, 0) + n


def site_cache(work: Path, config: Config, material_css: str) -> RenderCache:
    """The render cache of a site build: keyed by the config as loaded and Material's
    stylesheet (its name is in every page's head)."""
    stamp = config_stamp(config)
    return RenderCache(work, None if stamp is None else [stamp, material_css])
