"""What a reparse did: one ``reparse_runs`` row per run, one ``reparse_changes`` row per
report version it parsed, and the summary printed at the end.

A change row is written in the same transaction as the report's new rows, so the record
never claims more than the database holds: after a kill, the rows of the runs so far say
exactly which versions were done, and a resumed run (``resumes``) skips them. A run that
finds nothing to parse records nothing: running the same version again writes nothing.

Per version: ``outcome`` new (no rows before) | changed | unchanged | error;
``cells_changed`` counts cells whose value or kind differs, appeared or disappeared;
``checks_flipped`` lists checks whose status changed (JSON ``[rule, where, from, to]``,
``null`` where the check did not exist).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils

from .snapshots import utc_now


def ensure_tables(db: sqlite_utils.Database) -> None:
    """Part of the schema (archive/schema.py, 6), so Datasette describes them before any reparse."""
    db["reparse_runs"].create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "status": str,  # running | finished | interrupted (killed or Ctrl-C; see resumes)
            "parser_version": str,
            "workers": int,
            "site": str,
            "since": str,
            "force": int,
            "selected": int,  # report versions matching the run's filters (site, since)
            "skipped": int,  # of those, already parsed by this parser version (or by the runs resumed)
            "pid": int,
            "resumes": int,  # the interrupted reparse run this one continues
        },
        pk="id",
        if_not_exists=True,
    )
    db["reparse_changes"].create(
        {
            "id": int,
            "run_id": int,
            "snapshot_id": int,
            "report_id": int,  # null when the parse failed and no earlier rows exist
            "url": str,
            "parser_version": str,
            "previous_version": str,  # the parser version whose rows were replaced
            "outcome": str,  # new | changed | unchanged | error
            "cells_changed": int,
            "checks_flipped": str,  # JSON [[rule, where, from, to], ...]
            "error": str,
            "message": str,
        },
        pk="id",
        foreign_keys=[("run_id", "reparse_runs", "id"), ("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db["reparse_changes"].create_index(["run_id"], if_not_exists=True)
    db["reparse_changes"].create_index(["snapshot_id"], if_not_exists=True)


def start_run(db, *, parser_version, workers, site, since, force, selected, skipped, resumes) -> int:
    with db.atomic():
        return db["reparse_runs"].insert(
            {"started": utc_now(), "status": "running", "parser_version": parser_version,
             "workers": workers, "site": site, "since": since, "force": int(force),
             "selected": selected, "skipped": skipped, "pid": os.getpid(), "resumes": resumes}
        ).last_pk


def finish_run(db, run_id: int, status: str) -> None:
    with db.atomic():
        db["reparse_runs"].update(run_id, {"finished": utc_now(), "status": status})


def mark_interrupted(db) -> int | None:
    """Mark ``running`` runs interrupted (call only while holding the archive's lock); return
    the newest run if it was interrupted, the one a new run may continue."""
    with db.atomic():
        db.execute("update reparse_runs set status = 'interrupted' where status = 'running'")
    row = db.execute("select id, status from reparse_runs order by id desc limit 1").fetchone()
    return row[0] if row and row[1] == "interrupted" else None


def chain(db, run_id: int | None) -> list[int]:
    """This run and the interrupted runs it resumes, newest first."""
    ids = []
    while run_id is not None and run_id not in ids:
        ids.append(run_id)
        row = db.execute("select resumes from reparse_runs where id = ?", [run_id]).fetchone()
        run_id = row[0] if row else None
    return ids


# ---- what changed in one report version ----------------------------------------------


@dataclass(frozen=True)
class Before:
    """A version's rows before this reparse replaced them."""

    report_id: int
    parser_version: str | None
    cells: set  # (table, row, column, value, kind)
    checks: dict  # (rule, where) -> status


def read_before(db, url: str, digest: str) -> Before | None:
    row = db.execute(
        "select id, parser_version from reports where url = ? and payload_digest = ?", [url, digest]
    ).fetchone()
    if row is None:
        return None
    cells = set(db.execute(
        "select table_name, row_key, column_key, value, kind from cells where report_id = ?", [row[0]]))
    return Before(row[0], row[1], cells, read_checks(db, row[0]))


def read_checks(db, report_id: int) -> dict:
    """(rule, where) -> status of a report's checks as stored: the parser's and the
    cross-report rules (R6, R7) computed when its rows were written."""
    return {(rule, where): status for rule, where, status in db.execute(
        "select rule, [where], status from checks where report_id = ?", [report_id])}


def compare(before: Before | None, report: dict, checks: dict) -> tuple[str, int, list]:
    """(outcome, cells changed, checks flipped) of the parsed ``report``, whose checks are
    now ``checks`` (read_checks), against ``before``."""
    if before is None:
        return "new", 0, []
    # 3 == 3.0 with one hash, so the parser's ints meet the REAL column's floats in a set.
    after = {(c["table"], c["row"], c["column"], c.get("value"), c.get("kind")) for c in report.get("cells") or ()}
    cells_changed = len({cell[:3] for cell in before.cells ^ after})
    statuses = checks
    flipped = sorted(
        [rule, where, before.checks.get((rule, where)), statuses.get((rule, where))]
        for rule, where in before.checks.keys() | statuses.keys()
        if before.checks.get((rule, where)) != statuses.get((rule, where))
    )
    return ("changed" if cells_changed or flipped else "unchanged"), cells_changed, flipped


def record_change(db, *, run_id, snapshot_id, url, parser_version, before, report_id, outcome,
                  cells_changed=0, flipped=(), error=None, message=None) -> None:
    db.execute(
        "insert into reparse_changes (run_id, snapshot_id, report_id, url, parser_version, previous_version, "
        "outcome, cells_changed, checks_flipped, error, message) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, snapshot_id, report_id, url, parser_version, before.parser_version if before else None,
         outcome, cells_changed, json.dumps(list(flipped), ensure_ascii=False) if flipped else None,
         error, message],
    )


# ---- the summary ------------------------------------------------------------------------


@dataclass
class ReparseSummary:
    """What a reparse (with the interrupted runs it resumed) did, counted from the database."""

    run_id: int | None  # None: nothing was to do, and nothing was recorded
    parser_version: str
    status: str = "finished"
    selected: int = 0
    skipped_current: int = 0  # versions already parsed by this parser version (no --force)
    parsed: int = 0  # by this run and the runs it resumed
    parsed_now: int = 0  # by this run alone (in ``seconds``)
    outcomes: dict = field(default_factory=dict)  # new / changed / unchanged / error -> count
    replaced_versions: dict = field(default_factory=dict)  # previous parser version -> count
    numbers_changed: int = 0  # versions with at least one cell changed
    checks_flipped: Counter = field(default_factory=Counter)  # "pass→fail" -> count
    reports_with_flips: int = 0
    seconds: float = 0.0
    workers: int = 0  # parse processes of this run (0: parsed in the writing process)
    resumed: list = field(default_factory=list)  # the interrupted runs this one continues, oldest first


def summarize(db, run_id: int, *, seconds: float = 0.0) -> ReparseSummary:
    runs = chain(db, run_id)
    marks = ",".join("?" * len(runs))
    head = db.execute("select parser_version, status, selected, skipped, workers from reparse_runs where id = ?",
                      [run_id]).fetchone()
    summary = ReparseSummary(run_id, head[0], head[1], selected=head[2] or 0,
                             skipped_current=head[3] or 0, seconds=seconds, workers=head[4] or 0)
    where = f"from reparse_changes where run_id in ({marks})"
    summary.outcomes = dict(db.execute(f"select outcome, count(*) {where} group by outcome", runs).fetchall())
    summary.parsed = sum(summary.outcomes.values())
    summary.parsed_now = db.execute("select count(*) from reparse_changes where run_id = ?", [run_id]).fetchone()[0]
    summary.resumed = sorted(runs[1:])
    summary.replaced_versions = dict(db.execute(  # new reports replace nothing: counted as new
        f"select previous_version, count(*) {where} and outcome != 'error' and previous_version is not null "
        f"group by 1 order by 2 desc", runs).fetchall())
    summary.numbers_changed = db.execute(f"select count(*) {where} and cells_changed > 0", runs).fetchone()[0]
    for (flips,) in db.execute(f"select checks_flipped {where} and checks_flipped is not null", runs):
        summary.reports_with_flips += 1
        for _rule, _where, old, new in json.loads(flips):
            summary.checks_flipped[f"{old or 'none'}→{new or 'none'}"] += 1
    return summary


def format_summary(s: ReparseSummary) -> str:
    """The short human summary printed at the end of ``nianbao reparse``."""
    o = s.outcomes
    errors = o.get("error", 0)
    where = f"{s.workers} parse worker{'s' if s.workers > 1 else ''}" if s.workers else "parsed in this process"
    timing = (f" in {s.seconds:.1f}s ({s.parsed_now / s.seconds:.1f} pages/s, {where})"
              if s.seconds and s.parsed_now else "")
    if s.resumed:  # the time and the speed are this run's own
        timing = f"; {s.parsed_now} of them by this run{timing}"
    replaced = ", ".join(f"{v} ({n})" for v, n in s.replaced_versions.items())
    flips = ", ".join(f"{k} {n}" for k, n in s.checks_flipped.most_common())
    lines = [
        f"Reparsed {s.parsed} report pages: {s.parsed - errors} stored, {errors} failed{timing}",
    ]
    if s.resumed:
        runs = s.resumed
        named = f"{runs[0]}–{runs[-1]}" if len(runs) > 2 else ", ".join(map(str, runs))
        lines.append(f"continues:            interrupted run{'s' if len(runs) > 1 else ''} {named}, which "
                     f"parsed {s.parsed - s.parsed_now} of them")
    lines += [
        f"parser version:       {s.parser_version}, "
        + (f"replacing rows of version {replaced}" if replaced else "no earlier rows replaced"),
        f"report versions:      {s.selected} selected, {s.skipped_current} already parsed by "
        f"version {s.parser_version}" + ("" if s.selected == 0 or s.skipped_current == 0
                                          else " (--force parses them again)"),
        f"new reports:          {o.get('new', 0)}",
        f"numbers changed:      {s.numbers_changed} report(s)",
        f"checks flipped:       {sum(s.checks_flipped.values())} in {s.reports_with_flips} report(s)"
        + (f" ({flips})" if flips else ""),
        f"unchanged:            {o.get('unchanged', 0)}",
        f"errors:               {errors}",
    ]
    if s.status != "finished":
        lines.append(f"status:               {s.status}; run the same command again to continue")
    return "\n".join(lines)
