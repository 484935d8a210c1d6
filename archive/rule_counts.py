"""How many checks of each rule each report version has, kept up to date as checks are written.

The canned query rules_summary counts, per rule, the checks of the counted reports: on a
national archive 1.6 M checks, read one by one through the report index (about 1 s a view).
``report_rule_counts`` holds those counts per report version and rule (7 rows a report in
place of ~43 checks; rules_summary reads it in 90 ms).

SQLite triggers on ``checks`` keep it right, whatever writes the checks: a crawl and a
reparse (records.store_report: the parser's checks), the cross checks R6/R7 made again
after a correction, a merge or a reparse (cross_checks.py), a merge's copied rows, a
report's checks deleted. An insert adds to its row, a delete takes away (the row goes
with its report's last check of the rule), an update is both. The largest difference is
the only count a delete cannot take away: it is read again from the report's checks of
that rule when the deleted check held it.

Schema 14: a database made before gets the table filled from its checks on open.
"""

from __future__ import annotations

TABLE = "report_rule_counts"

# What one (report, rule) row holds, as aggregates over its checks: what rules_summary counts,
# and how many checks hold the largest difference (so that a delete reads the report's
# checks again only when it takes away the last of them).
_FROM_CHECKS = """
select report_id, rule, count(*), total(status in ('fail', 'warn')), total(status = 'not_assessable'),
  total(status != 'not_assessable'), max(abs(delta)),
  (select count(*) from checks d where d.report_id = c.report_id and d.rule = c.rule
   and abs(d.delta) = max(abs(c.delta)))
from checks c where report_id is not null and rule is not null
"""

# A check's part of its row, added. A status that is null counts nowhere, as the
# aggregates above skip it; so does a null delta.
_ADD = """
  insert into report_rule_counts
    (report_id, rule, checks, checks_failing, not_assessable, assessed, largest_delta, largest_delta_checks)
  select {row}.report_id, {row}.rule, 1, coalesce({row}.status in ('fail', 'warn'), 0),
    coalesce({row}.status = 'not_assessable', 0), coalesce({row}.status != 'not_assessable', 0),
    abs({row}.delta), {row}.delta is not null
  where {row}.report_id is not null and {row}.rule is not null
  on conflict (rule, report_id) do update set
    checks = checks + 1,
    checks_failing = checks_failing + excluded.checks_failing,
    not_assessable = not_assessable + excluded.not_assessable,
    assessed = assessed + excluded.assessed,
    -- (both read the row as it was, as every expression of an UPDATE does)
    largest_delta = case when excluded.largest_delta > largest_delta or largest_delta is null
                         then excluded.largest_delta else largest_delta end,
    largest_delta_checks = case when excluded.largest_delta > largest_delta
                                  or (largest_delta is null and excluded.largest_delta is not null) then 1
                                when excluded.largest_delta = largest_delta then largest_delta_checks + 1
                                else largest_delta_checks end;
"""
# ... and taken away; the row goes with its last check.
_TAKE_AWAY = """
  update report_rule_counts set
    checks = checks - 1,
    checks_failing = checks_failing - coalesce({row}.status in ('fail', 'warn'), 0),
    not_assessable = not_assessable - coalesce({row}.status = 'not_assessable', 0),
    assessed = assessed - coalesce({row}.status != 'not_assessable', 0),
    largest_delta_checks = largest_delta_checks - (abs({row}.delta) is largest_delta and {row}.delta is not null)
  where rule = {row}.rule and report_id = {row}.report_id;
  delete from report_rule_counts where rule = {row}.rule and report_id = {row}.report_id and checks = 0;
  -- the last check holding the largest difference gone: the next largest, read again
  update report_rule_counts set largest_delta = (
      select max(abs(delta)) from checks where report_id = {row}.report_id and rule = {row}.rule)
  where rule = {row}.rule and report_id = {row}.report_id and largest_delta_checks = 0 and largest_delta is not null;
  update report_rule_counts set largest_delta_checks = (
      select count(*) from checks where report_id = {row}.report_id and rule = {row}.rule
      and abs(delta) = report_rule_counts.largest_delta)
  where rule = {row}.rule and report_id = {row}.report_id and largest_delta_checks = 0 and largest_delta is not null;
"""

TRIGGERS = {
    "report_rule_counts_insert": f"after insert on checks begin {_ADD.format(row='new')} end",
    "report_rule_counts_delete": f"after delete on checks begin {_TAKE_AWAY.format(row='old')} end",
    # No writer updates a check today; if one does, it is a delete and an insert.
    "report_rule_counts_update": f"after update on checks begin {_TAKE_AWAY.format(row='old')} "
                                 f"{_ADD.format(row='new')} end",
}


def ensure(db) -> None:
    """Create the table and its triggers when missing, filled from the checks. Idempotent."""
    if TABLE not in db.table_names():
        # Keyed by rule first: rules_summary reads each rule's rows in turn, no sort.
        db.execute(f"""
create table {TABLE} (
  report_id integer not null,
  rule text not null,
  checks integer not null,           -- its checks of the rule
  checks_failing integer not null,   -- status fail or warn
  not_assessable integer not null,   -- status not_assessable
  assessed integer not null,         -- any other status
  largest_delta real,                -- max(abs(delta)); null when no check has one
  largest_delta_checks integer not null,  -- how many of them have that abs(delta)
  primary key (rule, report_id)
) without rowid""")
        db.execute(f"insert into {TABLE} {_FROM_CHECKS} group by rule, report_id")
    present = {row[0] for row in db.execute("select name from sqlite_master where type = 'trigger'")}
    for name, body in TRIGGERS.items():
        if name not in present:
            db.execute(f"create trigger {name} {body}")


def recounted(db) -> list[tuple]:
    """The rows the table must hold, counted again from the checks (tests/test_rule_counts.py)."""
    return [tuple(r) for r in db.execute(f"{_FROM_CHECKS} group by rule, report_id order by rule, report_id")]


def held(db) -> list[tuple]:
    """The rows the table holds, in recounted()'s order and form."""
    return [tuple(r) for r in db.execute(
        f"select report_id, rule, checks, checks_failing, not_assessable, assessed, largest_delta, "
        f"largest_delta_checks from {TABLE} "
        "order by rule, report_id")]
