"""R6 and R7 between consecutive years of the same body, on hand-made reports."""

from __future__ import annotations

from archive.corrections import add_correction
from archive.cross_checks import run_cross_checks
from archive.schema import open_database
from reports_db import store, v3_database

BASE = "http://127.0.0.1:8000/zwgk/"
BODY = "示范县人民政府"
EMPTY_COLUMNS = ("commercial_enterprise", "research_institution", "social_welfare_org",
                 "legal_service_org", "other_org")


def cross_checks(db):
    return {
        (r["report_id"], r["rule"], r["where"]): (r["status"], r["left"], r["right"], r["delta"])
        for r in db.query("select * from checks where rule in ('R6', 'R7')")
    }


def three_years(db):
    first = store(db, BASE + "2020.html", agency=BODY, year=2020, layout="2019",
                  applications={"carried_forward": {"natural_person": 2, "total": 4}},
                  active={"regulations": {"made": 1, "published": 1, "public_total": 9}})
    second = store(db, BASE + "2021.html", agency="示范县政府", year=2021,  # the same body
                   applications={"carried_over": {"natural_person": 2, "total": 3},
                                 "carried_forward": {"natural_person": 1, "total": 1}},
                   active={"regulations": {"issued": 2, "repealed": 0, "in_force": 10},
                           "normative_documents": {"issued": 5, "repealed": 1, "in_force": 40}})
    third = store(db, BASE + "2022.html", agency=BODY, year=2022,
                  applications={"carried_over": {"natural_person": 1, "total": None}},
                  active={"regulations": {"issued": 1, "repealed": 2, "in_force": 9},
                          "normative_documents": {"issued": 3, "repealed": 0, "in_force": 45}})
    return first, second, third


def test_r6_and_r7_compare_consecutive_years(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    first, second, third = three_years(db)
    found = cross_checks(db)
    expected = {
        (second, "R6", "natural_person"): ("pass", 2.0, 2.0, 0.0),
        (second, "R6", "total"): ("warn", 3.0, 4.0, -1.0),  # soft: warn, never fail
        # 2020 is in the 2019 layout: no in_force to carry on from.
        (second, "R7", "regulations"): ("not_assessable", 10.0, None, None),
        (second, "R7", "normative_documents"): ("not_assessable", 40.0, None, None),
        (third, "R6", "natural_person"): ("pass", 1.0, 1.0, 0.0),
        (third, "R6", "total"): ("not_assessable", None, 1.0, None),  # an empty cell is no 0
        (third, "R7", "regulations"): ("pass", 9.0, 9.0, 0.0),  # 10 + 1 - 2
        (third, "R7", "normative_documents"): ("warn", 45.0, 43.0, 2.0),  # 40 + 3 - 0
    }
    for report in (second, third):
        for column in EMPTY_COLUMNS:
            expected[(report, "R6", column)] = ("not_assessable", None, None, None)
    assert found == expected  # nothing on the first year: no report before it
    (detail,) = {r[0] for r in db.execute(f"select detail from checks where rule = 'R6' and report_id = {second}")}
    assert detail == f"right: carried_forward of report {first} (2020)"


def test_reparsing_the_earlier_year_updates_the_later_years_checks(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    first, second, _ = three_years(db)
    store(db, BASE + "2020.html", agency=BODY, year=2020, layout="2019",
          applications={"carried_forward": {"natural_person": 2, "total": 3}})
    assert cross_checks(db)[(second, "R6", "total")] == ("pass", 3.0, 3.0, 0.0)
    # A new version of 2021 replaces the old one's checks: they sit on the counted version only.
    newer = store(db, BASE + "2021.html", agency=BODY, year=2021, body=b"v2",
                  applications={"carried_over": {"natural_person": 2, "total": 5}})
    found = cross_checks(db)
    assert not any(key[0] == second for key in found)
    assert found[(newer, "R6", "total")] == ("warn", 5.0, 3.0, 2.0)


def test_a_correction_is_what_the_rules_compare(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    first, second, _ = three_years(db)
    add_correction(db, report_id=first, table="applications", row="carried_forward", column="total",
                   value="3", who="t", why="the 2021 report says 3")
    assert cross_checks(db)[(second, "R6", "total")] == ("pass", 3.0, 3.0, 0.0)


def test_the_full_run_gives_what_the_incremental_runs_gave(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    three_years(db)
    store(db, BASE + "2021.pdf", agency=BODY, year=2021, attachment=True,  # not counted: no change
          applications={"carried_over": {"natural_person": 9, "total": 9}})
    incremental = cross_checks(db)
    assert run_cross_checks(db) == len(incremental)
    assert cross_checks(db) == incremental


def test_a_schema_3_database_gets_its_cross_checks_on_migration(tmp_path):
    db = v3_database(tmp_path)
    found = cross_checks(db)
    assert found[(2, "R6", "natural_person")] == ("pass", 2.0, 2.0, 0.0)
    assert found[(2, "R6", "total")] == ("warn", 3.0, 2.0, 1.0)
    assert found[(4, "R7", "regulations")] == ("pass", 6.0, 6.0, 0.0)
    assert found[(4, "R7", "normative_documents")] == ("warn", 45.0, 43.0, 2.0)
    assert not any(key[0] == 3 for key in found)  # the 2021 PDF is not the counted version


def test_a_report_reparsed_into_another_year_leaves_no_check_made_against_it(tmp_path):
    """The 2022 report was in fact the 2021 one (a reparse reads its year right): the 2023
    report has no year before it any more, and keeps no R6 made against the old reading."""
    db = open_database(tmp_path / "nianbao.db")
    misread = store(db, BASE + "a.html", agency=BODY, year=2022, body=b"a",
                    applications={"carried_forward": {"total": 3}})
    later = store(db, BASE + "b.html", agency=BODY, year=2023, applications={"carried_over": {"total": 3}})
    assert cross_checks(db)[(later, "R6", "total")] == ("pass", 3.0, 3.0, 0.0)
    assert store(db, BASE + "a.html", agency=BODY, year=2021, body=b"a",  # the same body, parsed again
                 applications={"carried_forward": {"total": 3}}) == misread
    assert cross_checks(db) == {}
    assert run_cross_checks(db) == 0  # what a full run gives
