"""Hostile hosts crawled for real: script challenges and refusals block a host for the run
with the answer archived as evidence, robots.txt is obeyed, 繁體 mirrors are never asked
for, a withdrawn report is recorded as such, oversize files end as errors that say so.

One crawl (the real spider, in a subprocess, ``test`` profile) of the hosts of
``portal.hostile``, each on its own loopback address; then the archive and the servers'
request logs are compared."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import get_test_file, run_crawl_subprocess

LIMIT = 1_000_000  # DOWNLOAD_MAXSIZE for the crawl; the hostile PDFs are 1.5 MB


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, guarded_env):
    from portal.hostile import ADDRESSES, start_hostile_sites

    tmp = tmp_path_factory.mktemp("hostile")
    portals, entries = start_hostile_sites(tmp)
    bases = {name: portal.base_url for name, portal in portals.items()}
    try:
        overrides = {
            "DOWNLOAD_MAXSIZE": LIMIT,
            "RETRY_TIMES": 2,  # the rate-limited host answers 429 twice, then 200
            # One request at a time to the refusing host, so "nothing after the block" is exact.
            "DOWNLOAD_SLOTS": {ADDRESSES["refusing"]: {"concurrency": 1}},
        }
        run_crawl_subprocess(guarded_env, entries, tmp / "data", "test", overrides)
    finally:
        for portal in portals.values():
            portal.stop()
    db = sqlite3.connect(tmp / "data" / "nianbao.db")
    db.row_factory = sqlite3.Row
    yield {"db": db, "portals": portals, "bases": bases, "entries": entries, "tmp": tmp}
    db.close()


def rows(db, sql, *params):
    return [dict(r) for r in db.execute(sql, params)]


def sent(crawl, name):
    return crawl["portals"][name].sent


def base(crawl, name):
    return crawl["bases"][name]


def block_of(crawl, name):
    host = base(crawl, name).split("//")[1].split(":")[0]
    found = rows(crawl["db"], "select * from blocks where host = ?", host)
    assert len(found) == 1, found
    return found[0]


def snapshot_body(db, snapshot_id):
    from archive.snapshots import read_snapshot
    from parsers import decode_http_body

    snapshot = read_snapshot(db, snapshot_id)
    return snapshot, decode_http_body(snapshot.body, snapshot.content_encoding)


# -- script challenges and refusals ----------------------------------------------------------

@pytest.mark.parametrize("name, status, marker", [
    ("challenge-412", 412, b"$_ts=window['$_ts']"),
    ("challenge-521", 521, b"document.cookie=('_')+('_')+('j')"),
    ("challenge-200", 200, b"$_ts=window['$_ts']"),
])
def test_script_challenge_blocks_the_host_with_the_answer_as_evidence(crawl, name, status, marker):
    block = block_of(crawl, name)
    assert block["site"] == f"{name} site"
    assert block["status"] == status and "challenge" in block["reason"]
    snapshot, body = snapshot_body(crawl["db"], block["snapshot_id"])
    assert snapshot.status == status and marker in body
    # The challenge was never answered: no second request, no cookie sent back.
    answers = [s for s in sent(crawl, name) if marker in s.body]
    assert len(answers) == 1 and answers[0].status == status
    assert sent(crawl, name)[-1] == answers[0]
    assert not any(k.lower() == "cookie" for s in sent(crawl, name) for k, _ in s.request_headers)


def test_412_challenge_on_robots_txt_blocks_before_any_page(crawl):
    assert [(s.path, s.status) for s in sent(crawl, "challenge-412")] == [("/robots.txt", 412)]
    block = block_of(crawl, "challenge-412")
    assert "cookie NfBCSins2OywS" in block["reason"]
    skipped = rows(crawl["db"], "select * from skipped where url like ?", base(crawl, "challenge-412") + "%")
    assert [s["reason"] for s in skipped] == ["host blocked for this run: " + block["reason"]]


def test_repeated_refusals_block_the_host_and_nothing_is_sent_after(crawl):
    block = block_of(crawl, "refusing")
    assert block["reason"] == "HTTP 403: 3 refusals in a row"
    log = sent(crawl, "refusing")
    refusals = [i for i, s in enumerate(log) if s.status == 403]
    assert len(refusals) == 3
    assert refusals[-1] == len(log) - 1  # the third refusal is the host's last answer
    blocked = rows(crawl["db"], "select * from skipped where reason like 'host blocked%' and url like ?",
                   base(crawl, "refusing") + "%")
    # Five reports listed: two refused (errors), the third refusal decided the block, two
    # were never asked for.
    requested = {base(crawl, "refusing") + s.path for s in log}
    assert len(blocked) == 3
    assert [b["url"] in requested for b in blocked].count(True) == 1
    assert block["url"] in requested
    errors = rows(crawl["db"], "select * from errors where url like ?", base(crawl, "refusing") + "%")
    assert [e["message"] for e in errors] == ["HTTP 403", "HTTP 403"]


def test_blocks_are_counted_in_the_run(crawl):
    (run,) = rows(crawl["db"], "select * from crawl_runs")
    assert run["blocked"] == 4 and run["status"] == "finished"


def test_drops_are_skips_not_errors(crawl):
    errors = rows(crawl["db"], "select * from errors")
    assert not [e for e in errors if e["error"] in ("HostBlocked", "MirrorNotCrawled", "WithdrawnDocument",
                                                     "DisallowedByRobots", "IgnoreRequest")]
    assert {e["error"] for e in errors} == {"HttpError", "DownloadTooLarge"}


# -- rate limits --------------------------------------------------------------------------

def test_rate_limited_host_is_retried_after_its_wait_not_blocked(crawl):
    log = sent(crawl, "rate-limited")
    assert [s.status for s in log if s.path == "/zwgk/zfxxgknb/index.html"] == [429, 429, 200]
    for answer, following in zip(log, log[1:]):
        if answer.status == 429:
            assert following.received_at - answer.sent_at >= 0.95  # Retry-After: 1
    assert not rows(crawl["db"], "select * from blocks where url like ?", base(crawl, "rate-limited") + "%")
    reports = rows(crawl["db"], "select * from reports where url like ?", base(crawl, "rate-limited") + "%")
    assert len(reports) == 5


# -- robots.txt -----------------------------------------------------------------------------

def test_robots_disallowed_column_is_not_requested_and_is_recorded(crawl):
    assert [s.path for s in sent(crawl, "robots-disallow")] == ["/robots.txt"]
    (skip,) = rows(crawl["db"], "select * from skipped where url like ?", base(crawl, "robots-disallow") + "%")
    assert skip["reason"] == "disallowed by robots.txt"


# -- the hostile column: mirrors, withdrawn, images, oversize ----------------------------------

def test_big5_mirrors_are_never_requested(crawl):
    site = crawl["portals"]["hostile-column"].site
    assert not [s for p in crawl["portals"].values() for s in p.sent if "big5" in s.path.lower()]
    skipped = {s["url"]: s["reason"] for s in rows(crawl["db"], "select * from skipped")}
    assert skipped[base(crawl, "hostile-column") + site.extra["gate"]] == "big5 mirror (/gate/big5/ path): not crawled"
    assert site.extra["big5_host"] in skipped  # another host: not followed, or dropped as a mirror
    assert not rows(crawl["db"], "select * from snapshots where url like '%big5%'")


def test_withdrawn_report_is_recorded_not_parsed(crawl):
    site = crawl["portals"]["hostile-column"].site
    url = base(crawl, "hostile-column") + site.extra["withdrawn"]
    (skip,) = rows(crawl["db"], "select * from skipped where url = ?", url)
    assert skip["reason"] == "withdrawn: redirects to its column"
    assert skip["title"] == "示范区人民政府2023年政府信息公开工作年度报告"
    assert not rows(crawl["db"], "select * from reports where url = ?", url)
    (redirect,) = rows(crawl["db"], "select * from snapshots where url = ?", url)
    assert redirect["status"] == 302  # the evidence stays archived
    column_fetches = [s for s in sent(crawl, "hostile-column") if s.path.startswith("/zwgk/zfxxgknb/index")]
    assert len(column_fetches) == 1  # the column was not fetched again as the "report"


def test_report_with_tables_as_images_is_parsed_and_says_so(crawl):
    site = crawl["portals"]["hostile-column"].site
    (report,) = rows(crawl["db"], "select * from reports where url = ?", base(crawl, "hostile-column") + site.extra["images"])
    kinds = [p["kind"] for p in rows(crawl["db"], "select * from problems where report_id = ?", report["id"])]
    assert kinds.count("tables_as_images") == 3
    assert report["has_tables"] == 0


def test_oversize_downloads_end_as_errors_saying_so(crawl):
    site = crawl["portals"]["hostile-column"].site
    urls = {base(crawl, "hostile-column") + site.extra[k] for k in ("pdf_only", "attachment")}
    errors = rows(crawl["db"], "select * from errors where error = 'DownloadTooLarge'")
    assert {e["url"] for e in errors} == urls
    for error in errors:
        assert error["stage"] == "fetch"
        assert error["message"] == f"over the size limit: announced 1,500,000 bytes, DOWNLOAD_MAXSIZE is {LIMIT:,}"
    assert not rows(crawl["db"], "select * from payloads where size > ?", LIMIT)


def test_normal_report_next_to_the_hostile_ones_is_found(crawl):
    site = crawl["portals"]["hostile-column"].site
    (report,) = rows(crawl["db"], "select * from reports where url = ?", base(crawl, "hostile-column") + site.extra["report"])
    assert report["year"] == 2024 and report["has_tables"] == 1


# -- the pieces alone -------------------------------------------------------------------------

def test_recognise_challenge():
    from crawler.middlewares.challenges import recognise_challenge
    from portal import build_site
    from portal.hostile import JSL_PAGE, RUISHU_PAGE

    real = get_test_file("hostile", "ruishu_412_challenge_skeleton.html").read_bytes()
    assert "$_ts script" in recognise_challenge(412, real)
    assert "$_ts script" in recognise_challenge(200, RUISHU_PAGE)
    assert "cookie NfBCSins2OywS" in recognise_challenge(202, b"<meta content='x' r='m'>", ["NfBCSins2OywS=60a; path=/"])
    assert "521" in recognise_challenge(521, JSL_PAGE)
    assert recognise_challenge(200, b"<script>var __jsl_clearance_s='1';</script>")
    # Ordinary pages, and a cookie ending in S on a normal 200, are not challenges.
    for page in build_site().values():
        assert recognise_challenge(200, page.body) is None
    assert recognise_challenge(200, b"<html><body>$_ts is a variable name</body></html>", ["JSESSIONIDS=1"]) is None
    assert recognise_challenge(404, b"<html><script>x()</script></html>") is None


def test_is_column_of():
    from crawler.middlewares.withdrawn import is_column_of

    report = "http://a.gov.cn/zwgk/zfxxgknb/202402/t20240205_3.html"
    listing = "http://a.gov.cn/zwgk/zfxxgknb/index_2.html"
    assert is_column_of("http://a.gov.cn/zwgk/zfxxgknb/", report, listing)
    assert is_column_of("http://a.gov.cn/zwgk/zfxxgknb/index.html", report, None)
    assert is_column_of("http://a.gov.cn/zwgk/zfxxgknb/index_2.html#top", report, listing)
    assert is_column_of("http://a.gov.cn/col/col123/index.html", "http://a.gov.cn/art/2022/1/20/art_123_456.html")
    assert not is_column_of("http://a.gov.cn/col/col9/index.html", "http://a.gov.cn/art/2022/1/20/art_123_456.html")
    assert not is_column_of("http://a.gov.cn/", report, listing)  # the home page
    assert not is_column_of("https://a.gov.cn/zwgk/zfxxgknb/202402/t20240205_3.html", report, listing)
    assert not is_column_of("http://a.gov.cn/zwgk/zfxxgknb/202402/t20240205_4.html", report, listing)
    assert not is_column_of("http://b.gov.cn/zwgk/zfxxgknb/", report, None)


def test_mirror_reason():
    from crawler.middlewares.mirrors import mirror_reason

    assert mirror_reason("http://big5.www.gov.cn/gate/big5/www.gov.cn/zhengce/index.htm")
    assert mirror_reason("http://www.a.gov.cn/gate/big5/www.a.gov.cn/zwgk/t1.html")
    assert mirror_reason("http://BIG5.a.gov.cn/zwgk/")
    assert mirror_reason("http://www.a.gov.cn/zwgk/big5/t1.html") is None
    assert mirror_reason("http://www.big5gate.cn/gate/") is None
