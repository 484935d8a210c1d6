"""Crawl-run bookkeeping: one ``crawl_runs`` row per run, and its summary.

A run killed outright (SIGKILL, OOM, power cut) stays ``running`` in the database.
The next crawl of the same archive takes the archive's lock file, so it knows no
other crawl is alive, marks such runs ``interrupted`` and continues them: its row
``resumes`` the interrupted run, and together they form one logical crawl.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from .snapshots import utc_now

try:
    import fcntl
except ImportError:  # not POSIX: no lock, interrupted runs stay `running`
    fcntl = None


def start_run(db: sqlite_utils.Database, spider: str, *, resumes: int | None = None) -> int:
    with db.atomic():
        return db["crawl_runs"].insert(
            {"started": utc_now(), "spider": spider, "status": "running", "pid": os.getpid(),
             "resumes": resumes}
        ).last_pk


def lock_archive(db_path) -> object | None:
    """Hold DB_PATH.lock for this process's lifetime (the OS releases it however the
    process ends); None when another live crawl holds it."""
    if fcntl is None:
        return None
    handle = open(Path(str(db_path) + ".lock"), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def mark_interrupted_runs(db: sqlite_utils.Database) -> int | None:
    """Mark every ``running`` run interrupted (call only while holding the archive lock);
    return the newest such run, the one a new run resumes, if it was the last run."""
    running = [r[0] for r in db.execute("select id from crawl_runs where status = 'running' order by id")]
    for run_id in running:
        counts = run_counts(db, run_id)
        with db.atomic():
            db["crawl_runs"].update(run_id, {"status": "interrupted", **_count_columns(counts)})
    last = db.execute("select id, status from crawl_runs order by id desc limit 1").fetchone()
    return last[0] if last and last[1] == "interrupted" else None


def logical_run_ids(db: sqlite_utils.Database, run_id: int) -> list[int]:
    """This run and the interrupted runs it resumes, newest first."""
    ids = []
    while run_id is not None and run_id not in ids:
        ids.append(run_id)
        row = db.execute("select resumes from crawl_runs where id = ?", [run_id]).fetchone()
        run_id = row[0] if row else None
    return ids


def _count_columns(counts: "RunCounts") -> dict:
    return {
        "pages_fetched": counts.pages_fetched,
        "bytes_received": counts.bytes_received,
        "reports_found": counts.reports_found,
        "skipped": sum(counts.skipped_by_reason.values()),
        "errors": counts.errors,
        "blocked": counts.blocked,
    }


def finish_run(db: sqlite_utils.Database, run_id: int, *, status: str, stats: dict) -> None:
    counts = run_counts(db, run_id)
    with db.atomic():
        db["crawl_runs"].update(
            run_id,
            {
                "finished": utc_now(),
                "status": status,
                **_count_columns(counts),
                "stats": json.dumps(stats, default=str, ensure_ascii=False),
            },
        )


@dataclass
class RunCounts:
    """What a run did, counted from the database (the source of truth)."""

    pages_fetched: int = 0
    bytes_received: int = 0  # bodies received (a 304 brings none)
    not_modified: int = 0  # 304 answers to conditional requests
    unchanged: int = 0  # 200 answers whose body the archive already held for that URL
    reports_found: int = 0  # report versions fetched in this run, changed or not
    reports_new: int = 0  # version 1 of a report, first fetched in this run
    reports_new_versions: int = 0  # a report whose body changed since an earlier run
    reports_with_tables: int = 0
    reports_failing_checks: int = 0
    failed_checks: int = 0
    errors: int = 0
    blocked: int = 0  # hosts given up on for the run (see blocks)
    skipped_by_reason: dict = field(default_factory=dict)


def run_counts(db: sqlite_utils.Database, run_id: int) -> RunCounts:
    one = lambda sql: db.execute(sql, [run_id]).fetchone()[0] or 0  # noqa: E731
    counts = RunCounts()
    counts.pages_fetched = one("select count(*) from snapshots where run_id = ?")
    counts.bytes_received = one(
        "select sum(p.size) from snapshots s join payloads p on p.digest = s.payload_digest "
        "where s.run_id = ? and s.revisit_profile is not 'server-not-modified'"
    )
    counts.not_modified = one(
        "select count(*) from snapshots where run_id = ? and revisit_profile = 'server-not-modified'"
    )
    counts.unchanged = one(
        "select count(*) from snapshots where run_id = ? and revisit_profile = 'identical-payload-digest'"
    )
    # Versions this run fetched: a snapshot of the run at the URL of the version's snapshot
    # brought (or confirmed) the version's body.
    reports = (
        "select distinct r.* from reports r join snapshots first on first.id = r.snapshot_id "
        "join snapshots s on s.url = first.url and s.payload_digest = r.payload_digest "
        "where s.run_id = ? and (s.status = 200 or s.revisit_of is not null)"
    )
    counts.reports_found = one(f"select count(*) from ({reports})")
    first_parsed = "select r.version from reports r join snapshots s on s.id = r.snapshot_id where s.run_id = ?"
    counts.reports_new = one(f"select count(*) from ({first_parsed}) where version = 1")
    counts.reports_new_versions = one(f"select count(*) from ({first_parsed}) where version > 1")
    counts.reports_with_tables = one(f"select count(*) from ({reports}) where has_tables = 1")
    counts.reports_failing_checks = one(
        f"select count(*) from ({reports}) where failing_rules is not null and failing_rules != '[]'"
    )
    counts.failed_checks = one(
        f"select count(*) from checks where status = 'fail' and report_id in (select id from ({reports}))"
    )
    counts.errors = one("select count(*) from errors where run_id = ?")
    counts.blocked = one("select count(distinct host) from blocks where run_id = ?")
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
        f"  unchanged:          {counts.not_modified} not modified (304), {counts.unchanged} same body",
        f"reports found:        {counts.reports_found} ({counts.reports_new} new, "
        f"{counts.reports_new_versions} new versions)",
        f"reports with tables:  {counts.reports_with_tables}",
        f"failed checks:        {counts.failed_checks} in {counts.reports_failing_checks} report(s)",
        f"errors:               {counts.errors}",
        f"hosts blocked:        {counts.blocked}",
        f"pages skipped:        {sum(counts.skipped_by_reason.values())}",
    ]
    for reason, n in counts.skipped_by_reason.items():
        lines.append(f"  {n} x {reason}")
    return "\n".join(lines)
