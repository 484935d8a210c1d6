"""Write the normalized rows of one parsed report: reports, cells, checks, problems, indicators.

A report's rows are replaced as a whole, in one transaction, so a crawl and a later
reparse of the same snapshot leave the same rows behind and a reader never sees half
a report. Everything a researcher queries is derived from a snapshot and can be
rebuilt from the archive; nothing here is the only copy of anything.
"""

from __future__ import annotations

import json

import sqlite_utils

from .snapshots import utc_now

TABLES = ("active_disclosure", "applications", "reviews_litigation")


def agency_id(db: sqlite_utils.Database, name: str | None) -> int | None:
    """The id of the publishing body, creating its row on first sight."""
    if not name:
        return None
    row = db.execute("select id from agencies where name = ?", [name]).fetchone()
    if row:
        return row[0]
    return db["agencies"].insert({"name": name}).last_pk


def store_report(
    db: sqlite_utils.Database,
    *,
    url: str,
    snapshot_id: int,
    report: dict,
    parser_version: str,
    text: str | None = None,
) -> int:
    """Replace the normalized rows for the report at ``url``; return its id.

    ``report`` is ``Report.to_dict(include_cells=True)`` from ``parsers``.
    """
    has_tables = any(report.get(t) is not None for t in TABLES + ("indicators",))
    failing = report.get("failing_rules")
    with db.conn:
        existing = db.execute("select id from reports where url = ?", [url]).fetchone()
        if existing:
            _delete_report_children(db, existing[0])
        row = {
            "url": url,
            "snapshot_id": snapshot_id,
            "agency_id": agency_id(db, report.get("agency")),
            "title": report.get("title"),
            "year": report.get("year"),
            "published": report.get("published"),
            "source": report.get("source"),
            "layout": report.get("layout"),
            "has_tables": int(has_tables),
            "failing_rules": None if failing is None else json.dumps(failing),
            "text_form": report.get("text_form"),
            "parser_version": parser_version,
            "parsed_at": utc_now(),
            "text": text,
        }
        if existing:
            report_id = existing[0]
            db["reports"].update(report_id, row)
        else:
            report_id = db["reports"].insert(row).last_pk
        db["cells"].insert_all(
            (
                {
                    "report_id": report_id,
                    "table_name": c["table"],
                    "row_key": c["row"],
                    "column_key": c["column"],
                    "value": c.get("value"),
                    "text": c.get("text"),
                    "kind": c.get("kind"),
                    "location": c.get("where"),
                }
                for c in report.get("cells") or ()
            ),
            batch_size=500,
        )
        db["checks"].insert_all(
            (
                {
                    "report_id": report_id,
                    "rule": c["rule"],
                    "where": c.get("where"),
                    "status": c["status"],
                    "left": c.get("left"),
                    "right": c.get("right"),
                    "delta": c.get("delta"),
                    "detail": c.get("detail"),
                }
                for c in report.get("checks") or ()
            ),
            batch_size=500,
        )
        db["indicators"].insert_all(
            (
                {
                    "report_id": report_id,
                    "position": position,
                    "indicator": row.get("indicator"),
                    "unit": row.get("unit"),
                    "this_year": row.get("this_year"),
                    "cumulative": row.get("cumulative"),
                }
                for position, row in enumerate(report.get("indicators") or (), start=1)
            )
        )
        db["problems"].insert_all(
            (
                {
                    "report_id": report_id,
                    "kind": p.get("kind"),
                    "table_name": p.get("table"),
                    "detail": p.get("detail"),
                }
                for p in report.get("problems") or ()
            )
        )
    return report_id


def _delete_report_children(db, report_id: int) -> None:
    for table in ("cells", "checks", "problems", "indicators"):
        db.execute(f"delete from {table} where report_id = ?", [report_id])


def record_skipped(db, *, url, title, reason, found_on, run_id=None) -> None:
    """Remember a listing item that is not a report, and why (one row per URL)."""
    with db.conn:
        db.execute(
            "insert into skipped (url, title, reason, found_on, run_id) values (?, ?, ?, ?, ?) "
            "on conflict(url) do update set title=excluded.title, reason=excluded.reason, "
            "found_on=excluded.found_on, run_id=excluded.run_id",
            [url, title, reason, found_on, run_id],
        )


def record_error(db, *, url, stage, error, message, snapshot_id=None, run_id=None) -> None:
    """Record a failure for one page; the crawl goes on."""
    with db.conn:
        db["errors"].insert(
            {
                "run_id": run_id,
                "snapshot_id": snapshot_id,
                "url": url,
                "stage": stage,
                "error": error,
                "message": message,
                "at": utc_now(),
            }
        )
