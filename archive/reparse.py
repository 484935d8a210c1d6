"""Run the parsers over stored snapshots: the same code path as a live crawl.

The crawl's pipeline calls ``parse_stored_snapshot`` on each report page it fetched
(the snapshot middleware has stored it by then);
``reparse`` calls it over the whole archive (no network) when the parsers improve.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

import parsers
from parsers import ParseError, Report, parse_report

from .records import record_error, store_report
from .snapshots import Snapshot, iter_snapshots, read_snapshot


def parser_version() -> str:
    return getattr(parsers, "PARSER_VERSION", "0")


@dataclass(frozen=True)
class Outcome:
    snapshot_id: int
    report_id: int | None = None
    error: str | None = None
    message: str | None = None


def parse_snapshot(snapshot: Snapshot) -> Report:
    """Parse a stored snapshot exactly as it came off the wire."""
    return parse_report(
        snapshot.body,
        url=snapshot.url,
        content_type=snapshot.content_type,
        content_encoding=snapshot.content_encoding,
    )


def parse_stored_snapshot(db: sqlite_utils.Database, snapshot_id: int, run_id: int | None = None) -> Outcome:
    """Parse one snapshot and replace its report's rows; record a failure instead of raising."""
    snapshot = read_snapshot(db, snapshot_id)
    try:
        report = parse_snapshot(snapshot)
    except ParseError as exc:
        return _failed(db, snapshot, run_id, "ParseError", str(exc))
    except Exception as exc:  # a parser bug must not stop the crawl: record it per page
        return _failed(db, snapshot, run_id, type(exc).__name__, f"parser crashed: {exc}")
    report_id = store_report(
        db,
        url=snapshot.url,
        snapshot_id=snapshot.id,
        report=report.to_dict(include_cells=True),
        parser_version=parser_version(),
        text=getattr(report, "text", None),
    )
    return Outcome(snapshot_id=snapshot.id, report_id=report_id)


def _failed(db, snapshot, run_id, error, message) -> Outcome:
    record_error(
        db, url=snapshot.url, stage="parse", error=error, message=message,
        snapshot_id=snapshot.id, run_id=run_id,
    )
    return Outcome(snapshot_id=snapshot.id, error=error, message=message)


def report_snapshot_ids(db: sqlite_utils.Database) -> list[int]:
    """The newest successful snapshot of every report page in the archive."""
    rows = db.execute(
        "select max(id) from snapshots where kind = 'report' and status = 200 group by url order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def reparse(db: sqlite_utils.Database, progress=None) -> list[Outcome]:
    """Re-run the current parsers over every report page in the archive (no network)."""
    outcomes = []
    ids = report_snapshot_ids(db)
    for snapshot_id in ids:
        outcomes.append(parse_stored_snapshot(db, snapshot_id))
        if progress:
            progress(1)
    return outcomes
