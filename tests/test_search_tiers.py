"""Search bundles at scale (issue 16 point 3): a subject's tier is a function of its own
document and of the documents near it in the order, so a change to a few subjects leaves
the other bundles as they were; an unchanged rebuild runs no Pagefind at all."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from site_demo import ROOT, Demo, demo, files

from generator.search import SearchIndex, joined, tier_key, tiers
from generator.search.documents import Doc

__all__ = ["demo"]


def docs(n: int, seed: int = 5) -> list[Doc]:
    """`n` subject documents with lengths as the sample's (many short, a long tail)."""
    rng = random.Random(seed)
    return [
        Doc(f"subject/{i:018d}/", "", words=int(20 + rng.paretovariate(1.6) * 30)) for i in range(n)
    ]


def membership(groups: list[tuple[str, list[Doc]]]) -> dict[str, set[str]]:
    return {name: {d.url for d in group} for name, group in groups}


def test_tiers_cut_sorted_keys_into_bounded_parts() -> None:
    keys = sorted(tier_key(d) for d in docs(5000))
    parts = tiers(keys, 0, len(keys), 400)
    assert [a for a, *_ in parts] == [0] + [b for _, b, *_ in parts[:-1]]  # contiguous
    assert parts[-1][1] == len(keys) and all(0 < b - a <= 400 for a, b, *_ in parts)
    for a, b, first, bits in parts:  # each part is the keys of its range
        assert all(first <= k < first + (1 << bits) for k in keys[a:b])
    # From a position on: the same cut of what lies in the ranges.
    later = tiers(keys, 1234, len(keys), 400)
    assert later[0][0] == 1234 and later[-1][1] == len(keys)
    big = joined(parts, 400)
    assert len(big) < len(parts) and all(b - a <= 500 for a, b, *_ in big)
    assert sum(b - a for a, b, *_ in big) == len(keys)


def test_few_changed_documents_leave_most_bundles_as_they_were() -> None:
    """Three subjects' documents grow: at most the bundles they left or joined change (the
    old cut by rank moved every subject after them, so every later bundle changed)."""
    stage = SearchIndex(main_subjects=100, more_subjects=400)
    before = docs(5000)
    after = docs(5000)
    for i in (17, 2500, 4321):
        after[i].words += 40
    one, two = membership(stage._groups(before, [])), membership(stage._groups(after, []))
    assert len(one) >= 10 and one.keys() == two.keys()
    changed = [name for name in one if one[name] != two[name] and name != "recent"]
    assert len(changed) <= 6, changed
    # Documents added and removed (1 %): few subjects change bundle.
    more = docs(5050, seed=5)
    more = [d for i, d in enumerate(more) if i % 100 != 3]
    three = membership(stage._groups(more, []))
    home = {u: n for n, us in one.items() if n != "recent" for u in us}
    now = {u: n for n, us in three.items() if n != "recent" for u in us}
    moved = sum(home[u] != now[u] for u in home.keys() & now.keys())
    assert moved < 0.05 * len(home), moved


def test_unchanged_rebuild_runs_no_pagefind(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built again over itself with the same data: every search file is the previous
    build's (linked, no document made, no Pagefind run); the bytes are a clean build's."""
    import generator.search as search
    from generator.build import Paths, write_site

    paths = Paths(demo.data, tmp_path / "site", tmp_path / "work", ROOT / "site.yml")
    published = demo.result.view(demo.config)
    write_site(published, paths, index=SearchIndex(main_subjects=40, more_subjects=40))
    pf = tmp_path / "site" / "search" / "pf"
    first = {p.relative_to(pf): (p.read_bytes(), p.stat().st_ino) for p in files(pf)}

    def refuse(*args: object, **kwargs: object) -> list[int]:
        raise AssertionError("Pagefind ran in an unchanged rebuild")

    monkeypatch.setattr(search, "index_bundles", refuse)
    monkeypatch.setattr(search, "subject_docs", refuse)
    again = SearchIndex(main_subjects=40, more_subjects=40)
    write_site(published, paths, index=again)
    second = {p.relative_to(pf): (p.read_bytes(), p.stat().st_ino) for p in files(pf)}
    assert second == first  # the same files, hard-linked
    assert [b["id"] for b in again.bundles][0] == "main" and len(again.bundles) > 3
    assert again.line().startswith("search: ")
    # A bundle file changed by hand: the files are made again (and Pagefind runs).
    victim = next(p for p in files(pf) if p.suffix == ".pf_meta")
    victim.write_bytes(b"damaged")
    monkeypatch.undo()
    write_site(published, paths, index=SearchIndex(main_subjects=40, more_subjects=40))
    third = {p.relative_to(pf): p.read_bytes() for p in files(pf)}
    assert third == {rel: data for rel, (data, _) in first.items()}
