"""End-of-run checks (crawler/monitoring.py): each one firing on an archive built for
it, all passing on real demo crawls (a first night and an unchanged second night),
and the hooks receiving the summary; a site gone silent fails the real crawl (exit 3).
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.blocks import record_block
from archive.records import record_error
from archive.reparse import parse_pending
from archive.runs import finish_run, format_summary, record_monitor, run_counts, start_run
from archive.schema import open_database
from archive.snapshots import store_snapshot
from crawler.monitoring import Thresholds, exit_status, format_monitor, monitor_run
from crawler.notify import notify
from nianbao import EXIT_CHECKS_FAILED, EXIT_CRAWL_FAILED, EXIT_LOCKED, EXIT_OK
from portal.site import Site, build_site

SITE_A = {"name": "城中区人民政府", "start_urls": ["http://127.0.0.1:1/zwgk/zfxxgknb/index.html"]}
SITE_B = {"name": "江夏区", "start_urls": ["http://127.0.0.1:2/zwgk/zfxxgknb/index.html"]}
SITES = [SITE_A, SITE_B]
A, B = SITE_A["name"], SITE_B["name"]
DEMO = build_site()
REPORT_PATHS = DEMO.paths("report")


def base(name):
    site = next(s for s in SITES if s["name"] == name)
    return site["start_urls"][0].split("/zwgk/")[0]


def store(db, run_id, url, body, kind="listing", status=200):
    return store_snapshot(db, run_id=run_id, url=url, method="GET", request_headers=[], status=status,
                          response_headers=[["Content-Type", "text/html; charset=utf-8"]], body=body, kind=kind)


def night(db, *, reports=None, pages=None, errors=0, blocked=(), answers=None, status="finished",
          resumes=None, close=True):
    """One run: ``reports``/``pages`` map a site name to how many report/listing pages it served."""
    run_id = start_run(db, "reports", resumes=resumes)
    for site, n in (reports or {}).items():
        for path in REPORT_PATHS[:n]:
            store(db, run_id, base(site) + path, DEMO[path].body, kind="report")
    for site, n in (pages or {}).items():
        for i in range(n):
            store(db, run_id, f"{base(site)}/zwgk/zfxxgknb/index_{i}.html", f"<p>listing {i}</p>".encode())
    parse_pending(db, [run_id], run_id=run_id)
    for i in range(errors):
        record_error(db, url=f"{base(A)}/gone_{i}.html", stage="fetch", error="HttpError",
                     message="HTTP 404", run_id=run_id)
    for host, reason, detail in blocked:
        record_block(db, run_id=run_id, site=B, host=host, url=f"http://{host}/", reason=reason, detail=detail,
                     status=403)
    if close:
        archived = db.execute("select count(*) from snapshots where run_id = ?", [run_id]).fetchone()[0]
        finish_run(db, run_id, status=status,
                   stats={"downloader/response_count": archived if answers is None else answers})
    return run_id


def checked(db, run_id, thresholds=None, sites=SITES):
    """The run's checks against the registry's ``sites``, recorded as a crawl records them."""
    monitor = monitor_run(db, run_id, sites, thresholds)
    record_monitor(db, run_id, monitor.to_dict(), format_monitor(monitor))
    return monitor


def failing(monitor) -> dict:
    return {c.name: c.message for c in monitor.checks if not c.ok}


@pytest.fixture
def db(tmp_path):
    return open_database(tmp_path / "nianbao.db")


def test_a_normal_first_night_passes_with_per_site_counts(db):
    monitor = checked(db, night(db, reports={A: 3, B: 2}, pages={A: 2, B: 1}))
    assert monitor.ok, failing(monitor)
    assert monitor.first_crawl
    assert monitor.sites == {A: {"pages": 5, "reports": 3}, B: {"pages": 3, "reports": 2}}
    assert exit_status(db["crawl_runs"].get(1)) == EXIT_OK


def test_refused_registry_entries_fail_the_night_that_crawled_the_others(db):
    refused = ["sites.yaml:5: site 3 (乙): flavor: unknown key; did you mean flavour?",
               "sites.yaml:9: site 4 (丙): start_urls: not an http(s) URL: 'x'"]
    monitor = monitor_run(db, night(db, reports={A: 3, B: 2}), SITES, refused=refused)
    assert failing(monitor) == {"registry": "2 entries refused, not crawled: sites.yaml:5: site 3 (乙): flavor: "
                                            "unknown key; did you mean flavour? (and 1 more: `nianbao check-sites` "
                                            "lists them)"}
    assert "registry" not in {c.name for c in monitor_run(db, 1, SITES).checks}  # listed only when it fails


def redirect(db, run_id, url, status, location):
    store_snapshot(db, run_id=run_id, url=url, method="GET", request_headers=[], status=status,
                   response_headers=[["Location", location]], body=b"", kind="listing")


def test_a_start_url_moved_permanently_is_a_notice_naming_where_it_leads_now(db):
    """The crawl followed the 301; the registry still names the old URL: the run passes, with
    a note saying which site's start URL to change, and to what."""
    gkmlpt = {"name": "丙", "start_urls": ["http://127.0.0.1:3/gkmlpt/index#2580"]}
    temporary = {"name": "丁", "start_urls": ["http://127.0.0.1:4/zwgk/"]}
    looping = {"name": "戊", "start_urls": ["http://127.0.0.1:5/a.html"]}
    sites = [*SITES, gkmlpt, temporary, looping]
    checked(db, night(db, reports={A: 1, B: 1}), sites=sites)  # none of them is new to the next night's checks
    run_id = night(db, reports={A: 1, B: 1}, close=False)
    redirect(db, run_id, SITE_A["start_urls"][0], 301, "/zwgk/xxgk/ndbg/index.html")
    # Two permanent moves in a row, the second to another host; the fragment stays the registry's.
    redirect(db, run_id, "http://127.0.0.1:3/gkmlpt/index", 308, "http://127.0.0.1:3/gkmlpt/")
    redirect(db, run_id, "http://127.0.0.1:3/gkmlpt/", 301, "//127.0.0.1:6/gkmlpt/")
    redirect(db, run_id, "http://127.0.0.1:4/zwgk/", 302, "/login")  # temporary: the registry keeps its URL
    redirect(db, run_id, "http://127.0.0.1:5/a.html", 301, "/b.html")  # a loop: an errors row, no move
    redirect(db, run_id, "http://127.0.0.1:5/b.html", 301, "/a.html")
    archived = db.execute("select count(*) from snapshots where run_id = ?", [run_id]).fetchone()[0]
    finish_run(db, run_id, status="finished", stats={"downloader/response_count": archived})

    monitor = monitor_run(db, run_id, sites)
    assert monitor.ok, failing(monitor)
    assert checks_by_name(monitor)["start URLs moved"] == (
        "2 start URL(s) answered a permanent redirect: update the registry's start_urls: "
        f"site {A}: http://127.0.0.1:1/zwgk/zfxxgknb/index.html moved permanently (HTTP 301) to "
        "http://127.0.0.1:1/zwgk/xxgk/ndbg/index.html; site 丙: http://127.0.0.1:3/gkmlpt/index#2580 moved "
        "permanently (HTTP 308, 301) to http://127.0.0.1:6/gkmlpt/#2580")
    shown = format_monitor(monitor)
    assert shown.startswith("run checks:           OK\n")
    assert "\n  note  start URLs moved: 2 start URL(s)" in shown
    # Listed only when a start URL moved; a run that asked no start URL moved says nothing.
    assert "start URLs moved" not in {c.name for c in monitor_run(db, night(db, reports={A: 1}), sites).checks}


def test_a_moved_start_url_given_on_the_command_line_is_named_as_such(db):
    from crawler.spiders.reports import COMMAND_LINE

    run_id = night(db, close=False)
    redirect(db, run_id, "http://127.0.0.1:7/%E5%B9%B4%E6%8A%A5/", 301, "/新/".encode().decode("latin-1"))
    monitor = monitor_run(db, run_id, [{"name": COMMAND_LINE, "start_urls": ["http://127.0.0.1:7/年报/"]}])
    assert checks_by_name(monitor)["start URLs moved"].endswith(
        "--start-url http://127.0.0.1:7/年报/ moved permanently (HTTP 301) to http://127.0.0.1:7/%E6%96%B0/")


def started(db, run_id) -> str:
    return db["crawl_runs"].get(run_id)["started"][:10]


def test_a_site_that_yielded_reports_before_fails_every_night_until_it_yields_again(db):
    checked(db, night(db, reports={A: 3, B: 2}))
    second = checked(db, night(db, reports={A: 3}, pages={B: 2}))
    day = started(db, 1)
    assert failing(second) == {"sites still yielding": f"1 site(s) that yielded reports before yield none now: "
                                                       f"{B} (2 in run 1 of {day}; none in 1 run since)"}
    assert exit_status(db["crawl_runs"].get(2)) == EXIT_CHECKS_FAILED
    # Still silent the night after, and the one after that: still failing, counting the nights.
    third = checked(db, night(db, reports={A: 3}, pages={B: 2}))
    assert failing(third) == {"sites still yielding": f"1 site(s) that yielded reports before yield none now: "
                                                      f"{B} (2 in run 1 of {day}; none in 2 runs since)"}
    assert "none in 3 runs since" in failing(checked(db, night(db, reports={A: 3})))["sites still yielding"]
    assert exit_status(db["crawl_runs"].get(4)) == EXIT_CHECKS_FAILED
    # A run without checks (NIANBAO_MONITOR_ENABLED off) is skipped, not taken for a silent night.
    night(db, reports={A: 3})
    assert "none in 4 runs since" in failing(checked(db, night(db, reports={A: 3})))["sites still yielding"]
    # It yields again: ok; silent again: counted from that run.
    assert checked(db, night(db, reports={A: 3, B: 1})).ok
    assert failing(checked(db, night(db, reports={A: 3}))) == {
        "sites still yielding": f"1 site(s) that yielded reports before yield none now: "
                                f"{B} (1 in run 7 of {started(db, 7)}; none in 1 run since)"}


def test_silent_sites_are_judged_from_the_last_checked_run_alone(db):
    """One row read, whatever the registry's size and the archive's age: the per-site counts of
    the last checked run carry when each silent site last yielded."""
    checked(db, night(db, reports={A: 3, B: 2}))
    checked(db, night(db, reports={A: 3}))
    monitor = checked(db, night(db, reports={A: 3}))
    assert monitor.sites[B] == {"pages": 0, "reports": 0, "silent_since": {
        "run": 1, "started": db["crawl_runs"].get(1)["started"], "reports": 2, "runs": 2}}
    statements = []
    db.conn.set_trace_callback(statements.append)
    monitor_run(db, night(db, reports={A: 3}), SITES)
    db.conn.set_trace_callback(None)
    read = [sql for sql in statements if "from crawl_runs" in sql and "monitor" in sql]
    assert len(read) == 1, read


def test_a_run_of_other_sites_in_between_does_not_hide_a_silent_site(db):
    """A one-off `nianbao crawl --start-url …` into the same archive crawls none of the
    registry's sites: a silent site is judged from the last run that crawled it."""
    checked(db, night(db, reports={A: 3, B: 2}))
    one_off = night(db, reports={A: 1})
    monitor = monitor_run(db, one_off, [{"name": "command line", "start_urls": SITE_A["start_urls"]}])
    record_monitor(db, one_off, monitor.to_dict(), format_monitor(monitor))
    assert failing(checked(db, night(db, reports={A: 3}))) == {
        "sites still yielding": f"1 site(s) that yielded reports before yield none now: "
                                f"{B} (2 in run 1 of {started(db, 1)}; none in 1 run since)"}


def test_a_site_crawled_for_the_first_time_that_yields_nothing_fails_that_night_only(db):
    """A site just added whose start URL leads elsewhere, or whose listing holds no link the
    spider knows, passed every check: "sites still yielding" judges sites that yielded before.
    It fails on its first night; a column with no report yet passes the nights after."""
    run_id = night(db, reports={A: 3}, pages={B: 2}, close=False)
    redirect(db, run_id, SITE_B["start_urls"][0], 302, "http://127.0.0.1:9/portal/")
    archived = db.execute("select count(*) from snapshots where run_id = ?", [run_id]).fetchone()[0]
    finish_run(db, run_id, status="finished", stats={"downloader/response_count": archived})
    first = checked(db, run_id)
    assert failing(first) == {"new sites yielding": (
        f"1 site(s) crawled for the first time yielded no reports: site {B} (3 page(s) archived; its start URL "
        f"{SITE_B['start_urls'][0]} answered HTTP 302 to http://127.0.0.1:9/portal/); "
        "check each one's start URL and flavour (the summary's skipped pages and errors say "
        "what its pages held); a column with no report yet passes from the site's next run")}
    assert exit_status(db["crawl_runs"].get(run_id)) == EXIT_CHECKS_FAILED
    shown = format_monitor(first).splitlines()
    assert shown[shown.index(f"  ok    sites still yielding: 1 of 2 site(s) yielded reports; none that yielded "
                             f"before fell silent") + 1].startswith("  FAIL  new sites yielding: ")
    # Its column still empty the night after: not new, never seen yielding: it passes.
    second = checked(db, night(db, reports={A: 3}, pages={B: 2}))
    assert second.ok, failing(second)
    assert "new sites yielding" not in checks_by_name(second)  # listed only when it fails
    # A site added later is judged on its own first night; one not fetched at all is named so.
    added = {"name": "新增", "start_urls": ["http://127.0.0.1:8/xxgk/ndbg/"]}
    third = monitor_run(db, night(db, reports={A: 3}, pages={B: 2}), [*SITES, added])
    assert failing(third)["new sites yielding"].startswith(
        "1 site(s) crawled for the first time yielded no reports: site 新增 (0 page(s) archived; its start URL "
        "http://127.0.0.1:8/xxgk/ndbg/ was not archived (see its errors and skipped pages)); ")


def test_new_sites_are_not_judged_on_a_crawl_cut_short_nor_on_one_that_fetched_nothing(db, tmp_path):
    """An interrupted crawl may not have reached a site ("crawl finished" fails); the run that
    resumes it judges its sites as new. A night whose every request failed fails "pages
    fetched", which says why, not once more per site."""
    killed = night(db, reports={A: 3}, status="interrupted")
    assert set(failing(checked(db, killed))) == {"crawl finished"}
    resumed = checked(db, night(db, reports={A: 3}, pages={B: 2}, resumes=killed))
    assert set(failing(resumed)) == {"new sites yielding"}
    other = open_database(tmp_path / "other.db")
    assert set(failing(checked(other, night(other, errors=1)))) == {"pages fetched"}


def test_a_resumed_crawl_counts_what_the_killed_run_found(db):
    checked(db, night(db, reports={A: 3, B: 2}))
    killed = night(db, reports={B: 2}, close=False)  # killed after site B's reports
    db["crawl_runs"].update(killed, {"status": "interrupted"})
    resumed = night(db, reports={A: 3}, resumes=killed)
    monitor = checked(db, resumed)
    assert monitor.ok, failing(monitor)
    assert monitor.sites[B]["reports"] == 2


def test_after_a_resume_the_summary_names_the_run_it_resumes_and_the_checks_count_both(db):
    killed = night(db, reports={A: 2}, close=False)  # 2 report pages
    db["crawl_runs"].update(killed, {"status": "interrupted"})
    # 3 report pages (2 of them unchanged), 1 listing
    resumed = night(db, reports={A: 3}, pages={A: 1}, errors=1, resumes=killed)
    summary = format_summary(run_counts(db, resumed))
    assert summary.splitlines()[:2] == [
        "resumed:              run 1 (interrupted): the counts below are run 2's, the run checks count runs 1 and 2",
        f"pages fetched:        4 ({run_counts(db, resumed).bytes_received:,} bytes)"]
    messages = checks_by_name(checked(db, resumed))
    assert messages["pages fetched"] == "6 page(s) archived besides robots.txt in runs 1 and 2"
    assert messages["error rate"] == "1 of 7 request(s) in runs 1 and 2 failed (14.3%; at most 10.0%), " \
                                     "not judged under 20 pages"
    assert messages["parse errors"] == "0 of 4 page(s) read in runs 1 and 2 could not be read (0.0%; at most 30.0%), " \
                                       "not judged under 20 pages"
    assert messages["archive growing"] == "4 of 4 answer(s) received archived in run 2, 2 of them unchanged"
    # A run of its own: no such line, no runs named.
    assert not format_summary(run_counts(db, killed)).startswith("resumed")


def test_the_summary_lists_the_most_frequent_errors_with_an_example_and_where_to_see_them_all(db):
    run_id = night(db, pages={A: 1}, close=False)
    for i, (stage, error, message) in enumerate([("fetch", "HttpError", "HTTP 404")] * 4
                                                + [("fetch", "HttpError", "HTTP 500")]
                                                + [("fetch", "TimeoutError", "  took longer\nthan 10.0 seconds")] * 2
                                                + [("parse", "ParseError", "x" * 150), ("store", "DownloadTooLarge", "")]):
        record_error(db, url=f"{base(A)}/p{i}.html", stage=stage, error=error, message=message, run_id=run_id)
    lines = format_summary(run_counts(db, run_id)).splitlines()
    at = lines.index("errors:               9 (7 fetch, 1 parse, 1 store)")
    assert lines[at + 1:at + 6] == [
        f"  5 x fetch HttpError, e.g. {base(A)}/p0.html: HTTP 404",
        f"  2 x fetch TimeoutError, e.g. {base(A)}/p5.html: took longer than 10.0 seconds",
        f"  1 x parse ParseError, e.g. {base(A)}/p7.html: {'x' * 99}…",
        "  and 1 more kind(s)",
        "  all of them: `nianbao serve`, then http://127.0.0.1:8001/nianbao/errors?run_id=1 "
        "(or `nianbao export --table errors`)",
    ]
    assert lines[at + 6].startswith("hosts blocked:")


def checks_by_name(monitor) -> dict:
    return {c.name: c.message for c in monitor.checks}


def test_a_night_whose_every_request_failed_fails_however_few_they_were(db):
    monitor = checked(db, night(db, errors=1))
    assert failing(monitor) == {"pages fetched": f"none: every request failed (1 error(s); the first: "
                                                 f"{base(A)}/gone_0.html: HTTP 404)"}
    assert checks_by_name(monitor)["error rate"].endswith("not judged under 20 pages")
    assert exit_status(db["crawl_runs"].get(1)) == EXIT_CHECKS_FAILED


def test_a_night_that_archived_only_robots_txt_fails(db):
    run_id = night(db, close=False)
    store(db, run_id, base(A) + "/robots.txt", b"User-agent: *\n", kind="robots")
    finish_run(db, run_id, status="finished", stats={"downloader/response_count": 1})
    assert failing(checked(db, run_id)) == {
        "pages fetched": "none: no page was archived besides robots.txt, and no request failed"}


def test_one_of_several_processes_given_nothing_by_the_shared_queue_passes(db):
    from scrapy.settings import Settings

    shared = Thresholds.from_settings(Settings({"REDIS_URL": "redis://127.0.0.1:6379/0"}))
    monitor = monitor_run(db, night(db), SITES, shared)
    assert monitor.ok and checks_by_name(monitor)["pages fetched"] == "none: the shared queue gave this process nothing"


def test_an_unreachable_site_fails_its_checks_and_its_refused_connections_are_log_lines(run_nianbao, tmp_path):
    result = run_nianbao("crawl", "--start-url", "http://127.0.0.1:1/zfxxgknb/", "--data", tmp_path,
                         "--profile", "test", check=False)
    assert result.returncode == EXIT_CHECKS_FAILED, result.stderr[-3000:]
    assert "run checks:           FAILED (1 of 8)" in result.stdout
    assert "FAIL  pages fetched: none: every request failed (1 error(s); the first: http://127.0.0.1:1/zfxxgknb/: " \
           "Connection was refused by other side: 111: Connection refused.)" in result.stdout
    assert "Traceback" not in result.stderr
    assert "WARNING: Run 1 failed its run checks: pages fetched: none: every request failed" in result.stderr
    assert "[scrapy.downloadermiddlewares.robotstxt] WARNING: Could not fetch http://127.0.0.1:1/robots.txt " \
           "(Connection was refused by other side: 111: Connection refused.): the host is crawled as if it " \
           "allowed everything" in result.stderr


def test_an_error_rate_over_the_threshold_fails(db):
    monitor = checked(db, night(db, reports={A: 4, B: 1}, pages={A: 20}, errors=5))
    assert failing(monitor) == {"error rate": "5 of 30 request(s) failed (16.7%; at most 10.0%)"}
    assert checked(db, night(db, reports={A: 4, B: 1}, pages={A: 20}, errors=2)).ok
    lenient = Thresholds(max_error_rate=0.2)
    assert monitor_run(db, 1, SITES, lenient).ok


def test_errors_about_one_of_the_runs_answers_count_that_page_once(db):
    """A page answered with an error status (a ``fetch`` row about its archived answer) is one of
    the run's requests that failed: 1 of 20, not one request more (1 of 21). A page the parser
    could not read, on which a spider callback then raised too (a ``parse`` and a ``spider`` row
    about one answer), is one page that could not be read, not two."""
    run_id = night(db, pages={A: 20}, close=False)
    (failed, failed_url), (unread, unread_url) = db.execute(
        "select id, url from snapshots where run_id = ? order by id limit 2", [run_id]).fetchall()
    record_error(db, url=failed_url, stage="fetch", error="HttpError", message="HTTP 404", run_id=run_id,
                 snapshot_id=failed)
    for stage in ("parse", "spider"):
        record_error(db, url=unread_url, stage=stage, error="ValueError", message="…", run_id=run_id,
                     snapshot_id=unread)
    finish_run(db, run_id, status="finished", stats={"downloader/response_count": 20})
    monitor = monitor_run(db, run_id, SITES, Thresholds(compare_sites=False))
    assert checks_by_name(monitor)["error rate"] == "1 of 20 request(s) failed (5.0%; at most 10.0%)"
    assert checks_by_name(monitor)["parse errors"] == \
        "1 of 20 page(s) read could not be read: 1 by the parser, 1 by a spider callback (5.0%; at most 30.0%)"


def test_an_error_about_a_page_answered_from_the_archive_is_a_request_of_its_own(db):
    """Under --recheck-after a page is answered from an earlier run's snapshot: an error about
    it adds a request, so the rate cannot pass 100 %."""
    earlier = night(db, pages={A: 20})
    page = db.execute("select id, url from snapshots where run_id = ? order by id limit 1", [earlier]).fetchone()
    run_id = night(db, pages={A: 20}, close=False)
    record_error(db, url=page[1], stage="fetch", error="HttpError", message="…", run_id=run_id,
                 snapshot_id=page[0])
    record_error(db, url=page[1], stage="spider", error="ValueError", message="…", run_id=run_id, snapshot_id=page[0])
    finish_run(db, run_id, status="finished", stats={"downloader/response_count": 20})
    monitor = monitor_run(db, run_id, SITES, Thresholds(compare_sites=False))
    assert checks_by_name(monitor)["error rate"] == "1 of 21 request(s) failed (4.8%; at most 10.0%)"
    assert checks_by_name(monitor)["parse errors"] == \
        "1 of 21 page(s) read could not be read: 1 by a spider callback (4.8%; at most 30.0%)"


def test_a_start_page_the_registry_flavour_found_nothing_on_fails_its_own_check_not_the_error_rate(db):
    """A column page answered fine, read with the flavour the registry names, yielded nothing:
    not the portal's failure (no failed request) nor the parser's, but the registry's, and the
    check says to correct it. An archive from before 2026-11-23 recorded it with stage
    ``fetch``: read the same way (a crawl resumed across the upgrade counts both)."""
    from crawler.items import REGISTRY_STAGE, WRONG_FLAVOUR

    run_id = night(db, reports={A: 3, B: 1}, pages={A: 16}, close=False)
    start_pages = db.execute("select id, url from snapshots where run_id = ? and kind = 'listing' order by id limit 2",
                             [run_id]).fetchall()
    for (snapshot_id, url), stage in zip(start_pages, (REGISTRY_STAGE, "fetch")):
        record_error(db, url=url, stage=stage, error=WRONG_FLAVOUR, snapshot_id=snapshot_id, run_id=run_id,
                     message=f"flavour trs found nothing here, a hanweb page: correct the flavour of site '{A}' in "
                             f"the registry, or leave it out (detected)")
    finish_run(db, run_id, status="finished", stats={"downloader/response_count": 20})
    monitor = checked(db, run_id)
    said = f"flavour trs found nothing here, a hanweb page: correct the flavour of site '{A}' in the registry"
    assert failing(monitor) == {"site flavours": (
        f"2 start page(s) on which the flavour the registry names found nothing: {start_pages[0][1]}: {said}, or "
        f"leave it out (detected); {start_pages[1][1]}: {said}, or leave it out (detected)")}
    messages = checks_by_name(monitor)
    assert messages["error rate"] == "0 of 20 request(s) failed (0.0%; at most 10.0%)"
    assert messages["parse errors"].startswith("0 of 20 page(s) read could not be read")
    assert exit_status(db["crawl_runs"].get(run_id)) == EXIT_CHECKS_FAILED
    assert "site flavours" not in checks_by_name(checked(db, night(db, reports={A: 3, B: 1})))  # listed only then
    assert "errors:               2 (1 fetch, 1 registry)" in format_summary(run_counts(db, run_id)).splitlines()


def unreadable_night(db, unreadable: int, *, reports=5, pages=20):
    """A night of ``reports`` report pages and ``pages`` listing pages of site A, and
    ``unreadable`` report pages the parser cannot read (each a ``parse`` error)."""
    run_id = night(db, reports={A: reports}, pages={A: pages}, close=False)
    for i in range(unreadable):
        store(db, run_id, f"{base(A)}/notice_{i}.html", f"<p>not a report {i}</p>".encode(), kind="report")
    parse_pending(db, [run_id], run_id=run_id)
    archived = db.execute("select count(*) from snapshots where run_id = ?", [run_id]).fetchone()[0]
    finish_run(db, run_id, status="finished", stats={"downloader/response_count": archived})
    return run_id


def test_a_page_the_parser_cannot_read_is_a_parse_error_not_a_failed_request(db):
    """3 report pages fetched fine but unreadable, of 28 pages: no request failed (every answer
    came), so the error rate is 0 of 28; they are the parse errors' 3 of 28, under 30 %."""
    monitor = checked(db, unreadable_night(db, 3), Thresholds(compare_sites=False))
    assert monitor.ok, failing(monitor)
    messages = checks_by_name(monitor)
    assert messages["error rate"] == "0 of 28 request(s) failed (0.0%; at most 10.0%)"
    assert messages["parse errors"] == "3 of 28 page(s) read could not be read: 3 by the parser (10.7%; at most 30.0%)"
    summary = format_summary(run_counts(db, 1))
    assert "errors:               3 (3 parse)" in summary.splitlines()
    assert "  ok    parse errors: 3 of 28 page(s) read" in format_monitor(monitor)


def test_a_parser_that_cannot_read_too_many_pages_fails_its_own_check(db):
    monitor = checked(db, unreadable_night(db, 12, pages=15), Thresholds(compare_sites=False))
    assert failing(monitor) == {
        "parse errors": "12 of 32 page(s) read could not be read: 12 by the parser (37.5%; at most 30.0%)"}
    assert exit_status(db["crawl_runs"].get(1)) == EXIT_CHECKS_FAILED
    assert monitor_run(db, 1, SITES, Thresholds(compare_sites=False, max_parse_error_rate=0.4)).ok


def test_an_unchanged_report_page_is_not_read_again(db):
    """A nightly run's unchanged report pages are not parsed again: they are no pages read, so a
    parser failing on the night's new pages is judged on those and the listings."""
    unreadable_night(db, 0)
    run_id = unreadable_night(db, 3)  # the same 5 reports (unchanged) and 20 listings, 3 new pages
    monitor = monitor_run(db, run_id, SITES, Thresholds(compare_sites=False))
    assert checks_by_name(monitor)["parse errors"] == \
        "3 of 23 page(s) read could not be read: 3 by the parser (13.0%; at most 30.0%)"


def test_a_small_runs_error_rate_is_not_judged(db):
    monitor = checked(db, night(db, reports={A: 1, B: 1}, errors=1))
    assert monitor.ok, failing(monitor)
    assert "not judged under 20 pages" in checks_by_name(monitor)["error rate"]


def test_blocked_hosts_fail(db):
    monitor = checked(db, night(db, reports={A: 2, B: 1}, blocked=[
        ("127.0.0.2", "$_ts script challenge", "HTTP 412: $_ts script, cookie NfBCSins2OywS"),
        ("127.0.0.3", "refusals in a row (NIANBAO_BLOCK_AFTER_REFUSALS)", "HTTP 403: 3 refusals in a row")]))
    assert failing(monitor) == {
        "hosts blocked": f"2 host(s) blocked (at most 0): "
                         f"127.0.0.2 ({B}: $_ts script challenge: HTTP 412: $_ts script, cookie NfBCSins2OywS); "
                         f"127.0.0.3 ({B}: refusals in a row (NIANBAO_BLOCK_AFTER_REFUSALS): "
                         f"HTTP 403: 3 refusals in a row)"
    }
    assert monitor_run(db, 1, SITES, Thresholds(max_blocked_hosts=2)).ok


def test_answers_not_archived_fail(db):
    monitor = checked(db, night(db, reports={A: 2, B: 1}, pages={A: 1}, answers=10))
    assert failing(monitor) == {"archive growing": "4 of 10 answer(s) received archived on a first crawl"}


def test_an_unchanged_night_archives_revisits_and_passes(db):
    checked(db, night(db, reports={A: 3}, pages={A: 2}))
    payloads = db["payloads"].count
    monitor = checked(db, night(db, reports={A: 3}, pages={A: 2}))
    assert db["payloads"].count == payloads  # not a byte more: every answer a revisit
    assert monitor.ok, failing(monitor)
    assert not monitor.first_crawl
    assert monitor.checks[-1].message == "5 of 5 answer(s) received archived, 5 of them unchanged"


def test_a_crawl_stopped_early_fails(db):
    monitor = checked(db, night(db, reports={A: 3}, status="failed: not_seeded"))
    assert failing(monitor) == {"crawl finished": "no: it stopped early (failed: not_seeded)"}
    assert exit_status(db["crawl_runs"].get(1)) == EXIT_CRAWL_FAILED


def test_an_interrupted_crawl_fails_saying_the_next_crawl_resumes_it(db):
    run_id = night(db, reports={A: 3}, close=False)
    finish_run(db, run_id, status="interrupted", stats={"nianbao/stopped_by": "SIGINT"})
    assert failing(checked(db, run_id)) == {
        "crawl finished": "no: interrupted by SIGINT; the next crawl resumes it"}
    assert exit_status(db["crawl_runs"].get(run_id)) == EXIT_CRAWL_FAILED


def test_a_failing_hook_is_reported_not_raised(tmp_path):
    payload = {"run_id": 1, "ok": True, "exit_status": 0}
    assert notify("summary", payload, url="http://127.0.0.1:1/hook", timeout=5)[0].startswith(
        "POST http://127.0.0.1:1/hook: URLError")
    assert notify("summary", payload, command="exit 7", timeout=5) == ["command 'exit 7' exited 7"]
    out = tmp_path / "env"
    assert notify("summary", payload, command=f"cat > /dev/null; echo $NIANBAO_RUN_ID $NIANBAO_RUN_OK "
                                              f"$NIANBAO_EXIT_STATUS > {shlex.quote(str(out))}") == []
    assert out.read_text() == "1 1 0\n"


# Real crawls of the demo portal through `nianbao crawl`, with both hooks.

class Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Hook.received
    server.shutdown()
    server.server_close()


class SilentSite(Site):
    """The demo site after its report pages were taken down (404)."""

    def __getitem__(self, path):
        resource = super().__getitem__(path)
        if resource.kind == "report":
            raise KeyError(path)
        return resource


def test_demo_crawls_pass_then_a_silent_site_fails_and_the_hooks_hear_it(run_nianbao, tmp_path, webhook):
    from portal import DemoPortal

    url, received = webhook
    stdin_file = tmp_path / "summary.txt"
    data = tmp_path / "data"
    with DemoPortal(build_site()) as portal:
        registry = tmp_path / "sites.yaml"
        registry.write_text(f"- name: demo\n  start_urls: [{portal.start_url}]\n", encoding="utf-8")
        hooks = ["--notify-command", f"cat > {shlex.quote(str(stdin_file))}", "--notify-url", url]
        crawl = ["crawl", "--sites", registry, "--data", data, "--profile", "test"]

        first = run_nianbao(*crawl, *hooks)
        assert "run checks:           OK" in first.stdout
        assert stdin_file.read_text(encoding="utf-8") == first.stdout  # the printed summary, on stdin
        (content_type, posted), = received
        assert content_type == "application/json; charset=utf-8"
        assert posted["run_id"] == 1 and posted["ok"] is True and posted["exit_status"] == EXIT_OK
        assert posted["summary"] + "\n" == first.stdout
        # Which machine, which archive (wherever the command was started), when.
        run = open_database(data / "nianbao.db")["crawl_runs"].get(1)
        assert (posted["host"], posted["archive"], posted["started"], posted["finished"]) == (
            socket.gethostname(), str((data / "nianbao.db").resolve()), run["started"], run["finished"])
        assert [c["name"] for c in posted["checks"]] == [
            "crawl finished", "pages fetched", "pages stored", "sites still yielding", "error rate", "parse errors",
            "hosts blocked", "archive growing"]

        second = run_nianbao(*crawl, *hooks, "--notify-on", "failure")  # the unchanged next night
        assert "run checks:           OK" in second.stdout
        assert len(received) == 1  # nothing to report

        portal.site = SilentSite(dict(build_site()), portal.site.start_path)
        third = run_nianbao(*crawl, *hooks, "--notify-on", "failure", check=False)
        fourth = run_nianbao(*crawl, check=False)  # the site still down the night after
    assert third.returncode == EXIT_CHECKS_FAILED, third.stderr[-3000:]
    assert "run checks:           FAILED (1 of 8)" in third.stdout
    db = open_database(data / "nianbao.db")
    day = db["crawl_runs"].get(2)["started"][:10]
    assert "FAIL  sites still yielding: 1 site(s) that yielded reports before yield none now: " \
           f"demo (5 in run 2 of {day}; none in 1 run since)" in third.stdout
    assert len(received) == 2 and received[1][1]["exit_status"] == EXIT_CHECKS_FAILED
    assert stdin_file.read_text(encoding="utf-8") == third.stdout
    stored = [(r["id"], json.loads(r["monitor"])["ok"], r["summary"] + "\n") for r in db["crawl_runs"].rows]
    assert stored[:3] == [(1, True, first.stdout), (2, True, second.stdout), (3, False, third.stdout)]
    assert fourth.returncode == EXIT_CHECKS_FAILED, fourth.stderr[-3000:]
    assert "FAIL  sites still yielding: 1 site(s) that yielded reports before yield none now: " \
           f"demo (5 in run 2 of {day}; none in 2 runs since)" in fourth.stdout


def test_sites_crawled_for_the_first_time_that_yield_nothing_fail_their_first_night(run_nianbao, tmp_path):
    """Crawled for real: beside the demo site, one whose start URL answers a temporary redirect
    to an unrelated host's column, and one whose listing holds no report link. Neither yielded
    a report; each passed every check before. The first night fails naming both, and why the
    first did; the second night passes (a column may hold no report yet)."""
    from portal import DemoPortal
    from portal.hostile import HTML, LAST_MODIFIED, HostileSite, redirect
    from portal.site import START_PATH, Resource

    listing = ("<html><head><meta charset='utf-8'><title>政府信息公开年度报告</title></head><body><ul>"
               "<li><a href='/zwgk/a.html'>2024年工作要点</a></li><li><a href='/zwgk/b.html'>关于召开会议的通知</a></li>"
               "</ul></body></html>").encode()
    no_reports = HostileSite({START_PATH: Resource(listing, HTML, LAST_MODIFIED, "listing")}, START_PATH)
    with DemoPortal(build_site(), host="127.0.0.81") as demo, DemoPortal(build_site(), host="127.0.0.82") as other:
        away = HostileSite({}, START_PATH, [redirect(START_PATH, other.start_url, 302)])
        with DemoPortal(away, host="127.0.0.83") as redirected, DemoPortal(no_reports, host="127.0.0.84") as bare:
            sites = tmp_path / "sites.yaml"
            sites.write_text(f"- name: 示范\n  start_urls: [{demo.start_url}]\n"
                             f"- name: 跳走\n  start_urls: [{redirected.start_url}]\n"
                             f"- name: 空栏目\n  start_urls: [{bare.start_url}]\n", encoding="utf-8")
            crawl = ("crawl", "--sites", sites, "--data", tmp_path / "data", "--profile", "test")
            first, second = run_nianbao(*crawl, check=False), run_nianbao(*crawl, check=False)
            urls = {"redirected": redirected.start_url, "other": other.start_url}
    assert first.returncode == EXIT_CHECKS_FAILED, first.stdout + first.stderr[-3000:]
    assert [line for line in first.stdout.splitlines() if line.startswith("  FAIL")] == [
        "  FAIL  new sites yielding: 2 site(s) crawled for the first time yielded no reports: site 空栏目 "
        "(2 page(s) archived); site 跳走 (2 page(s) archived; its start URL "
        f"{urls['redirected']} answered HTTP 302 to {urls['other']}); "
        "check each one's start URL and flavour (the summary's skipped pages and errors say "
        "what its pages held); a column with no report yet passes from the site's next run"]
    assert second.returncode == EXIT_OK, second.stdout + second.stderr[-3000:]
    assert "run checks:           OK" in second.stdout
    db = open_database(tmp_path / "data" / "nianbao.db")
    assert {name: counts["reports"] for name, counts in json.loads(db["crawl_runs"].get(2)["monitor"])["sites"]
            .items()} == {"示范": 5, "跳走": 0, "空栏目": 0}


def test_a_page_not_stored_fails_the_run_also_when_its_error_row_could_not_be_written(db):
    """One page lost between fetching and storing fails the run, far under the error rate; one
    whose ``errors`` row the archive refused too is counted from the run's stats."""
    from crawler.extensions import STORE_FAILED_UNRECORDED

    run_id = night(db, reports={A: 3, B: 2}, close=False)
    record_error(db, url=base(A) + REPORT_PATHS[0], stage="store", error="OperationalError",
                 message="database is locked", run_id=run_id)
    finish_run(db, run_id, status="finished", stats={"downloader/response_count": 5, STORE_FAILED_UNRECORDED: 1})
    monitor = checked(db, run_id)
    assert failing(monitor) == {"pages stored": (
        f"2 page(s) fetched but not stored (the first: {base(A) + REPORT_PATHS[0]}: OperationalError: database is "
        "locked); 1 not in errors: the archive refused that write too (see the log); the next crawl tries them again")}
    assert exit_status(db["crawl_runs"].get(run_id)) == EXIT_CHECKS_FAILED
    assert checks_by_name(checked(db, night(db, reports={A: 3, B: 2})))["pages stored"] == \
        "no page failed to store"


def crawl_failing_on(env, portal, data, lost, *settings):
    """``nianbao crawl`` of the demo portal, a test-only pipeline (tests/failing_pipeline.py)
    failing on the page at ``lost``, if ``settings`` name one."""
    from conftest import TESTS
    from failing_pipeline import FAIL_TO_STORE

    return subprocess.run([sys.executable, "-m", "nianbao", "crawl", "--start-url", portal.start_url,
                           "--data", str(data), "--profile", "test", *settings],
                          env={**env, FAIL_TO_STORE: lost}, cwd=TESTS.parent,  # where `tests.failing_pipeline` is found
                          capture_output=True, text=True, timeout=240)


def test_a_page_a_pipeline_failed_on_is_an_error_that_fails_the_run_and_the_next_crawl_stores_it(
        guarded_env, tmp_path):
    """An exception escaping an item pipeline (here a test-only one raising 'database is
    locked' for one report page) is more than Scrapy's log line: an ``errors`` row against
    the page, the run's checks failing, exit 3. The other pages are stored; the next crawl
    stores the page."""
    from portal import DemoPortal

    lost, data = REPORT_PATHS[1], tmp_path / "data"
    failing = json.dumps({"tests.failing_pipeline.FailToStore": 200, "pipelines.reports.ReportPipeline": 300})
    with DemoPortal(build_site()) as portal:
        base_url = portal.base_url
        first = crawl_failing_on(guarded_env, portal, data, lost, "-s", f"ITEM_PIPELINES={failing}")
        second = crawl_failing_on(guarded_env, portal, data, lost)  # the pipeline fixed
    url = base_url + lost
    db = open_database(data / "nianbao.db")
    assert first.returncode == EXIT_CHECKS_FAILED, first.stderr[-3000:]
    (snapshot_id,) = db.execute("select id from snapshots where url = ? and run_id = 1", [url]).fetchone()
    assert db.execute("select url, stage, error, message, snapshot_id, run_id from errors").fetchall() == [
        (url, "store", "OperationalError", "database is locked", snapshot_id, 1)]
    assert sorted(db.execute("select r.url from reports r join snapshots s on s.id = r.snapshot_id "
                             "where s.run_id = 1").fetchall()) == sorted(
        (base_url + path,) for path in REPORT_PATHS if path != lost)
    assert "run checks:           FAILED (1 of 8)" in first.stdout
    assert (f"FAIL  pages stored: 1 page(s) fetched but not stored (the first: {url}: OperationalError: "
            "database is locked); the next crawl tries them again") in first.stdout
    assert f"  1 x store OperationalError, e.g. {url}: database is locked" in first.stdout
    assert "Error processing" in first.stderr  # Scrapy's own log line stays

    assert second.returncode == EXIT_OK, second.stdout + second.stderr[-3000:]
    assert "ok    pages stored: no page failed to store" in second.stdout
    assert sorted(r["url"] for r in db["reports"].rows) == sorted(base_url + path for path in REPORT_PATHS)


def test_pages_whose_parse_worker_died_are_parsed_again_alone_and_stored_in_the_same_run(guarded_env, tmp_path):
    """A crawl's parse worker that dies once (here stopped, then killed, as the page at ``lost``
    is handed to it) loses none of the pages it had: each is parsed again alone in a fresh
    worker and stored in that run; no error, the run passes."""
    from portal import DemoPortal

    lost, data = REPORT_PATHS[1], tmp_path / "data"
    killing = json.dumps({"tests.failing_pipeline.KillParseWorkers": 300})
    with DemoPortal(build_site()) as portal:
        base_url = portal.base_url
        first = crawl_failing_on(guarded_env, portal, data, lost, "-s", "NIANBAO_PARSE_WORKERS=1",
                                 "-s", f"ITEM_PIPELINES={killing}")
    db = open_database(data / "nianbao.db")
    assert first.returncode == EXIT_OK, first.stdout + first.stderr[-3000:]
    assert "A parse worker died; starting new workers" in first.stderr  # it did die
    assert "page(s) the dead parse worker had again, one at a time" in first.stderr
    assert db.execute("select count(*) from errors").fetchone() == (0,)
    assert sorted(r["url"] for r in db["reports"].rows) == sorted(base_url + path for path in REPORT_PATHS)


def test_a_page_that_kills_its_parse_worker_every_time_is_a_worker_died_error_not_tried_again(
        guarded_env, tmp_path):
    """A page that kills any worker parsing it (a crash in a parser library) takes down the
    pages in flight beside it: all are parsed again one at a time in a fresh worker. That
    page, dying again, gets a ``WorkerDied`` parse error; the others are stored in that same
    run. The next crawl does not parse it again (it would die again, night after night)."""
    from portal import DemoPortal

    deadly, data = REPORT_PATHS[1], tmp_path / "data"
    pipeline = json.dumps({"tests.failing_pipeline.DeadlyPage": 300})
    with DemoPortal(build_site()) as portal:
        base_url = portal.base_url
        runs = [crawl_failing_on(guarded_env, portal, data, deadly, "-s", "NIANBAO_PARSE_WORKERS=1",
                                 "-s", f"ITEM_PIPELINES={pipeline}") for _ in range(2)]
    url = base_url + deadly
    db = open_database(data / "nianbao.db")
    first, second = runs
    assert first.returncode == EXIT_OK, first.stdout + first.stderr[-3000:]  # a parse error, as any page's
    assert "A parse worker died; starting new workers" in first.stderr, first.stderr[-3000:]
    assert f"A parse worker died on {url}, also when it was parsed alone" in first.stderr
    (snapshot_id,) = db.execute("select id from snapshots where url = ? and run_id = 1", [url]).fetchone()
    assert db.execute("select url, stage, error, snapshot_id, run_id from errors").fetchall() == [
        (url, "parse", "WorkerDied", snapshot_id, 1)]
    assert sorted(url for (url,) in db.execute(
        "select r.url from reports r join snapshots s on s.id = r.snapshot_id where s.run_id = 1")) == sorted(
        base_url + path for path in REPORT_PATHS if path != deadly)
    assert "FAIL  pages stored" not in first.stdout  # stored: as a parse error, not lost

    assert second.returncode == EXIT_OK, second.stdout + second.stderr[-3000:]
    assert "A parse worker died" not in second.stderr  # not parsed again
    assert db.execute("select count(*) from errors where run_id = 2").fetchone() == (0,)
    assert db.execute("select count(*) from reports where url = ?", [url]).fetchone() == (0,)


def test_one_of_several_processes_on_a_shared_queue_does_not_judge_sites(db):
    from scrapy.settings import Settings

    checked(db, night(db, reports={A: 3, B: 2}))
    shared = Thresholds.from_settings(Settings({"REDIS_URL": "redis://127.0.0.1:6379/0"}))
    monitor = monitor_run(db, night(db, reports={A: 3}), SITES, shared)
    assert monitor.ok
    assert checks_by_name(monitor)["sites still yielding"] == "not judged: one of several processes on a shared queue"
    assert not monitor_run(db, 2, SITES, Thresholds.from_settings(Settings())).ok


def test_nianbao_runs_lists_the_nights_newest_first_with_their_checks(db, tmp_path):
    from click.testing import CliRunner

    from nianbao.cli import cli

    checked(db, night(db, reports={A: 3, B: 2}, errors=1))
    checked(db, night(db, reports={A: 3}, pages={B: 2}))
    night(db, reports={A: 1}, close=False)  # still running (or killed): no checks yet
    db.execute("update crawl_runs set started = '2026-11-20T01:30:00.000Z', finished = '2026-11-20T02:11:05.500Z' "
               "where id = 1")
    db.conn.commit()

    result = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    header, third, second, first = result.stdout.splitlines()
    assert header.split() == ["run", "started", "(UTC)", "took", "status", "pages", "reports", "skipped", "errors",
                              "blocked", "run", "checks"]
    assert third.split()[0] == "3" and f" running (pid {os.getpid()}) " in third and third.endswith(" -")
    assert second.split()[0] == "2" and second.endswith("FAILED: sites still yielding")
    assert first.split() == ["1", "2026-11-20", "01:30:00", "41m05s", "finished", "5", "5", "0", "1", "0", "ok"]

    assert CliRunner().invoke(cli, ["runs", "--data", str(tmp_path), "--last", "1"]).stdout.count("\n") == 2
    shown = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path), "2"]).stdout
    assert shown.splitlines()[1].split()[0] == "2"
    assert "FAIL  sites still yielding: 1 site(s) that yielded reports before yield none now: " \
           f"{B} (2 in run 1 of " in shown
    missing = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path), "9"])
    assert missing.exit_code == 1 and "no crawl run 9" in missing.stderr

    # A run killed outright stays `running` until the next crawl: its process is gone.
    gone = subprocess.Popen(["true"])
    gone.wait()  # reaped: its pid names no process
    db.execute("update crawl_runs set pid = ? where id = 3", [gone.pid])
    db.conn.commit()
    listed = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path), "--last", "1"]).stdout
    assert f" running (pid {gone.pid} gone: killed? the next crawl resumes it) " in listed


# Every outcome of `nianbao crawl` is told, not only a run that ended with its checks.

def test_a_crawl_that_finds_the_archive_held_tells_the_hooks(run_nianbao, tmp_path, webhook):
    from archive.run_lock import hold_archive

    url, received = webhook
    told = tmp_path / "told.txt"
    data = tmp_path / "data"
    data.mkdir()
    with hold_archive(data / "nianbao.db"):  # another crawl runs
        result = run_nianbao("crawl", "--start-url", "http://127.0.0.1:1/zfxxgknb/", "--data", data, "--profile",
                             "test", "--notify-on", "failure", "--notify-url", url,
                             "--notify-command", f"cat > {shlex.quote(str(told))}", check=False)
    assert result.returncode == EXIT_LOCKED, result.stderr[-3000:]
    error = result.stderr.splitlines()[-1]
    assert error.startswith(f"Error: another crawl is running on {data / 'nianbao.db'} (pid ")
    assert told.read_text(encoding="utf-8") == error + "\n"  # what the command said, on stdin
    (_, posted), = received
    assert {key: posted[key] for key in ("run_id", "ok", "status", "exit_status", "summary", "checks")} == {
        "run_id": None, "ok": False, "status": "locked", "exit_status": EXIT_LOCKED, "summary": error, "checks": []}
    assert posted["error"] == error.removeprefix("Error: ")
    assert posted["archive"] == str((data / "nianbao.db").resolve()) and posted["host"] == socket.gethostname()
    assert posted["started"] <= posted["finished"]


def test_a_crawl_that_cannot_open_its_archive_tells_the_hooks(run_nianbao, tmp_path, webhook):
    url, received = webhook
    (tmp_path / "nianbao.db").write_text("hello\n")
    result = run_nianbao("crawl", "--start-url", "http://127.0.0.1:1/zfxxgknb/", "--data", tmp_path, "--profile",
                         "test", "--notify-url", url, check=False)
    assert (result.returncode, result.stderr) == (1, f"Error: {tmp_path / 'nianbao.db'}: file is not a database\n")
    (_, posted), = received
    assert (posted["status"], posted["exit_status"], posted["error"]) == (
        "error", 1, f"{(tmp_path / 'nianbao.db').resolve()}: file is not a database")


def test_a_registry_the_crawl_cannot_start_from_tells_the_hooks(run_nianbao, tmp_path, webhook):
    url, received = webhook
    registry = tmp_path / "sites.yaml"
    registry.write_text("- name: demo\n  start_urls: [notaurl]\n", encoding="utf-8")
    result = run_nianbao("crawl", "--sites", registry, "--data", tmp_path / "data", "--profile", "test",
                         "--notify-on", "failure", "--notify-url", url, check=False)
    error = result.stderr.splitlines()[-1]
    assert result.returncode == 1 and error.startswith("Error: ") and "not an http(s) URL" in error
    (_, posted), = received
    assert (posted["status"], posted["exit_status"], posted["summary"]) == ("error", 1, error)


@pytest.mark.parametrize("environment, options, error", [
    ({"NIANBAO_MONITOR_ENABLED": "maybe"}, [], "environment variable NIANBAO_MONITOR_ENABLED='maybe'"),
    ({}, ["--profile", "nosuch"], "unknown settings profile 'nosuch'"),
], ids=["a mistyped value in the environment", "an unknown profile"])
def test_settings_the_crawl_cannot_read_tell_the_hooks(run_nianbao, tmp_path, webhook, guarded_env, monkeypatch,
                                                       environment, options, error):
    url, received = webhook
    for name, value in {**environment, "NIANBAO_NOTIFY_URL": url}.items():
        monkeypatch.setitem(guarded_env, name, value)
    result = run_nianbao("crawl", "--start-url", "http://127.0.0.1:1/zfxxgknb/", "--data", tmp_path / "data",
                         *options, check=False)
    line = result.stderr.splitlines()[-1]
    assert result.returncode == 1 and line.startswith("Error: ") and error in line, result.stderr[-2000:]
    (_, posted), = received
    assert (posted["status"], posted["exit_status"], posted["summary"]) == ("error", 1, line)


def test_a_hook_that_failed_shows_in_runs(run_nianbao, tmp_path):
    from click.testing import CliRunner

    from nianbao.cli import cli
    from portal import DemoPortal

    with DemoPortal() as portal:
        result = run_nianbao("crawl", "--start-url", portal.start_url, "--data", tmp_path, "--profile", "test",
                             "--notify-url", "http://127.0.0.1:1/hook", "--notify-command", "exit 7")
    assert "run checks:           OK" in result.stdout
    assert "WARNING: Notification failed: command 'exit 7' exited 7" in result.stderr
    listed = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path)]).stdout
    assert listed.splitlines()[1].endswith(" ok; NOTIFY FAILED")
    shown = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path), "1"]).stdout.splitlines()
    assert shown[-2] == "notification failed: command 'exit 7' exited 7"
    assert shown[-1].startswith("notification failed: POST http://127.0.0.1:1/hook: URLError")


# ---- the progress line ----------------------------------------------------------------


def test_the_progress_line_counts_pages_bytes_reports_skips_and_errors(tmp_path):
    """Pages and reports from the crawl's stats; skips and errors are the run's rows, as its
    summary counts them: a link met twice is one row, a row of another run is not counted."""
    from scrapy.utils.test import get_crawler

    from archive.records import record_error, record_skipped
    from crawler.crawl_archive import crawl_archive
    from crawler.progress import ProgressExtension
    from crawler.spiders.reports import ReportSpider

    crawler = get_crawler(ReportSpider, {"NIANBAO_DATA_DIR": str(tmp_path)})
    archive = crawl_archive(crawler)
    for url, run_id in [("http://a/1", archive.run_id), ("http://a/1", archive.run_id), ("http://a/2", archive.run_id),
                        ("http://a/3", archive.run_id), ("http://a/4", None)]:
        record_skipped(archive.db, url=url, title=None, reason="work plan (工作要点)", found_on=None, run_id=run_id)
    record_error(archive.db, url="http://a/5", stage="fetch", error="TimeoutError", message="", run_id=archive.run_id)
    record_error(archive.db, url="http://a/6", stage="spider", error="ValueError", message="", run_id=archive.run_id)
    for key, value in {"nianbao/snapshots_stored": 9, "nianbao/bytes_received": 1711, "nianbao/reports_parsed": 5}.items():
        crawler.stats.set_value(key, value)
    assert ProgressExtension(crawler, 10).line() == (
        "nianbao: 9 pages fetched (1.7 KiB), 5 reports parsed, 3 skipped, 2 errors")
    archive.close()


@pytest.mark.parametrize("count, shown", [
    (0, "0 bytes"), (711, "711 bytes"), (1711, "1.7 KiB"), (45_000, "43.9 KiB"), (3_400_000, "3.2 MiB"),
    (102_900_000, "98.1 MiB"), (5 * 1024 ** 3, "5.0 GiB"), (2000 * 1024 ** 3, "2,000 GiB"),
])
def test_sizes_read_as_a_person_reads_them(count, shown):
    from crawler.progress import size

    assert size(count) == shown
