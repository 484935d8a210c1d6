"""Files cancelled for their size, remembered with the validators their answer carried.

A file over ``DOWNLOAD_MAXSIZE`` is never stored, so the conditional middleware finds no
snapshot to validate it against, and without this the crawler would download it again
every night up to the limit: all of the limit when the server streams it without a
Content-Length. The ETag and Last-Modified its cancelled answer announced are kept here
instead; the next night asks for it conditionally, and a 304 ends the exchange at its
headers (``crawler/middlewares/conditional.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils

from .transactions import write_transaction

TABLE = "oversize_files"


@dataclass(frozen=True)
class OversizeFile:
    url: str
    etag: str | None
    last_modified: str | None
    content_length: int | None  # as announced; None when the body was streamed
    size_limit: int  # the DOWNLOAD_MAXSIZE it was cancelled under
    first_seen: str
    last_seen: str


def ensure_table(db: sqlite_utils.Database) -> None:
    db[TABLE].create(
        {"url": str, "etag": str, "last_modified": str, "content_length": int, "size_limit": int,
         "first_seen": str, "last_seen": str, "times": int},
        pk="url", not_null={"size_limit", "first_seen", "last_seen"}, if_not_exists=True,
    )


def remember_oversize(db: sqlite_utils.Database, url: str, *, etag: str | None, last_modified: str | None,
                      content_length: int | None, size_limit: int) -> None:
    """Record (or renew) a download cancelled for its size."""
    ensure_table(db)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with write_transaction(db):
        db.execute(
            f"insert into {TABLE} (url, etag, last_modified, content_length, size_limit, first_seen, last_seen, times) "
            "values (?, ?, ?, ?, ?, ?, ?, 1) on conflict (url) do update set etag = excluded.etag, "
            "last_modified = excluded.last_modified, content_length = excluded.content_length, "
            "size_limit = excluded.size_limit, last_seen = excluded.last_seen, times = times + 1",
            [url, etag, last_modified, content_length, size_limit, now, now],
        )


def known_oversize(db: sqlite_utils.Database, url: str, size_limit: int) -> OversizeFile | None:
    """The file's record when a conditional request can settle it: it has validators, and
    the limit is no higher than the one it was cancelled under (an unchanged file is then
    still too large; under a raised limit it must be fetched again)."""
    row = db.execute(
        f"select url, etag, last_modified, content_length, size_limit, first_seen, last_seen from {TABLE} "
        "where url = ? and size_limit >= ? and (etag is not null or last_modified is not null)",
        [url, size_limit],
    ).fetchone()
    return OversizeFile(*row) if row else None


def unchanged_message(known: OversizeFile, size_limit: int) -> str:
    size = f"{known.content_length:,} bytes announced" if known.content_length is not None else "streamed"
    return (f"unchanged since {known.last_seen} (304 Not Modified), still over the size limit: "
            f"{size}, DOWNLOAD_MAXSIZE is {size_limit:,}")
