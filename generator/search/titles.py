"""Record-title tables: a title query answered over every subject with one small fetch.

Subjects are split into bundles (generator/search/__init__.py), and a record title such as
超过保质期 or 2025年排污单位执法检查（第3批） is held by subjects spread over all of them: the
page could merge only the first few bundles within its byte budget, and showed a fraction
of the best matches (recall@10 48 % against one unsharded index, bench/bench_search.py).

A title is a phrase whose matches the build can list in advance. For each record title
written into a subject's document, as the words the page searches for it (tokens.phrase),
the table holds every subject whose titles contain that phrase: how many, and the first
TOP of them in the order Pagefind gives a phrase's matches (shorter documents first, the
`rank` sort of documents.py). The page looks the typed phrase up (search.js) and, when it
is a title, shows these with the exact count of subjects over the whole site; every other
query goes to the bundles as before.

    {phrase words: [subjects, [[url, name, summary, date, a title holding it], …]]}
                                                                  in 2^k files by hash
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import polars as pl

from .documents import Doc
from .tokens import encode, fnv1a, phrase

TOP = 20  # subjects listed per title (the page's first page of results)
SHARD_BYTES = 8192  # target size of one table file
_CHUNK = 50_000  # documents matched at once (bounded memory at a million records)


def shard_count(size: int, target: int = SHARD_BYTES) -> int:
    """The number of files (a power of two) that keeps each near `target` bytes."""
    shards = 1
    while size / shards > target:
        shards *= 2
    return shards


def title_tables(docs: Iterable[Doc]) -> list[dict[str, list[Any]]]:
    """The title tables of the subject documents `docs` (see the module docstring)."""
    subjects = [d for d in docs if d.kind == "subject" and d.titles]
    keys = sorted({p for d in subjects for t in d.titles if (p := phrase(t))})
    if not keys:
        return []
    patterns = [f" {k} " for k in keys]
    index = {p: i for i, p in enumerate(patterns)}
    holders: list[list[int]] = [[] for _ in keys]
    # A document's titles as it holds them (one paragraph, titles apart by "；"): a phrase
    # matches where its words stand in a row, as Pagefind matches a quoted query.
    for lo in range(0, len(subjects), _CHUNK):
        part = subjects[lo : lo + _CHUNK]
        texts = pl.Series([f" {encode('；'.join(d.titles))} " for d in part])
        found = texts.str.extract_many(patterns, overlapping=True).to_list()
        for n, matched in enumerate(found):
            for i in sorted({index[m] for m in matched}):
                holders[i].append(lo + n)
    entries = []
    for key, held in zip(keys, holders, strict=True):
        held.sort(key=lambda n: (subjects[n].words, subjects[n].url))
        top = [_entry(subjects[n], key) for n in held[:TOP]]
        entries.append((key, [len(held), top]))
    size = sum(len(json.dumps(e, ensure_ascii=False).encode()) for e in entries)
    tables: list[dict[str, list[Any]]] = [{} for _ in range(shard_count(size))]
    for key, value in entries:
        tables[fnv1a(key) % len(tables)][key] = value
    return tables


def _entry(doc: Doc, key: str) -> list[str]:
    """The row the page shows: the subject and the first of its titles holding the phrase."""
    shown = next((t for t in doc.titles if f" {key} " in f" {encode(t)} "), doc.titles[0])
    return [doc.url, doc.title, doc.meta.get("summary", ""), doc.meta.get("date", ""), shown]
