"""A blank cell is not a zero, from the stored cells to what a researcher sees.

One body's reports of two years, served by a real `nianbao serve` over HTTP. Their cells
are given as printed: '' is a blank cell, '/' not applicable, '12.50' an amount in 万元.
A number that needs a blank or not-applicable cell to be computed is no number: null,
never the sum of the other cells as if the blank were 0.
"""

from __future__ import annotations

import urllib.parse

import pytest

from archive.schema import open_database
from parsers.national_format import APPLICATION_REQUIRED_ROWS
from reports_db import store
from test_serve import fetch, query, running_datasette

BODY = "甲县人民政府"
APPLICANTS = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
              "legal_service_org", "other_org", "total")


WITHHELD_ITEMS = [key for key in APPLICATION_REQUIRED_ROWS if key.startswith("withheld_")]


def row(*printed):
    return dict(zip(APPLICANTS, printed))


def reviews(direct_total: str, after_review_total: str) -> dict:
    return {"review": {"total": "1"}, "litigation_direct": {"total": direct_total},
            "litigation_after_review": {"total": after_review_total}}


@pytest.fixture(scope="module")
def datasette(tmp_path_factory, guarded_env):
    data = tmp_path_factory.mktemp("blanks")
    db = open_database(data / "nianbao.db")
    # 2022: one 不予公开 item blank, one 不予处理 item not applicable, the （六） items with
    # one blank but the group's own row printed, one 行政诉讼 total blank.
    store(db, "http://127.0.0.1:9/2022.html", agency=BODY, year=2022, applications={
        "new_received": row("10", "0", "0", "0", "0", "1", "11"),
        "granted": row("5", "0", "0", "0", "0", "1", "6"),
        "withheld_state_secret": row("", "", "", "", "", "", ""),
        "withheld_third_party_rights": row("3", "0", "0", "0", "0", "0", "3"),
        "unable_not_held": row("2", "0", "0", "0", "0", "0", "2"),
        "unable_needs_creation": row("0", "0", "0", "0", "0", "0", "0"),
        "unable_unclear": row("0", "0", "0", "0", "0", "0", "0"),
        "rejected_duplicate": row("/", "/", "/", "/", "/", "/", "/"),
        "rejected_publication": row("1", "0", "0", "0", "0", "0", "1"),
        "other": row("1", "0", "0", "0", "0", "0", "1"),
        "other_no_correction": row("1", "0", "0", "0", "0", "0", "1"),
        "other_other": row("", "", "", "", "", "", ""),
    }, active={"regulations": {"issued": "1", "repealed": "/", "in_force": ""},
               "fees": {"amount_10k_yuan": "12.50"}},
        reviews=reviews("", "2"))
    # 2023: every cell a number, zeros included; of 不予处理 one item row alone (the table
    # lost the other four: rows_missing).
    store(db, "http://127.0.0.1:9/2023.html", agency=BODY, year=2023, applications={
        "new_received": row("4", "0", "0", "0", "0", "0", "4"),
        **{key: row("0", "0", "0", "0", "0", "0", "0") for key in WITHHELD_ITEMS},
        "withheld_third_party_rights": row("1", "0", "0", "0", "0", "0", "1"),
        "rejected_duplicate": row("1", "0", "0", "0", "0", "0", "1"),
    }, reviews=reviews("0", "2"))
    db.close()
    with running_datasette(data, guarded_env) as base:
        yield base


def test_a_bodys_series_adds_up_a_group_only_when_every_item_is_a_number(datasette):
    series = {r["year"]: r for r in query(datasette, "body_series", agency="甲县")}
    blanks, numbers = series[2022], series[2023]
    assert (numbers["withheld"], numbers["lawsuits"]) == (1, 2)  # 0 + … + 1 over all 8 items, and 0 + 2
    assert numbers["rejected"] is None  # 1 of 5 items printed: the others are not 0
    assert blanks["withheld"] is None  # 3 + a blank item is not 3
    assert blanks["rejected"] is None  # 1 + a not-applicable item is not 1
    assert blanks["lawsuits"] is None  # 2 + a blank total is not 2
    assert blanks["other"] == 1  # an item blank, but the report prints the group's own row
    assert blanks["unable"] == 2


def test_blank_and_not_applicable_cells_show_empty_and_amounts_keep_their_decimals(datasette):
    (regulations,) = query(datasette, "active_disclosure", row_key="regulations")
    assert (regulations["issued"], regulations["repealed"], regulations["in_force"]) == (1, None, None)
    (fees,) = query(datasette, "active_disclosure", row_key="fees")
    assert fees["amount_10k_yuan"] == 12.5
    html = fetch(f"{datasette}/nianbao/active_disclosure?" + urllib.parse.urlencode({"year": 2022}))[2].decode()
    assert '<td class="col-issued type-float">1</td>' in html  # a count: whole
    assert '<td class="col-in_force type-none">&nbsp;</td>' in html  # blank, not 0
    assert '<td class="col-repealed type-none">&nbsp;</td>' in html  # not applicable, not 0
    assert '<td class="col-amount_10k_yuan type-float">12.5</td>' in html  # the decimals stay


def test_a_number_read_as_blank_on_reparse_leaves_no_stale_number_behind(tmp_path):
    """The same body parsed again reads a cell as blank: the wide table's value goes to
    null, and the rule of the year after that needed it is no longer assessed."""
    db = open_database(tmp_path / "nianbao.db")
    earlier = dict(url="http://127.0.0.1:9/2022.html", agency=BODY, year=2022, body=b"2022")
    store(db, **earlier, active={"regulations": {"issued": "1", "repealed": "0", "in_force": "9"}})
    later = store(db, "http://127.0.0.1:9/2023.html", agency=BODY, year=2023,
                  active={"regulations": {"issued": "1", "repealed": "0", "in_force": "10"}})
    r7 = "select status, [left], [right] from checks where rule = 'R7' and report_id = ? and [where] = 'regulations'"
    assert db.execute(r7, [later]).fetchall() == [("pass", 10.0, 10.0)]
    store(db, **earlier, active={"regulations": {"issued": "1", "repealed": "0", "in_force": ""}})
    assert db.execute("select in_force from active_disclosure where year = 2022").fetchall() == [(None,)]
    assert db.execute(r7, [later]).fetchall() == [("not_assessable", 10.0, None)]
