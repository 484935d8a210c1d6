"""Faults crawled for real: broken connections, stalls, cut bodies, 5xx, redirect loops,
a gzip bomb, oversize PDFs and pagination traps (``portal.faults``).

Two nights over the same hosts. The first is calm: the column's reports are archived. On
the second, every fault is on, including at URLs archived the first night. Each fault must
end as a recorded row saying what went wrong, the good reports must still be stored, the
traps must stay within the per-site listing bound, and nothing archived may be lost."""

from __future__ import annotations

import sqlite3
import time

import pytest

from conftest import run_crawl_subprocess

MAXSIZE = 1_000_000     # the bomb inflates to 20 MB, the oversize PDFs are 1.5 MB
MAX_PAGES = 12          # NIANBAO_MAX_LISTING_PAGES: the traps' bound
OVERRIDES = {
    "DOWNLOAD_MAXSIZE": MAXSIZE,
    "DOWNLOAD_TIMEOUT": 2,
    "RETRY_TIMES": 2,          # enough to outlast the 5xx burst
    "NIANBAO_MAX_LISTING_PAGES": MAX_PAGES,
    "NIANBAO_MONITOR_ENABLED": False,
}
NIGHT_BOUND = 90.0      # seconds; a stall or a trap that held the crawl would pass it


@pytest.fixture(scope="module")
def nights(tmp_path_factory, guarded_env):
    from portal.faults import start_fault_sites

    tmp = tmp_path_factory.mktemp("faults")
    portals, entries = start_fault_sites()
    column = portals["fault-column"]
    base, paths = column.base_url, column.site.extra
    try:
        column.site.faults_on = False
        run_crawl_subprocess(guarded_env, entries, tmp / "data", "test", OVERRIDES, timeout=NIGHT_BOUND * 2)
        db = sqlite3.connect(tmp / "data" / "nianbao.db")
        first = {r[0]: r[1] for r in db.execute("select url, snapshot_id from reports")}
        first_snapshots = db.execute("select count(*) from snapshots").fetchone()[0]
        db.close()
        for portal in portals.values():
            portal.clear_sent()
        column.site.faults_on = True
        started = time.monotonic()
        run_crawl_subprocess(guarded_env, entries, tmp / "data", "test", OVERRIDES, timeout=NIGHT_BOUND * 2)
        elapsed = time.monotonic() - started
    finally:
        for portal in portals.values():
            portal.stop()
    db = sqlite3.connect(tmp / "data" / "nianbao.db")
    db.row_factory = sqlite3.Row
    yield {"db": db, "portals": portals, "first": first, "first_snapshots": first_snapshots, "elapsed": elapsed,
           "url": lambda name: base + paths[name]}
    db.close()


def rows(db, sql, *params):
    return [dict(r) for r in db.execute(sql, params)]


def second_run(nights):
    return nights["db"].execute("select max(id) from crawl_runs").fetchone()[0]


def test_the_faulty_night_ends_within_its_bound(nights):
    assert nights["elapsed"] < NIGHT_BOUND
    run = rows(nights["db"], "select * from crawl_runs where id = ?", second_run(nights))[0]
    assert run["status"] == "finished"


@pytest.mark.parametrize("fault, error, says", [
    ("reset", "DownloadFailedError", "connection lost"),
    ("stall", "DownloadTimeoutError", "took longer than 2.0 seconds"),
    ("truncated", "ResponseDataLossError", "body cut short"),
    ("5xx", "HttpError", "HTTP 500"),
    ("redirect-loop", "RedirectLoop", "redirect loop"),
    ("gzip-bomb", "IgnoreRequest", "DOWNLOAD_MAXSIZE"),
    ("oversize-pdf", "DownloadTooLarge", "announced 1,500,000 bytes"),
    ("oversize-stream", "DownloadTooLarge", "DOWNLOAD_MAXSIZE is 1,000,000"),
])
def test_each_fault_is_an_error_row_saying_what_went_wrong(nights, fault, error, says):
    found = rows(nights["db"], "select * from errors where url = ? and run_id = ?", nights["url"](fault),
                 second_run(nights))
    assert len(found) == 1, found
    assert found[0]["stage"] == "fetch"
    assert error in found[0]["error"], found[0]
    assert says in found[0]["message"], found[0]


def test_the_5xx_burst_is_retried_until_the_report_is_stored(nights):
    url = nights["url"]("burst")
    assert not rows(nights["db"], "select * from errors where url = ?", url)
    (report,) = rows(nights["db"], "select * from reports where url = ?", url)
    assert report["year"] == 2024 and report["has_tables"] == 1


def test_good_reports_are_stored_beside_the_faults(nights):
    for name in ("good-1", "good-2"):
        (report,) = rows(nights["db"], "select * from reports where url = ?", nights["url"](name))
        assert report["year"] == 2024 and report["has_tables"] == 1


def test_nothing_archived_the_first_night_is_lost(nights):
    db, first = nights["db"], nights["first"]
    # The calm night archived the reports that fault on the second.
    for name in ("reset", "stall", "truncated", "gzip-bomb"):
        assert nights["url"](name) in first
    now = {r["url"]: r["snapshot_id"] for r in rows(db, "select url, snapshot_id from reports")}
    for url, snapshot_id in first.items():
        assert now.get(url) == snapshot_id, url
    assert db.execute("select count(*) from snapshots").fetchone()[0] >= nights["first_snapshots"]
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("trap", ["pager-trap", "calendar-trap"])
def test_pagination_traps_stay_within_the_listing_bound(nights, trap):
    served = [s for s in nights["portals"][trap].sent if s.path != "/robots.txt"]
    assert 2 <= len(served) <= MAX_PAGES


def test_the_gzip_bomb_is_archived_as_sent_and_never_inflated_whole(nights):
    (snapshot,) = rows(nights["db"], "select * from snapshots where url = ? and run_id = ?",
                       nights["url"]("gzip-bomb"), second_run(nights))
    assert snapshot["encoding"] is None
    assert snapshot["encoding_source"].startswith("undecodable: content-encoding gzip inflates past 1,048,576 bytes")
