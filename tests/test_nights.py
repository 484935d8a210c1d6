"""Nightly crawls into one archive while the portal changes between nights
(``portal.nights``), a few nights each: what bench/soak_nights.py found over a month.

The crawls run the real CLI in a subprocess against the changing column on real HTTP.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from portal import DemoPortal
from portal.nights import ChangingColumn

AGENCIES = ("财政局", "教育局", "民政局", "司法局", "水利局", "林业局", "审计局")


def column_of(count: int) -> ChangingColumn:
    column = ChangingColumn()
    for n, agency in enumerate(AGENCIES[:count]):
        column.add_report(agency, 2024 - n % 2)
    return column


def crawl_night(run_nianbao, portal, data, *args, check=True):
    portal.clear_sent()
    result = run_nianbao("crawl", "--start-url", portal.start_url, "--data", data, "--profile", "test",
                         *args, check=check)
    return result, portal.sent


def last_run(data) -> dict:
    with sqlite3.connect(data / "nianbao.db") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("select * from crawl_runs order by id desc limit 1").fetchone())


def test_a_trs_column_whose_pager_became_plain_links_is_still_walked(tmp_path, run_nianbao):
    """A TRS site's new template pages with 下一页/尾页 links, no createPageHTML call left:
    the column's later pages, and their reports, are still found (the TRS adapter read the
    call only, and the night passed its checks with a third of the column)."""
    column = column_of(7)                      # three listing pages
    with DemoPortal(column.site()) as portal:
        _, sent = crawl_night(run_nianbao, portal, tmp_path)
        first_night = {s.path for s in sent}
        column.pager = "anchors"
        portal.site = column.site()
        _, sent = crawl_night(run_nianbao, portal, tmp_path)
    asked = {s.path for s in sent}
    reports = {r.path for r in column.reports.values()}
    assert reports <= first_night
    assert reports <= asked
    assert {"/zwgk/zfxxgknb/index_1.html", "/zwgk/zfxxgknb/index_2.html"} <= asked
