"""Crawl-run bookkeeping: one ``crawl_runs`` row per run, and its summary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlite_utils

from .snapshots import utc_now


def start_run(db: sqlite_utils.Database, spider: str) -> int:
    with db.conn:
        return db["crawl_runs"].insert(
            {"started": utc_now(), "spider": spider, "status": "running"}
        ).last_pk


def finish_run(db: sqlite_utils.Database, run_id: int, *, status: str, stats: dict) -> None:
    counts = run_counts(db, run_id)
    with db.conn:
        db["crawl_runs"].update(
            run_id,
            {
                "finished": utc_now(),
                "status": status,
                "pages_fetched": counts.pages_fetched,
                "bytes_received": counts.bytes_received,
                "reports_found": counts.reports_found,
                "skipped": sum(counts.skipped_by_reason.values()),
                "errors": counts.errors,
                "stats": json.dumps(stats, default=str, ensure_ascii=False),
            },
        )


@dataclass
class RunCounts:
    """What a run did, counted from the database (the source of truth)."""

    pages_fetched: int = 0
    bytes_received: int = 0
    reports_found: int = 0
    reports_with_tables: int = 0
    reports_failing_checks: int = 0
    failed_checks: int = 0
    errors: int = 0
    skipped_by_reason: dict = field(default_factory=dict)


def run_counts(db: sqlite_utils.Database, run_id: int) -> RunCounts:
    one = lambda sql: db.execute(sql, [run_id]).fetchone()[0] or 0  # noqa: E731
    counts = RunCounts()
    counts.pages_fetched = one("select count(*) from snapshots where run_id = ?")
    counts.bytes_received = one(
        "select sum(p.size) from snapshots s join payloads p on p.digest = s.payload_digest "
        "where s.run_id = ?"
    )
    reports = "select r.* from reports r join snapshots s on s.id = r.snapshot_id where s.run_id = ?"
    counts.reports_found = one(f"select count(*) from ({reports})")
    counts.reports_with_tables = one(f"select count(*) from ({reports}) where has_tables = 1")
    counts.reports_failing_checks = one(
        f"select count(*) from ({reports}) where failing_rules is not null and failing_rules != '[]'"
    )
    counts.failed_checks = one(
        f"select count(*) from checks where status = 'fail' and report_id in (select id from ({reports}))"
    )
    counts.errors = one("select count(*) from errors where run_id = ?")
    counts.skipped_by_reason = dict(
        db.execute(
            "select reason, count(*) from skipped where run_id = ? group by reason order by 2 desc",
            [run_id],
        ).fetchall()
    )
    return counts


def format_summary(counts: RunCounts) -> str:
    """The short human summary printed at the end of a crawl."""
    lines = [
        f"pages fetched:        {counts.pages_fetched} ({counts.bytes_received:,} bytes)",
        f"reports found:        {counts.reports_found}",
        f"reports with tables:  {counts.reports_with_tables}",
        f"failed checks:        {counts.failed_checks} in {counts.reports_failing_checks} report(s)",
        f"errors:               {counts.errors}",
        f"pages skipped:        {sum(counts.skipped_by_reason.values())}",
    ]
    for reason, n in counts.skipped_by_reason.items():
        lines.append(f"  {n} x {reason}")
    return "\n".join(lines)
