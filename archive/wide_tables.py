"""The wide tables: ``applications``, ``reviews_litigation``, ``active_disclosure``.

One row per logical report (its counted version) and table row, one column per table
column, the values as ``current_cells`` gives them: the counted version's cells with the
newest correction of each cell applied (and corrected cells the parser never read).

They are stored, not views: pivoting ``current_cells`` reads every counted cell, 1-1.7 s
per query and 6-9 s per Datasette page at 10,000 reports, against milliseconds for the
tables (bench/README.md). So they are kept up to date where their inputs change, a logical
report (``report_groups``) at a time:

- ``report_groups.choose_current``: its counted version or that version's cells may have
  changed (``store_report``, a new version, regrouping, ``nianbao merge``, which copies
  no wide rows but regroups what it copied);
- ``corrections.add_correction``;
- a reparse writes many reports per transaction inside ``deferred(db)``: each logical
  report touched is refreshed once, at the end of the transaction.

``nianbao verify`` compares each table with what the cells give (``disagreements``).
"""

from __future__ import annotations

import functools
import json
import operator
import weakref
from contextlib import contextmanager

from .transactions import write_transaction

# The national format's column keys (parsers/national_format.py: APPLICANT_COLUMNS,
# REVIEW_OUTCOMES, ACTIVE_COLUMNS), spelled out here so that opening a database does not
# import the parsers; tests/test_schema.py checks that the two agree.
APPLICANT_COLUMNS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
)
REVIEW_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
# Both layouts' columns of table 二; a report fills those of its layout (reports.layout).
ACTIVE_COLUMNS = (
    "issued", "repealed", "in_force", "decisions", "amount_10k_yuan",  # 2021
    "made", "published", "public_total", "items_prev_year", "items_change", "items", "amount",  # 2019
)
WIDE_TABLES = {
    "applications": APPLICANT_COLUMNS,
    "reviews_litigation": REVIEW_COLUMNS,
    "active_disclosure": ACTIVE_COLUMNS,
}


# The charts (nianbao/datasette/charts.py) sum applications by row_key over every counted
# report: with every column they read in the index, they read it alone, in row_key order,
# never the table (schema 14; refusal reasons 520 -> 275 ms, applications by year 65 -> 13 ms
# at national scale, for 7 MB more index than (row_key, year)).
ROW_KEY_INDEX = {"applications": ["row_key", "year", "total", "report_id", "group_id", "agency_id"]}


def columns(table: str) -> list[str]:
    """The table's columns, in order (as the schema-5 views had them)."""
    return ["report_id", "group_id", "agency_id", "agency", "year", "layout", "row_key",
            *WIDE_TABLES[table], "corrected_cells"]


# ---- the schema ------------------------------------------------------------------------


def create(db) -> list[str]:
    """Create the tables that are missing (in place of the views schema 5 had); return them."""
    created = []
    for table, values in WIDE_TABLES.items():
        if table in db.table_names():
            continue
        if table in db.view_names():
            db.execute(f"drop view [{table}]")
        db[table].create(
            {
                "report_id": int, "group_id": int, "agency_id": int, "agency": str, "year": int,
                "layout": str, "row_key": str, **{c: float for c in values}, "corrected_cells": int,
            },
            pk=("group_id", "row_key"),
            not_null={"report_id", "group_id", "row_key"},
            foreign_keys=[("report_id", "reports", "id"), ("group_id", "report_groups", "id"),
                          ("agency_id", "agencies", "id")],
        )
        created.append(table)
    for table in WIDE_TABLES:
        # layout (schema 11): Datasette's layout facet, on each table's first page, read the
        # whole table without it (315-920 ms for applications' 920,000 rows; 81 ms with it).
        for index in (["report_id"], ["agency_id", "year"], ["year"], ROW_KEY_INDEX.get(table, ["row_key", "year"]),
                      ["layout"]):
            db[table].create_index(index, if_not_exists=True)
    if "idx_applications_row_key_year" in {i.name for i in db["applications"].indexes}:
        db.execute("drop index idx_applications_row_key_year")  # schema 14: the covering one above
    return created


def select_sql(table: str, groups: str, corrected: bool = True) -> str:
    """The rows of ``table`` for the logical reports ``g`` that the SQL condition ``groups``
    keeps, computed from cells and corrections (what the table must hold). ``corrected=False``
    reads the cells alone: the same rows for logical reports that no correction touches,
    in about two thirds of the time."""
    pivots = ",\n  ".join(f"max(case when x.column_key = '{c}' then x.value end) as [{c}]"
                          for c in WIDE_TABLES[table])
    return f"""
with {_corrected_cells(table, groups) if corrected else _parsed_cells(table, groups)}
select g.report_id, g.id as group_id, g.agency_id, a.name as agency, g.year, r.layout, x.row_key,
  {pivots},
  count(x.correction_id) as corrected_cells
from x
join report_groups g on g.id = x.group_id
join reports r on r.id = g.report_id
left join agencies a on a.id = g.agency_id
group by g.id, x.row_key
"""


def _parsed_cells(table: str, groups: str) -> str:
    """The CTE ``x`` of ``_corrected_cells`` where there are no corrections: the counted versions' cells."""
    return f"""x as (
  select g.id as group_id, c.row_key, c.column_key, c.value, null as correction_id
  from report_groups g
  join cells c on c.report_id = g.report_id and c.table_name = '{table}'
  where {groups}
)"""


def _corrected_cells(table: str, groups: str) -> str:
    """CTEs: ``x``, the counted versions' cells with the newest correction of each applied,
    and the corrected cells the parser never read (as current_cells has them)."""
    same_cell = "c.row_key = k.row_key and c.column_key = k.column_key"
    return f"""k as (
  select * from (
    select k.id, k.row_key, k.column_key, k.value, r.group_id,
      row_number() over (partition by r.group_id, k.row_key, k.column_key order by k.id desc) as newest
    from corrections k join reports r on r.id = k.report_id
    where k.table_name = '{table}' and r.group_id in (select g.id from report_groups g where {groups})
  ) where newest = 1
),
x as (
  select g.id as group_id, c.row_key, c.column_key, iif(k.id is null, c.value, k.value) as value,
    k.id as correction_id
  from report_groups g
  join cells c on c.report_id = g.report_id and c.table_name = '{table}'
  left join k on k.group_id = g.id and {same_cell}
  where {groups}
  union all
  select k.group_id, k.row_key, k.column_key, k.value, k.id
  from k join report_groups g on g.id = k.group_id and g.report_id is not null
  where not exists (select 1 from cells c where c.report_id = g.report_id and c.table_name = '{table}'
                    and {same_cell})
)"""


_LISTED = "select value from json_each(:groups)"  # the ids, bound as a JSON list
_SOME = f"g.id in ({_LISTED})"
_ALL = "g.report_id is not null"


# ---- keeping them up to date -------------------------------------------------------------

_pending: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # db -> groups to refresh


def refresh(db, group_ids) -> None:
    """Recompute the rows of these logical reports (now, or at the end of ``deferred``)."""
    group_ids = {g for g in group_ids if g is not None}
    if db in _pending:
        _pending[db] |= group_ids
    elif group_ids:
        _refresh(db, sorted(group_ids))


@contextmanager
def deferred(db):
    """Collect the logical reports touched in the block and refresh each once at its end
    (inside the caller's transaction: ``with write_transaction(db), deferred(db):``)."""
    if db in _pending:  # nested: the outer block refreshes
        yield
        return
    _pending[db] = set()
    try:
        yield
    except BaseException:
        _pending.pop(db, None)
        raise
    groups = _pending.pop(db)
    if groups:
        _refresh(db, sorted(groups))


def forget(db, group_ids=None) -> None:
    """Delete these logical reports' rows (all when None) now: before the groups themselves
    are deleted, as the rows refer to them."""
    for table in WIDE_TABLES:
        if group_ids is None:
            db.execute(f"delete from [{table}]")
        else:
            db.execute(f"delete from [{table}] where group_id in ({_LISTED})",
                       {"groups": json.dumps(sorted(group_ids))})


def _refresh(db, group_ids: list[int]) -> None:
    """Make these logical reports' rows what their cells give, writing only the rows that
    differ: after a reparse most are as they were, and rewriting a row costs five index
    updates. (Rows compare as tuples read from SQLite: equal values read back equal.)"""
    params = {"groups": json.dumps(group_ids)}
    with write_transaction(db):
        corrected = db.execute(_ANY_CORRECTION, params).fetchone() is not None
        for table in WIDE_TABLES:
            names = columns(table)
            listed = ", ".join(f"[{c}]" for c in names)
            given = set(db.execute(select_sql(table, _SOME, corrected), params))
            held = set(db.execute(f"select {listed} from [{table}] where group_id in ({_LISTED})", params))
            # The primary key: a row whose values changed goes, then comes back as given.
            key = operator.itemgetter(names.index("group_id"), names.index("row_key"))
            db.conn.executemany(f"delete from [{table}] where group_id = ? and row_key = ?",
                                sorted(map(key, held - given)))
            db.conn.executemany(f"insert into [{table}] ({listed}) values ({', '.join('?' * len(names))})",
                                sorted(given - held, key=key))


# Whether a correction names a version of one of the logical reports (the rare case).
_ANY_CORRECTION = f"select 1 from corrections k join reports r on r.id = k.report_id where r.group_id in ({_LISTED}) limit 1"


def rebuild(db, tables=None, progress=None) -> None:
    """Fill ``tables`` (all by default) again from every logical report, in one transaction.
    ``progress(table, rows)`` is called as each table is filled (a national archive takes
    minutes: ~0.3 ms a report)."""
    with write_transaction(db):
        for table in WIDE_TABLES if tables is None else tables:
            db.execute(f"delete from [{table}]")
            rows = db.execute(_insert_sql(table, _ALL)).rowcount
            if progress:
                progress(table, rows)


@functools.lru_cache(maxsize=None)
def _insert_sql(table: str, groups: str, corrected: bool = True) -> str:
    names = ", ".join(f"[{c}]" for c in columns(table))
    return f"insert into [{table}] ({names}) {select_sql(table, groups, corrected)}"


# ---- checking them -----------------------------------------------------------------------


def disagreements(conn, table: str) -> list[tuple[int, str, str]]:
    """(group id, row key, what is wrong) for each row of ``table`` that is not what the
    cells give: ``stale`` (other values), ``extra`` (no such row), ``missing``. Read-only."""
    names = ", ".join(f"[{c}]" for c in columns(table))
    derived = select_sql(table, _ALL)
    held = {tuple(r) for r in conn.execute(
        f"select group_id, row_key from (select {names} from [{table}] except select * from ({derived}))")}
    given = {tuple(r) for r in conn.execute(
        f"select group_id, row_key from (select * from ({derived}) except select {names} from [{table}])")}
    return sorted([(g, row, "stale") for g, row in held & given]
                  + [(g, row, "extra") for g, row in held - given]
                  + [(g, row, "missing") for g, row in given - held])
