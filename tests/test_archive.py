"""The raw store: bodies kept exactly, once per payload digest. (WARC export: test_warc_export.py.)"""

from __future__ import annotations

import gzip

from archive.payloads import payload_digest
from archive.schema import SCHEMA_VERSION, open_database
from archive.snapshots import read_snapshot, store_snapshot

PAGE = "<html><head><meta charset='gb2312'></head><body>政府信息公开</body></html>".encode("gb18030")


def store(db, body, url="http://127.0.0.1:1/a.html", encoding="gzip"):
    headers = [["Content-Type", "text/html"]] + ([["Content-Encoding", encoding]] if encoding else [])
    return store_snapshot(
        db, url=url, method="GET", request_headers=[["Accept-Encoding", "gzip"]],
        status=200, response_headers=headers, body=body,
    )


def test_a_body_is_stored_exactly_and_read_back(tmp_path):
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(PAGE, mtime=0)
    snapshot = read_snapshot(db, store(db, body))
    assert snapshot.body == body
    assert snapshot.content_encoding == "gzip"
    assert snapshot.payload_digest == payload_digest(body)


def test_identical_payloads_are_stored_once(tmp_path):
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(PAGE, mtime=0)
    first, second = store(db, body), store(db, body, url="http://127.0.0.1:1/b.html")
    store(db, b"other")
    assert first != second
    assert db["payloads"].count == 2
    assert read_snapshot(db, second).body == body


def test_payload_digest_is_the_warc_form():
    assert payload_digest(b"") == "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"


def test_an_older_database_gets_the_columns_added_since(tmp_path):
    path = tmp_path / "old.db"
    open_database(path).execute("alter table checks drop column detail")
    db = open_database(path)
    assert "detail" in db["checks"].columns_dict


def test_indicator_rows_are_stored_in_order_and_replaced_on_reparse(tmp_path):
    from archive.records import store_report

    db = open_database(tmp_path / "nianbao.db")
    snapshot_id = store_snapshot(db, url="http://x.test/a.html", method="GET", request_headers=[], status=200,
                                 response_headers=[], body=b"x")
    report = {"title": "t", "layout": "pre2019", "indicators": [
        {"indicator": "主动公开信息数", "unit": "条", "this_year": 425, "cumulative": 1516},
        {"indicator": "其中：1.网站公开", "unit": "条", "this_year": None, "cumulative": None},
    ]}
    for _ in range(2):
        report_id = store_report(db, url="http://x.test/a.html", snapshot_id=snapshot_id, report=report,
                                 parser_version="t")
    rows = list(db.query("select position, indicator, unit, this_year, cumulative from indicators"))
    assert rows == [
        {"position": 1, "indicator": "主动公开信息数", "unit": "条", "this_year": 425, "cumulative": 1516},
        {"position": 2, "indicator": "其中：1.网站公开", "unit": "条", "this_year": None, "cumulative": None},
    ]
    assert db["reports"].get(report_id)["has_tables"] == 1


def test_a_schema_2_database_gets_report_versions_on_open(tmp_path):
    from archive.records import store_report

    path = tmp_path / "old.db"
    db = open_database(path)
    snapshot_id = store(db, b"<p>report</p>")
    store_report(db, url="http://127.0.0.1:1/a.html", snapshot_id=snapshot_id, report={"title": "t"},
                 parser_version="t")
    # Turn it back into what schema 2 wrote: reports unique by url, none of the new columns.
    for view in db.view_names():
        db.execute(f"drop view [{view}]")
    for index in db["reports"].indexes:
        db.execute(f"drop index [{index.name}]")
    db.execute("drop index idx_snapshots_revisit_of")
    for table, column in [("reports", "payload_digest"), ("reports", "version"), ("reports", "is_current"),
                          ("snapshots", "revisit_of"), ("snapshots", "revisit_profile"),
                          ("crawl_runs", "pid"), ("crawl_runs", "resumes")]:
        db.execute(f"alter table {table} drop column {column}")
    db.execute("create unique index idx_reports_url on reports(url)")
    db.execute("pragma user_version=2")
    db.close()

    db = open_database(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    (report,) = db.query("select * from reports")
    assert (report["version"], report["is_current"]) == (1, 1)
    assert report["payload_digest"] == payload_digest(b"<p>report</p>")
    unique = {tuple(i.columns) for i in db["reports"].indexes if i.unique}
    assert unique == {("url", "payload_digest")}
    assert {"revisit_of", "revisit_profile"} <= set(db["snapshots"].columns_dict)
    assert db.execute("select count(*) from current_reports").fetchone()[0] == 1
