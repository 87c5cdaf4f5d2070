"""The internal columns every stage adds to a kind's rows, named in one place.

A record frame carries the kind's own columns (keys from its schema) and these, which
start with an underscore so they can never clash with a schema key. None of them is ever
published as such: the public stages receive them only through `published.Published`,
and what they show of them (the record id, the subject key, the date a record comes off
the site) is chosen by the display model (web/model.py) and the export fields.
"""

from __future__ import annotations

# Provenance, set by load and validate: where each row came from.
FILE, SHEET, ROW = "_file", "_sheet", "_row"
SEQ = "_seq"  # the row's position in the whole drop (stable order)
LOAD_ERROR = "_load_error"  # a row the loader could not read (an issue code)
ERROR = "_error"  # the first error code that rejects the row, or null
# Identity: the record's id, the key it is matched by, the subject it belongs to.
ID, IDKEY, SUBJECT = "_id", "_idkey", "_subject"
DUPLICATE = "_merged"  # a duplicate merged into an earlier row (status MERGED)
# Disclosure: what happens to the row, why, and until when it is shown.
STATUS, REASON = "_status", "_reason"
UNTIL, MIN_UNTIL = "_until", "_min_until"
# The values of STATUS: every row of a drop ends in exactly one (set by disclose).
PUBLISHED, WITHDRAWN, REJECTED, MERGED = "published", "withdrawn", "rejected", "merged"
# The REASON of a record withheld because a withdrawal row that may name it needs review.
REVIEW = "withdrawal-withheld-review"

__all__ = [
    "DUPLICATE",
    "ERROR",
    "FILE",
    "ID",
    "IDKEY",
    "LOAD_ERROR",
    "MERGED",
    "MIN_UNTIL",
    "PUBLISHED",
    "REASON",
    "REJECTED",
    "REVIEW",
    "ROW",
    "SEQ",
    "SHEET",
    "STATUS",
    "SUBJECT",
    "UNTIL",
    "WITHDRAWN",
]
