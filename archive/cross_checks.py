"""R6 and R7: the rules between consecutive years of the same body.

    R6  carried_over (Y) = carried_forward (Y-1), per applicant column of table 三
    R7  in_force (Y) = in_force (Y-1) + issued (Y) - repealed (Y), per row of table 二
        (2021 layout: regulations, normative_documents; documents also lapse)

Both are soft: a mismatch is ``warn``, never ``fail``, and a side that is empty or
missing is ``not_assessable``. They compare logical reports (``report_groups``), using
the counted version's cells with corrections applied (as ``current_cells`` shows them), and are stored
in ``checks`` on the later year's counted report. Nothing is written when the body has
no report for the year before, or the later report lacks the table.

``store_report``, ``mark_current_version`` and ``add_correction`` re-run them for the
groups they touched and the next year's; ``run_cross_checks(db)`` re-runs them all
(after a crawl or a reparse that wrote rows some other way; ``nianbao rebuild-cross-checks``).
Both write what ``due_checks`` computes; ``nianbao verify`` compares ``checks`` with it
(``disagreements``), read-only.
"""

from __future__ import annotations

from collections import Counter

from .transactions import write_transaction
from .wide_tables import APPLICANT_COLUMNS

R7_ROWS = ("regulations", "normative_documents")
_COLUMNS = ("report_id", "rule", "where", "status", "left", "right", "delta", "detail")
_NAMES = ", ".join(f"[{c}]" for c in _COLUMNS)


def run_cross_checks(db, group_ids=None) -> int:
    """Recompute R6 and R7 for these logical reports (all when None); return the checks
    written (those stored already as they come out are left alone)."""
    with write_transaction(db):
        if group_ids is None:
            db.execute("delete from checks where rule in ('R6', 'R7')")
            held = []
        else:
            groups = sorted(set(group_ids))
            if not groups:
                return 0
            marks = ",".join("?" * len(groups))
            # Every version of the group: a version no longer counted keeps no cross-report check.
            # (+rule: find the rows by report, not by scanning every R6/R7 of the database.)
            held = db.execute(
                f"select id, {_NAMES} from checks where +rule in ('R6', 'R7') and report_id in "
                f"(select id from reports where group_id in ({marks}))",
                groups,
            ).fetchall()
        rows = due_checks(db, group_ids)
        # Checks that come out as they were stay (most do: a reparse, a neighbouring year's
        # new version); the others go, and what is new comes in.
        gone = []
        for check_id, *check in held:
            if rows[tuple(check)] > 0:
                rows[tuple(check)] -= 1
            else:
                gone.append((check_id,))
        db.conn.executemany("delete from checks where id = ?", gone)
        db.conn.executemany(f"insert into checks ({_NAMES}) values ({', '.join('?' * len(_COLUMNS))})",
                            rows.elements())
    return sum(rows.values())


def due_checks(db, group_ids=None) -> Counter:
    """The R6 and R7 checks the cells, with corrections, give now for these logical reports
    (all when None): a multiset of rows in ``_COLUMNS`` order. Reads only: ``db`` may be a
    sqlite_utils Database or a plain (read-only) sqlite3.Connection."""
    if group_ids is None:
        group_ids = [r[0] for r in db.execute("select id from report_groups where report_id is not null")]
    rows = Counter()
    for group in sorted(set(group_ids)):
        rows.update(tuple(check[c] for c in _COLUMNS) for check in _group_checks(db, group))
    return rows


def disagreements(conn) -> list[tuple[int, str, str, str, dict | None, dict | None]]:
    """(report id, rule, where, what is wrong, the check stored, the check due) for each R6/R7
    of ``checks`` that is not what ``due_checks`` gives now: ``stale`` (other values, or made
    against another report), ``extra`` (none is due there: not the counted version, no year
    before; nothing due), ``missing`` (nothing stored). The checks are dicts. Read-only."""
    due = due_checks(conn)
    held = Counter(tuple(r) for r in conn.execute(f"select {_NAMES} from checks where rule in ('R6', 'R7')"))
    # Paired by the check's place (report, rule, where): what is held there against what is due.
    places = {}
    for rows, side in ((held - due, 0), (due - held, 1)):
        for row in rows.elements():
            places.setdefault(row[:3], ([], []))[side].append(dict(zip(_COLUMNS, row)))
    found = []
    for place, (stored, given) in sorted(places.items(), key=lambda item: _place_order(item[0])):
        for index in range(max(len(stored), len(given))):
            old = stored[index] if index < len(stored) else None
            new = given[index] if index < len(given) else None
            what = "stale" if old and new else "extra" if old else "missing"
            found.append((*place, what, old, new))
    return found


def _place_order(place) -> tuple:
    """Report, rule, where; None (a damaged row) first rather than a TypeError."""
    return tuple((value is not None, value if value is not None else 0) for value in place)


def with_next_years(db, group_ids) -> set[int]:
    """The groups plus the same bodies' groups of the following year (their R6/R7 look back)."""
    groups = set(group_ids)
    for group in list(groups):
        row = db.execute(
            "select n.id from report_groups g join report_groups n on n.agency_id = g.agency_id "
            "and n.year = g.year + 1 where g.id = ?",
            [group],
        ).fetchone()
        if row:
            groups.add(row[0])
    return groups


def _group_checks(db, group: int) -> list[dict]:
    row = db.execute(
        "select g.report_id, g.year, p.id, p.report_id from report_groups g "
        "join report_groups p on p.agency_id = g.agency_id and p.year = g.year - 1 "
        "where g.id = ? and g.report_id is not null and p.report_id is not null",
        [group],
    ).fetchone()
    if row is None:
        return []
    report_id, year, previous_group, previous_report = row
    now, before = _values(db, group), _values(db, previous_group)
    previous = f"of report {previous_report} ({year - 1})"
    checks = []
    if any(key[0] == "applications" for key in now):
        for column in APPLICANT_COLUMNS:
            left = now.get(("applications", "carried_over", column))
            right = before.get(("applications", "carried_forward", column))
            checks.append(_check(report_id, "R6", column, left, right, f"right: carried_forward {previous}"))
    for row_key in R7_ROWS:
        if not any(("active_disclosure", row_key, c) in now for c in ("issued", "repealed", "in_force")):
            continue
        left = now.get(("active_disclosure", row_key, "in_force"))
        parts = (before.get(("active_disclosure", row_key, "in_force")),
                 now.get(("active_disclosure", row_key, "issued")),
                 now.get(("active_disclosure", row_key, "repealed")))
        right = None if None in parts else parts[0] + parts[1] - parts[2]
        checks.append(_check(report_id, "R7", row_key, left, right, f"right: in_force {previous} + issued - repealed"))
    return checks


# The cells R6 and R7 read. (The same as current_cells gives, read without the view: this
# runs for every report stored, and the view's corrections overlay costs more than the rest.)
_CELLS = """
select c.table_name, c.row_key, c.column_key, c.value from report_groups g
join cells c on c.report_id = g.report_id and c.table_name = ? and c.row_key in (?, ?, ?, ?)
where g.id = ?
"""
_CORRECTIONS = """
select k.table_name, k.row_key, k.column_key, k.value from corrections k
join reports r on r.id = k.report_id where r.group_id = ? order by k.id
"""
_ROWS = {"applications": ("carried_over", "carried_forward", "", ""),
         "active_disclosure": ("regulations", "normative_documents", "", "")}


def _values(db, group: int) -> dict:
    """{(table, row, column): value} of the group's counted version, corrections applied."""
    values = {}
    for table, rows in _ROWS.items():
        values.update(((t, r, c), v) for t, r, c, v in db.execute(_CELLS, [table, *rows, group]))
    values.update(((t, r, c), v) for t, r, c, v in db.execute(_CORRECTIONS, [group]))  # newest last
    return values


def _check(report_id, rule, where, left, right, detail) -> dict:
    if left is None or right is None:
        status, delta = "not_assessable", None
    else:
        delta = left - right
        status = "pass" if abs(delta) < 1e-9 else "warn"
    return {"report_id": report_id, "rule": rule, "where": where, "status": status,
            "left": left, "right": right, "delta": delta, "detail": detail}
