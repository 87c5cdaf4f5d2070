"""Stage: index — full-text search in Chinese, static, bounded as the data grows.

Runs inside the site build (`build_site(search=SearchIndex())`), so its files land in the
same atomically swapped tree under /search/pf/:

- `main/`: the narrative pages and the subjects with the shortest documents (at most
  MAIN_SUBJECTS): what every query loads, so a query costs the same at a million records
  as at a thousand. Pagefind ranks shorter documents higher for the same words (and the
  page orders a phrase's matches so too), so the best matches come from here first.
- `more-<first key>-<bits>/`: the other subjects, in tiers of at most about MORE_SUBJECTS
  by the length of their documents, cut at fixed points of (length, hash of the address)
  (tiers(): a subject stays in its bundle while the subjects near it in that order do not
  change, so a rebuild re-indexes only the bundles whose documents changed). When main
  finds fewer than ten, the page merges them (Pagefind's mergeIndex, each tier's scores
  below the one before) in this order — only those the route tables name — until ten are
  found (at most a few), while nothing is found, or all of them when the reader asks.
- `recent/` (only when there are more-*): the narrative pages and the most recently
  active subjects again, searched alone for lists newest first (filters alone, 按日期).
- `routes/<n>.json`: for each Han pair word that some but not all more-* bundles hold,
  which of them hold it (by hash of the word): a rare word's query merges only the
  bundles that can match it.
- `manifest.json`: the bundles (with their subject counts: the page's count says which
  subjects it covers), the name and route tables and the filter values (with the number
  of documents under each), read by the search page: its filter menus come from here, so
  Pagefind loads a filter's file only when a reader chooses that filter.
- `titles/<n>.json`: for each record title, every subject whose titles hold it (how many,
  and the first of them in Pagefind's order for the phrase): a title query is answered
  over all subjects with one small fetch, whichever bundles hold them (titles.py).
- `names/<n>.json`: exact names (subjects and pages) and record numbers (文号), normalised,
  by hash: a full company name finds its subject, a 文号 its record, with one small fetch
  whichever bundle holds it.

A 统一社会信用代码 is looked up directly (its subject page is /subject/<code>/), so code
queries never depend on which bundle holds the subject.

A bundle whose documents are unchanged since the previous build is linked from it (no
Pagefind run), and when nothing the stage reads changed, every search file is (the render
cache, generator/web/cache.py, vouches that they are the files that build wrote).

What Pagefind indexes is index words (tokens.py: Chinese as character pairs spelled in
ASCII), plus in every document a word all documents share and a word per filter value:
a search by filters alone is a search for those words (documents.py).
Measured at 1 M records: bench/bench_search.py.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import shutil
from array import array
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Schema
from ..web.cache import Ident, text_hash
from ..web.model import Dataset
from ..web.writer import TreeWriter
from .bundles import TIMEOUT, SearchError, bundle_files, index_bundles, pack, pair_words
from .documents import Doc, article_docs, number_entries, subject_docs
from .titles import shard_count, title_tables
from .tokens import fnv1a, normalise

__all__ = ["SearchIndex", "SearchError", "MAIN_SUBJECTS", "MORE_SUBJECTS", "fnv1a", "name_key"]

# Bundle sizes, measured at 1 M records (bench/bench_search.py): every query of a bundle
# fetches its metadata file (~9 bytes per document), and Pagefind's search time grows with
# the hits (~70 µs each here: a word in every document of 8 000 took 300–600 ms). 4 000
# subjects keep the broadest query of the main bundle near 300 ms and 300 KB.
MAIN_SUBJECTS = 4_000
# A more-* tier is cut at fixed points (tiers()), so it holds between about half of this
# and all of it: ~10 000 subjects on average, as many as a rank cut into 10 000s gave.
MORE_SUBJECTS = 15_000
PREFIX = "search/pf/"
NAMES_SHARD_BYTES = 8192  # target size of one names/<n>.json or routes/<n>.json file
RECENT = "recent"
FAMILY = "search"  # the render cache's family of the search files (an unchanged rebuild)
_SEEDS = (0x5EED_5EA1, 0x5EED_5EA2)  # row hashes of the stamp


@dataclass
class SearchIndex:
    """The index stage; `main_subjects`/`more_subjects` bound each bundle's size."""

    main_subjects: int = MAIN_SUBJECTS
    more_subjects: int = MORE_SUBJECTS
    timeout: float = TIMEOUT  # seconds per Pagefind run
    titles: bool = True  # write the record-title tables (titles.py)
    bundles: list[dict[str, Any]] = field(default_factory=list)
    # Each bundle's subject page URLs, in bundle order (the tests check the merging with it).
    subjects: dict[str, list[str]] = field(default_factory=dict)

    def write(
        self,
        writer: TreeWriter,
        datasets: list[Dataset],
        schemas: list[Schema],
        narrative: Path,
        narrative_urls: list[str],
        scratch: Path,
        pool: Executor | None = None,
    ) -> None:
        """Index subjects and narrative pages; write the bundles through `writer`; the
        Pagefind runs on `pool` (the build's executor) when there is one."""
        shutil.rmtree(scratch, ignore_errors=True)
        stamp = self._stamp(datasets, schemas, narrative, narrative_urls)
        known = _known(writer)
        if self._unchanged(writer, stamp, known):
            return
        docs = list(pack(subject_docs(datasets, schemas)))
        articles = list(pack(article_docs(narrative, narrative_urls)))
        groups = self._groups(docs, articles)
        del docs
        searched = [g for g in groups if g[0] != RECENT]  # each document once
        # Pagefind's output is not byte-identical from run to run (its filter files follow
        # hash-map order): a bundle whose documents are unchanged since the previous build
        # is linked from it, so an unchanged rebuild changes no file and runs no Pagefind.
        before = _previous(writer)
        previous = _previous_bundles(before)
        digests = {name: _digest(group) for name, group in groups}
        jobs = [
            (group, scratch / "docs" / name, scratch / "out" / name)
            for name, group in groups
            if previous.get(name, {}).get("input") != digests[name]
            or not _intact(writer, f"{PREFIX}{name}", known)
        ]
        jobs.sort(key=lambda job: -len(job[0]))  # the largest first: the runs end together
        # The Pagefind runs (other processes) go on while the tables are made here.
        with ThreadPoolExecutor(1) as background:
            indexed = background.submit(index_bundles, jobs, self.timeout, pool)
            entries = number_entries(datasets)
            names = [_json(t) for t in _name_tables((d for _, g in searched for d in g), entries)]
            titles = (
                [_json(t) for t in title_tables(d for _, g in searched for d in g)]
                if self.titles
                else []
            )
            filters = _filter_values(d for _, g in searched for d in g)
            routes = _routes(writer, before, searched, digests, known) if len(searched) > 1 else []
            counts = dict(zip((o.name for *_, o in jobs), indexed.result(), strict=True))
        self.subjects = {
            name: [d.url for d in group if d.kind == "subject"] for name, group in groups
        }
        self.bundles = [
            self._publish(writer, name, group, digests[name], counts, previous, scratch)
            for name, group in groups
        ]
        for folder, tables in (("names", names), ("routes", routes), ("titles", titles)):
            for i, table in enumerate(tables):
                writer.write(f"{PREFIX}{folder}/{i}.json", table)
        _manifest(writer, self.bundles, self.subjects, (len(names), len(routes), len(titles)),
                  filters)  # fmt: skip
        shutil.rmtree(scratch, ignore_errors=True)
        if writer.cache is not None:  # for the next build: what these files were made of
            writer.cache.family(FAMILY)
            h = text_hash(stamp)
            for rel in writer.counts.stamps:
                if rel.startswith(PREFIX):
                    writer.cache.add(FAMILY, rel, h)

    def _stamp(
        self, datasets: list[Dataset], schemas: list[Schema], narrative: Path, urls: list[str]
    ) -> str:
        """A hash of everything the stage reads: the published rows of every kind (in
        order), the narrative pages' files and the bundle sizes. Code, config and the
        libraries are in the render cache's own key (generator/web/cache.py)."""
        h = hashlib.sha256(repr((self.main_subjects, self.more_subjects, self.titles)).encode())
        for ds, schema in zip(datasets, schemas, strict=True):
            h.update(f"\0{ds.id}\0{ds.name}\0{schema.id}\0{ds.frame.height}\0".encode())
            for seed in _SEEDS:  # two 64-bit hashes a row
                h.update(array("Q", ds.frame.hash_rows(seed).to_list()).tobytes())
        for url in urls:
            path = narrative / url / "index.html"
            h.update(f"\0{url}\0".encode())
            h.update(path.read_bytes() if url and path.is_file() else b"")
        return h.hexdigest()

    def _unchanged(
        self, writer: TreeWriter, stamp: str, known: dict[str, tuple[int, int, Ident]] | None
    ) -> bool:
        """When the previous build indexed the same inputs and its search files are still
        the ones it wrote (render cache: same inode, size, mtime), link them all: no
        document is made and no Pagefind runs. Else False (nothing placed)."""
        cache, old = writer.cache, known
        if cache is None or old is None or writer.prev is None:
            return False
        h = text_hash(stamp)
        if f"{PREFIX}manifest.json" not in old or any((a, b) != h for a, b, _ in old.values()):
            return False
        for rel, (_, _, ident) in old.items():
            try:
                st = os.stat(f"{writer.prev}/{rel}")
            except OSError:
                return False
            if (st.st_ino, st.st_size, st.st_mtime_ns) != ident:
                return False
        try:
            manifest = json.loads(Path(f"{writer.prev}/{PREFIX}manifest.json").read_bytes())
            bundles = [
                *manifest["bundles"],
                *([manifest["recent"]] if manifest.get("recent") else []),
            ]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        for rel in sorted(old):
            if not writer.keep(rel, old[rel][2]):
                return False  # changed meanwhile: the files are made anew (and overwritten)
            cache.add(FAMILY, rel, h)
        cache.count(FAMILY, len(old))
        sizes = {str(b["id"]): 0 for b in bundles}
        for rel, (_, _, ident) in old.items():
            bundle = rel.removeprefix(PREFIX).split("/", 1)[0]
            if bundle in sizes:
                sizes[bundle] += ident[1]
        self.bundles = [{**b, "bytes": sizes[str(b["id"])]} for b in bundles]
        self.subjects = {}
        return True

    def _groups(self, docs: list[Doc], articles: list[Doc]) -> list[tuple[str, list[Doc]]]:
        """The bundles: main, more-<range> and (when there are more) recent.

        Subjects go by the length of their documents, shortest first: main, then the
        more-* tiers in that order. Pagefind ranks a document higher the shorter it is (for
        the same words), and the page orders a phrase's matches so too, so the best matches
        of the whole site are in the first bundles that hold any: the page merges them in
        this order. The tiers are cut at fixed points, not by rank: a subject's tier is a
        function of its own document and of how many documents share its part of the
        order (tiers()), so a change to a few subjects moves few others and leaves most
        bundles as they were. recent repeats the most recently active subjects, for lists
        newest first (filters alone, 按日期排序).
        """
        ranked = sorted(docs, key=tier_key)
        keys = [tier_key(d) for d in ranked]
        end = 0  # main: the first parts of a finer cut, as many as fit
        for _, stop, _, _ in tiers(keys, 0, len(keys), max(self.main_subjects // 4, 1)):
            if stop > self.main_subjects:
                break
            end = stop
        # In a bundle, by (length, address), as every bundle's digest has always been taken.
        groups: list[tuple[str, list[Doc]]] = [("main", articles + _by_length(ranked[:end]))]
        if end == len(ranked):
            return groups
        for a, b, first, bits in joined(
            tiers(keys, end, len(keys), self.more_subjects), self.more_subjects
        ):
            groups.append((f"more-{first:x}-{bits}", _by_length(ranked[a:b])))
        newest = sorted(ranked, key=lambda d: (d.date, d.url), reverse=True)
        groups.append((RECENT, articles + newest[: self.main_subjects]))
        return groups

    def _publish(
        self,
        writer: TreeWriter,
        name: str,
        group: list[Doc],
        digest: str,
        counts: dict[str, int],
        previous: dict[str, dict[str, Any]],
        scratch: Path,
    ) -> dict[str, Any]:
        """Place one bundle's files: this build's, moved from scratch, or the previous
        build's, linked (their documents are unchanged)."""
        size = 0
        if name in counts:
            n = counts[name]
            for rel, path in bundle_files(scratch / "out" / name):
                size += writer.move(f"{PREFIX}{name}/{rel}", str(path))
        else:
            n = int(previous[name]["pages"])
            for rel, path in bundle_files(Path(str(writer.prev)) / PREFIX / name):
                size += _link(writer, f"{PREFIX}{name}/{rel}", path)
        dates = [d.date for d in group if d.kind == "subject" and d.date]
        return {
            "id": name,
            "input": digest,
            "pages": n,
            "subjects": sum(1 for d in group if d.kind == "subject"),
            "bytes": size,
            "newest": max(dates, default=""),
            "oldest": min(dates, default=""),
        }

    def line(self) -> str:
        pages = sum(int(b["pages"]) for b in self.bundles)
        size = sum(int(b["bytes"]) for b in self.bundles)
        return f"search: {pages} documents in {len(self.bundles)} bundles, {size / 1e6:.1f} MB"


def _json(table: object) -> bytes:
    return json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _route_tables(groups: list[tuple[str, list[Doc]]]) -> list[dict[str, list[int]]]:
    """Which bundles hold each Han pair word: {word: [bundle positions in the manifest]},
    in 2^k files by hash. A word every more-<n> bundle holds is left out (the page then
    has no bundle to skip), so the tables stay small; a word only in main maps to []."""
    holders: dict[str, list[int]] = {}
    for i, (_, group) in enumerate(groups):
        for word in pair_words(group):
            holders.setdefault(word, []).append(i)
    everywhere = len(groups) - 1
    entries = sorted(
        (w, [i for i in held if i]) for w, held in holders.items() if
        len([i for i in held if i]) < everywhere
    )  # fmt: skip
    size = sum(len(w) + 6 + 3 * len(held) for w, held in entries)
    shards = shard_count(size, NAMES_SHARD_BYTES)
    tables: list[dict[str, list[int]]] = [{} for _ in range(shards)]
    for word, held in entries:
        tables[fnv1a(word) % shards][word] = held
    return tables


# Brackets as people type them in a 文号 (市监罚[2024]12号, 市监罚（2024）12号 …) and in names,
# after NFKC: one form, as generator/values.py docno_key matches document numbers.
_BRACKETS = str.maketrans({**dict.fromkeys("[【〔﹝", "("), **dict.fromkeys("]】〕﹞", ")")})


def name_key(name: str) -> str:
    """A name or 文号 as the search page compares it: NFKC, lower case, no white space,
    every kind of bracket as ( and ) (search.js nameKey does the same)."""
    return "".join(normalise(name).split()).translate(_BRACKETS)


def _name_tables(
    docs: Iterable[Doc], numbers: Iterable[tuple[str, list[str]]] = ()
) -> list[dict[str, list[list[str]]]]:
    """Exact-name tables: {name key: [[url, title, line, date(, how)], …]}, in 2^k files by
    hash; record numbers (文号) are keys too, their entries saying how they matched."""
    entries = sorted(
        [(name_key(d.title), d.url, d.title, d.meta.get("summary") or d.meta.get("kind", ""),
          d.meta.get("date", ""))
         for d in docs
         if d.title]
        + [(name_key(no), *entry) for no, entry in numbers if name_key(no)]
    )  # fmt: skip
    # The bytes of every entry as JSON ([..., ...]), from one dump of them all: the dump is
    # "[" + the entries joined by ", " + "]".
    size = (
        len(json.dumps(entries, ensure_ascii=False).encode()) - 2 * len(entries) if entries else 0
    )
    shards = shard_count(size, NAMES_SHARD_BYTES)
    tables: list[dict[str, list[list[str]]]] = [{} for _ in range(shards)]
    for key, *entry in entries:
        tables[fnv1a(key) % shards].setdefault(key, []).append(entry)
    return tables


def _filter_values(docs: Iterable[Doc]) -> dict[str, list[list[Any]]]:
    """Each filter's values with their document counts: years newest first, others by count."""
    counts: dict[str, dict[str, int]] = {}
    for d in docs:
        for name, values in d.filters.items():
            per = counts.setdefault(name, {})
            for v in values:
                per[v] = per.get(v, 0) + 1
    out: dict[str, list[list[Any]]] = {}
    for name, per in counts.items():
        if name == "年份":
            ordered = sorted(per.items(), reverse=True)
        else:
            ordered = sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))
        out[name] = [[v, n] for v, n in ordered]
    return out


def _digest(docs: list[Doc]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(d.digest)
    return h.hexdigest()


def _previous(writer: TreeWriter) -> dict[str, Any]:
    """The previous build's search manifest (empty when there is none or it is unreadable)."""
    if writer.prev is None:
        return {}
    try:
        manifest = json.loads((Path(writer.prev) / PREFIX / "manifest.json").read_text("utf-8"))
        return manifest if isinstance(manifest, dict) else {}
    except (OSError, ValueError):
        return {}


def _previous_bundles(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The previous build's bundles by id."""
    try:
        bundles = [
            *manifest.get("bundles", []),
            *([manifest["recent"]] if manifest.get("recent") else []),
        ]
        return {str(b["id"]): b for b in bundles if "input" in b}
    except (KeyError, TypeError):
        return {}


def tier_key(doc: Doc) -> int:
    """A subject's place in the tiers: the length of its document (index words), then a hash
    of its address (spreading the many documents of the same length evenly)."""
    return doc.words << 32 | int.from_bytes(hashlib.sha256(doc.url.encode()).digest()[:4])


def tiers(keys: list[int], lo: int, hi: int, cap: int) -> list[tuple[int, int, int, int]]:
    """Cut the sorted `keys[lo:hi]` into tiers of at most `cap`, at fixed points.

    The key space is halved, and each half again, while a part holds more than `cap` keys
    (a part of one key value is never cut): the tiers are the parts left, in order, as
    (start, stop) positions in `keys` with the part's first key and its size (2^bits).
    Where a part is cut depends on nothing but the keys inside it: a few keys added or
    removed re-cut at most the parts whose counts cross `cap` and leave the others alone.
    """
    out: list[tuple[int, int, int, int]] = []
    todo = [(0, 64)]  # (first key, bits): the part [first, first + 2^bits)
    while todo:
        first, bits = todo.pop()
        a = bisect.bisect_left(keys, first, lo, hi)
        b = bisect.bisect_left(keys, first + (1 << bits), lo, hi)
        if a == b:
            continue
        if b - a <= cap or bits == 0:
            out.append((a, b, first, bits))
            continue
        half = 1 << (bits - 1)
        todo += [(first + half, bits - 1), (first, bits - 1)]  # the lower half first
    return out


def _by_length(docs: list[Doc]) -> list[Doc]:
    return sorted(docs, key=lambda d: (d.words, d.url))


def joined(parts: list[tuple[int, int, int, int]], cap: int) -> list[tuple[int, int, int, int]]:
    """Join each small part (under a quarter of `cap`) to the tier before it while that
    tier stays within 1.25 `cap`: no bundle of a handful of subjects (the longest
    documents are few). A part's tier depends on it and its neighbours only."""
    out: list[tuple[int, int, int, int]] = []
    for a, b, first, bits in parts:
        if out and (b - a) * 4 < cap and (b - out[-1][0]) * 4 <= cap * 5:
            out[-1] = (out[-1][0], b, out[-1][2], out[-1][3])
        else:
            out.append((a, b, first, bits))
    return out


def _known(writer: TreeWriter) -> dict[str, tuple[int, int, Ident]] | None:
    """What the render cache knows of the previous build's search files (rel -> its hash
    and the identity of the file then written), or None when the build keeps no cache."""
    if writer.cache is None:
        return None
    writer.cache.family(FAMILY)
    return writer.cache.lookup(FAMILY)


def _intact(
    writer: TreeWriter, folder: str, known: dict[str, tuple[int, int, Ident]] | None
) -> bool:
    """Whether the previous build's files under `folder` are still those it wrote (same
    inode, size and mtime as the render cache knows them); without a cache, trusted."""
    if known is None:
        return True
    root = Path(str(writer.prev)) / folder
    try:
        found = [
            (f"{folder}/{Path(d, n).relative_to(root).as_posix()}", os.stat(Path(d, n)))
            for d, _, names in os.walk(root)
            for n in names
        ]
    except OSError:
        return False
    return bool(found) and all(
        rel in known and known[rel][2] == (st.st_ino, st.st_size, st.st_mtime_ns)
        for rel, st in found
    )


def _routes(
    writer: TreeWriter,
    before: dict[str, Any],
    searched: list[tuple[str, list[Doc]]],
    digests: dict[str, str],
    known: dict[str, tuple[int, int, Ident]] | None,
) -> list[bytes]:
    """The route tables' files: the previous build's when its searched bundles had the same
    documents (the tables are a function of them), else made anew."""
    same = [[b.get("id"), b.get("input")] for b in before.get("bundles", [])] == [
        [name, digests[name]] for name, _ in searched
    ]
    intact = writer.prev is not None and _intact(writer, f"{PREFIX}routes", known)
    if same and intact and isinstance(before.get("routes"), int):
        try:
            folder = Path(str(writer.prev)) / PREFIX / "routes"
            return [(folder / f"{i}.json").read_bytes() for i in range(before["routes"])]
        except OSError:
            pass
    return [_json(t) for t in _route_tables(searched)]


def _link(writer: TreeWriter, rel: str, path: Path) -> int:
    """Place the previous build's file `path` at `rel` (linked, unread); return its size."""
    st = path.stat()
    if not writer.keep(rel, (st.st_ino, st.st_size, st.st_mtime_ns)):
        writer.write(rel, path.read_bytes())
    return st.st_size


def _manifest(
    writer: TreeWriter,
    bundles: list[dict[str, Any]],
    subjects: dict[str, list[str]],
    tables: tuple[int, int, int],
    filters: dict[str, list[list[Any]]],
) -> None:
    """manifest.json: the bundles (in the page's merging order), tables and filters."""
    names, routes, titles = tables
    # Sizes stay out of the manifest: they vary with Pagefind's filter-file order.
    public = [{k: v for k, v in b.items() if k != "bytes"} for b in bundles]
    manifest: dict[str, Any] = {
        "bundles": [b for b in public if b["id"] != RECENT],
        "names": names,
        "filters": filters,
    }
    if titles:
        manifest["titles"] = titles
    if len(public) > 1:  # what the search page says its count covers
        manifest["recent"] = next((b for b in public if b["id"] == RECENT), None)
        manifest["routes"] = routes
        manifest["subjects"] = sum(len(subjects[b["id"]]) for b in manifest["bundles"])
    writer.write(
        f"{PREFIX}manifest.json",
        json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode(),
    )
