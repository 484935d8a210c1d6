"""Run the parsers over stored snapshots: the same code path as a live crawl.

The crawl's pipeline calls ``parse_stored_snapshot`` on each report page it fetched
(the snapshot middleware has stored it by then);
``reparse`` calls it over the whole archive (no network) when the parsers improve,
once per report version (each distinct body of a report URL);
``parse_pending`` parses the report snapshots a killed crawl stored but never parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

import parsers
from parsers import ParseError, Report, parse_report

from .records import parsed_already, record_error, store_report
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
    """Parse a stored snapshot exactly as it came off the wire.

    A page whose report body is embedded in a script (gkmlpt's ``DETAIL`` JSON) is parsed
    from the HTML its flavour rebuilds from the stored page, live and on reparse alike.
    """
    embedded = embedded_report(snapshot)
    if embedded is not None:
        return parse_report(embedded.encode("utf-8"), url=snapshot.url,
                            content_type="text/html; charset=utf-8")
    return parse_report(
        snapshot.body,
        url=snapshot.url,
        content_type=snapshot.content_type,
        content_encoding=snapshot.content_encoding,
    )


def embedded_report(snapshot: Snapshot) -> str | None:
    """The report HTML a flavour embeds in a stored HTML page, or None."""
    if snapshot.encoding is None or "html" not in (snapshot.content_type or "html"):
        return None
    from crawler.flavours import extracted_report_body  # the crawler's adapters (imports Scrapy)
    from parsers import decode_http_body

    text = decode_http_body(snapshot.body, snapshot.content_encoding).decode(snapshot.encoding, errors="replace")
    return extracted_report_body(snapshot.url, text)


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
    """Every version of every report page in the archive: the snapshot that first
    brought each distinct body of each report URL."""
    rows = db.execute(
        "select min(id) from snapshots where kind in ('report', 'attachment') and status = 200 "
        "group by url, payload_digest order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def pending_snapshot_ids(db: sqlite_utils.Database, run_ids) -> list[int]:
    """Report snapshots of these runs whose body was never parsed (the run was killed
    between storing and parsing): the newest such snapshot per URL."""
    if not run_ids:
        return []
    marks = ",".join("?" * len(run_ids))
    rows = db.execute(
        f"select max(id) from snapshots where kind in ('report', 'attachment') and run_id in ({marks}) "
        f"and (status = 200 or revisit_of is not null) group by url order by 1",
        list(run_ids),
    ).fetchall()
    return [r[0] for r in rows if not parsed_already(db, r[0])]


def parse_pending(db: sqlite_utils.Database, run_ids, run_id: int | None = None) -> list[Outcome]:
    """Parse what killed runs stored but did not parse (cheap when there is nothing)."""
    return [parse_stored_snapshot(db, i, run_id=run_id) for i in pending_snapshot_ids(db, run_ids)]


def reparse(db: sqlite_utils.Database, progress=None) -> list[Outcome]:
    """Re-run the current parsers over every report page in the archive (no network)."""
    outcomes = []
    ids = report_snapshot_ids(db)
    for snapshot_id in ids:
        outcomes.append(parse_stored_snapshot(db, snapshot_id))
        if progress:
            progress(1)
    return outcomes
