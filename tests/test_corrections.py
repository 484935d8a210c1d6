"""Researchers' corrections: applied by the views, never overwritten by reparse, flagged
when the parsed cell changes underneath them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archive.corrections import CorrectionError, CorrectionInEffect, add_correction, corrections_flagged
from archive.schema import open_database
from nianbao.cli import cli
from reports_db import store

URL = "http://127.0.0.1:8000/zwgk/2022.html"
BODY = "示范县人民政府"
APPLICATIONS = {"new_received": {"natural_person": 40, "total": 47}, "carried_over": {"total": 2}}


@pytest.fixture
def db(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    db.report = store(db, URL, agency=BODY, year=2022, applications=APPLICATIONS, body=b"page")
    return db


def new_received(db):
    return db.execute("select natural_person, total, corrected_cells from applications "
                      "where row_key = 'new_received'").fetchone()


def correct(db, report=None, row="new_received", column="total", value="48", **kw):
    return add_correction(db, report_id=report or db.report, table="applications", row=row, column=column,
                          value=value, who=kw.get("who", "李伟"), why=kw.get("why", "the PDF prints 48"),
                          when="2025-03-01T00:00:00Z")


def test_the_views_show_the_corrected_value_beside_the_parsed_one(db):
    correction = correct(db)
    assert new_received(db) == (40.0, 48.0, 1)
    (cell,) = db.query("select * from current_cells where row_key = 'new_received' and column_key = 'total'")
    assert (cell["value"], cell["text"], cell["kind"], cell["correction_id"]) == (48.0, "48", "number", correction)
    assert (cell["parsed_value"], cell["parsed_text"], cell["parsed_kind"]) == (47.0, "47", "number")
    assert db["cells"].count_where("value = 48") == 0  # the parsed rows are left as read
    assert db["corrections"].get(correction)["parsed_value"] == 47.0


def test_a_cell_the_parser_never_read_can_be_corrected(db):
    correct(db, row="granted", column="total", value="30")
    correct(db, row="granted", column="other_org", value="/")
    assert db.execute("select other_org, total, corrected_cells from applications "
                      "where row_key = 'granted'").fetchone() == (None, 30.0, 2)
    kinds = {r["column_key"]: (r["kind"], r["parsed_kind"]) for r in
             db.query("select * from current_cells where row_key = 'granted'")}
    assert kinds == {"total": ("number", None), "other_org": ("not_applicable", None)}


def test_the_newest_correction_of_a_cell_is_the_one_applied(db):
    correct(db, value="48")
    correct(db, value="49", why="48 was a typo too")
    assert new_received(db) == (40.0, 49.0, 1)
    assert db.execute("select count(*) from current_cells").fetchone()[0] == 3


def test_reparse_never_overwrites_a_correction(db):
    correct(db)
    before = list(db.query("select * from corrections"))
    store(db, URL, agency=BODY, year=2022, applications=APPLICATIONS, body=b"page")  # the same body again
    assert list(db.query("select * from corrections")) == before
    assert new_received(db) == (40.0, 48.0, 1)
    assert corrections_flagged(db) == []  # the parser still reads 47: the correction stands


def test_a_correction_whose_cell_changed_underneath_is_flagged(db):
    correct(db)
    changed = dict(APPLICATIONS, new_received={"natural_person": 40, "total": 50})
    store(db, URL, agency=BODY, year=2022, applications=changed, body=b"page")  # a parser that reads 50
    (flag,) = corrections_flagged(db)
    assert (flag["parsed_value_then"], flag["parsed_value_now"], flag["value"]) == (47.0, 50.0, 48.0)
    assert new_received(db) == (40.0, 48.0, 1)  # still applied until someone looks again


def test_a_correction_follows_the_logical_report_to_a_new_version(db):
    correct(db)
    newer = store(db, URL, agency=BODY, year=2022, applications=APPLICATIONS, body=b"republished")
    assert db.execute("select id from current_reports").fetchone()[0] == newer
    assert new_received(db) == (40.0, 48.0, 1)
    assert corrections_flagged(db) == []
    fixed = dict(APPLICATIONS, new_received={"natural_person": 40, "total": 48})
    store(db, URL, agency=BODY, year=2022, applications=fixed, body=b"fixed at the source")
    assert [f["parsed_value_now"] for f in corrections_flagged(db)] == [48.0]


@pytest.mark.parametrize("change, message", [
    ({"table": "cells"}, "unknown table 'cells'; tables are active_disclosure, applications, reviews_litigation"),
    ({"row": "received"}, "unknown row 'received' of applications"),
    ({"column": "people"}, "unknown column 'people' of applications"),
    ({"report_id": 99}, "no report 99"),
    ({"who": " "}, "who must not be empty"),
    ({"why": ""}, "why must not be empty"),
    ({"value": "abc"}, "value 'abc' is not a cell value; give a number, 0, / (not applicable) or '' (blank)"),
    ({"value": "55（含自然失效29件）"}, "value '55（含自然失效29件）' is not a cell value; give a number, 0, "
                                   "/ (not applicable) or '' (blank)"),
    # As the format has them: counts are whole, and only 本年增/减 is negative.
    ({"value": "-3"}, "value '-3': total cannot be negative (only items_change, 本年增/减, can)"),
    ({"value": "2.5"}, "value '2.5': total is a count, a whole number (only the amounts, amount_10k_yuan and "
                       "amount, have decimals)"),
    ({"value": "48元"}, "value '48元': total is a count, not an amount in 元"),
])
def test_what_cannot_be_recorded(db, change, message):
    arguments = dict(report_id=db.report, table="applications", row="new_received", column="total",
                     value="48", who="李伟", why="x") | change
    with pytest.raises(CorrectionError) as error:
        add_correction(db, **arguments)
    assert str(error.value) == message
    assert db["corrections"].count == 0


def test_the_correct_command(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    report = store(db, URL, agency=BODY, year=2022, applications=APPLICATIONS)
    db.close()
    runner = CliRunner()
    args = ["correct", "--data", str(tmp_path), "--report", str(report), "--table", "applications",
            "--row", "new_received", "--column", "total", "--value", "48", "--who", "李伟", "--why", "PDF says 48"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output == f"Correction 1: report {report} applications new_received/total = '48' (parsed: '47')\n"
    result = runner.invoke(cli, args[:-6] + ["--column", "people", "--value", "1", "--who", "a", "--why", "b"])
    assert result.exit_code == 1
    assert result.output == "Error: unknown column 'people' of applications\n"
    (row,) = open_database(tmp_path / "nianbao.db").query("select who, why, value from corrections")
    assert row == {"who": "李伟", "why": "PDF says 48", "value": 48.0}


@pytest.mark.parametrize("value, kind, number", [
    ("48", "number", 48.0), ("1,234", "number", 1234.0), ("0", "zero", 0.0),
    ("/", "not_applicable", None), ("-", "not_applicable", None), ("无", "not_applicable", None),
    ("不涉及", "not_applicable", None), ("", "empty", None), (" ", "empty", None),
])
def test_a_value_is_read_as_the_spec_reads_a_printed_cell(db, value, kind, number):
    (row,) = db.query("select kind, value, text from corrections where id = ?", [correct(db, value=value)])
    assert row == {"kind": kind, "value": number, "text": value}


def test_amounts_have_decimals_and_a_change_in_items_a_sign(db):
    def active(row, column, value):
        return add_correction(db, report_id=db.report, table="active_disclosure", row=row, column=column,
                              value=value, who="李伟", why="the PDF")

    fees, change = active("fees", "amount_10k_yuan", "12.5万元"), active("penalty", "items_change", "-18")
    assert [r["value"] for r in db.query("select value from corrections where id in (?, ?) order by id",
                                         [fees, change])] == [12.5, -18.0]
    # A unit given must be the column's: the value is stored as a number of that unit.
    with pytest.raises(CorrectionError) as refused:
        active("fees", "amount_10k_yuan", "125000元")
    assert str(refused.value) == "value '125000元': amount_10k_yuan holds 万元; give the amount in 万元"


def test_the_correction_in_effect_made_again_is_not_recorded_twice(db):
    first = correct(db)
    with pytest.raises(CorrectionInEffect) as again:
        correct(db)
    assert (str(again.value), again.value.correction_id) == (f"correction {first} already says so", first)
    assert correct(db, why="the PDF prints 48, and so does the printed copy") == first + 1  # a new reason
    correct(db, value="49")
    assert correct(db, value="48") == first + 3  # 48 again over 49: in effect once more
    assert db["corrections"].count == 4


def test_the_same_correction_over_a_parsed_cell_that_changed_is_made_anew(db):
    """Made again after the parser or the source changed the cell (it shows in
    corrections_flagged), the correction is recorded over what is parsed now, and leaves the list."""
    first = correct(db)
    changed = dict(APPLICATIONS, new_received={"natural_person": 40, "total": 50})
    store(db, URL, agency=BODY, year=2022, applications=changed, body=b"page")  # a parser that reads 50
    assert [r["correction_id"] for r in corrections_flagged(db)] == [first]
    assert correct(db) == first + 1
    assert corrections_flagged(db) == []


def test_the_correct_command_refuses_junk_and_says_when_nothing_is_recorded(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    report = store(db, URL, agency=BODY, year=2022, applications=APPLICATIONS)
    db.close()
    args = ["correct", "--data", str(tmp_path), "--report", str(report), "--table", "applications",
            "--row", "new_received", "--column", "total", "--who", "李伟", "--why", "PDF says 48"]
    result = CliRunner().invoke(cli, [*args, "--value", "abc"])
    assert (result.exit_code, result.output) == (
        1, "Error: value 'abc' is not a cell value; give a number, 0, / (not applicable) or '' (blank)\n")
    assert CliRunner().invoke(cli, [*args, "--value", "48"]).exit_code == 0
    result = CliRunner().invoke(cli, [*args, "--value", "48"])
    assert (result.exit_code, result.output) == (
        0, f"Nothing recorded: report {report} applications new_received/total = '48' is correction 1, "
           "already in effect\n")
    assert open_database(tmp_path / "nianbao.db")["corrections"].count == 1


def test_a_correction_made_during_a_crawl_waits_for_its_write_instead_of_failing(db, tmp_path):
    """A crawl (another connection) holds the write lock and commits: the correction waits for
    it. (It read before writing, then failed at once with 'database is locked'.)"""
    import sqlite3
    import threading

    crawl = sqlite3.connect(tmp_path / "nianbao.db", isolation_level=None, check_same_thread=False)
    crawl.execute("begin immediate")
    crawl.execute("insert into skipped (url, reason) values ('http://127.0.0.1:9/x', 'a crawl writing')")
    commit = threading.Timer(0.3, crawl.execute, ["commit"])
    commit.start()
    try:
        correction = correct(db)
    finally:
        commit.join()
        crawl.close()
    assert db["corrections"].get(correction)["text"] == "48"
    assert db["skipped"].count == 1

