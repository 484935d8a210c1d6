"""The researcher's schema: migrations from schemas 3 and 5, logical reports counted once,
the wide tables kept exactly what the cells give, agencies with aliases and levels,
foreign keys with label columns, indexes."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml

from archive import rule_counts, wide_tables
from archive.agencies import agency_level, normalized_agency_name
from archive.corrections import add_correction
from archive.report_groups import rebuild_report_groups
from archive.schema import SCHEMA_VERSION, open_database
from archive.sites import attach_site, record_sites
from archive.verify import verify
from conftest import get_test_file
import nianbao
from reports_db import assert_opening_writes_nothing, store, v3_database

BASE = "http://127.0.0.1:8000/zwgk/"
METADATA_PATH = Path(nianbao.__file__).with_name("datasette_metadata.yaml")


def rows(db, sql, params=()):
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


# -- migration from a database schema 3 wrote ---------------------------------------------

def test_a_schema_3_database_is_migrated_on_open(tmp_path):
    db = v3_database(tmp_path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    # 北京市海淀区人民政府, 北京市海淀区政府 and 北京市海淀区 are one body with three names.
    assert rows(db, "select id, name, normalized_name, level from agencies order by id") == [
        (1, "北京市海淀区人民政府", "北京市海淀区", "county"),
        (4, "城中区人民政府", "城中区", "county"),
    ]
    assert rows(db, "select name from agency_aliases where agency_id = 1 order by id") == [
        ("北京市海淀区人民政府",), ("北京市海淀区政府",), ("北京市海淀区",)]
    assert rows(db, "select count(*) from reports where agency_id = 1") == [(4,)]
    # One logical report per body and year: the 2021 page and its PDF are one, counted once (the page).
    assert rows(db, "select key, report_id, versions, sources from report_groups order by id") == [
        ("1/2020", 1, 1, 1),
        ("1/2021", 2, 2, 2),
        ("1/2022", 4, 1, 1),
        ("4/2023", 6, 2, 1),  # the changed page: version 2 counts
        (f"url:{BASE}unknown.html", 7, 1, 1),  # no agency, no year: a logical report of its own
    ]
    assert rows(db, "select id, source_kind from reports where url like '%.pdf'") == [(3, "attachment")]
    assert rows(db, "select id from current_reports order by id") == [(1,), (2,), (4,), (6,), (7,)]


def test_migration_is_idempotent_and_keeps_the_search_index(tmp_path):
    db = v3_database(tmp_path)
    before = {t: db[t].count for t in ("agencies", "agency_aliases", "report_groups", "checks", "reports_fts")}
    db.close()
    db = open_database(tmp_path / "nianbao.db")
    assert {t: db[t].count for t in before} == before
    assert {"reports_ai", "reports_ad", "reports_au"} <= {t.name for t in db["reports"].triggers}


def test_the_wide_tables_count_each_body_and_year_once(tmp_path):
    db = v3_database(tmp_path)
    # The 2021 PDF (natural_person 21) and czq's version 1 (total 5) are not counted.
    assert rows(db, "select agency, year, natural_person, total from applications "
                    "where row_key = 'new_received' order by year") == [
        ("北京市海淀区人民政府", 2020, 10.0, 12.0),
        ("北京市海淀区人民政府", 2021, 20.0, 25.0),
        ("城中区人民政府", 2023, None, 6.0),
    ]
    assert rows(db, "select year, layout, issued, repealed, in_force, made, public_total from active_disclosure "
                    "where row_key = 'regulations' order by year") == [
        (2020, "2019", None, None, None, 1.0, 5.0),
        (2021, "2021", 2.0, 0.0, 7.0, None, None),
        (2022, "2021", 1.0, 2.0, 6.0, None, None),
    ]


# -- migration from a database schema 5 wrote: the wide views become tables ----------------

WIDE = ("applications", "reviews_litigation", "active_disclosure")


def test_the_wide_tables_have_a_column_per_column_key_of_the_national_format():
    """archive/wide_tables.py spells the keys out (opening a database imports no parser):
    a column key added to the format is a column of its wide table too."""
    from parsers import national_format as fmt

    assert wide_tables.WIDE_TABLES == {
        fmt.APPLICATIONS: fmt.APPLICANT_COLUMNS,
        fmt.REVIEWS_LITIGATION: fmt.REVIEW_OUTCOMES,
        fmt.ACTIVE_DISCLOSURE: tuple(key for key, _ in fmt.ACTIVE_COLUMNS),
    }


def test_a_schema_5_database_gets_wide_tables_with_the_views_rows(tmp_path):
    path = tmp_path / "nianbao.db"
    shutil.copy(get_test_file("schema", "v5.db"), path)  # tests/data/schema/make_v5_db.py
    old = sqlite3.connect(path)
    assert old.execute("pragma user_version").fetchone() == (5,)
    assert {r[0] for r in old.execute("select type from sqlite_master where name in "
                                      "('applications', 'reviews_litigation', 'active_disclosure')")} == {"view"}
    views = {t: (sorted(old.execute(f"select * from {t}").fetchall(), key=repr),
                 [d[0] for d in old.execute(f"select * from {t} limit 0").description]) for t in WIDE}
    old.close()
    assert len(views["applications"][0]) == 11 and len(views["active_disclosure"][0]) == 5

    db = open_database(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    for table in WIDE:
        assert table in db.table_names() and table not in db.view_names()
        cursor = db.execute(f"select * from {table}")
        assert [d[0] for d in cursor.description] == views[table][1]  # the same columns, in order
        assert sorted(cursor.fetchall(), key=repr) == views[table][0], table  # and the same rows
    # The two corrections made under schema 5 are applied, as the views applied them.
    assert rows(db, "select row_key, total, corrected_cells from applications where year = 2021 "
                    "and row_key in ('new_received', 'granted') order by row_key") == [
        ("granted", None, 1), ("new_received", 26.0, 1)]
    assert {"report_list", "current_cells"} <= set(db.view_names())
    assert {"reparse_runs", "reparse_changes"} <= set(db.table_names())
    assert rows(db, "select agency, year from report_list order by report_id") == [
        ("北京市海淀区人民政府", 2020), ("北京市海淀区人民政府", 2021), ("北京市海淀区人民政府", 2022),
        ("城中区人民政府", 2023), (None, None)]
    db.close()
    assert verify(path).ok
    db = open_database(path)  # again: nothing to migrate, nothing changes
    assert sorted(db.execute("select * from applications").fetchall(), key=repr) == views["applications"][0]


def pivot_of_current_cells(db, table):
    """What ``table`` must hold, computed here from current_cells (an oracle independent of
    the SQL that fills it)."""
    wide = {}
    for c in db.query(f"select x.*, r.layout, a.name as agency from current_cells x "
                      f"join reports r on r.id = x.report_id left join agencies a on a.id = x.agency_id "
                      f"where x.table_name = '{table}'"):
        row = wide.setdefault((c["group_id"], c["row_key"]), dict.fromkeys(wide_tables.columns(table)))
        row.update(report_id=c["report_id"], group_id=c["group_id"], agency_id=c["agency_id"], agency=c["agency"],
                   year=c["year"], layout=c["layout"], row_key=c["row_key"],
                   corrected_cells=(row["corrected_cells"] or 0) + (c["correction_id"] is not None))
        row[c["column_key"]] = c["value"]
    return sorted(tuple(r.values()) for r in wide.values())


def assert_wide_tables_hold_the_cells(db):
    for table in WIDE:
        held = sorted(tuple(r) for r in db.execute(
            f"select {', '.join(wide_tables.columns(table))} from {table}").fetchall())
        assert held == pivot_of_current_cells(db, table), table
        assert wide_tables.disagreements(db.conn, table) == []


def test_the_wide_tables_follow_every_change_of_their_inputs(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    check = lambda: assert_wide_tables_hold_the_cells(db)  # noqa: E731
    pdf = store(db, BASE + "a.pdf", agency="示范县人民政府", year=2022, attachment=True,
                applications={"new_received": {"total": 7}}, reviews={"review": {"total": 1}})
    check()
    page = store(db, BASE + "a.html", agency="示范县人民政府", year=2022,  # the page counts now
                 applications={"new_received": {"natural_person": 8, "total": 8}},
                 active={"regulations": {"issued": 1, "in_force": 3}})
    assert rows(db, "select report_id, total from applications") == [(page, 8.0)]
    check()
    store(db, BASE + "a.html", agency="示范县人民政府", year=2022, body=b"images")  # no tables: the PDF again
    assert rows(db, "select report_id, total from applications") == [(pdf, 7.0)]
    assert rows(db, "select count(*) from active_disclosure") == [(0,)]
    check()
    add_correction(db, report_id=page, table="applications", row="new_received", column="total", value="9",
                   who="李伟", why="x")  # made on the page; applies to the logical report (counted: the PDF)
    add_correction(db, report_id=pdf, table="reviews_litigation", row="review", column="upheld", value="1",
                   who="李伟", why="x")  # a cell the parser never read
    assert rows(db, "select total, corrected_cells from applications") == [(9.0, 1)]
    assert rows(db, "select upheld, total, corrected_cells from reviews_litigation") == [(1.0, 1.0, 1)]
    check()
    other = store(db, BASE + "b.html", agency="示范县人民政府", year=2021, applications={"new_received": {"total": 3}},
                  body=b"b")
    check()
    store(db, BASE + "b.html", agency="示范县人民政府", year=2023,  # the same body reparsed: another year, group
          applications={"new_received": {"total": 3}}, body=b"b")
    assert rows(db, "select year from applications where report_id = ? ", [other]) == [(2023,)]
    assert rows(db, "select count(*) from report_groups where year = 2021") == [(0,)]  # left empty: dropped
    check()
    rebuild_report_groups(db)
    check()


def test_a_batch_refreshes_each_logical_report_once_at_its_end(tmp_path, monkeypatch):
    db = open_database(tmp_path / "nianbao.db")
    refreshed = []
    real = wide_tables._refresh
    monkeypatch.setattr(wide_tables, "_refresh", lambda db, groups: (refreshed.append(groups), real(db, groups)))
    with db.atomic(), wide_tables.deferred(db):  # as a reparse writes a batch
        store(db, BASE + "a.pdf", agency="示范县人民政府", year=2022, attachment=True,
              applications={"new_received": {"total": 7}})
        store(db, BASE + "a.html", agency="示范县人民政府", year=2022, applications={"new_received": {"total": 8}})
        store(db, BASE + "b.html", agency="示范县人民政府", year=2023, applications={"new_received": {"total": 9}})
        assert refreshed == [] and rows(db, "select count(*) from applications") == [(0,)]
    assert refreshed == [[1, 2]]
    assert rows(db, "select year, total from applications order by year") == [(2022, 8.0), (2023, 9.0)]
    assert_wide_tables_hold_the_cells(db)
    with pytest.raises(ZeroDivisionError):  # a batch that fails is rolled back, nothing refreshed
        with db.atomic(), wide_tables.deferred(db):
            store(db, BASE + "c.html", agency="示范县人民政府", year=2024, applications={"new_received": {"total": 1}})
            1 / 0
    assert refreshed == [[1, 2]] and rows(db, "select count(*) from applications") == [(2,)]
    assert_wide_tables_hold_the_cells(db)


# -- logical reports as a crawl stores them -----------------------------------------------

def test_the_page_counts_before_its_attachment_and_the_attachment_stands_in_without_it(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    pdf = store(db, BASE + "a.pdf", agency="示范县人民政府", year=2022, attachment=True,
                applications={"new_received": {"total": 7}})
    (group,) = rows(db, "select id, report_id, sources from report_groups")
    assert group[1:] == (pdf, 1)
    page = store(db, BASE + "a.html", agency="示范县人民政府", year=2022,
                 applications={"new_received": {"total": 8}})
    assert rows(db, "select id, report_id, sources from report_groups") == [(group[0], page, 2)]
    assert rows(db, "select total from applications where row_key = 'new_received'") == [(8.0,)]
    # A page whose tables are images: its PDF's numbers are the ones counted.
    store(db, BASE + "a.html", agency="示范县人民政府", year=2022, body=b"tables as images")
    assert rows(db, "select report_id from report_groups") == [(pdf,)]
    assert rows(db, "select total from applications where row_key = 'new_received'") == [(7.0,)]


def test_a_body_named_differently_next_year_is_the_same_agency(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    store(db, BASE + "1.html", agency="示范县人民政府", year=2021)
    store(db, BASE + "2.html", agency="示范县政府", year=2022)
    store(db, BASE + "3.html", agency="示范县人民政府办公室", year=2022)
    assert rows(db, "select a.name, g.year from report_groups g join agencies a on a.id = g.agency_id "
                    "order by g.id") == [("示范县人民政府", 2021), ("示范县人民政府", 2022),
                                         ("示范县人民政府办公室", 2022)]
    assert rows(db, "select a.name, group_concat(x.name, '|') from agency_aliases x "
                    "join agencies a on a.id = x.agency_id group by a.id order by a.id") == [
        ("示范县人民政府", "示范县人民政府|示范县政府"), ("示范县人民政府办公室", "示范县人民政府办公室")]


def test_a_report_whose_year_changes_on_reparse_moves_to_its_group(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    report = store(db, BASE + "1.html", agency="示范县人民政府", year=2012, body=b"x")
    store(db, BASE + "1.html", agency="示范县人民政府", year=2021, body=b"x")  # the same body, parsed better
    assert rows(db, "select key, report_id from report_groups") == [("1/2021", report)]


def test_region_code_comes_from_the_registry_site(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    (site,) = record_sites(db, [{"name": "示范县", "start_urls": [BASE], "region": "630103"}]).values()
    store(db, BASE + "1.html", agency="示范县人民政府", year=2021)
    assert rows(db, "select region_code from agencies") == [(None,)]
    attach_site(db, BASE + "1.html", site)
    assert rows(db, "select region_code from agencies") == [("630103",)]


def test_rebuilding_the_groups_gives_the_same_groups(tmp_path):
    db = v3_database(tmp_path)
    before = rows(db, "select key, report_id, versions, sources, label from report_groups order by key")
    rebuild_report_groups(db)
    assert rows(db, "select key, report_id, versions, sources, label from report_groups order by key") == before


@pytest.mark.parametrize("name, normalized, level", [
    ("北京市海淀区人民政府", "北京市海淀区", "county"),
    ("北京市 海淀区 政府", "北京市海淀区", "county"),
    ("北京市人民政府", "北京市", "province"),
    ("广东省人民政府", "广东省", "province"),
    ("新疆维吾尔自治区人民政府", "新疆维吾尔自治区", "province"),
    ("深圳市人民政府", "深圳市", "city"),
    ("苏州市昆山市人民政府", "苏州市昆山市", "county"),
    ("合作市", "合作市", "city"),
    ("示范县城关镇人民政府", "示范县城关镇", "township"),
    ("湛河区轻工路街道办事处", "湛河区轻工路街道办事处", "township"),
    ("吴川市人民政府办公室", "吴川市人民政府办公室", "department"),
    ("国家发展和改革委员会", "国家发展和改革委员会", "department"),
    ("某某", "某某", None),
])
def test_agency_names_and_levels(name, normalized, level):
    assert normalized_agency_name(name) == normalized
    assert agency_level(name) == level


# -- what Datasette needs ----------------------------------------------------------------

FOREIGN_KEYS = {
    **{(t, c): parent for t in WIDE for c, parent in (("report_id", "reports"), ("group_id", "report_groups"),
                                                      ("agency_id", "agencies"))},
    ("reports", "group_id"): "report_groups",
    ("reports", "agency_id"): "agencies",
    ("report_groups", "agency_id"): "agencies",
    ("report_groups", "report_id"): "reports",
    ("agency_aliases", "agency_id"): "agencies",
    ("corrections", "report_id"): "reports",
    ("cells", "report_id"): "reports",
    ("checks", "report_id"): "reports",
}


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "migrated"])
def test_foreign_keys_point_at_tables_with_label_columns(tmp_path, fresh):
    db = open_database(tmp_path / "nianbao.db") if fresh else v3_database(tmp_path)
    found = {(fk.table, fk.column): fk.other_table for t in db.table_names() for fk in db[t].foreign_keys}
    assert FOREIGN_KEYS.items() <= found.items()
    tables = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))["databases"]["nianbao"]["tables"]
    for parent in set(FOREIGN_KEYS.values()):
        assert tables[parent]["label_column"] in db[parent].columns_dict, parent
    assert rows(db, "pragma foreign_key_check") == []


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "migrated"])
def test_indexes_for_the_common_filters(tmp_path, fresh):
    db = open_database(tmp_path / "nianbao.db") if fresh else v3_database(tmp_path)
    indexed = {(t, tuple(i.columns)) for t in db.table_names() for i in db[t].indexes}
    assert {
        ("reports", ("year",)), ("reports", ("layout",)), ("reports", ("group_id",)),
        ("reports", ("agency_id", "year")), ("report_groups", ("agency_id", "year")),
        ("report_groups", ("year",)), ("checks", ("rule", "status")), ("checks", ("report_id",)),
        ("agencies", ("level",)), ("agencies", ("region_code",)), ("agency_aliases", ("name",)),
        ("cells", ("report_id", "table_name")), ("corrections", ("report_id", "table_name", "row_key", "column_key")),
        *((t, c) for t in WIDE for c in (("report_id",), ("agency_id", "year"), ("year",), ("layout",))),
        *((t, tuple(wide_tables.ROW_KEY_INDEX.get(t, ["row_key", "year"]))) for t in WIDE),
    } <= indexed


def test_every_reference_to_a_crawl_run_snapshot_or_report_is_indexed(tmp_path):
    """Datasette counts the rows that refer to a run, a snapshot or a report on its page (a
    report's page, reached from every list): each count must be an index lookup, not a read
    of a table as large as the archive."""
    db = open_database(tmp_path / "nianbao.db")
    unindexed = [(t, fk.column) for t in db.table_names() for fk in db[t].foreign_keys
                 if fk.other_table in ("crawl_runs", "snapshots", "reports")
                 and not any(i.columns[0] == fk.column for i in db[t].indexes)]
    assert unindexed == []


# Tables that grow with the archive: a statement run for every page, report or run must
# find its rows there through an index, not read the table (bench/README.md, "Query plans").
GROWING = {"snapshots", "payloads", "reports", "cells", "checks", "problems", "indicators", "errors", "skipped",
           "not_asked", "blocks", "reparse_changes"}


def whole_table_reads(db, statements) -> list[tuple[str, str]]:
    """(statement, plan line) for each statement that reads a growing table from end to end."""
    found = []
    for sql in dict.fromkeys(statements):
        words = sql.lower().split()
        # An INSERT … VALUES reads nothing: the plan of one into a parent table lists the child
        # tables SQLite would search only while a deferred foreign key is unresolved (never here).
        if words[0] not in ("select", "with", "update", "delete", "insert") or "sqlite_master" in sql or (
                words[0] == "insert" and "select" not in words):
            continue
        for *_, line in db.execute("explain query plan " + sql).fetchall():
            words = line.split()
            if words[0] == "SCAN" and words[1] in GROWING:
                found.append((" ".join(sql.split())[:200], line))
    return found


def test_what_a_crawl_runs_per_page_and_per_run_finds_by_index(tmp_path):
    """Storing a page and its report (new, parsed again, unchanged), a 304, a skip, an error,
    the progress line, the run's counts and checks, a resumed run's pending pages, and opening
    the archive: not one of their statements reads a growing table whole (on a national
    archive, millions of snapshots and tens of millions of cells, each such read takes
    seconds: a run's counts took 4 s, opening the archive 0.3 s)."""
    from archive.records import mark_current_version, parsed_already, record_error, record_skipped, store_report
    from archive.reparse import pending_snapshot_ids
    from archive.runs import rows_of_run, run_counts, start_run
    from archive.schema import ensure_schema
    from archive.snapshots import last_asked, newest_fetch, store_not_modified, store_snapshot
    from crawler.monitoring import monitor_run

    db = open_database(tmp_path / "nianbao.db")
    statements = []
    db.conn.set_trace_callback(statements.append)
    run = start_run(db, "reports")
    url = "http://127.0.0.1:9/2022.html"
    store(db, "http://127.0.0.1:9/2021.html", agency="甲县人民政府", year=2021,
          applications={"carried_forward": {"total": 5}})
    snapshot = store_snapshot(db, url=url, method="GET", request_headers=[], status=200, run_id=run,
                              response_headers=[["Content-Type", "text/html"], ["ETag", '"a"']], body=b"2022",
                              kind="report")
    report = {"agency": "甲县人民政府", "year": 2022, "layout": "2021", "checks": [], "failing_rules": [],
              "applications": {}, "problems": [{"kind": "rows_missing", "table": "applications", "detail": "x"}],
              "cells": [{"table": "applications", "row": "carried_over", "column": "total", "value": 5,
                         "text": "5", "kind": "number", "where": "table 3"}]}
    for _ in range(2):  # new, then parsed again
        store_report(db, url=url, snapshot_id=snapshot, report=report, parser_version="t", text="")
    newest_fetch(db, url)
    last_asked(db, url)
    unchanged = store_not_modified(db, revisit_of=snapshot, url=url, method="GET", request_headers=[],
                                   status=304, response_headers=[], run_id=run)
    parsed_already(db, unchanged)
    mark_current_version(db, url)
    record_skipped(db, url="http://127.0.0.1:9/plan.html", title="工作要点", reason="work plan (工作要点)",
                   found_on=url, run_id=run)
    record_error(db, url="http://127.0.0.1:9/gone.html", stage="fetch", error="TimeoutError", message="",
                 run_id=run)
    rows_of_run(db, "skipped", run), rows_of_run(db, "errors", run)
    run_counts(db, run)
    monitor_run(db, run, [{"name": "甲县", "start_urls": ["http://127.0.0.1:9/"]}])
    pending_snapshot_ids(db, [run])
    ensure_schema(db)
    db.conn.set_trace_callback(None)
    assert len(statements) > 100
    assert whole_table_reads(db, statements) == []


def store_two_years_r6_warns(db) -> int:
    """One body's 2022 and 2023 reports, the 2023 one's R6 warning (0 carried over, 5 carried
    forward); the 2023 report's id."""
    store(db, "http://127.0.0.1:9/2022.html", agency="甲县人民政府", year=2022,
          applications={"carried_forward": {"total": 5}})
    return store(db, "http://127.0.0.1:9/2023.html", agency="甲县人民政府", year=2023,
                 applications={"carried_over": {"total": 0}})


def every_row(db, tables=None) -> dict[str, list]:
    """Every row of every table (of ``tables``' names when given), in rowid order; the
    full-text index and the rule counts, which migrations rebuild, left out."""
    names = tables or [t for t in db.table_names() if not t.startswith("reports_fts") and t != rule_counts.TABLE]
    return {t: rows(db, f"select * from [{t}] order by rowid") for t in names}


def test_a_schema_6_database_gets_its_cross_year_rules_made_again(tmp_path):
    """Before schema 7, `nianbao merge` and a report reparsed into another year could leave
    R6/R7 made against a report that is not the body's year before (or none where it is):
    opening the database makes them again, once."""
    path = tmp_path / "nianbao.db"
    db = open_database(path)
    later = store_two_years_r6_warns(db)
    r6 = f"select status, [left], [right] from checks where rule = 'R6' and [where] = 'total' and report_id = {later}"
    assert rows(db, r6) == [("warn", 0.0, 5.0)]
    # What such a database holds: a check made against another 2022, and the schema 6 mark.
    db.execute("update checks set status = 'pass', [right] = 0, delta = 0 where rule = 'R6' and [where] = 'total'")
    db.execute("pragma user_version = 6")
    db.conn.commit()
    db.close()
    db = open_database(path)
    assert rows(db, r6) == [("warn", 0.0, 5.0)]
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_schema_10_database_gets_the_schema_11_indexes_and_keeps_every_row(tmp_path):
    """Schema 11 drops reports(url), which the unique (url, payload_digest) index covers, and
    adds an index of the failing checks; a database made before gets both on open, once."""
    path = tmp_path / "nianbao.db"
    db = open_database(path)
    store_two_years_r6_warns(db)
    # What schema 10 made: reports(url) beside the unique index, no index of the failing checks.
    db.execute("drop index idx_checks_failing_delta")
    for table in WIDE:
        db.execute(f"drop index idx_{table}_layout")
    db.execute("create index idx_reports_url on reports(url)")
    db.execute("pragma user_version = 10")
    db.conn.commit()
    before = every_row(db)
    db.close()

    db = open_database(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    assert every_row(db, tables=before) == before
    assert [i.columns for i in db["reports"].indexes if i.columns[0] == "url"] == [["url", "payload_digest"]]
    assert "idx_checks_failing_delta" in {i.name for i in db["checks"].indexes}
    assert all(["layout"] in [i.columns for i in db[t].indexes] for t in WIDE)
    # Lookups by url alone use the index that is left.
    plan = rows(db, "explain query plan select max(version) from reports where url = ?", ["x"])
    assert "idx_reports_url_payload_digest" in plan[0][-1]
    db.close()
    assert_opening_writes_nothing(path)


def test_a_schema_13_database_gets_the_schema_14_indexes_and_keeps_every_row(tmp_path):
    """Schema 14 orders the failing checks' index by the size of the difference, and makes
    applications' (row_key, year) index cover what the charts read; a database made before
    gets both on open, in place of the old ones, once."""
    path = tmp_path / "nianbao.db"
    db = open_database(path)
    store_two_years_r6_warns(db)
    covering = "idx_applications_row_key_year_total_report_id_group_id_agency_id"
    # What schema 13 made.
    db.execute("drop index idx_checks_failing_delta")
    db.execute(f"drop index {covering}")
    db.execute("create index idx_checks_failing on checks(rule) where status in ('fail', 'warn')")
    db.execute("create index idx_applications_row_key_year on applications(row_key, year)")
    for trigger in rule_counts.TRIGGERS:
        db.execute(f"drop trigger {trigger}")
    db.execute(f"drop table {rule_counts.TABLE}")
    db.execute("pragma user_version = 13")
    db.conn.commit()
    before = every_row(db)
    db.close()

    db = open_database(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    assert every_row(db, tables=before) == before
    assert {i.name for i in db["checks"].indexes} >= {"idx_checks_failing_delta"}
    assert "idx_checks_failing" not in {i.name for i in db["checks"].indexes}
    indexes = {i.name for i in db["applications"].indexes}
    assert covering in indexes and "idx_applications_row_key_year" not in indexes
    # The other wide tables keep their (row_key, year) index.
    assert ["row_key", "year"] in [i.columns for i in db["reviews_litigation"].indexes]
    # The checks counted per report and rule, from the checks there were.
    assert [r[3] for r in rule_counts.held(db) if r[1] == "R6"] == [1]  # the R6 warning: one failing check
    assert rule_counts.held(db) == rule_counts.recounted(db)
    db.close()
    assert_opening_writes_nothing(path)


def test_the_charts_read_applications_covering_index_alone(tmp_path):
    """Both charts read the covering index, never the table: on a national archive the
    refusal reasons took 520 ms reading the table, 171 ms the index (bench/README.md)."""
    from nianbao.datasette import charts

    db = open_database(tmp_path / "nianbao.db")
    store(db, "http://127.0.0.1:9/2022.html", agency="甲县人民政府", year=2022,
          applications={"new_received": {"total": 5}, "withheld_state_secret": {"total": 1}})
    for sql, params in ((charts.APPLICATIONS_BY_YEAR_SQL, {"agency_id": ""}),
                        (charts.REFUSAL_REASONS_SQL, {"year": ""}), (charts.REFUSAL_REASONS_SQL, {"year": 2022})):
        plan = [r[-1] for r in db.execute("explain query plan " + sql, params)]
        assert "USING COVERING INDEX idx_applications_row_key_year_total" in plan[0], plan
    assert [(b.label, b.value) for b in charts.refusal_reasons(db.conn)] == [("不予公开 · 属于国家秘密", 1.0)]


def test_rule_failures_reads_the_failing_checks_by_index(tmp_path):
    """The canned query rule_failures, with a rule or without, reads the failing checks
    through their index, in its order: on a national archive (5 M checks) a read of every
    check took 1.7 s with a rule given, 4 s without; sorting every failing check by its
    difference, 91 ms for the first page's 1,001 rows, 7 ms read in the index's order
    (bench/README.md, "Datasette pages")."""
    db = open_database(tmp_path / "nianbao.db")
    store_two_years_r6_warns(db)
    sql = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))["databases"]["nianbao"]["queries"][
        "rule_failures"]["sql"]
    for rule in ("", "R6", " r6 "):
        assert rows(db, sql, {"rule": rule}), rule
        plan = [r[-1] for r in db.execute("explain query plan " + sql, {"rule": rule})]
        assert any("idx_checks_failing_delta" in line for line in plan), plan


def test_opening_a_database_at_the_current_schema_changes_nothing(tmp_path):
    """Commands that only read (runs, export) open through open_database: nothing is
    rewritten there, not the views nor the schema version (a write, a schema change that
    every other connection then sees, and a busy wait beside a crawl's transaction)."""
    path = tmp_path / "nianbao.db"
    db = open_database(path)
    store(db, "http://127.0.0.1:9/2022.html", agency="甲县人民政府", year=2022,
          applications={"carried_forward": {"total": 5}})
    db.close()
    # No row written either: an UPDATE that rewrites a value as it was (a body's region still
    # unknown) leaves the same bytes, yet takes the write lock on every open.
    assert_opening_writes_nothing(path)


def test_a_database_of_a_newer_schema_keeps_its_mark(tmp_path):
    """Opened by an older nianbao, it is not marked as of the older schema (which would have
    the newer nianbao take it for one and skip its own migrations)."""
    path = tmp_path / "nianbao.db"
    db = open_database(path)
    db.execute(f"pragma user_version = {SCHEMA_VERSION + 1}")
    db.close()
    db = open_database(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION + 1
    db.close()


# -- an archive the first nianbao wrote (schema 1), brought up to date: nothing archived is lost --

V1_BASE = "http://127.0.0.1:41209/"  # where the old demo's portal served (make_v1_db.py)
# Tables as schema 1 had them; what they held must still be there, as it was, after the upgrade.
V1_TABLES = ("crawl_runs", "snapshots", "payloads", "agencies", "reports", "cells", "checks", "problems", "errors")


def v1_archive(data: Path, base: str = V1_BASE) -> Path:
    """A copy of v1.db (tests/data/schema/make_v1_db.py) in DATA, its URLs moved to ``base``."""
    data.mkdir(parents=True, exist_ok=True)
    path = data / "nianbao.db"
    shutil.copy(get_test_file("schema", "v1.db"), path)
    if base != V1_BASE:
        with sqlite3.connect(path) as db:
            for table in ("snapshots", "reports", "skipped", "errors"):
                db.execute(f"update {table} set url = replace(url, ?, ?)", [V1_BASE, base])
        db.close()
    return path


def as_stored(path, tables=V1_TABLES) -> dict[str, dict]:
    """Each table's rows by id (payloads by digest), every column, read with sqlite3 alone."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    held = {table: {(r["digest"] if table == "payloads" else r["id"]): dict(r)
                    for r in db.execute(f"select * from {table}")} for table in tables}
    db.close()
    return held


def assert_still_held(old: dict[str, dict], path, tables=V1_TABLES) -> None:
    """Every row of ``old`` still in the archive at ``path``, its old columns as they were."""
    new = as_stored(path, tables)
    for table in tables:
        for key, row in old[table].items():
            assert key in new[table], f"{table} {key} is gone"
            assert {c: new[table][key][c] for c in row} == row, f"{table} {key} changed"


def test_an_archive_of_schema_1_is_crawled_reparsed_exported_and_served_with_nothing_lost(tmp_path, run_nianbao,
                                                                                             guarded_env):
    """The operator who has crawled nightly since the first nianbao upgrades and goes on:
    the next night's crawl, verify, reparse, runs, the exports and Datasette on the archive
    the old code wrote. Every body and row it held is still there, byte for byte; the crawl
    asks conditionally and archives no page or report a second time."""
    import gzip
    import zlib

    from warcio.archiveiterator import ArchiveIterator

    from archive.snapshots import iter_snapshots
    from portal import DemoPortal
    from test_serve import get_json, fetch, running_datasette

    data = tmp_path / "data"
    with DemoPortal() as portal:
        path = v1_archive(data, portal.url("/"))
        old = as_stored(path)
        assert sqlite3.connect(path).execute("pragma user_version").fetchone() == (1,)
        bodies = {digest: zlib.decompress(p["data"]) for digest, p in old["payloads"].items()}  # schema 1: zlib
        assert len(old["snapshots"]) == 9 and len(old["reports"]) == 5 and len(old["cells"]) == 786
        archived = {s["url"]: s["payload_digest"] for s in old["snapshots"].values()}
        run_nianbao("crawl", "--start-url", portal.start_url, "--data", data, "--profile", "test")

    assert_still_held(old, path)
    db = open_database(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    # The next night: every page asked for again is a revisit of what the old code stored.
    night = db.execute("select id, status, revisit_of, url from snapshots where run_id = 2").fetchall()
    assert len(night) == len(old["snapshots"])
    # (Should the demo portal serve other pages one day, this fails here: v1.db is made again then.)
    assert all(revisit_of in old["snapshots"] for _, _, revisit_of, _ in night), night
    assert sum(status == 304 for _, status, _, _ in night) >= len(old["reports"])
    assert db["reports"].count == 5 and db["payloads"].count == len(old["payloads"])
    # Each body read back through the archive as the old code stored it, byte for byte.
    for snapshot in iter_snapshots(db):
        assert not snapshot.damage
        assert snapshot.body == bodies[archived[snapshot.url]]
    db.close()
    assert verify(path).ok

    run_nianbao("reparse", "--data", data, "--workers", "0")
    assert_still_held(old, path, ("crawl_runs", "snapshots", "payloads", "agencies"))
    db = open_database(path)
    assert rows(db, "select id, url, snapshot_id, agency_id, year from reports order by id") == [
        (r["id"], r["url"], r["snapshot_id"], r["agency_id"], r["year"]) for r in old["reports"].values()]
    db.close()
    assert verify(path).ok

    runs = run_nianbao("runs", "--data", data).stdout.splitlines()
    assert [line.split()[0] for line in runs[1:]] == ["2", "1"]

    warc = tmp_path / "archive.warc.gz"
    run_nianbao("export-warc", "--data", data, "-o", warc)
    with open(warc, "rb") as stream:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.raw_stream.read())
                   for r in ArchiveIterator(stream)]
    responses = [(url, body) for kind, url, body in records if kind == "response"]
    assert sorted(responses) == sorted((url, bodies[digest]) for url, digest in archived.items())
    assert sum(kind == "revisit" for kind, _, _ in records) == len(night)

    csv_path = tmp_path / "reports.csv"
    run_nianbao("export", "--data", data, "--table", "reports", "--format", "csv", "-o", csv_path)
    with open(csv_path, encoding="utf-8", newline="") as file:
        exported = {int(r["id"]): (r["url"], r["title"]) for r in csv.DictReader(file)}
    assert exported == {i: (r["url"], r["title"]) for i, r in old["reports"].items()}

    with running_datasette(data, guarded_env) as base:
        listed = get_json(f"{base}/nianbao/report_list.json?_shape=array")
        assert sorted(r["report_id"] for r in listed) == sorted(old["reports"])
        for snapshot_id, snapshot in old["snapshots"].items():
            # The page as it was: its content-coding undone, its text in UTF-8.
            status, _, body = fetch(f"{base}/-/raw/{snapshot_id}")
            stored = bodies[snapshot["payload_digest"]]
            text = (gzip.decompress(stored) if snapshot["content_encoding"] else stored).decode(snapshot["encoding"])
            assert status == 200 and body.decode("utf-8") == text


def test_merging_an_archive_of_schema_1_keeps_each_report_of_its_own_body(tmp_path):
    """`nianbao merge` reads an input as it is, with the columns its schema had: schema 1's
    agencies have no normalized name and its reports no payload digest. Each report keeps the
    body it was read from, and each body keeps its name (before, every report of such an input
    went to its first body, and its reports had no digest, so the next crawl took them for new)."""
    from archive.merge import merge_databases

    old_path = v1_archive(tmp_path / "old")
    old = as_stored(old_path)
    agency_of = {r["url"]: old["agencies"][r["agency_id"]]["name"] for r in old["reports"].values()}
    digest_of = {s["url"]: s["payload_digest"] for s in old["snapshots"].values()}
    # Into a new archive, and into one that already holds this archive brought up to date.
    upgraded = v1_archive(tmp_path / "upgraded")
    open_database(upgraded).close()
    for out, inputs in ((tmp_path / "merged.db", [old_path]), (upgraded, [old_path])):
        merge_databases(out, inputs)
        db = open_database(out)
        merged = rows(db, "select r.url, a.name, r.payload_digest, r.version, r.is_current from reports r "
                          "join agencies a on a.id = r.agency_id order by r.url")
        assert merged == sorted((url, agency_of[url], digest_of[url], 1, 1) for url in agency_of), out
        assert db["agencies"].count == len(old["agencies"])
        assert {name for (name,) in rows(db, "select name from agency_aliases")} == set(agency_of.values())
        db.close()
        assert verify(out).ok
        assert merge_databases(out, inputs).total == 0  # and again: nothing added
    assert sqlite3.connect(old_path).execute("pragma user_version").fetchone() == (1,)  # the input as it was


def test_merging_an_archive_of_schema_3_folds_its_agencies_as_opening_it_does(tmp_path):
    """Schema 3's three names of one body (v3.db) are one agency with three aliases once merged,
    as once opened; merged into the archive it was brought up to date as, they add nothing."""
    from archive.merge import merge_databases

    upgraded = v3_database(tmp_path)
    expected = rows(upgraded, "select a.name, group_concat(l.name, '|') from agencies a "
                              "join agency_aliases l on l.agency_id = a.id group by a.id order by a.id")
    upgraded.close()
    assert merge_databases(tmp_path / "nianbao.db", [get_test_file("schema", "v3.db")]).total == 0
    result = merge_databases(tmp_path / "merged.db", [get_test_file("schema", "v3.db")])
    assert result.added["agencies"] == 2 and result.added["reports"] == 7
    db = open_database(tmp_path / "merged.db")
    assert rows(db, "select a.name, group_concat(l.name, '|') from agencies a "
                    "join agency_aliases l on l.agency_id = a.id group by a.id order by a.id") == expected
