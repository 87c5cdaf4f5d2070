"""Where things live on the public site: URL helpers every public stage shares.

Every URL here is relative to the site root and is also the file's path in the tree, so
the site works from a sub-path of any static host.
"""

from __future__ import annotations

import hashlib
import re

_SAFE_KEY = re.compile(r"[0-9A-Za-z]{1,40}")


def slug(value: str) -> str:
    """Stable URL segment for a facet value (department names are not URL-friendly)."""
    return hashlib.sha256(value.encode()).hexdigest()[:10]


def subject_slug(key: str) -> str:
    """URL segment of a subject page: the code itself when it is plain, else a hash."""
    return key if _SAFE_KEY.fullmatch(key) else "k" + slug(key)


def record_href(dataset: str, rid: str) -> str:
    """A record page's URL relative to the site root (also its file path)."""
    return f"{dataset}/{rid}.html"


def feed_rel(dataset: str) -> str:
    """A kind's Atom feed (written by the open-data stage)."""
    return f"feeds/{dataset}.xml"


def root_for(url: str) -> str:
    """Relative prefix from a page at `url` (directory URL, relative) back to the root."""
    depth = url.count("/")
    return "../" * depth if depth else "./"
