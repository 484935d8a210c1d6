"""Crawl-run bookkeeping: one ``crawl_runs`` row per run, its summary, and the list of
recent runs ``nianbao runs`` prints.

A run killed outright (SIGKILL, OOM, power cut) stays ``running`` in the database.
The next crawl of the same archive takes the archive's lock file, so it knows no
other crawl is alive, marks such runs ``interrupted`` and continues them: its row
``resumes`` the interrupted run, and together they form one logical crawl.

The lock is an ``flock`` on DB_PATH.lock, which the OS releases however its holder
ends, so a killed crawl can never leave the archive locked. ``nianbao reparse`` holds
the same lock (archive/reparse.py): a crawl and a reparse never write the archive at once. ``hold_archive`` (taken by
``crawler.run.run_crawl`` before anything else) also writes the holder's pid into the
file and empties it on a clean exit: a second crawl can say who is running, and a crawl
that finds the file free but not empty knows it clears a stale lock of a killed run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
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


def lock_path(db_path) -> Path:
    return Path(str(db_path) + ".lock")


# Locks taken by ``hold_archive`` in this process, by lock path: the crawl's own pieces
# (crawler/extensions.py) share them instead of finding the archive locked.
_held: dict[str, object] = {}


def lock_archive(db_path) -> object | None:
    """Hold DB_PATH.lock for this process's lifetime (the OS releases it however the
    process ends); None when another live crawl holds it."""
    if fcntl is None:
        return None
    held = _held.get(str(lock_path(db_path)))
    if held is not None and not held.closed:
        # A duplicate descriptor shares the flock: closing it leaves the lock held.
        return os.fdopen(os.dup(held.fileno()), "a+")
    handle = open(lock_path(db_path), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


class ArchiveLocked(RuntimeError):
    """Another live crawl (or reparse) holds the archive's lock; ``holder`` is what it wrote there."""

    def __init__(self, db_path, holder: dict | None):
        self.holder = holder or {}
        who = f"pid {self.holder['pid']}, started {self.holder.get('started', '?')}" if "pid" in self.holder else "pid unknown"
        command = self.holder.get("command", "crawl")
        what = "another crawl" if command == "crawl" else f"a {command}"
        super().__init__(f"{what} is running on {db_path} ({who}); not starting")


def _read_holder(handle) -> dict | None:
    handle.seek(0)
    text = handle.read().strip()
    if not text:
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return {"unreadable": text[:200]}
    return holder if isinstance(holder, dict) else {"unreadable": text[:200]}


class ArchiveHold:
    """This process's crawl holds the archive (see ``hold_archive``)."""

    def __init__(self, db_path, handle, stale: dict | None):
        self.path = lock_path(db_path)
        self.handle = handle
        self.stale = stale  # what a killed crawl left in the lock file, if one did

    def release(self) -> None:
        if self.handle is None or self.handle.closed:
            return
        _held.pop(str(self.path), None)
        self.handle.truncate(0)  # a clean exit: nothing stale left behind
        self.handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def hold_archive(db_path, command: str = "crawl") -> ArchiveHold:
    """Take the archive's lock for this process's crawl (or ``command``: a ``nianbao
    reparse`` holds it too, so that the two never write the archive at once), or raise
    ``ArchiveLocked``."""
    if fcntl is None:
        return ArchiveHold(db_path, None, None)
    handle = lock_archive(db_path)
    if handle is None:
        with open(lock_path(db_path), "a+") as other:
            raise ArchiveLocked(db_path, _read_holder(other))
    stale = _read_holder(handle)
    if stale is not None and stale.get("command", "crawl") != command:
        stale = None  # a killed reparse's, say: no run of this command to resume
    handle.truncate(0)
    handle.write(json.dumps({"pid": os.getpid(), "started": utc_now(), "command": command}) + "\n")
    handle.flush()
    _held[str(lock_path(db_path))] = handle
    return ArchiveHold(db_path, handle, stale)


def mark_interrupted_runs(db: sqlite_utils.Database, spider: str | None = None) -> int | None:
    """Mark every ``running`` run interrupted (call only while holding the archive lock);
    return the newest such run, the one a new run resumes, if it was the last run (of
    ``spider``'s runs, when given: a crawl does not resume an interrupted ``nianbao discover``)."""
    running = [r[0] for r in db.execute("select id from crawl_runs where status = 'running' order by id")]
    for run_id in running:
        counts = run_counts(db, run_id)
        with db.atomic():
            db["crawl_runs"].update(run_id, {"status": "interrupted", **_count_columns(counts)})
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


def record_monitor(db: sqlite_utils.Database, run_id: int, monitor: dict, summary: str) -> None:
    """Store the run's end-of-run checks (``crawler/monitoring.py``) and its human summary."""
    with db.atomic():
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
    # The most frequent kinds of error, (stage, error, count, an example's URL, its message),
    # and how many kinds there are in all.
    error_kinds: list = field(default_factory=list)
    error_kind_count: int = 0
    blocked: int = 0  # hosts given up on for the run (see blocks)
    skipped_by_reason: dict = field(default_factory=dict)
    run_id: int | None = None
    resumed: list = field(default_factory=list)  # the interrupted runs this run continues, newest first


# The report versions runs (:runs, a JSON list of ids) fetched: a snapshot of the run at the URL of the version's
# snapshot brought (or confirmed) the version's body; or the run took that body from the
# archive without asking (not_asked, a recheck interval).
RUN_REPORT_IDS = """
select r.id from reports r join snapshots first on first.id = r.snapshot_id
join snapshots s on s.url = first.url and s.payload_digest = r.payload_digest
where s.run_id in (select value from json_each(:runs)) and (s.status = 200 or s.revisit_of is not null)
union
select r.id from not_asked n join snapshots s on s.id = n.snapshot_id
join snapshots first on first.url = s.url join reports r on r.snapshot_id = first.id
  and r.payload_digest = s.payload_digest
where n.run_id in (select value from json_each(:runs))
"""


def rows_of_run(db: sqlite_utils.Database, table: str, run_id: int) -> int:
    """How many ``skipped`` or ``errors`` rows the run wrote: what its summary and its
    progress line (crawler/progress.py) count. (A URL skipped again moves its one row to
    the later run.)"""
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
    counts.error_kinds = [tuple(kind[:5]) for kind in kinds[:ERROR_KINDS_SHOWN]]
    counts.error_kind_count = len(kinds)
    counts.run_id = run_id
    counts.resumed = logical_run_ids(db, run_id)[1:]
    counts.blocked = one("select count(distinct host) from blocks where run_id = ?")
    counts.skipped_by_reason = dict(
        db.execute(
            "select reason, count(*) from skipped where run_id = ? group by reason order by 2 desc",
            [run_id],
        ).fetchall()
    )
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
        f"errors:               {counts.errors}",
        *_error_lines(counts),
        f"hosts blocked:        {counts.blocked}",
        f"pages skipped:        {sum(counts.skipped_by_reason.values())}",
    ]
    for reason, n in counts.skipped_by_reason.items():
        lines.append(f"  {n} x {reason}")
    return "\n".join(lines)


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


# ---- the runs an operator looks back at (``nianbao runs``) ------------------------------


@dataclass
class RunLine:
    """One ``crawl_runs`` row as ``nianbao runs`` lists it."""

    id: int
    started: str
    finished: str | None
    status: str
    pages_fetched: int | None
    reports_found: int | None
    errors: int | None
    blocked: int | None
    resumes: int | None
    pid: int | None  # the crawling process, while it runs
    failed_checks: list[str] | None  # names of the end-of-run checks that failed; None: not checked
    notify_failed: list[str] = field(default_factory=list)  # the hooks that failed, one line each

    @property
    def seconds(self) -> float | None:
        """How long it ran (so far, while ``running``)."""
        end = self.finished or (utc_now() if self.status == "running" else None)
        if not self.started or not end:
            return None
        return (_parse_time(end) - _parse_time(self.started)).total_seconds()

    @property
    def status_text(self) -> str:
        """The status, saying of a ``running`` run whether its process is still alive here (a
        run killed outright stays ``running`` until the next crawl marks it interrupted)."""
        text = self.status
        if self.status == "running" and self.pid:
            text += (f" (pid {self.pid})" if _alive(self.pid)
                     else f" (pid {self.pid} gone: killed? the next crawl resumes it)")
        return text + (f" (resumes {self.resumes})" if self.resumes else "")


_RUN_LINES = ("select id, started, finished, status, pages_fetched, reports_found, errors, blocked, resumes, "
              "pid, monitor from crawl_runs")


def recent_runs(db: sqlite_utils.Database, limit: int = 10) -> list[RunLine]:
    """The last ``limit`` crawl runs, newest first."""
    return [_run_line(row) for row in db.execute(f"{_RUN_LINES} order by id desc limit ?", [limit])]


def run_line(db: sqlite_utils.Database, run_id: int) -> RunLine | None:
    row = db.execute(f"{_RUN_LINES} where id = ?", [run_id]).fetchone()
    return _run_line(row) if row else None


def _run_line(row) -> RunLine:
    monitor = json.loads(row[-1]) if row[-1] else {}
    return RunLine(*row[:-1], failed_checks=_failed_checks(row[-1]),
                   notify_failed=list(monitor.get("notify_failed") or ()))


def _failed_checks(monitor: str | None) -> list[str] | None:
    if not monitor:
        return None
    return [check["name"] for check in json.loads(monitor).get("checks") or () if not check.get("ok")]


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (signal 0 sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by another user
        return True
    return True


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_runs(runs: list[RunLine]) -> str:
    """``runs`` as an aligned table, one line each, for a terminal."""
    header = ("run", "started (UTC)", "took", "status", "pages", "reports", "errors", "blocked", "run checks")
    lines = [header]
    for run in runs:
        status = run.status_text
        checks = ("-" if run.failed_checks is None
                  else "ok" if not run.failed_checks else "FAILED: " + ", ".join(run.failed_checks))
        if run.notify_failed:
            checks += "; NOTIFY FAILED"
        lines.append((str(run.id), (run.started or "")[:19].replace("T", " "), _duration(run.seconds), status,
                      *(_count(n) for n in (run.pages_fetched, run.reports_found, run.errors, run.blocked)),
                      checks))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    right = {0, 2, 4, 5, 6, 7}  # numbers and durations align right
    return "\n".join(
        "  ".join([(cell.rjust(w) if i in right else cell.ljust(w)) for i, (cell, w) in enumerate(zip(line, widths))]
                  + [line[-1]]).rstrip()
        for line in lines
    )


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
