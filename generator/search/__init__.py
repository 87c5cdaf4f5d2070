"""Stage: index — full-text search in Chinese, static, bounded as the data grows.

Runs inside the site build (`build_site(search=SearchIndex())`), so its files land in the
same atomically swapped tree under /search/pf/:

- `main/`: the narrative pages and the subjects with the shortest documents (at most
  MAIN_SUBJECTS): what every query loads, so a query costs the same at a million records
  as at a thousand. Pagefind ranks shorter documents higher for the same words (and the
  page orders a phrase's matches so too), so the best matches come from here first.
- `more-<n>/`: the other subjects, in tiers of at most MORE_SUBJECTS by the length of their
  documents (more-1 the shortest). When main finds fewer than ten, the page merges them
  (Pagefind's mergeIndex, each tier's scores below the one before) in this order — only
  those the route tables name — until ten are found (at most a few), while nothing is
  found, or all of them when the reader asks.
- `recent/` (only when there are more-<n>): the narrative pages and the most recently
  active subjects again, searched alone for lists newest first (filters alone, 按日期).
- `routes/<n>.json`: for each Han pair word that some but not all more-<n> bundles hold,
  which of them hold it (by hash of the word): a rare word's query merges only the
  bundles that can match it.
- `manifest.json`: the bundles (with their subject counts: the page's count says which
  subjects it covers), the name and route tables and the filter values (with the number
  of documents under each), read by the search page: its filter menus come from here, so
  Pagefind loads a filter's file only when a reader chooses that filter.
- `names/<n>.json`: exact names (subjects and pages) and record numbers (文号), normalised,
  by hash: a full company name finds its subject, a 文号 its record, with one small fetch
  whichever bundle holds it.

A 统一社会信用代码 is looked up directly (its subject page is /subject/<code>/), so code
queries never depend on which bundle holds the subject.

What Pagefind indexes is index words (tokens.py: Chinese as character pairs spelled in
ASCII), plus in every document a word all documents share and a word per filter value:
a search by filters alone is a search for those words (documents.py).
Measured at 1 M records: bench/bench_search.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Schema
from ..web.model import Dataset
from ..web.writer import TreeWriter
from .bundles import TIMEOUT, SearchError, bundle_files, index_bundles, pair_words, spool
from .documents import Doc, article_docs, number_entries, subject_docs
from .tokens import fnv1a, normalise

__all__ = ["SearchIndex", "SearchError", "MAIN_SUBJECTS", "MORE_SUBJECTS", "fnv1a", "name_key"]

# Bundle sizes, measured at 1 M records (bench/bench_search.py): every query of a bundle
# fetches its metadata file (~9 bytes per document), and Pagefind's search time grows with
# the hits (~70 µs each here: a word in every document of 8 000 took 300–600 ms). 4 000
# subjects keep the broadest query of the main bundle near 300 ms and 300 KB.
MAIN_SUBJECTS = 4_000
MORE_SUBJECTS = 10_000
PREFIX = "search/pf/"
NAMES_SHARD_BYTES = 8192  # target size of one names/<n>.json or routes/<n>.json file
RECENT = "recent"


@dataclass
class SearchIndex:
    """The index stage; `main_subjects`/`more_subjects` bound each bundle's size."""

    main_subjects: int = MAIN_SUBJECTS
    more_subjects: int = MORE_SUBJECTS
    timeout: float = TIMEOUT  # seconds per Pagefind run
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
    ) -> None:
        """Index subjects and narrative pages; write the bundles through `writer`."""
        shutil.rmtree(scratch, ignore_errors=True)
        pool = scratch / "pool"  # every document's HTML, on disk until the bundles are indexed
        docs = list(spool(subject_docs(datasets, schemas), pool))
        articles = list(spool(article_docs(narrative, narrative_urls), pool))
        groups = self._groups(docs, articles)
        searched = [g for g in groups if g[0] != RECENT]  # each document once
        names = _name_tables((d for _, g in searched for d in g), number_entries(datasets))
        filters = _filter_values(d for _, g in searched for d in g)
        routes = _route_tables(pool, searched) if len(searched) > 1 else []
        del docs
        # Pagefind's output is not byte-identical from run to run (its filter files follow
        # hash-map order): a bundle whose documents are unchanged since the previous build
        # is copied from it, so an unchanged rebuild changes no file.
        previous = _previous(writer)
        jobs, digests = [], {}
        for name, group in groups:
            digests[name] = _digest(group)
            old = previous.get(name)
            if old is None or old["input"] != digests[name]:
                jobs.append((group, pool, scratch / "docs" / name, scratch / "out" / name))
        counts = dict(
            zip((o.name for *_, o in jobs), index_bundles(jobs, self.timeout), strict=True)
        )
        self.subjects = {
            name: [d.url for d in group if d.kind == "subject"] for name, group in groups
        }
        self.bundles = [
            self._publish(writer, name, group, digests[name], counts, previous, scratch)
            for name, group in groups
        ]
        for folder, tables in (("names", names), ("routes", routes)):
            for i, table in enumerate(tables):
                writer.write(f"{PREFIX}{folder}/{i}.json", _json(table))
        # Sizes stay out of the manifest: they vary with Pagefind's filter-file order.
        public = [{k: v for k, v in b.items() if k != "bytes"} for b in self.bundles]
        manifest: dict[str, Any] = {
            "bundles": [b for b in public if b["id"] != RECENT],
            "names": len(names),
            "filters": filters,
        }
        if len(public) > 1:  # what the search page says its count covers
            manifest["recent"] = next((b for b in public if b["id"] == RECENT), None)
            manifest["routes"] = len(routes)
            manifest["subjects"] = sum(len(self.subjects[n]) for n, _ in searched)
        writer.write(
            f"{PREFIX}manifest.json",
            json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode(),
        )
        shutil.rmtree(scratch, ignore_errors=True)

    def _groups(self, docs: list[Doc], articles: list[Doc]) -> list[tuple[str, list[Doc]]]:
        """The bundles: main, more-<n> and (when there are more) recent.

        Subjects go by the length of their documents, shortest first: main, then more-1,
        more-2 … Pagefind ranks a document higher the shorter it is (for the same words),
        and the page orders a phrase's matches so too, so the best matches of the whole
        site are in the first bundles that hold any: the page merges them in this order.
        recent repeats the most recently active subjects, for lists newest first (filters
        alone, 按日期排序).
        """
        ranked = sorted(docs, key=lambda d: (d.words, d.url))
        top, rest = ranked[: self.main_subjects], ranked[self.main_subjects :]
        groups: list[tuple[str, list[Doc]]] = [("main", articles + top)]
        if not rest:
            return groups
        tiers = -(-len(rest) // self.more_subjects)
        size = -(-len(rest) // tiers)
        groups += [(f"more-{i + 1}", rest[i * size : (i + 1) * size]) for i in range(tiers)]
        newest = sorted(docs, key=lambda d: (d.date, d.url), reverse=True)
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
        """Write one bundle's files (this build's, or the previous build's when unchanged)."""
        if name in counts:
            out, n = scratch / "out" / name, counts[name]
        else:
            out, n = Path(str(writer.prev)) / PREFIX / name, int(previous[name]["pages"])
        size = 0
        for rel, path in bundle_files(out):
            if name in counts:  # this build's scratch output: moved, not copied
                size += writer.move(f"{PREFIX}{name}/{rel}", str(path))
            else:
                data = path.read_bytes()
                size += len(data)
                writer.write(f"{PREFIX}{name}/{rel}", data)
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


def _route_tables(pool: Path, groups: list[tuple[str, list[Doc]]]) -> list[dict[str, list[int]]]:
    """Which bundles hold each Han pair word: {word: [bundle positions in the manifest]},
    in 2^k files by hash. A word every more-<n> bundle holds is left out (the page then
    has no bundle to skip), so the tables stay small; a word only in main maps to []."""
    holders: dict[str, list[int]] = {}
    for i, (_, group) in enumerate(groups):
        for word in pair_words(pool, group):
            holders.setdefault(word, []).append(i)
    everywhere = len(groups) - 1
    entries = sorted(
        (w, [i for i in held if i]) for w, held in holders.items() if
        len([i for i in held if i]) < everywhere
    )  # fmt: skip
    size = sum(len(w) + 6 + 3 * len(held) for w, held in entries)
    shards = 1
    while size / shards > NAMES_SHARD_BYTES:
        shards *= 2
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
    size = sum(len(json.dumps(e, ensure_ascii=False).encode()) for e in entries)
    shards = 1
    while size / shards > NAMES_SHARD_BYTES:
        shards *= 2
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


def _previous(writer: TreeWriter) -> dict[str, dict[str, Any]]:
    """The previous build's bundles by id (empty when there is none or it is unreadable)."""
    if writer.prev is None:
        return {}
    try:
        manifest = json.loads((Path(writer.prev) / PREFIX / "manifest.json").read_text("utf-8"))
        bundles = [*manifest["bundles"], *([manifest["recent"]] if manifest.get("recent") else [])]
        return {str(b["id"]): b for b in bundles if "input" in b}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
