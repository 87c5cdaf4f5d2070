"""Stage: export — open data for journalists and researchers (政府信息公开条例 art. 24).

Runs inside the site build (``build_site(extra=OpenData(...))``), so its files land in the
same atomically swapped tree: per dataset CSV/XLSX/JSON downloads, whole and per year,
under /downloads/<dataset>/; datapackage.json and SHA256SUMS; the publication ledger
(/downloads/ledger.csv) and the changelog built from it; Atom feeds under /feeds/; and the
/downloads/ catalogue page with each dataset's data dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..config import Config, Schema
from ..disclose import PUBLISHED, REJECTED
from ..pipeline import Result
from ..site.chrome import Chrome
from ..site.pages import Pages
from ..site.writer import TreeWriter
from .export import FileInfo, Placer, export_dataset
from .feeds import feed_rel, render_feed, titles
from .fields import ID_LABEL, Field, examples, export_frame, fields_for
from .ledger import (
    REL,
    LedgerError,
    content_hashes,
    first_published,
    gone_reasons,
    read_ledger,
    write_ledger,
)
from .ledger import update as update_ledger
from .package import datapackage, sha256sums
from .render import changelog_pages, downloads_page

__all__ = ["OpenData", "LedgerError"]


@dataclass
class OpenData:
    """The export stage, handed to build_site; `previous` is the last build's ledger."""

    result: Result
    config: Config
    previous: pl.DataFrame
    files: list[FileInfo] = field(default_factory=list)
    events: pl.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def for_build(cls, result: Result, config: Config, out: Path, ledger: str | None) -> OpenData:
        """Read the ledger from `ledger` (path or URL) or else the site being replaced.

        Raises LedgerError when a ledger that should be there cannot be read.
        """
        published = out / REL
        source = ledger or (published if published.is_file() else None)
        return cls(result, config, read_ledger(source))

    def feed(self, dataset: str) -> str:
        """The dataset's Atom feed, relative to the site root (for its list page)."""
        return feed_rel(dataset)

    def write(self, writer: TreeWriter, chrome: Chrome) -> list[str]:
        """Write every open-data file through `writer`; return the page URLs for the sitemap."""
        today = self.result.today
        xy = chrome.xy
        site: dict[str, Any] = {**xy["site"], "office": xy["office"].get("name", "")}
        placer = Placer(writer)
        current, gone, named, catalogue = [], [], [], []
        schemas: dict[str, tuple[Schema, list[Field]]] = {}
        for schema in self.config.datasets():
            published = self.result.published(schema.id)
            fields = fields_for(schema, self.config)
            schemas[schema.id] = (schema, fields)
            frame = export_frame(published, schema, fields, site["url"])
            current.append(
                pl.DataFrame(
                    {
                        "dataset": [schema.id] * frame.height,
                        "id": frame.get_column(ID_LABEL),
                        "hash": content_hashes(frame, fields),
                    },
                    schema={"dataset": pl.Utf8, "id": pl.Utf8, "hash": pl.Utf8},
                )
            )
            reasons = gone_reasons(self.result.records[schema.id], PUBLISHED, REJECTED)
            gone.append(reasons.select(pl.lit(schema.id).alias("dataset"), pl.all()))
            files = export_dataset(
                frame, schema.id, schema.name, fields, placer, today, site["name"], self.timings
            )
            self.files += files
            named.append(titles(published, schema).select(pl.lit(schema.id).alias("dataset"),
                                                          pl.all()))  # fmt: skip
            catalogue.append(
                {
                    "id": schema.id,
                    "name": schema.name,
                    "description": schema.description,
                    "count": frame.height,
                    "feed": feed_rel(schema.id),
                    "files": files,
                    "fields": fields,
                    "examples": examples(frame, fields),
                }
            )
            del frame
        ledger, self.events = update_ledger(self.previous, pl.concat(current), pl.concat(gone),
                                            today)  # fmt: skip
        write_ledger(ledger, placer.path(REL))
        sums = [(REL, placer.done(REL)[1])] + [(f.rel, f.sha256) for f in self.files]
        dates = first_published(ledger)
        every = pl.concat(named)
        for schema, _ in schemas.values():
            body = render_feed(
                schema,
                every.filter(pl.col("dataset") == schema.id).drop("dataset"),
                dates.filter(pl.col("dataset") == schema.id),
                site,
                today,
            )
            writer.write(feed_rel(schema.id), body)
        package = datapackage(self.files, schemas, self.config, site, today)
        sums.append(("downloads/datapackage.json", placer.write_bytes(
            "downloads/datapackage.json", package)[1]))  # fmt: skip
        placer.write_bytes("downloads/SHA256SUMS", sha256sums(sums))
        pages = Pages(chrome, writer, today)
        downloads_page(pages, catalogue, dict(site.get("licence") or {}))
        names = {s.id: s.name for s, _ in schemas.values()}
        urls = ["downloads/", *changelog_pages(pages, ledger, names, every.select(
            "dataset", "id", "title"))]  # fmt: skip
        return urls

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
