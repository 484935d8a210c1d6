"""Hosts a crawl gave up on for the rest of its run, and why (``blocks``).

A host is blocked when it answers with a script challenge (``$_ts`` / ``__jsl_clearance``
pages), refuses several requests in a row (403/429), or asks to be left alone for longer
than the crawler waits (``Retry-After``). The answer that decided it stays archived as a
snapshot; ``snapshot_id`` points at it, so the evidence is one join away. A block lasts
one run: the next run tries the host again.
"""

from __future__ import annotations

import sqlite_utils

from .timestamps import utc_now
from .transactions import write_transaction


def record_block(
    db: sqlite_utils.Database,
    *,
    run_id: int | None,
    site: str | None,
    host: str,
    url: str,
    reason: str,
    snapshot_id: int | None = None,
    status: int | None = None,
) -> int:
    """Remember that ``host`` (of registry site ``site``) is blocked for run ``run_id``."""
    with write_transaction(db):
        return db["blocks"].insert(
            {
                "run_id": run_id,
                "site": site,
                "host": host,
                "url": url,
                "status": status,
                "reason": reason,
                "snapshot_id": snapshot_id,
                "at": utc_now(),
            }
        ).last_pk

