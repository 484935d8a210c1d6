"""Incremental nightly runs: listing pages (but the column's first), report pages and
attachments asked for conditionally, unchanged bodies neither stored nor parsed again,
a changed report kept as a new version beside the old.

The crawls run the real CLI in a subprocess against the imitation portal on real HTTP.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive.payloads import payload_digest
from archive.records import mark_current_version, parsed_already, store_report
from archive.reparse import report_snapshot_ids, reparse
from archive.schema import open_database
from archive.snapshots import read_snapshot, store_not_modified, store_snapshot

CHANGED_SEED = "000_a7e6a703afb669e1"  # 城中区人民政府: applications new_received total is 47


def add_late_report(site) -> str:
    """A report published late, listed on the column's last page: a synthetic one."""
    from portal import pages
    from portal.site import Resource
    from portal.synthetic import SyntheticReport, synthetic_body

    report = SyntheticReport("城中区教育局", 2023, "000_a7e6a703afb669e1", factor=3)
    path = "/zwgk/zfxxgknb/202402/t20240226_100009.html"
    article = pages.Article(title=report.title, published="2024-02-26 09:00", source=report.agency,
                            docid=100009, url=path, hits=1)
    site.add(path, Resource(pages.article_page(article, synthetic_body(report), []).encode("utf-8"),
                            "text/html; charset=utf-8", "Mon, 26 Feb 2024 01:00:00 GMT", "report", report.title))
    last = "/zwgk/zfxxgknb/index_2.html"
    item = (f'<li><a href="./202402/t20240226_100009.html" title="{report.title}" target="_blank">'
            f'{report.title}</a><span>2024-02-26</span></li>\n</ul>').encode("utf-8")
    site.replace(last, site[last].body.replace(b"\n</ul>", item, 1))
    return path


def crawl_once(run_nianbao, portal, data):
    portal.clear_sent()
    result = run_nianbao("crawl", "--start-url", portal.start_url, "--data", data, "--profile", "test")
    return result.stdout, portal.sent


def body_bytes(sent) -> int:
    return sum(len(s.body) for s in sent)


def report_rows(db):
    return [dict(r) for r in db.execute("select * from reports order by id")]


@pytest.fixture(scope="module")
def nights(tmp_path_factory, run_nianbao):
    """Three nightly runs into one archive: first, unchanged, then one report corrected
    and a late report added to the column's last listing page."""
    from portal import DemoPortal
    from portal.site import build_site

    # The default demo: three items a listing page, so its three listing pages weigh
    # more against its reports than a real column's do.
    site = build_site()
    data = tmp_path_factory.mktemp("nights")
    db_path = data / "nianbao.db"
    with DemoPortal(site) as portal:
        out1, sent1 = crawl_once(run_nianbao, portal, data)
        with sqlite3.connect(db_path) as db:
            db.row_factory = sqlite3.Row
            after_first = report_rows(db)
        out2, sent2 = crawl_once(run_nianbao, portal, data)
        with sqlite3.connect(db_path) as db:
            db.row_factory = sqlite3.Row
            after_second = report_rows(db)
        changed_path = site.report_path(CHANGED_SEED)
        old_body = site[changed_path].body
        assert old_body.count(b">47<") == 1
        portal.replace(changed_path, old_body.replace(b">47<", b">48<"))
        added_path = add_late_report(site)
        out3, sent3 = crawl_once(run_nianbao, portal, data)
        changed_url, added_url = portal.url(changed_path), portal.url(added_path)
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    yield {
        "db": db, "data": data, "sent": (sent1, sent2, sent3), "out": (out1, out2, out3),
        "after_first": after_first, "after_second": after_second, "changed_url": changed_url,
        "added_url": added_url,
    }
    db.close()


def test_second_run_downloads_under_a_tenth_of_the_first(nights):
    first, second, _ = nights["sent"]
    assert body_bytes(second) < 0.10 * body_bytes(first), (body_bytes(first), body_bytes(second))
    # What is still sent: robots.txt and the column's first page; every other answer is a 304.
    assert {s.path for s in second if s.body} == {"/robots.txt", "/zwgk/zfxxgknb/index.html"}
    assert body_bytes(second) < 0.05 * body_bytes(first)  # 3.8 % when this was written


def test_second_run_creates_no_report_rows(nights):
    assert nights["after_second"] == nights["after_first"]
    assert len(nights["after_first"]) == 5
    assert "reports found:        5 (0 new, 0 new versions)" in nights["out"][1]


def test_report_pages_are_asked_conditionally_and_304s_archived_as_revisits(nights):
    db = nights["db"]
    revisits = db.execute(
        "select s.*, o.payload_digest as original_digest, o.status as original_status from snapshots s "
        "join snapshots o on o.id = s.revisit_of where s.run_id = 2 and s.kind = 'report'"
    ).fetchall()
    assert len(revisits) == 5
    for snap in revisits:
        assert snap["status"] == 304 and snap["revisit_profile"] == "server-not-modified"
        assert snap["payload_digest"] == snap["original_digest"] and snap["original_status"] == 200
        sent_headers = {k.lower() for k, _ in json.loads(snap["request_headers"])}
        assert {"if-none-match", "if-modified-since"} <= sent_headers
    # No new payloads: every body of run 2 was already stored.
    new_payloads = db.execute(
        "select count(*) from snapshots s where s.run_id = 2 and not exists "
        "(select 1 from snapshots o where o.run_id = 1 and o.payload_digest = s.payload_digest)"
    ).fetchone()[0]
    assert new_payloads == 0


def test_first_listing_page_is_refetched_and_later_ones_walked_from_the_archive(nights):
    _, second, _ = nights["sent"]
    listings = {s.path: s.status for s in second if "/zwgk/zfxxgknb/index" in s.path}
    assert listings == {"/zwgk/zfxxgknb/index.html": 200, "/zwgk/zfxxgknb/index_1.html": 304,
                        "/zwgk/zfxxgknb/index_2.html": 304}
    db = nights["db"]
    for url, headers, status in db.execute(
            "select url, request_headers, status from snapshots where kind = 'listing' and run_id = 2"):
        conditional = "if-none-match" in {k.lower() for k, _ in json.loads(headers)}
        assert conditional == (not url.endswith("/index.html")) and status == (304 if conditional else 200)
    # The reports listed on the pages that answered 304 were still asked for (conditionally).
    reports = db.execute("select count(*) from snapshots where kind = 'report' and run_id = 2").fetchone()[0]
    assert reports == 5


def test_a_changed_report_is_a_new_version_beside_the_old(nights):
    db = nights["db"]
    url = nights["changed_url"]
    versions = [dict(r) for r in db.execute("select * from reports where url = ? order by version", [url])]
    assert [(v["version"], v["is_current"]) for v in versions] == [(1, 0), (2, 1)]
    assert versions[0]["payload_digest"] != versions[1]["payload_digest"]

    def new_received_total(report_id):
        return db.execute(
            "select value from cells where report_id = ? and table_name = 'applications' "
            "and row_key = 'new_received' and column_key = 'total'", [report_id]
        ).fetchone()[0]

    assert new_received_total(versions[0]["id"]) == 47  # the old version keeps its numbers
    assert new_received_total(versions[1]["id"]) == 48
    # Exactly that report: every other report is the same row as after the first night.
    others = [r for r in report_rows(db) if r["url"] not in (url, nights["added_url"])]
    assert others == [r for r in nights["after_first"] if r["url"] != url]
    assert "reports found:        6 (1 new, 1 new versions)" in nights["out"][2]


def test_a_report_added_behind_unchanged_listing_pages_is_found(nights):
    # Page 2 answered 304 and was walked from the archive; page 3 changed and answered 200.
    third = {s.path: s.status for s in nights["sent"][2] if "/zwgk/zfxxgknb/index" in s.path}
    assert third == {"/zwgk/zfxxgknb/index.html": 200, "/zwgk/zfxxgknb/index_1.html": 304,
                     "/zwgk/zfxxgknb/index_2.html": 200}
    (added,) = [dict(r) for r in nights["db"].execute("select * from reports where url = ?", [nights["added_url"]])]
    assert (added["version"], added["is_current"], added["year"]) == (1, 1, 2023)


def test_views_count_current_versions_only(nights):
    db = nights["db"]
    (n,) = db.execute("select count(*) from applications where row_key = 'new_received'").fetchone()
    with_tables = db.execute("select count(*) from reports where is_current = 1 and has_tables = 1").fetchone()[0]
    assert n == with_tables == 5
    (total,) = db.execute(
        "select total from applications a join reports r on r.id = a.report_id "
        "where r.url = ? and a.row_key = 'new_received'", [nights["changed_url"]]
    ).fetchone()
    assert total == 48
    assert db.execute("select count(*) from current_reports").fetchone()[0] == 6


def test_start_urls_without_a_registry_tie_reports_to_no_site(nights):
    db = nights["db"]
    assert db.execute("select count(*) from sites").fetchone()[0] == 0
    assert db.execute("select count(*) from reports where site_id is not null").fetchone()[0] == 0


def test_reparse_keeps_every_version(nights, run_nianbao):
    before = {(r["url"], r["version"], r["is_current"], r["payload_digest"]) for r in report_rows(nights["db"])}
    result = run_nianbao("reparse", "--data", nights["data"], "--force")
    assert "Reparsed 7 report pages: 7 stored, 0 failed" in result.stdout
    after = {(r["url"], r["version"], r["is_current"], r["payload_digest"]) for r in report_rows(nights["db"])}
    assert after == before


# The archive functions underneath, without a crawl.

URL = "http://127.0.0.1:1/t1.html"


def fetch(db, body, status=200, url=URL, headers=(("ETag", '"a"'),), run_id=None):
    return store_snapshot(db, url=url, method="GET", request_headers=[], status=status,
                          response_headers=[list(h) for h in headers], body=body, kind="report", run_id=run_id)


def test_a_200_with_the_stored_body_is_a_revisit_without_validators(tmp_path):
    db = open_database(tmp_path / "n.db")
    first = fetch(db, b"<p>A</p>", headers=())
    again = fetch(db, b"<p>A</p>", headers=())
    other_url = fetch(db, b"<p>A</p>", url=URL + "?x", headers=())
    snap = read_snapshot(db, again)
    assert (snap.revisit_of, snap.revisit_profile) == (first, "identical-payload-digest")
    assert read_snapshot(db, other_url).revisit_of is None  # same bytes at another URL: not a revisit
    assert db["payloads"].count == 1


def test_a_304_points_at_the_payload_already_stored(tmp_path):
    db = open_database(tmp_path / "n.db")
    first = store_snapshot(db, url=URL, method="GET", request_headers=[], status=200, body=b"\x1f\x8bgz",
                           response_headers=[["Content-Type", "text/html"], ["Content-Encoding", "gzip"]])
    revisit = store_not_modified(db, revisit_of=first, url=URL, method="GET", status=304,
                                 request_headers=[["If-None-Match", '"a"']], response_headers=[["ETag", '"a"']])
    snap = read_snapshot(db, revisit)
    assert snap.status == 304 and snap.revisit_of == first and snap.revisit_profile == "server-not-modified"
    assert snap.body == b"\x1f\x8bgz" and snap.payload_digest == payload_digest(b"\x1f\x8bgz")
    assert snap.content_encoding == "gzip"  # describes the payload it points at
    assert snap.response_headers == [["ETag", '"a"']]  # the headers this exchange received


def test_an_unchanged_page_costs_its_fetch_and_nothing_more(tmp_path):
    """Most of a nightly run: the page came back with the body already parsed. Its
    fetch is stored; the reports, logical reports and wide tables are left untouched."""
    db = open_database(tmp_path / "n.db")
    report = {"title": "t", "agency": "某某县人民政府", "year": 2024, "layout": "2021",
              "applications": {}, "cells": [{"table": "applications", "row": "new_received",
                                             "column": "total", "value": 3, "kind": "number"}]}
    store_report(db, url=URL, snapshot_id=fetch(db, b"A"), report=report, parser_version="t")
    again = fetch(db, b"A")
    assert parsed_already(db, again)
    before = db.conn.total_changes
    mark_current_version(db, URL)
    assert db.conn.total_changes == before
    assert [(r["is_current"], r["version"]) for r in db.query("select * from reports")] == [(1, 1)]
    assert [r["total"] for r in db.query("select total from applications")] == [3.0]


def test_versions_follow_the_newest_fetch(tmp_path):
    db = open_database(tmp_path / "n.db")

    def parse(snapshot_id):
        if parsed_already(db, snapshot_id):
            mark_current_version(db, URL)
        else:
            store_report(db, url=URL, snapshot_id=snapshot_id, report={"title": str(snapshot_id)},
                         parser_version="t")
        return [(r["version"], r["is_current"]) for r in db.query("select * from reports order by version")]

    assert parse(fetch(db, b"A")) == [(1, 1)]
    assert parse(fetch(db, b"A")) == [(1, 1)]
    assert parse(fetch(db, b"B")) == [(1, 0), (2, 1)]
    assert parse(fetch(db, b"A")) == [(1, 1), (2, 0)]  # the site went back to the first body
    assert len(report_snapshot_ids(db)) == 2
    assert reparse(db, force=True).outcomes == {"error": 2}  # b"A" is no report: parse errors
    assert [(r["version"], r["is_current"]) for r in db.query("select * from reports order by version")] == [
        (1, 1), (2, 0)]


def test_a_body_that_reads_as_the_last_version_is_tied_to_it(tmp_path):
    """New bytes, same content (a hit counter): no new version, the body is tied to the version
    it reads as (archive/report_content.py). Parsed again reading the same, it stays tied;
    reading otherwise (by the parser that read its version), it becomes a version of its own."""
    db = open_database(tmp_path / "n.db")
    report = {"title": "t", "agency": "某某县人民政府", "year": 2024, "layout": "2021",
              "applications": {}, "cells": [{"table": "applications", "row": "new_received",
                                             "column": "total", "value": 3, "kind": "number"}]}

    def versions():
        return [(r["version"], r["is_current"]) for r in db.query("select * from reports order by version")]

    def tied():
        return [(r["payload_digest"], r["report_id"]) for r in db.query("select * from version_bodies")]

    first = store_report(db, url=URL, snapshot_id=fetch(db, b"A, 1 visit"), report=report, parser_version="t")
    counter_moved = fetch(db, b"A, 2 visits")
    assert not parsed_already(db, counter_moved)
    assert store_report(db, url=URL, snapshot_id=counter_moved, report=report, parser_version="t") == first
    assert parsed_already(db, counter_moved)
    assert versions() == [(1, 1)] and tied() == [(payload_digest(b"A, 2 visits"), first)]
    cells = db.execute("select * from cells").fetchall()
    assert store_report(db, url=URL, snapshot_id=counter_moved, report=report, parser_version="t") == first
    assert versions() == [(1, 1)] and len(tied()) == 1 and db.execute("select * from cells").fetchall() == cells

    read_otherwise = dict(report, title="t, read better")
    second = store_report(db, url=URL, snapshot_id=counter_moved, report=read_otherwise, parser_version="t")
    assert second != first and versions() == [(1, 0), (2, 1)] and tied() == []
    # A new body is compared with the version the last fetch brought, not with every version.
    store_report(db, url=URL, snapshot_id=fetch(db, b"A, 3 visits"), report=report, parser_version="t")
    assert versions() == [(1, 0), (2, 0), (3, 1)]


def test_a_tied_body_read_before_its_version_by_a_new_parser_stays_to_be_compared(tmp_path):
    """A reparse by a new parser that reaches a tied body before its version (ids in a merged
    archive say nothing about order) has nothing to compare it with: the tie stays, still to
    be read by that parser, and once the version has been read, the body is compared with it."""
    from archive.reparse_select import Selection, count_versions

    db = open_database(tmp_path / "n.db")
    report = {"title": "t", "agency": "某某县人民政府", "year": 2024}
    version_snapshot, body_snapshot = fetch(db, b"A, 1 visit"), fetch(db, b"A, 2 visits")
    first = store_report(db, url=URL, snapshot_id=version_snapshot, report=report, parser_version="old")
    assert store_report(db, url=URL, snapshot_id=body_snapshot, report=report, parser_version="old") == first

    read_better = dict(report, title="t, read better")
    assert store_report(db, url=URL, snapshot_id=body_snapshot, report=read_better, parser_version="new") == first
    assert count_versions(db, Selection("new")) == 2  # the version, and the body still to compare with it
    store_report(db, url=URL, snapshot_id=version_snapshot, report=report, parser_version="new")
    assert count_versions(db, Selection("new")) == 1
    second = store_report(db, url=URL, snapshot_id=body_snapshot, report=read_better, parser_version="new")
    assert second != first and db.execute("select count(*) from version_bodies").fetchone() == (0,)
    assert count_versions(db, Selection("new")) == 0


def test_a_merge_leaves_no_body_both_a_version_and_tied_to_another(tmp_path):
    """Archive A tied body B2 to its version of body B1 (a hit counter moved); archive B first
    saw the URL with B2, so there B2 is a version. Merged, in either order, B2 is a version
    (reports are kept as they are) and no longer tied: its fetches count for it alone."""
    from archive.merge import merge_databases
    from archive.records import version_fetches

    report = {"title": "t", "agency": "某某县人民政府", "year": 2024}
    a = open_database(tmp_path / "a.db")
    first = store_report(a, url=URL, snapshot_id=fetch(a, b"B1"), report=report, parser_version="t")
    assert store_report(a, url=URL, snapshot_id=fetch(a, b"B2"), report=report, parser_version="t") == first
    a.close()
    b = open_database(tmp_path / "b.db")
    store_report(b, url=URL, snapshot_id=fetch(b, b"B2"), report=report, parser_version="t")
    b.close()
    for order in ([tmp_path / "a.db", tmp_path / "b.db"], [tmp_path / "b.db", tmp_path / "a.db"]):
        out = tmp_path / f"out-{order[0].stem}.db"
        merge_databases(out, order)
        db = open_database(out)
        versions = {r["payload_digest"]: (r["version"], r["is_current"])
                    for r in db.query("select * from reports")}
        assert versions == {payload_digest(b"B1"): (1, 0), payload_digest(b"B2"): (2, 1)}
        assert db.execute("select count(*) from version_bodies").fetchone() == (0,)
        fetches = {db.execute("select payload_digest from reports where id = ?", [v[0]]).fetchone()[0]: v[3]
                   for v in version_fetches(db, URL)}
        b1_snapshot = db.execute("select max(id) from snapshots where payload_digest = ?",
                                 [payload_digest(b"B1")]).fetchone()[0]
        assert fetches[payload_digest(b"B1")] == b1_snapshot  # B2's fetches are not B1's version's
        db.close()


def test_a_merge_renumbers_only_the_withdrawn_urls_its_input_brings(tmp_path):
    """A URL withdrawn in the output is renumbered (its versions' current one decided again)
    by a merge whose input brings its withdrawal, not by every merge after."""
    from archive.merge import merge_databases
    from archive.records import record_skipped
    from archive.runs import start_run
    from crawler.middlewares.withdrawn import GONE

    a = open_database(tmp_path / "a.db")
    store_report(a, url=URL, snapshot_id=fetch(a, b"A", run_id=start_run(a, "t")), report={"title": "t"},
                 parser_version="t")
    record_skipped(a, url=URL, title="t", reason=GONE, found_on=None, run_id=start_run(a, "t"))
    a.close()
    other = URL + "?other"
    c = open_database(tmp_path / "c.db")
    store_report(c, url=other, snapshot_id=fetch(c, b"C", url=other, run_id=start_run(c, "t")),
                 report={"title": "c"}, parser_version="t")
    c.close()

    out = tmp_path / "out.db"
    merge_databases(out, [tmp_path / "a.db"])
    with sqlite3.connect(out) as db:
        assert db.execute("select is_current from reports where url = ?", [URL]).fetchall() == [(0,)]
        db.execute("create table renumbered (url text)")
        db.execute("create trigger log_renumbered after update of version, is_current on reports "
                   "begin insert into renumbered values (new.url); end")
    merge_databases(out, [tmp_path / "c.db", tmp_path / "a.db"])
    with sqlite3.connect(out) as db:
        assert {u for (u,) in db.execute("select url from renumbered")} == {other}
        assert dict(db.execute("select url, is_current from reports")) == {URL: 0, other: 1}


def test_a_recheck_interval_leaves_recently_asked_reports_unasked(tmp_path, run_nianbao):
    """`--recheck-after DAYS`: a report page whose server was asked less than DAYS ago is
    taken from the archive without a request; the run still counts it, its checks pass, and
    `not_asked` lists it. Once the last answer is older, the page is asked for again."""
    from portal import DemoPortal
    from portal.site import build_site

    site = build_site()
    reports = set(site.paths("report"))
    with DemoPortal(site) as portal:
        crawl_once(run_nianbao, portal, tmp_path)

        portal.clear_sent()
        out = run_nianbao("crawl", "--start-url", portal.start_url, "--data", tmp_path, "--profile", "test",
                          "--recheck-after", "7").stdout
        asked = {s.path for s in portal.sent}
        assert asked and not asked & reports  # the listings, robots.txt: no report page
        assert "reports found:        5 (0 new, 0 new versions)" in out
        assert "not asked:            5 (asked within the recheck interval; archived answer used)" in out
        assert "FAIL" not in out  # sites still yielding, archive growing: the unasked pages count
        with sqlite3.connect(tmp_path / "nianbao.db") as db:
            assert db.execute("select count(*), count(distinct url) from not_asked where run_id = 2 "
                              "and kind = 'report'").fetchone() == (5, 5)
            assert db.execute("select count(*) from snapshots where run_id = 2 and kind = 'report'"
                              ).fetchone() == (0,)
            # A week later, the same interval asks for them again (conditionally: 304s).
            db.execute("update snapshots set fetched_at = '2020-01-01T00:00:00.000Z'")

        portal.clear_sent()
        out = run_nianbao("crawl", "--start-url", portal.start_url, "--data", tmp_path, "--profile", "test",
                          "--recheck-after", "7").stdout
        assert {s.path for s in portal.sent if s.status == 304} >= reports
        assert "not asked" not in out and "reports found:        5 (0 new, 0 new versions)" in out


def test_a_damaged_archived_body_is_asked_for_again_in_full_and_put_right(tmp_path, run_nianbao):
    """A 304 for a page whose archived body is damaged is not answered from the archive: the
    page is asked for again without validators, and the intact body puts the stored copy right."""
    from portal import DemoPortal

    with DemoPortal() as portal:
        crawl_once(run_nianbao, portal, tmp_path)
        with sqlite3.connect(tmp_path / "nianbao.db") as db:
            digest, url = db.execute("select s.payload_digest, s.url from reports r join snapshots s "
                                     "on s.id = r.snapshot_id order by r.id limit 1").fetchone()
            db.execute("update payloads set data = x'00', codec = 'identity', dict_id = null where digest = ?",
                       [digest])
        damaged = run_nianbao("verify", "--data", tmp_path, check=False)
        assert damaged.returncode == 1 and f"payloads {digest}" in damaged.stdout
        portal.clear_sent()
        night = run_nianbao("crawl", "--start-url", portal.start_url, "--data", tmp_path, "--profile", "test")
        path = url.split(portal.start_url.split("/zwgk/")[0], 1)[1]
        answers = [(s.status, {name.lower() for name, _ in s.request_headers}) for s in portal.sent if s.path == path]
    assert "asking for" in night.stderr and "again in full" in night.stderr
    assert [status for status, _ in answers] == [304, 200]  # asked as usual, then in full
    assert "if-none-match" in answers[0][1] and not {"if-none-match", "if-modified-since"} & answers[1][1]
    assert run_nianbao("verify", "--data", tmp_path).returncode == 0
    assert run_nianbao("export-warc", "--data", tmp_path).returncode == 0
