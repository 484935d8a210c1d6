"""report_rule_counts, the checks counted per report version and rule, stays what counting the
checks gives through every way checks are written: a crawl, a reparse, a correction (the
cross checks made again), a new version, a merge; and rules_summary reads the same numbers
from it as it read from the checks themselves (archive/rule_counts.py)."""

from __future__ import annotations

import shutil
import sqlite3

import yaml

from archive import rule_counts
from archive.corrections import add_correction
from archive.schema import open_database
from nianbao.datasette.serve import METADATA_PATH
from reports_db import store
from test_cross_checks import BASE, BODY, three_years

# rules_summary as it was before schema 14: every check of the counted reports, counted here.
FROM_THE_CHECKS = """
select c.rule,
  count(distinct case when c.status in ('fail', 'warn') then c.report_id end) as reports_failing,
  count(distinct case when c.status != 'not_assessable' then c.report_id end) as reports_checked,
  sum(c.status in ('fail', 'warn')) as checks_failing,
  sum(c.status = 'not_assessable') as not_assessable,
  count(*) as checks,
  max(abs(c.delta)) as largest_delta
from report_groups g
cross join checks c on c.report_id = g.report_id
group by c.rule
order by c.rule
"""


def rules_summary_sql() -> str:
    return yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))["databases"]["nianbao"]["queries"][
        "rules_summary"]["sql"]


def assert_counts_right(path):
    conn = sqlite3.connect(path)
    try:
        assert rule_counts.held(conn) == rule_counts.recounted(conn)
        summary = conn.execute(rules_summary_sql()).fetchall()
        assert summary and summary == conn.execute(FROM_THE_CHECKS).fetchall()
        return summary
    finally:
        conn.close()


def test_counts_follow_new_versions_corrections_and_cross_checks(tmp_path):
    path = tmp_path / "nianbao.db"
    db = open_database(path)
    first, second, _ = three_years(db)  # R6 and R7 warn on 2021 and 2022
    assert_counts_right(path)
    # A correction makes the cross checks again: R6 of 2021 passes now, its delta gone.
    before = dict((r[0], r) for r in db.execute(rules_summary_sql()))
    add_correction(db, report_id=first, table="applications", row="carried_forward", column="total",
                   value="3", who="t", why="the 2021 report says 3")
    after = dict((r[0], r) for r in db.execute(rules_summary_sql()))
    assert after["R6"][1] == before["R6"][1] - 1  # one report fewer failing R6
    assert_counts_right(path)
    # A new version of 2021 is counted in place of the old: its cross checks move to it.
    store(db, BASE + "2021.html", agency=BODY, year=2021, body=b"v2",
          applications={"carried_over": {"natural_person": 2, "total": 50},
                        "carried_forward": {"natural_person": 1, "total": 1}})
    assert_counts_right(path)
    # A check updated in place (no writer does today) is taken away and added again.
    db.execute("update checks set status = 'fail', delta = 1000 where rule = 'R1' and report_id = ?", [second])
    db.conn.commit()
    assert rule_counts.held(db.conn) == rule_counts.recounted(db.conn)
    # The largest difference held by two checks, then one, then none of the report's.
    for delta in (7.0, 7.0, 2.0):
        db.execute("insert into checks (report_id, rule, status, delta) values (?, 'R9', 'fail', ?)", [second, delta])
    for delta, largest in ((7.0, 7.0), (7.0, 2.0), (2.0, None)):
        db.execute("delete from checks where id = (select max(id) from checks where rule = 'R9' and delta = ?)",
                   [delta])
        assert rule_counts.held(db.conn) == rule_counts.recounted(db.conn)
        assert [r[6] for r in rule_counts.held(db.conn) if r[1] == "R9"] == ([largest] if largest else [])
    db.conn.commit()
    db.execute("delete from checks where report_id = ?", [second])
    db.conn.commit()
    assert rule_counts.held(db.conn) == rule_counts.recounted(db.conn)
    assert not [r for r in rule_counts.held(db.conn) if r[0] == second]


def test_counts_follow_a_crawl_a_reparse_and_a_merge(tmp_path, run_nianbao):
    data = tmp_path / "data"
    run_nianbao("demo", "--data", data, "--profile", "test")  # a crawl of the demo portal
    crawled = assert_counts_right(data / "nianbao.db")
    assert any(row[1] for row in crawled)  # the demo has reports failing rules

    run_nianbao("reparse", "--data", data, "--force", "--workers", "0")
    assert assert_counts_right(data / "nianbao.db") == crawled

    # Merging a copy into an empty archive, then the copy again (every row already there).
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)
    merged = tmp_path / "merged.db"
    run_nianbao("merge", merged, copy / "nianbao.db")
    assert assert_counts_right(merged) == crawled
    run_nianbao("merge", merged, copy / "nianbao.db")
    assert assert_counts_right(merged) == crawled
