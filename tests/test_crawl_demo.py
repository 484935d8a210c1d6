"""The demo portal crawled end to end: a real HTTP server, the real spider (in a
subprocess, through the `nianbao crawl` command), the real SQLite archive."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

import pytest

from archive.payloads import read_payload
from conftest import get_test_file
from nianbao import EXIT_CHECKS_FAILED

SEED_AGENCIES = {"城中区人民政府", "吴川市人民政府办公室", "湛河区轻工路街道办事处", "合作市", "江夏区"}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, run_nianbao):
    """The demo portal, crawled twice into one archive (a second nightly run)."""
    from portal import DemoPortal

    data = tmp_path_factory.mktemp("crawl")
    with DemoPortal() as portal:
        first = run_nianbao("crawl", "--start-url", portal.start_url, "--data", data, "--profile", "test")
        db = sqlite3.connect(data / "nianbao.db")
        after_first = {
            "snapshots": db.execute("select count(*) from snapshots").fetchone()[0],
            "payloads": db.execute("select count(*) from payloads").fetchone()[0],
        }
        db.close()
        sent_first = list(portal.sent)
        second = run_nianbao("crawl", "--start-url", portal.start_url, "--data", data, "--profile", "test")
    db = sqlite3.connect(data / "nianbao.db")
    db.row_factory = sqlite3.Row
    yield {"db": db, "data": data, "portal": portal, "sent_first": sent_first,
           "after_first": after_first, "output": first.stdout + second.stdout}
    db.close()


def rows(db, sql, *params):
    return [dict(r) for r in db.execute(sql, params)]


def test_finds_the_five_seed_reports(crawl):
    reports = rows(crawl["db"], "select r.*, a.name as agency from reports r left join agencies a on a.id = r.agency_id")
    assert {r["agency"] for r in reports} == SEED_AGENCIES
    assert len(reports) == 5


def test_report_without_tables_is_recorded_missing_not_zero(crawl):
    db = crawl["db"]
    (report,) = rows(db, "select r.* from reports r join agencies a on a.id = r.agency_id where a.name = '吴川市人民政府办公室'")
    assert report["has_tables"] == 0
    assert report["failing_rules"] is None
    assert rows(db, "select * from cells where report_id = ?", report["id"]) == []
    kinds = {p["kind"] for p in rows(db, "select * from problems where report_id = ?", report["id"])}
    assert "tables_missing" in kinds


def test_non_reports_are_skipped_with_a_reason(crawl):
    skipped = rows(crawl["db"], "select * from skipped")
    titles = " ".join(s["title"] for s in skipped)
    assert "政府网站工作年度报表" in titles
    assert "工作要点" in titles
    assert all(s["reason"] for s in skipped)
    # Skipped items are not fetched.
    fetched = {r["url"] for r in rows(crawl["db"], "select url from snapshots")}
    assert not fetched & {s["url"] for s in skipped}


def test_every_exchange_is_archived(crawl):
    kinds = rows(crawl["db"], "select kind, count(*) as n from snapshots where run_id = 1 group by kind")
    counts = {k["kind"]: k["n"] for k in kinds}
    assert counts["robots"] == 1
    assert counts["listing"] >= 3
    assert counts["report"] == 5


def test_stored_bodies_are_byte_identical_to_what_the_server_sent(crawl):
    sent = {(s.method, s.path): s for s in crawl["sent_first"]}
    db = crawl["db"]
    snapshots = rows(
        db,
        "select s.url, s.method, s.response_headers, s.payload_digest, p.size from snapshots s "
        "join payloads p on p.digest = s.payload_digest where s.run_id = 1",
    )
    assert len(snapshots) == len(sent)
    compressed = 0
    for snap in snapshots:
        parts = urlsplit(snap["url"])
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = read_payload(db, snap["payload_digest"])
        assert body == sent[(snap["method"], path)].body, snap["url"]
        headers = {k.lower(): v for k, v in json.loads(snap["response_headers"])}
        if headers.get("content-encoding") == "gzip":
            compressed += 1
            assert body[:2] == b"\x1f\x8b"  # still content-encoded, as received
    assert compressed >= 5


def test_unchanged_payloads_are_stored_once(crawl):
    db = crawl["db"]
    snapshots = db.execute("select count(*) from snapshots").fetchone()[0]
    payloads = db.execute("select count(*) from payloads").fetchone()[0]
    assert snapshots == 2 * crawl["after_first"]["snapshots"]
    assert payloads == crawl["after_first"]["payloads"]


def test_gbk_page_is_detected_from_its_meta_tag(crawl):
    gbk = [s for s in crawl["sent_first"] if "charset" not in dict(s.headers).get("Content-Type", "charset")]
    assert gbk, "the demo portal serves at least one page without a header charset"
    db = crawl["db"]
    for s in gbk:
        (snap,) = rows(db, "select * from snapshots where url like ? and run_id = 1", "%" + s.path)
        assert snap["encoding"] == "gb18030"
        assert snap["encoding_source"] == "meta"


def test_numbers_in_the_database_match_the_seeds(crawl):
    db = crawl["db"]
    for expected_file in sorted(get_test_file("seeds").glob("*.expected.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        (report,) = rows(db, "select r.id from reports r join agencies a on a.id = r.agency_id where a.name = ?",
                         expected["agency"])
        cells = rows(db, "select table_name, row_key, column_key, value from cells where report_id = ?", report["id"])
        got = {(c["table_name"], c["row_key"], c["column_key"]): c["value"] for c in cells}
        want = {
            (table, row, column): value
            for table in ("active_disclosure", "applications", "reviews_litigation")
            for row, columns in (expected.get(table) or {}).items()
            for column, value in columns.items()
        }
        assert got == pytest.approx(want), expected_file.name
        (failing,) = db.execute("select failing_rules from reports where id = ?", [report["id"]]).fetchone()
        assert (None if failing is None else set(json.loads(failing))) == (
            None if expected["failing_rules"] is None else set(expected["failing_rules"])
        )


def test_crawl_prints_a_summary(crawl):
    assert "reports found:        5" in crawl["output"]
    assert "pages skipped:" in crawl["output"]


def test_crawl_stays_on_loopback(crawl, netguard_log):
    assert netguard_log.read_text() == ""


def test_a_missing_page_is_recorded_and_the_crawl_ends_cleanly(run_nianbao, tmp_path):
    from portal import DemoPortal

    with DemoPortal() as portal:
        missing = portal.base_url + "/zwgk/missing/index.html"
        result = run_nianbao("crawl", "--start-url", missing, "--data", tmp_path, "--profile", "test", check=False)
    assert "errors:               1 (1 fetch)" in result.stdout.splitlines()
    assert "Traceback" not in result.stderr
    # Its only start page missing, the crawl yielded nothing: on its first night, the checks say so.
    assert result.returncode == EXIT_CHECKS_FAILED, result.stdout + result.stderr[-3000:]
    assert [line.split("; check each")[0] for line in result.stdout.splitlines() if line.startswith("  FAIL")] == [
        "  FAIL  new sites yielding: 1 site(s) crawled for the first time yielded no reports: --start-url (2 page(s) "
        f"archived; its start URL {missing} answered HTTP 404)"]
    db = sqlite3.connect(tmp_path / "nianbao.db")
    ((url, stage, message, snapshot_id),) = db.execute("select url, stage, message, snapshot_id from errors")
    assert url.endswith("/zwgk/missing/index.html") and stage == "fetch" and message == "HTTP 404"
    # The 404 answer itself is archived as evidence.
    assert db.execute("select status from snapshots where id = ?", [snapshot_id]).fetchone() == (404,)
