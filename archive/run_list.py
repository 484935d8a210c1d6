"""The runs an operator looks back at: ``nianbao runs`` lists the last crawl runs from their
``crawl_runs`` rows, one line each (counts as each run kept them at its end, its status,
its end-of-run checks, their notes, and any hook that failed).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from .timestamps import utc_now


@dataclass
class RunLine:
    """One ``crawl_runs`` row as ``nianbao runs`` lists it."""

    id: int
    started: str
    finished: str | None
    status: str
    pages_fetched: int | None
    reports_found: int | None
    skipped: int | None
    errors: int | None
    blocked: int | None
    resumes: int | None
    pid: int | None  # the crawling process, while it runs
    failed_checks: list[str] | None  # names of the end-of-run checks that failed; None: not checked
    notify_failed: list[str] = field(default_factory=list)  # the hooks that failed, one line each
    notes: list[str] = field(default_factory=list)  # names of the checks that passed with a notice

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


_RUN_LINES = ("select id, started, finished, status, pages_fetched, reports_found, skipped, errors, blocked, resumes, "
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
                   notify_failed=list(monitor.get("notify_failed") or ()), notes=list(monitor.get("notes") or ()))


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
    header = ("run", "started (UTC)", "took", "status", "pages", "reports", "skipped", "errors", "blocked",
              "run checks")
    lines = [header]
    for run in runs:
        status = run.status_text
        checks = ("-" if run.failed_checks is None
                  else "ok" if not run.failed_checks else "FAILED: " + ", ".join(run.failed_checks))
        if run.notes:  # crawler/monitoring.py's notices: e.g. a start URL moved
            checks += "; note: " + ", ".join(run.notes)
        if run.notify_failed:
            checks += "; NOTIFY FAILED"
        counts = (run.pages_fetched, run.reports_found, run.skipped, run.errors, run.blocked)
        lines.append((str(run.id), (run.started or "")[:19].replace("T", " "), _duration(run.seconds), status,
                      *map(_count, counts), checks))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    right = {0, 2, 4, 5, 6, 7, 8}  # numbers and durations align right
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
