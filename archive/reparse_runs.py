"""What a reparse did: one ``reparse_runs`` row per run, one ``reparse_changes`` row per
report version it parsed, and the summary printed at the end.

A change row is written in the same transaction as the report's new rows, so the record
never claims more than the database holds: after a kill, the rows of the runs so far say
exactly which versions were done, and a resumed run (``resumes``) skips them. A run that
finds nothing to parse records nothing: running the same version again writes nothing.

Per version: ``outcome`` new (no rows before) | changed | unchanged | error;
``cells_changed`` counts cells whose value or kind differs, appeared or disappeared;
``checks_flipped`` lists the parser's checks whose status changed (JSON ``[rule, where,
from, to]``, ``null`` where the check did not exist); ``fields_changed`` names the other
things its parse gives that changed (title, year, agency, …, problems, indicators).

The cross-report checks (R6, R7: a year against the year before) of a report change when
a neighbouring year is reparsed, before or after it: ``reparse_cross_checks`` keeps each
one's status from before the run (a temporary trigger notes it as it is first replaced),
and once the run has finished only those whose status differs now remain, with ``after``.
Counted per report as it is written, a check put right again by a later report of the same
run was counted as flipped.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils

from .timestamps import utc_now
from .transactions import write_transaction


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
            "fields_changed": str,  # JSON ["title", "year", ...]: besides cells and checks
        },
        pk="id",
        foreign_keys=[("run_id", "reparse_runs", "id"), ("report_id", "reports", "id")],
        if_not_exists=True,
    )
    if "fields_changed" not in db["reparse_changes"].columns_dict:  # added in an archive of schema 6 or 7
        db["reparse_changes"].add_column("fields_changed", str)
    db["reparse_changes"].create_index(["run_id"], if_not_exists=True)
    db["reparse_changes"].create_index(["snapshot_id"], if_not_exists=True)
    db["reparse_changes"].create_index(["report_id"], if_not_exists=True)  # counted on a report's Datasette page
    db["reparse_cross_checks"].create(
        {
            "id": int,
            "run_id": int,
            "report_id": int,
            "rule": str,  # R6 | R7
            "where": str,
            "before": str,  # its status before the run; null: the check did not exist
            "after": str,  # its status once the run finished; null: the check is gone
        },
        pk="id",
        foreign_keys=[("run_id", "reparse_runs", "id"), ("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db["reparse_cross_checks"].create_index(["run_id", "report_id", "rule", "where"], unique=True,
                                            if_not_exists=True)
    db["reparse_cross_checks"].create_index(["report_id", "rule", "where"], if_not_exists=True)


def start_run(db, *, parser_version, workers, site, since, force, selected, skipped, resumes) -> int:
    with write_transaction(db):
        return db["reparse_runs"].insert(
            {"started": utc_now(), "status": "running", "parser_version": parser_version,
             "workers": workers, "site": site, "since": since, "force": int(force),
             "selected": selected, "skipped": skipped, "pid": os.getpid(), "resumes": resumes}
        ).last_pk


def finish_run(db, run_id: int, status: str) -> None:
    with write_transaction(db):
        db["reparse_runs"].update(run_id, {"finished": utc_now(), "status": status})
        if status == "finished":
            _settle_cross_checks(db, chain(db, run_id))


def mark_interrupted(db) -> int | None:
    """Mark ``running`` runs interrupted (call only while holding the archive's lock); return
    the newest run if it was interrupted, the one a new run may continue."""
    with write_transaction(db):
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
    fields: dict  # read_fields


def read_before(db, url: str, digest: str) -> Before | None:
    row = db.execute(
        "select id, parser_version from reports where url = ? and payload_digest = ?", [url, digest]
    ).fetchone() or db.execute(  # a body tied to a version (archive/report_content.py): that version's rows
        "select report_id, parser_version from version_bodies where url = ? and payload_digest = ?", [url, digest]
    ).fetchone()
    if row is None:
        return None
    cells = set(db.execute(
        "select table_name, row_key, column_key, value, kind from cells where report_id = ?", [row[0]]))
    return Before(row[0], row[1], cells, read_checks(db, row[0]), read_fields(db, row[0]))


def read_checks(db, report_id: int) -> dict:
    """(rule, where) -> status of a report's own checks as stored: the parser's (R6 and
    R7 depend on other reports too: see ``watch_cross_checks``)."""
    return {(rule, where): status for rule, where, status in db.execute(
        "select rule, [where], status from checks where report_id = ? and +rule not in ('R6', 'R7')",
        [report_id])}


# What a parse gives besides cells and checks, as stored: a change in any is a change of the report.
_REPORT_FIELDS = {"title": "title", "year": "year", "published": "published", "agency": "agency_id",
                  "source": "source", "layout": "layout", "text_form": "text_form", "text": "text"}
_REPORT_ROWS = {"problems": "select kind, table_name, detail from problems where report_id = ? order by id",
                "indicators": "select position, indicator, unit, this_year, cumulative from indicators "
                              "where report_id = ? order by id"}


def read_fields(db, report_id: int) -> dict:
    """name -> value of a report version's fields and rows beside its cells and checks."""
    columns = ", ".join(f"[{c}]" for c in _REPORT_FIELDS.values())
    values = db.execute(f"select {columns} from reports where id = ?", [report_id]).fetchone()
    fields = dict(zip(_REPORT_FIELDS, values))
    for name, sql in _REPORT_ROWS.items():
        fields[name] = db.execute(sql, [report_id]).fetchall()
    return fields


def compare(before: Before | None, report: dict, checks: dict, fields: dict) -> tuple[str, int, list, list]:
    """(outcome, cells changed, checks flipped, fields changed) of the parsed ``report``,
    whose checks and fields are now ``checks`` (read_checks) and ``fields`` (read_fields),
    against ``before``."""
    if before is None:
        return "new", 0, [], []
    # 3 == 3.0 with one hash, so the parser's ints meet the REAL column's floats in a set.
    after = {(c["table"], c["row"], c["column"], c.get("value"), c.get("kind")) for c in report.get("cells") or ()}
    cells_changed = len({cell[:3] for cell in before.cells ^ after})
    flipped = sorted(
        [rule, where, before.checks.get((rule, where)), checks.get((rule, where))]
        for rule, where in before.checks.keys() | checks.keys()
        if before.checks.get((rule, where)) != checks.get((rule, where))
    )
    fields_changed = [name for name in fields if fields[name] != before.fields.get(name)]
    changed = cells_changed or flipped or fields_changed
    return ("changed" if changed else "unchanged"), cells_changed, flipped, fields_changed


def record_change(db, *, run_id, snapshot_id, url, parser_version, before, report_id, outcome,
                  cells_changed=0, flipped=(), fields_changed=(), error=None, message=None) -> None:
    db.execute(
        "insert into reparse_changes (run_id, snapshot_id, report_id, url, parser_version, previous_version, "
        "outcome, cells_changed, checks_flipped, fields_changed, error, message) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, snapshot_id, report_id, url, parser_version, before.parser_version if before else None,
         outcome, cells_changed, json.dumps(list(flipped), ensure_ascii=False) if flipped else None,
         json.dumps(list(fields_changed)) if fields_changed else None, error, message],
    )


# ---- the cross-report checks (R6, R7) ---------------------------------------------------------

_NOTE_BEFORE = """
create temp trigger reparse_cross_{event} after {event} on main.checks when {row}.rule in ('R6', 'R7')
begin
    insert or ignore into reparse_cross_checks (run_id, report_id, rule, [where], before)
    values ({run_id}, {row}.report_id, {row}.rule, {row}.[where], {status});
end
"""


@contextlib.contextmanager
def watch_cross_checks(db, run_id: int):
    """While the block runs, note in ``reparse_cross_checks`` the status each R6/R7 check
    had when this connection first replaces it (or null for one it adds), in the caller's
    transactions: a killed run's notes go with the reports it had not committed."""
    db.execute(_NOTE_BEFORE.format(event="delete", row="old", run_id=int(run_id), status="old.status"))
    db.execute(_NOTE_BEFORE.format(event="insert", row="new", run_id=int(run_id), status="null"))
    try:
        yield
    finally:
        db.execute("drop trigger if exists temp.reparse_cross_delete")
        db.execute("drop trigger if exists temp.reparse_cross_insert")


_SAME_CHECK = ("e.report_id = x.report_id and e.rule = x.rule and e.[where] = x.[where]")
_FIRST_IN_CHAIN = (f"not exists (select 1 from reparse_cross_checks e where e.run_id in ({{marks}}) "
                   f"and {_SAME_CHECK} and e.run_id < x.run_id)")
_NOW = ("(select c.status from checks c where c.report_id = x.report_id and c.rule = x.rule "
        "and c.[where] = x.[where])")
# A report first parsed by the runs comes with its checks: new, not flipped (as its own checks).
_OF_A_NEW_REPORT = ("x.before is null and exists (select 1 from reparse_changes n where n.run_id in ({marks}) "
                    "and n.report_id = x.report_id and n.outcome = 'new')")


def cross_flips(db, runs: list[int]) -> list[tuple]:
    """(report id, before, now) of each R6/R7 check whose status the runs changed."""
    marks = ",".join("?" * len(runs))
    return db.execute(
        f"select x.report_id, x.before, {_NOW} as now from reparse_cross_checks x where x.run_id in ({marks}) "
        f"and {_FIRST_IN_CHAIN.format(marks=marks)} and x.before is not {_NOW} "
        f"and not ({_OF_A_NEW_REPORT.format(marks=marks)})", [*runs, *runs, *runs]).fetchall()


def _settle_cross_checks(db, runs: list[int]) -> None:
    """Keep, of the finished runs' notes, one per check (the first run's) and only those
    whose status changed, with ``after``."""
    marks = ",".join("?" * len(runs))
    db.execute(f"delete from reparse_cross_checks as x where run_id in ({marks}) and (not "
               f"{_FIRST_IN_CHAIN.format(marks=marks)} or {_OF_A_NEW_REPORT.format(marks=marks)})",
               [*runs, *runs, *runs])
    db.execute(f"update reparse_cross_checks as x set after = {_NOW} where run_id in ({marks})", runs)
    db.execute(f"delete from reparse_cross_checks where run_id in ({marks}) and before is after", runs)


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
    errors: dict = field(default_factory=dict)  # error class (ParseError, DamagedBody, WorkerDied …) -> count
    replaced_versions: dict = field(default_factory=dict)  # previous parser version -> count
    numbers_changed: int = 0  # versions with at least one cell changed
    fields_changed: Counter = field(default_factory=Counter)  # "title" -> versions whose title changed
    reports_with_fields_changed: int = 0
    checks_flipped: Counter = field(default_factory=Counter)  # "pass→fail" -> count
    cross_checks_flipped: int = 0  # of those, R6/R7 (which other reports' numbers decide too)
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
    summary.errors = dict(db.execute(f"select error, count(*) {where} and outcome = 'error' group by 1 "
                                     f"order by 2 desc, 1", runs).fetchall())
    summary.parsed_now = db.execute("select count(*) from reparse_changes where run_id = ?", [run_id]).fetchone()[0]
    summary.resumed = sorted(runs[1:])
    summary.replaced_versions = dict(db.execute(  # new reports replace nothing: counted as new
        f"select previous_version, count(*) {where} and outcome != 'error' and previous_version is not null "
        f"group by 1 order by 2 desc", runs).fetchall())
    summary.numbers_changed = db.execute(f"select count(*) {where} and cells_changed > 0", runs).fetchone()[0]
    for (fields,) in db.execute(f"select fields_changed {where} and fields_changed is not null", runs):
        summary.reports_with_fields_changed += 1
        summary.fields_changed.update(json.loads(fields))
    flipped_reports = set()
    for report_id, flips in db.execute(f"select report_id, checks_flipped {where} and checks_flipped is not null",
                                       runs):
        flipped_reports.add(report_id)
        for _rule, _where, old, new in json.loads(flips):
            summary.checks_flipped[f"{old or 'none'}→{new or 'none'}"] += 1
    for report_id, old, new in cross_flips(db, runs):
        flipped_reports.add(report_id)
        summary.checks_flipped[f"{old or 'none'}→{new or 'none'}"] += 1
        summary.cross_checks_flipped += 1
    summary.reports_with_flips = len(flipped_reports)
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
    if s.cross_checks_flipped:
        flips += f"; {s.cross_checks_flipped} of them R6/R7, across years"
    fields = ", ".join(f"{k} {n}" for k, n in s.fields_changed.most_common())
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
        f"other fields changed: {s.reports_with_fields_changed} report(s)" + (f" ({fields})" if fields else ""),
        f"checks flipped:       {sum(s.checks_flipped.values())} in {s.reports_with_flips} report(s)"
        + (f" ({flips})" if flips else ""),
        f"unchanged:            {o.get('unchanged', 0)}",
        f"errors:               {errors}" + (" (" + ", ".join(f"{k} {n}" for k, n in s.errors.items())
                                                 + "; the pages: reparse_changes where outcome = 'error')"
                                                 if s.errors else ""),
    ]
    if s.status != "finished":
        lines.append(f"status:               {s.status}; run the same command again to continue")
    return "\n".join(lines)
