"""What each crawl run skipped, by reason, kept as the run ends (``skipped_counts``).

``skipped`` holds one row per URL with its latest reason (archive/records.py): a URL
skipped again moves its row to the later run, so the rows of a run shrink as later runs
skip the same URLs. A run's own skips are counted from those rows while it runs (its
progress line, its summary) and kept here when it ends or is marked interrupted: one row
per (run, reason) with how many URLs. Its ``crawl_runs.skipped`` is their sum.

Why counts, not a row per URL and run: a nightly crawl skips the same thousands of URLs
every night, and a row for each would grow the archive by thousands of rows a night to
repeat ``skipped``. A run's reasons are a few dozen rows. Which URLs a run skipped stays
in ``skipped`` for those no later run skipped again.

Runs that ended before schema 8 (``ensure_table``) get the skips their summary printed as
they ended (``crawl_runs.summary``), or, with no summary (a run killed before its checks),
the rows their URLs still hold in ``skipped`` and one row with reason NULL for the URLs a
later run took over, whose reason in that run is not known. Either way every run's rows
add up to its ``crawl_runs.skipped``.
"""

from __future__ import annotations

import re

import sqlite_utils

TABLE = "skipped_counts"
KEPT_FROM_SCHEMA = 8  # runs that ended before it: see ensure_table
UNKNOWN_REASON = "reason not known: skipped again by a later run before nianbao kept each run's skips (schema 8)"


def ensure_table(db: sqlite_utils.Database, version: int) -> None:
    """Part of the schema (archive/schema.py, 8). Opening a database of an older ``version``
    keeps the counts of the runs that ended by then, once."""
    db[TABLE].create(
        {"id": int, "run_id": int, "reason": str, "urls": int},
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
        if_not_exists=True,
    )
    db[TABLE].create_index(["run_id", "reason"], unique=True, if_not_exists=True)
    if version < KEPT_FROM_SCHEMA:
        with db.atomic():
            ended = db.execute(f"select id, skipped, summary from crawl_runs where skipped is not null "
                               f"and id not in (select run_id from {TABLE})").fetchall()  # (again after a kill)
            for run_id, total, summary in ended:
                by_reason = printed(summary, total)
                if by_reason is None:
                    by_reason = counted(db, run_id)
                    left = total - sum(by_reason.values())
                    by_reason.update({None: left} if left > 0 else {})
                keep(db, run_id, by_reason)


def printed(summary: str | None, total: int) -> dict | None:
    """The skips by reason a run's summary printed, if they are its ``total``: read as
    archive.runs.format_summary wrote them before schema 8 (the stored text does not change
    when that function does)."""
    lines = (summary or "").splitlines()
    heading = f"pages skipped:        {total}"
    if heading not in lines:
        return None
    by_reason = {}
    for line in lines[lines.index(heading) + 1:]:
        reason = re.fullmatch(r"  (\d+) x (.+)", line)
        if reason is None:
            break
        by_reason[reason[2]] = int(reason[1])
    return by_reason if sum(by_reason.values()) == total else None


def counted(db: sqlite_utils.Database, run_id: int) -> dict:
    """The run's rows in ``skipped`` by reason, most first: its skips while it runs."""
    return dict(db.execute("select reason, count(*) from skipped where run_id = ? group by reason order by 2 desc, 1",
                           [run_id]).fetchall())


def keep(db: sqlite_utils.Database, run_id: int, by_reason: dict) -> None:
    """Keep the run's skips by reason (call in the transaction that writes its counts)."""
    db.execute(f"delete from {TABLE} where run_id = ?", [run_id])
    db.conn.executemany(f"insert into {TABLE} (run_id, reason, urls) values (?, ?, ?)",
                        [(run_id, reason, urls) for reason, urls in by_reason.items()])


def skips_of_run(db: sqlite_utils.Database, run_id: int) -> tuple[int, dict]:
    """(how many URLs the run skipped, how many for each reason, most first): as kept when it
    ended, or counted now while it has not."""
    row = db.execute("select skipped from crawl_runs where id = ?", [run_id]).fetchone()
    if row is None or row[0] is None:  # running, or killed and not yet marked interrupted
        by_reason = counted(db, run_id)
        return sum(by_reason.values()), by_reason
    kept = db.execute(f"select reason, urls from {TABLE} where run_id = ? order by urls desc, reason", [run_id])
    return row[0], dict(kept.fetchall())
