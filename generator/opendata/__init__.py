"""Stage: export — open data for journalists and researchers (政府信息公开条例 art. 24).

Runs inside the site build (``build_site(extra=OpenData(...))``), so its files land in the
same atomically swapped tree: per dataset CSV/XLSX/JSON downloads, whole and per year,
under /downloads/<dataset>/; datapackage.json and SHA256SUMS; the publication ledger
(/downloads/ledger.csv) and the changelog built from it; Atom feeds under /feeds/; and the
/downloads/ catalogue page with each dataset's data dictionary.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..config import Schema
from ..published import Published
from ..web.chrome import Chrome
from ..web.shell import Shell
from ..web.urls import feed_rel
from ..web.writer import TreeWriter
from .export import FileInfo, Placer, finish_dataset, plan_dataset, write_job
from .feeds import render_feed, titles
from .fields import ID_LABEL, Field, examples, export_frame, fields_for
from .ledger import (
    REL,
    LedgerError,
    content_hashes,
    first_published,
    write_ledger,
)
from .ledger import update as update_ledger
from .package import datapackage, sha256sums
from .render import changelog_pages, downloads_page

__all__ = ["OpenData", "LedgerError"]
PACKAGE = "downloads/datapackage.json"


@dataclass
class _Part:
    """One dataset's share of the stage, kept after its export frame is dropped."""

    schema: Schema
    fields: list[Field]
    current: pl.DataFrame  # dataset, id, hash of every published record
    gone: pl.DataFrame  # dataset, id, reason of every record in the drop but not published
    titles: pl.DataFrame  # id, title, dept, when (for feeds and the changelog)
    catalogue: dict[str, Any]  # the catalogue page's entry


@dataclass
class OpenData:
    """The export stage, handed to build_site; `previous` is the last build's ledger."""

    published: Published
    previous: pl.DataFrame
    files: list[FileInfo] = field(default_factory=list)
    events: pl.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per format (summed)
    pool: Executor | None = None  # the build's executor: download files are written there

    def write(self, writer: TreeWriter, chrome: Chrome) -> list[str]:
        """Write every open-data file through `writer`; return the page URLs for the sitemap."""
        today = self.published.today
        site: dict[str, Any] = {**chrome.xy["site"], "office": chrome.xy["office"].get("name", "")}
        placer = Placer(writer)
        # Per dataset: its download files, and what the ledger and the feeds need of it.
        parts = [self._dataset(schema, site, placer) for schema in self.published.kinds]
        # The ledger: this build's events against the previous build's ledger.
        ledger, self.events = update_ledger(
            self.previous,
            pl.concat([p.current for p in parts]),
            pl.concat([p.gone for p in parts]),
            today,
        )
        write_ledger(ledger, placer.path(REL))
        sums = [(REL, placer.done(REL)[1])] + [(f.rel, f.sha256) for f in self.files]
        # Feeds, dated by the ledger.
        dates = first_published(ledger)
        for p in parts:
            mine = dates.filter(pl.col("dataset") == p.schema.id)
            writer.write(feed_rel(p.schema.id), render_feed(p.schema, p.titles, mine, site, today))
        # The package descriptor and checksums of everything above.
        schemas = {p.schema.id: (p.schema, p.fields) for p in parts}
        package = datapackage(self.files, schemas, self.published.config, site, today)
        sums.append((PACKAGE, placer.write_bytes(PACKAGE, package)[1]))
        placer.write_bytes("downloads/SHA256SUMS", sha256sums(sums))
        # The catalogue and changelog pages.
        pages = Shell(chrome, writer, today)
        downloads_page(pages, [p.catalogue for p in parts], dict(site.get("licence") or {}))
        titled = pl.concat(
            [p.titles.select(pl.lit(p.schema.id).alias("dataset"), "id", "title") for p in parts]
        )
        names = {p.schema.id: p.schema.name for p in parts}
        return ["downloads/", *changelog_pages(pages, ledger, names, titled)]

    def _dataset(self, schema: Schema, site: dict[str, Any], placer: Placer) -> _Part:
        """Export one dataset's files; keep its hashes, withdrawal reasons and titles."""
        published = self.published.frame(schema.id)
        fields = fields_for(schema, self.published.config)
        frame = export_frame(published, schema, fields, site["url"])
        plan = plan_dataset(
            frame, schema.id, schema.name, fields, placer, self.published.today, site["name"]
        )
        jobs = [job for *_, job in plan.jobs]
        # On the build's executor, the files are written while this process goes on.
        futures = [self.pool.submit(write_job, j) for j in jobs] if self.pool else []
        current = pl.DataFrame(
            {
                "dataset": [schema.id] * frame.height,
                "id": frame.get_column(ID_LABEL),
                "hash": content_hashes(frame, fields),
            },
            schema={"dataset": pl.Utf8, "id": pl.Utf8, "hash": pl.Utf8},
        )
        catalogue = {
            "id": schema.id,
            "name": schema.name,
            "description": schema.description,
            "count": frame.height,
            "feed": feed_rel(schema.id),
            "fields": fields,
            "examples": examples(frame, fields),
        }
        titled = titles(published, schema)
        done = [f.result() for f in futures] if futures else [write_job(j) for j in jobs]
        for job, (_, _, seconds) in zip(jobs, done, strict=True):
            self.timings[job.fmt] = self.timings.get(job.fmt, 0.0) + seconds
        catalogue["files"] = files = finish_dataset(plan, schema.id, placer, done)
        self.files += files
        reasons = self.published.gone_of(schema.id)
        return _Part(
            schema,
            fields,
            current,
            reasons.select(pl.lit(schema.id).alias("dataset"), pl.all()),
            titled,
            catalogue,
        )

    def line(self) -> str:
        """One line for the CLI: files, bytes and this build's ledger events."""
        size = sum(f.bytes for f in self.files)
        counts = {"added": 0, "withdrawn": 0, "changed": 0}
        if self.events is not None:
            for event, n in self.events.group_by("event").len().iter_rows():
                counts[event] = n
        return (
            f"downloads: {len(self.files)} files, {size / 1e6:.1f} MB; ledger: "
            f"+{counts['added']} added, -{counts['withdrawn']} withdrawn, "
            f"~{counts['changed']} changed"
        )
