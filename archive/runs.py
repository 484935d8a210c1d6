"""A crawl run's record: its ``crawl_runs`` row from start to end, the counts it keeps there
as it ends, and the human summary printed then.

A run killed outright (SIGKILL, OOM, power cut) stays ``running`` in the database.
The next crawl of the same archive takes the archive's lock (archive/run_lock.py), so it
knows no other crawl is alive, marks such runs ``interrupted`` and continues them: its row
``resumes`` the interrupted run, and together they form one logical crawl.

A run's counts are counted from its rows while it runs and kept in its ``crawl_runs`` row
(and its skips by reason in ``skipped_counts``, archive/skipped_counts.py) when it ends or
is marked interrupted: later runs never change them.

The lock and the list ``nianbao runs`` prints live in archive/run_lock.py and
archive/run_list.py.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils

from . import skipped_counts
from .timestamps import utc_now
from .transactions import write_transaction


def start_run(db: sqlite_utils.Database, spider: str, *, resumes: int | None = None) -> int:
    with write_transaction(db):
        return db["crawl_runs"].insert(
            {"started": utc_now(), "spider": spider, "status": "running", "pid": os.getpid(),
             "resumes": resumes}
        ).last_pk


def mark_interrupted_runs(db: sqlite_utils.Database, spider: str | None = None) -> int | None:
    """Mark every ``running`` run interrupted (call only while holding the archive lock);
    return the newest such run, the one a new run resumes, if it was the last run (of
    ``spider``'s runs, when given: a crawl does not resume an interrupted ``nianbao discover``)."""
    running = [r[0] for r in db.execute("select id from crawl_runs where status = 'running' order by id")]
    for run_id in running:
        _end_run(db, run_id, {"status": "interrupted"})
    last = db.execute("select id, status from crawl_runs where ? is null or spider = ? order by id desc limit 1",
                      [spider, spider]).fetchone()
    return last[0] if last and last[1] == "interrupted" else None


def logical_run_ids(db: sqlite_utils.Database, run_id: int) -> list[int]:
    """This run and the interrupted runs it resumes, newest first."""
    ids = []
    while run_id is not None and run_id not in ids:
        ids.append(run_id)
        row = db.execute("select resumes from crawl_runs where id = ?", [run_id]).fetchone()
        run_id = row[0] if row else None
    return ids


def finish_run(db: sqlite_utils.Database, run_id: int, *, status: str, stats: dict) -> None:
    _end_run(db, run_id, {"finished": utc_now(), "status": status,
                          "stats": json.dumps(stats, default=str, ensure_ascii=False)})


def _end_run(db: sqlite_utils.Database, run_id: int, columns: dict) -> None:
    """Write ``columns`` and the run's counts into its row, and keep its skips by reason: from
    now on they are read there, whatever later runs skip (archive/skipped_counts.py)."""
    counts = run_counts(db, run_id)
    with write_transaction(db):
        db["crawl_runs"].update(run_id, {
            **columns,
            "pages_fetched": counts.pages_fetched,
            "bytes_received": counts.bytes_received,
            "reports_found": counts.reports_found,
            "skipped": counts.skipped,
            "errors": counts.errors,
            "blocked": counts.blocked,
        })
        skipped_counts.keep(db, run_id, counts.skipped_by_reason)


def record_monitor(db: sqlite_utils.Database, run_id: int, monitor: dict, summary: str) -> None:
    """Store the run's end-of-run checks (``crawler/monitoring.py``) and its human summary."""
    with write_transaction(db):
        db["crawl_runs"].update(
            run_id, {"monitor": json.dumps(monitor, ensure_ascii=False), "summary": summary}
        )


@dataclass
class RunCounts:
    """What a run did, counted from the database (the source of truth)."""

    pages_fetched: int = 0
    bytes_received: int = 0  # bodies received (a 304 brings none)
    not_modified: int = 0  # 304 answers to conditional requests
    unchanged: int = 0  # 200 answers whose body the archive already held for that URL
    not_asked: int = 0  # report pages and attachments taken from the archive unasked (recheck interval)
    reports_found: int = 0  # report versions fetched in this run, changed or not (or not asked for)
    reports_new: int = 0  # version 1 of a report, first fetched in this run
    reports_new_versions: int = 0  # a report whose body changed since an earlier run
    reports_with_tables: int = 0
    reports_failing_checks: int = 0
    failed_checks: int = 0
    errors: int = 0
    # stage -> rows, most first: fetch (failed requests), parse, spider, store, registry
    errors_by_stage: dict = field(default_factory=dict)
    # The most frequent kinds of error, (stage, error, count, an example's URL, its message),
    # and how many kinds there are in all.
    error_kinds: list = field(default_factory=list)
    error_kind_count: int = 0
    blocked: int = 0  # hosts given up on for the run (see blocks)
    skipped: int = 0  # URLs not followed or requests dropped (each once), as kept when the run ended
    skipped_by_reason: dict = field(default_factory=dict)  # reason -> URLs; None: not known (before schema 8)
    run_id: int | None = None
    resumed: list = field(default_factory=list)  # the interrupted runs this run continues, newest first


# The report versions runs (:runs, a JSON list of ids) fetched: a snapshot of the run at the URL of the version's
# snapshot brought (or confirmed) the version's body; or the run took that body from the
# archive without asking (not_asked, a recheck interval). A body tied to a version (the same
# content in new bytes: archive/report_content.py) counts as that version.
RUN_REPORT_IDS = """
select r.id from reports r join snapshots first on first.id = r.snapshot_id
join snapshots s on s.url = first.url and s.payload_digest = r.payload_digest
where s.run_id in (select value from json_each(:runs)) and (s.status = 200 or s.revisit_of is not null)
union
select r.id from not_asked n join snapshots s on s.id = n.snapshot_id
join snapshots first on first.url = s.url join reports r on r.snapshot_id = first.id
  and r.payload_digest = s.payload_digest
where n.run_id in (select value from json_each(:runs))
union
select b.report_id from version_bodies b join snapshots s on s.url = b.url and s.payload_digest = b.payload_digest
where s.run_id in (select value from json_each(:runs)) and (s.status = 200 or s.revisit_of is not null)
union
select b.report_id from not_asked n join snapshots s on s.id = n.snapshot_id
join version_bodies b on b.url = s.url and b.payload_digest = s.payload_digest
where n.run_id in (select value from json_each(:runs))
"""


def rows_of_run(db: sqlite_utils.Database, table: str, run_id: int) -> int:
    """How many ``skipped`` or ``errors`` rows the run holds: its progress line's counts
    (crawler/progress.py), as its summary counts them. (A URL a later run skips again moves
    its one ``skipped`` row there: an ended run's skips are read from ``skipped_counts``.)"""
    return db.execute(f"select count(*) from [{table}] where run_id = ?", [run_id]).fetchone()[0]


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
    counts.not_asked = one("select count(*) from not_asked where run_id = ?")
    reports = f"select r.* from reports r where r.id in ({RUN_REPORT_IDS})"
    runs = {"runs": json.dumps([run_id])}
    of_reports = lambda sql: db.execute(sql, runs).fetchone()[0] or 0  # noqa: E731
    counts.reports_found = of_reports(f"select count(*) from ({reports})")
    first_parsed = "select r.version from reports r join snapshots s on s.id = r.snapshot_id where s.run_id = ?"
    counts.reports_new = one(f"select count(*) from ({first_parsed}) where version = 1")
    counts.reports_new_versions = one(f"select count(*) from ({first_parsed}) where version > 1")
    counts.reports_with_tables = of_reports(f"select count(*) from ({reports}) where has_tables = 1")
    counts.reports_failing_checks = of_reports(
        f"select count(*) from ({reports}) where failing_rules is not null and failing_rules != '[]'"
    )
    counts.failed_checks = of_reports(
        f"select count(*) from checks where status = 'fail' and report_id in (select id from ({reports}))"
    )
    counts.errors = rows_of_run(db, "errors", run_id)
    # SQLite gives the bare columns of the row min(id) chose: each kind's first error.
    kinds = db.execute("select stage, error, count(*), url, message, min(id) from errors where run_id = ? "
                       "group by stage, error order by 3 desc, 6", [run_id]).fetchall()
    by_stage = Counter()
    for stage, _, count, *_ in kinds:
        by_stage[stage] += count
    counts.errors_by_stage = dict(sorted(by_stage.items(), key=lambda item: (-item[1], item[0] or "")))
    counts.error_kinds = [tuple(kind[:5]) for kind in kinds[:ERROR_KINDS_SHOWN]]
    counts.error_kind_count = len(kinds)
    counts.run_id = run_id
    counts.resumed = logical_run_ids(db, run_id)[1:]
    counts.blocked = one("select count(distinct host) from blocks where run_id = ?")
    counts.skipped, counts.skipped_by_reason = skipped_counts.skips_of_run(db, run_id)
    return counts


ERROR_KINDS_SHOWN = 3
SERVE_URL = "http://127.0.0.1:8001/nianbao"  # where `nianbao serve` shows nianbao.db by default


def format_summary(counts: RunCounts) -> str:
    """The short human summary printed at the end of a crawl. Its counts are the run's own;
    after a resumed run, its first line says so (the run checks count the whole crawl)."""
    lines = []
    if counts.resumed:
        spanned = runs_named(counts.resumed + [counts.run_id])
        lines.append(f"resumed:              run {counts.resumed[0]} (interrupted): the counts below are run "
                     f"{counts.run_id}'s, the run checks count {spanned}")
    lines += [
        f"pages fetched:        {counts.pages_fetched} ({counts.bytes_received:,} bytes)",
        f"  unchanged:          {counts.not_modified} not modified (304), {counts.unchanged} same body",
        *([f"not asked:            {counts.not_asked} (asked within the recheck interval; archived answer used)"]
          if counts.not_asked else []),
        f"reports found:        {counts.reports_found} ({counts.reports_new} new, "
        f"{counts.reports_new_versions} new versions)",
        f"reports with tables:  {counts.reports_with_tables}",
        f"consistency rules:    {counts.failed_checks} failed in {counts.reports_failing_checks} report(s)",
        f"errors:               {counts.errors}" + _by_stage(counts.errors_by_stage),
        *_error_lines(counts),
        f"hosts blocked:        {counts.blocked}",
        f"pages skipped:        {counts.skipped}",
    ]
    for reason, n in counts.skipped_by_reason.items():
        lines.append(f"  {n} x {reason or skipped_counts.UNKNOWN_REASON}")
    return "\n".join(lines)


def run_summary(db: sqlite_utils.Database, run_id: int) -> str:
    """The summary the run printed as it ended, with its checks (``record_monitor``); for a run
    that ended before its checks (killed, interrupted), one made now from its counts."""
    summary = db["crawl_runs"].get(run_id)["summary"]
    return summary or format_summary(run_counts(db, run_id))


def _by_stage(errors_by_stage: dict) -> str:
    """`` (7 fetch, 2 parse)``: a failed request (fetch) is the portal's, a parse error what
    the parser could not read of a page it got, a store error this program's (the run checks
    judge each on its own)."""
    return f" ({', '.join(f'{n} {stage}' for stage, n in errors_by_stage.items())})" if errors_by_stage else ""


def _error_lines(counts: RunCounts) -> list[str]:
    """The most frequent kinds of error, each with an example, and where to see them all."""
    lines = []
    for stage, error, n, url, message in counts.error_kinds:
        said = " ".join((message or "").split())
        said = said if len(said) <= 100 else said[:99] + "…"
        lines.append(f"  {n} x {stage} {error}, e.g. {url}" + (f": {said}" if said else ""))
    if counts.error_kind_count > len(counts.error_kinds):
        lines.append(f"  and {counts.error_kind_count - len(counts.error_kinds)} more kind(s)")
    if counts.error_kinds and counts.run_id is not None:
        lines.append(f"  all of them: `nianbao serve`, then {SERVE_URL}/errors?run_id={counts.run_id} "
                     "(or `nianbao export --table errors`)")
    return lines


def runs_named(run_ids) -> str:
    """``runs 1, 2 and 3``."""
    ids = [str(i) for i in sorted(run_ids)]
    return f"run {ids[0]}" if len(ids) == 1 else f"runs {', '.join(ids[:-1])} and {ids[-1]}"
