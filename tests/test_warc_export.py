"""WARC/WACZ export, checked by the tools archivists use: warcio, cdxj-indexer, wacz, and
a real pywb replaying the export over HTTP on 127.0.0.1.

pywb runs from its own venv (``.venv-pywb/``, from ``requirements-pywb.lock``): it pins
an old redis client that must not meet the main environment. ``.ci/run`` creates it; a
test run without it creates it on first use, and skips only if that is impossible.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp

from archive.schema import open_database
from archive.snapshots import iter_snapshots, read_snapshot, store_not_modified, store_snapshot
from archive.warc import PROFILES, cdxj_path_for, export_warc
from conftest import get_test_file

REPO = Path(__file__).resolve().parent.parent
PYWB_VENV = REPO / ".venv-pywb"
PYWB_LOCK = REPO / "requirements-pywb.lock"
PAGE = "<html><head><meta charset='gb2312'></head><body>政府信息公开</body></html>".encode("gb18030")
URL = "http://127.0.0.1:1/a.html"


def store(db, body, url=URL, encoding="gzip", headers=()):
    response_headers = [["Content-Type", "text/html"]] + ([["Content-Encoding", encoding]] if encoding else [])
    return store_snapshot(
        db, url=url, method="GET", request_headers=[["Accept-Encoding", "gzip"]],
        status=200, response_headers=response_headers + list(headers), body=body,
    )


def records_of(stream):
    stream.seek(0)
    return [(r.rec_type, r.rec_headers, r.http_headers, r.raw_stream.read()) for r in ArchiveIterator(stream)]


def test_export_writes_a_request_and_a_response_per_exchange(tmp_path):
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(PAGE, mtime=0)
    store(db, body)
    store(db, b"User-agent: *\n", url="http://127.0.0.1:1/robots.txt", encoding=None)
    out = io.BytesIO()
    assert export_warc(db, out) == 2
    records = records_of(out)
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "response", "request"]
    assert records[1][3] == body  # still gzip'd, as received
    assert [s.url for s in iter_snapshots(db)] == [records[1][1]["WARC-Target-URI"], records[3][1]["WARC-Target-URI"]]


def test_request_records_keep_the_http_version_of_their_request_line(tmp_path):
    db = open_database(tmp_path / "n.db")
    store(db, b"User-agent: *\n", url="http://127.0.0.1:1/robots.txt?x=1", encoding=None)
    out = io.BytesIO()
    export_warc(db, out)
    request = records_of(out)[2]
    assert request[0] == "request" and request[2].to_str().startswith("GET /robots.txt?x=1 HTTP/1.1\r\n")


def test_headers_a_server_sent_in_other_bytes_than_ascii_are_written_as_received(tmp_path):
    """A GBK filename in Content-Disposition (common) and a header name that is not ASCII (a
    broken or hostile server: Twisted takes any bytes) once made warcio %-encode the first and
    fail the whole export on the second. The HTTP block holds the bytes the server sent."""
    from scrapy.http.headers import Headers

    from crawler.middlewares.snapshots import header_pairs

    filename = 'attachment; filename="2024年报.pdf"'.encode("gbk")
    received = Headers({b"Content-Type": b"application/pdf", b"Content-Disposition": filename, b"X-\xdc\xdc": b"1"})
    db = open_database(tmp_path / "n.db")
    store_snapshot(db, url="http://127.0.0.1:1/a.pdf", method="GET", request_headers=[["Accept", "*/*"]],
                   status=200, response_headers=header_pairs(received), body=b"%PDF-1.4 ...")
    warc = tmp_path / "n.warc.gz"
    with open(warc, "wb") as stream:
        assert export_warc(db, stream) == 1
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(warc)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    block = gzip.decompress(warc.read_bytes())
    assert b"\r\nContent-Disposition: " + filename + b"\r\n" in block and b"\r\nX-\xdc\xdc: 1\r\n" in block


def test_a_body_missing_or_not_as_received_is_left_out_and_named(tmp_path):
    """Nothing is exported as if it were what was received: a payload row deleted, or a byte
    changed (the stored digest no longer matches), and the snapshot and its revisits are left
    out, each named; the rest is written."""
    from archive.snapshots import DamagedBody

    db = open_database(tmp_path / "n.db")
    gone = store(db, gzip.compress(PAGE, mtime=0), url="http://127.0.0.1:1/gone.html")
    store(db, gzip.compress(PAGE, mtime=0), url="http://127.0.0.1:1/again.html")  # a revisit of it
    changed = store(db, b"User-agent: *\n", url="http://127.0.0.1:1/robots.txt", encoding=None)
    kept = store(db, b"<p>kept</p>", url="http://127.0.0.1:1/kept.html", encoding=None)
    digest_gone, digest_changed = (read_snapshot(db, i).payload_digest for i in (gone, changed))
    db.execute("pragma foreign_keys = off")  # as a damaged or hand-edited file may be
    with db.conn:
        db.execute("delete from payloads where digest = ?", [digest_gone])
        db.execute("update payloads set data = ?, codec = 'identity', dict_id = null where digest = ?",
                   [b"User-agent: evil\n", digest_changed])
    with pytest.raises(DamagedBody) as damaged:
        read_snapshot(db, changed)
    assert f"its stored body does not match its digest {digest_changed}" in str(damaged.value)
    out, left_out = io.BytesIO(), []
    assert export_warc(db, out, left_out=left_out) == 1
    assert [r[1]["WARC-Target-URI"] for r in records_of(out) if r[0] == "response"] == [
        read_snapshot(db, kept).url]
    assert [(i, why.split(": its stored body ")[1].split(";")[0]) for i, _, why in left_out] == [
        (gone, f"is missing (no payload {digest_gone})"), (gone + 1, f"is missing (no payload {digest_gone})"),
        (changed, f"does not match its digest {digest_changed}")]


def test_a_repeated_payload_is_a_revisit_naming_the_capture_that_holds_it(tmp_path):
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(PAGE, mtime=0)
    first = read_snapshot(db, store(db, body))
    second = read_snapshot(db, store(db, body, headers=[["Date", "Mon, 02 Mar 2026 00:00:00 GMT"]]))
    assert second.revisit_of == first.id
    out = io.BytesIO()
    export_warc(db, out)
    rec_type, headers, http, block = records_of(out)[3]
    assert rec_type == "revisit"
    assert headers["WARC-Profile"] == PROFILES["identical-payload-digest"]
    assert headers["WARC-Refers-To-Target-URI"] == first.url
    assert headers["WARC-Refers-To-Date"] == first.fetched_at
    assert headers["WARC-Date"] == second.fetched_at
    assert headers["WARC-Payload-Digest"] == first.payload_digest
    assert http.get_statuscode() == "200" and http["Date"] == "Mon, 02 Mar 2026 00:00:00 GMT"  # its own headers
    assert block == b""  # no payload: it is the original's
    assert headers["WARC-Refers-To"] == records_of(out)[1][1]["WARC-Record-ID"]  # the record that holds it


def test_a_revisit_of_a_later_capture_names_that_capture_s_record(tmp_path):
    """Revisits point at earlier captures, whose record IDs the export keeps as it writes them.
    One pointing at a later capture (an archive edited by hand) is exported all the same,
    naming the record that capture is written as further on."""
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(PAGE, mtime=0)
    first, second = store(db, body), store(db, body)
    with db.conn:
        db.execute("update snapshots set revisit_of = null, revisit_profile = null where id = ?", [second])
        db.execute("update snapshots set revisit_of = ?, revisit_profile = 'identical-payload-digest' where id = ?",
                   [second, first])
    out = io.BytesIO()
    assert export_warc(db, out) == 2
    records = records_of(out)
    assert [r[0] for r in records] == ["warcinfo", "revisit", "request", "response", "request"]
    assert records[1][1]["WARC-Refers-To"] == records[3][1]["WARC-Record-ID"]


def test_response_and_revisit_records_carry_the_address_the_server_answered_from(tmp_path):
    """Each record its own exchange's address (a revisit's, not its original's); request
    records none; a snapshot with no address recorded, no header (never a made-up one)."""
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(PAGE, mtime=0)
    first = store_snapshot(db, url=URL, method="GET", request_headers=[], status=200,
                           response_headers=[["ETag", '"v1"']], body=body, ip_address="203.0.113.7")
    store_snapshot(db, url=URL, method="GET", request_headers=[], status=200,
                   response_headers=[["ETag", '"v1"']], body=body, ip_address="2001:db8::7")
    store_not_modified(db, revisit_of=first, url=URL, method="GET", request_headers=[["If-None-Match", '"v1"']],
                       status=304, response_headers=[], ip_address="203.0.113.8")
    store(db, b"User-agent: *\n", url="http://127.0.0.1:1/robots.txt", encoding=None)  # no address known
    warc = tmp_path / "n.warc.gz"
    with open(warc, "wb") as stream:
        export_warc(db, stream)
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(warc)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with open(warc, "rb") as stream:
        records = records_of(stream)
    assert [(r[0], r[1]["WARC-IP-Address"]) for r in records] == [
        ("warcinfo", None),
        ("response", "203.0.113.7"), ("request", None),
        ("revisit", "2001:db8::7"), ("request", None),
        ("revisit", "203.0.113.8"), ("request", None),
        ("response", None), ("request", None),
    ]


def test_snapshots_archived_before_addresses_were_kept_export_without_one(tmp_path):
    """An archive from schema 5 (tests/data/schema/make_v5_db.py) gets the column, empty."""
    path = tmp_path / "nianbao.db"
    shutil.copy(get_test_file("schema", "v5.db"), path)
    db = open_database(path)
    assert db.execute("select count(*), count(ip_address) from snapshots").fetchone() == (7, 0)
    out = io.BytesIO()
    assert export_warc(db, out) == 7
    assert all(r[1]["WARC-IP-Address"] is None for r in records_of(out))


def test_the_address_of_an_answer_through_a_proxy_is_not_kept():
    """Through http_proxy the connection's peer is the proxy: its address is not the server's."""
    from ipaddress import ip_address

    from scrapy.http import Request, Response

    from crawler.middlewares.snapshots import server_address

    answer = Response(URL, ip_address=ip_address("127.0.0.1"))
    assert server_address(Request(URL), answer) == "127.0.0.1"
    assert server_address(Request(URL, meta={"proxy": "http://127.0.0.1:3128"}), answer) is None
    assert server_address(Request(URL), Response(URL)) is None


def test_a_304_is_a_server_not_modified_revisit_that_replays_as_the_renewed_page(tmp_path):
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(PAGE, mtime=0)
    first = read_snapshot(db, store(db, body, headers=[["ETag", '"v1"'], ["Date", "Sun, 01 Mar 2026 00:00:00 GMT"]]))
    not_modified = store_not_modified(
        db, revisit_of=first.id, url=URL, method="GET",
        request_headers=[["If-None-Match", '"v1"']], status=304,
        response_headers=[["Content-Length", "0"], ["Date", "Mon, 02 Mar 2026 00:00:00 GMT"], ["ETag", '"v1"']],
    )
    out = io.BytesIO()
    export_warc(db, out)
    records = records_of(out)
    rec_type, headers, http, block = records[3]
    assert rec_type == "revisit"
    assert headers["WARC-Profile"] == PROFILES["server-not-modified"]
    assert headers["WARC-Refers-To-Date"] == first.fetched_at
    assert headers["WARC-Refers-To"] == records[1][1]["WARC-Record-ID"]
    assert headers["WARC-Date"] == read_snapshot(db, not_modified).fetched_at
    # The stored response as the 304 renewed it: status and encoding of the original,
    # Date from the 304, the original's Content-Length (the 304's 0 describes itself).
    assert http.get_statuscode() == "200"
    assert http["Content-Encoding"] == "gzip"
    assert http["Date"] == "Mon, 02 Mar 2026 00:00:00 GMT"
    assert http["Content-Length"] is None
    assert block == b""
    # The conditional request stays exactly as sent.
    assert records[4][0] == "request" and records[4][2]["If-None-Match"] == '"v1"'


@pytest.mark.parametrize("stored, said", [(None, "gzip"), ("gzip", "br")])
def test_a_304_never_changes_how_the_stored_body_is_coded(tmp_path, stored, said):
    """Some servers send a Content-Encoding on a 304 that the stored body never had (a site
    that turned gzip on since its last 200). The payload is the original's bytes, coded as the
    original said (the archive parses it so): the renewed block says that, or a replay tool
    serves plain bytes labelled gzip, which no browser opens."""
    db = open_database(tmp_path / "n.db")
    first = store(db, gzip.compress(PAGE, mtime=0) if stored else PAGE, encoding=stored, headers=[["ETag", '"v1"']])
    store_not_modified(db, revisit_of=first, url=URL, method="GET", request_headers=[["If-None-Match", '"v1"']],
                       status=304, response_headers=[["ETag", '"v1"'], ["Content-Encoding", said]])
    out = io.BytesIO()
    export_warc(db, out)
    rec_type, _, http, _ = records_of(out)[3]
    assert rec_type == "revisit" and http.get_statuscode() == "200"
    assert [v for k, v in http.headers if k.lower() == "content-encoding"] == ([stored] if stored else [])
    assert read_snapshot(db, first + 1).content_encoding == stored  # as the archive reads it


def test_an_archive_with_a_brotli_body_exports_indexes_and_packages(tmp_path, run_nianbao):
    """The crawler asks for br. warcio decodes it with brotlipy's API, not that of the brotli
    Scrapy installs: cdxj-indexer and wacz, which decode every response, raised on one br body,
    and neither export could be made. The body read back through warcio is the page."""
    import brotli

    page = b"".join(b"<p>%d %s</p>" % (i, "政府信息公开".encode()) for i in range(20_000))  # many reads
    db = open_database(tmp_path / "nianbao.db")
    store_snapshot(db, url="http://127.0.0.1:1/br.html", method="GET", request_headers=[], status=200,
                   response_headers=[["Content-Type", "text/html; charset=utf-8"], ["Content-Encoding", "br"]],
                   body=brotli.compress(page))
    db.close()
    run_nianbao("export-warc", "--data", tmp_path, "-o", tmp_path / "x.warc.gz")
    run_nianbao("export-wacz", "--data", tmp_path, "-o", tmp_path / "x.wacz")
    assert [json.loads(line.split(" ", 2)[2])["url"] for line in (tmp_path / "x.cdxj").read_text().splitlines()] == [
        "http://127.0.0.1:1/br.html"]
    result = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(tmp_path / "x.wacz")],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "is valid" in result.stdout, result.stdout + result.stderr
    with open(tmp_path / "x.warc.gz", "rb") as fh:
        (response,) = [r.content_stream().read() for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert response == page


def http_message(block: bytes, role=None) -> list:
    """What a strict HTTP/1.1 parser (h11, as a server reads a request) makes of ``block``:
    its events, the body as one bytes value, up to the end of the first message."""
    import h11

    connection = h11.Connection(role or h11.SERVER)
    connection.receive_data(block)
    events = []
    while not events or type(events[-1]) is not h11.EndOfMessage:
        event = connection.next_event()
        assert event is not h11.NEED_DATA, f"the message is cut short after {events}"
        events.append(event)
    body = b"".join(bytes(e.data) for e in events if type(e) is h11.Data)
    return [type(e).__name__ for e in events if type(e) is not h11.Data], body, connection.trailing_data[0]


def test_a_request_with_a_body_is_written_as_the_message_that_was_sent(tmp_path):
    """Twisted frames a POST body with Content-Length on the wire; the headers the archive
    keeps are Scrapy's, which never had it. Without it a request record's block is a request
    with no body followed by stray bytes: a parser reads the form as the next request."""
    db = open_database(tmp_path / "n.db")
    form = "col=1&webname=示范区".encode("utf-8")
    store_snapshot(db, url="http://127.0.0.1:1/dataproxy.jsp?startrecord=1", method="POST",
                   request_headers=[["Host", "127.0.0.1:1"], ["Content-Type", "application/x-www-form-urlencoded"]],
                   request_body=form, status=200, response_headers=[["Content-Type", "text/xml"]], body=b"<datastore/>")
    store_snapshot(db, url="http://127.0.0.1:1/empty.jsp", method="POST", request_headers=[["Host", "127.0.0.1:1"]],
                   status=200, response_headers=[["Content-Type", "text/xml"]], body=b"<datastore/>")
    store_snapshot(db, url="http://127.0.0.1:1/robots.txt", method="GET", request_headers=[["Host", "127.0.0.1:1"]],
                   status=200, response_headers=[["Content-Type", "text/plain"]], body=b"User-agent: *\n")
    out = io.BytesIO()
    export_warc(db, out)
    requests = [block_of(r) for r in records_of(out) if r[0] == "request"]
    assert [http_message(block) for block in requests] == [
        (["Request", "EndOfMessage"], form, b""),
        (["Request", "EndOfMessage"], b"", b""),
        (["Request", "EndOfMessage"], b"", b""),
    ]
    assert b"\r\nContent-Length: 0\r\n" in requests[1]  # as Twisted sends it for an empty POST
    assert b"Content-Length" not in requests[2]  # a GET goes without


def block_of(record) -> bytes:
    """A record's whole block: its HTTP headers as written, then its payload."""
    return record[2].to_bytes() + record[3] if record[2] else record[3]


def test_the_same_archive_exported_twice_is_the_same_file(tmp_path):
    """Record IDs come from what each record is, and the warcinfo record is dated by the newest
    capture, so an unchanged archive exports to the same bytes (a checksum or a sync tool sees
    no change); every record still has its own ID."""
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(PAGE, mtime=0)
    first = read_snapshot(db, store(db, body, headers=[["ETag", '"v1"']]))
    store(db, body)
    store_not_modified(db, revisit_of=first.id, url=URL, method="GET", request_headers=[["If-None-Match", '"v1"']],
                       status=304, response_headers=[["ETag", '"v1"']])
    store(db, b"User-agent: *\n", url="http://127.0.0.1:1/robots.txt", encoding=None)
    exports = []
    for _ in range(2):
        out = io.BytesIO()
        export_warc(db, out, filename="n.warc.gz")
        exports.append(out.getvalue())
    assert exports[0] == exports[1]
    records = records_of(io.BytesIO(exports[0]))
    ids = [headers["WARC-Record-ID"] for _, headers, _, _ in records]
    assert len(set(ids)) == len(ids) == 9
    newest = max(s.fetched_at for s in iter_snapshots(db))
    assert records[0][0] == "warcinfo" and records[0][1]["WARC-Date"] == newest


@pytest.mark.parametrize("command, outputs, kill_at", [
    ("export-warc", ("x.warc.gz", "x.cdxj"), "warc-exchange:3"),
    ("export-wacz", ("x.wacz",), "warc-exchange:3"),
    ("export-wacz", ("x.wacz",), "wacz-written"),
])
def test_an_export_cut_short_leaves_the_previous_one_whole(tmp_path, guarded_env, command, outputs, kill_at):
    """A WARC is written for minutes on a big archive. Killed half-way (``kill -9``, a full
    disk, a power cut), the export must not leave a WARC cut short, nor a WARC beside the
    index of another: the previous export stays as it was."""
    db = open_database(tmp_path / "nianbao.db")
    for name in ("a", "b", "c"):
        store(db, f"<p>{name}</p>".encode(), url=f"http://127.0.0.1:1/{name}.html", encoding=None)
    db.close()
    export = [sys.executable, "-m", "nianbao", command, "--data", str(tmp_path), "-o", str(tmp_path / outputs[0])]
    subprocess.run(export, env=guarded_env, check=True, capture_output=True)
    before = {name: (tmp_path / name).read_bytes() for name in outputs}
    db = open_database(tmp_path / "nianbao.db")
    store(db, b"<p>d</p>", url="http://127.0.0.1:1/d.html", encoding=None)
    db.close()
    killed = subprocess.run(export, env={**guarded_env, "NIANBAO_TEST_KILL_AT": kill_at}, capture_output=True)
    assert killed.returncode == -9, killed.stderr
    assert {name: (tmp_path / name).read_bytes() for name in outputs} == before


def test_a_wacz_is_built_beside_it_not_in_tmp(tmp_path, guarded_env):
    """The WARC a WACZ is built from is as large as the package, and /tmp is often memory
    (tmpfs): it is written beside the package, where one a kill left is replaced by the
    next export, which leaves the package alone."""
    db = open_database(tmp_path / "nianbao.db")
    for name in ("a", "b", "c"):
        store(db, f"<p>{name}</p>".encode(), url=f"http://127.0.0.1:1/{name}.html", encoding=None)
    db.close()
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir(), out.mkdir()
    env = {**guarded_env, "TMPDIR": str(tmp)}
    export = [sys.executable, "-m", "nianbao", "export-wacz", "--data", str(tmp_path), "-o", str(out / "x.wacz")]
    killed = subprocess.run(export, env={**env, "NIANBAO_TEST_KILL_AT": "warc-exchange:3"}, capture_output=True)
    assert killed.returncode == -9, killed.stderr
    assert list(tmp.iterdir()) == []
    assert [p.name for p in out.iterdir()] == ["x.wacz.partial.d"]
    subprocess.run(export, env=env, check=True, capture_output=True)
    assert sorted(p.name for p in out.iterdir()) == ["x.wacz"]
    with zipfile.ZipFile(out / "x.wacz") as zf:
        assert "archive/x.warc.gz" in zf.namelist()


def test_cdxj_index_lies_beside_the_warc():
    assert cdxj_path_for(Path("/x/reports.warc.gz")) == Path("/x/reports.cdxj")
    assert cdxj_path_for(Path("reports.warc")) == Path("reports.cdxj")


def test_a_wacz_without_reports_still_has_its_pages_list(tmp_path):
    from archive.wacz import export_wacz

    db = open_database(tmp_path / "n.db")
    store(db, b"User-agent: *\n", url="http://127.0.0.1:1/robots.txt", encoding=None)
    assert export_wacz(db, tmp_path / "x.wacz") == {"exchanges": 1, "pages": 0}
    with zipfile.ZipFile(tmp_path / "x.wacz") as zf:
        lines = zf.read("pages/pages.jsonl").splitlines()
        assert "archive/x.warc.gz" in zf.namelist()
    assert [json.loads(line)["format"] for line in lines] == ["json-pages-1.0"]


# --- the demo portal crawled twice: originals, same-body revisits and 304 revisits ---


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, run_nianbao):
    from portal import DemoPortal

    data = tmp_path_factory.mktemp("crawl")
    with DemoPortal() as portal:
        run_nianbao("crawl", "--start-url", portal.start_url, "--data", data, "--profile", "test")
        sent = {s.path: s for s in portal.sent if s.status == 200}
        time.sleep(1.1)  # the second run's captures get their own 14-digit timestamps
        run_nianbao("crawl", "--start-url", portal.start_url, "--data", data, "--profile", "test")
    db = open_database(data / "nianbao.db")
    snapshots = list(iter_snapshots(db))
    yield {"data": data, "db": db, "sent": sent, "snapshots": snapshots}
    db.conn.close()


@pytest.fixture(scope="module")
def export(crawl, run_nianbao, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    run_nianbao("export-warc", "--data", crawl["data"], "-o", out / "demo.warc.gz")
    run_nianbao("export-wacz", "--data", crawl["data"], "-o", out / "demo.wacz")
    return out


def sent_body(crawl, url):
    parts = urlsplit(url)
    return crawl["sent"][parts.path + (f"?{parts.query}" if parts.query else "")].body


def test_the_demo_archive_has_both_kinds_of_revisit(crawl):
    profiles = {s.revisit_profile for s in crawl["snapshots"]}
    assert {None, "identical-payload-digest", "server-not-modified"} <= profiles


def test_export_passes_warcio_check_and_index(crawl, export):
    warc = export / "demo.warc.gz"
    for command in (["check", "-v"], ["index"]):
        result = subprocess.run([sys.executable, "-m", "warcio.cli", *command, str(warc)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    snapshots = crawl["snapshots"]
    with open(warc, "rb") as fh:
        records = [r for r in records_of(fh) if r[0] != "warcinfo"]
    assert len(records) == 2 * len(snapshots)
    for snapshot, (rec_type, headers, _, block), (req_type, req_headers, _, _) in zip(
        snapshots, records[::2], records[1::2]
    ):
        assert rec_type == ("revisit" if snapshot.revisit_of else "response")
        assert req_type == "request"
        assert headers["WARC-Target-URI"] == req_headers["WARC-Target-URI"] == snapshot.url
        assert headers["WARC-Date"] == snapshot.fetched_at
        assert headers["WARC-Payload-Digest"] == snapshot.payload_digest
        assert req_headers["WARC-Concurrent-To"] == headers["WARC-Record-ID"]
        assert headers["WARC-IP-Address"] == snapshot.ip_address == "127.0.0.1"  # the portal's, as connected to
        if rec_type == "response":
            assert block == snapshot.body == sent_body(crawl, snapshot.url)  # as received, still gzip'd


def test_a_warc_named_so_is_written_uncompressed(crawl, run_nianbao, tmp_path):
    """``-o FILE.warc`` is a plain WARC, as the name says (``.warc.gz`` is the gzip one)."""
    run_nianbao("export-warc", "--data", crawl["data"], "-o", tmp_path / "plain.warc")
    warc = tmp_path / "plain.warc"
    assert warc.read_bytes().startswith(b"WARC/1.1\r\n")
    result = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(warc, "rb") as fh:
        assert len([r for r in records_of(fh) if r[0] != "warcinfo"]) == 2 * len(crawl["snapshots"])
    lines = (tmp_path / "plain.cdxj").read_text().splitlines()
    assert len(lines) == len(crawl["snapshots"])
    assert {json.loads(line.split(" ", 2)[2])["filename"] for line in lines} == {"plain.warc"}


def test_cdxj_index_lists_every_capture(crawl, export):
    lines = (export / "demo.cdxj").read_text().splitlines()
    assert lines == sorted(lines)
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    assert len(entries) == len(crawl["snapshots"])
    assert {e["filename"] for e in entries} == {"demo.warc.gz"}
    revisits = [s for s in crawl["snapshots"] if s.revisit_of]
    assert sum(e["mime"] == "warc/revisit" for e in entries) == len(revisits)


def test_wacz_is_valid_and_lists_the_report_pages(crawl, export):
    wacz = export / "demo.wacz"
    result = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "is valid" in result.stdout, result.stdout + result.stderr
    with zipfile.ZipFile(wacz) as zf:
        names = set(zf.namelist())
        header, *pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()]
    assert {"archive/demo.warc.gz", "indexes/index.cdx.gz", "datapackage.json"} <= names
    assert header["format"] == "json-pages-1.0"
    reports = list(crawl["db"].query(
        "select r.title, s.url, s.fetched_at from reports r join snapshots s on s.id = r.snapshot_id"))
    assert len(reports) == 5
    assert sorted((p["url"], p["title"], iso_date_to_timestamp(p["ts"])) for p in pages) == sorted(
        (r["url"], r["title"], iso_date_to_timestamp(r["fetched_at"])) for r in reports
    )
    assert all("政府信息公开" in p["title"] for p in pages)


def test_a_crawl_asks_only_for_codings_the_parser_and_replay_tools_undo(tmp_path, run_nianbao):
    """A server that answers zstd to a client that asks for it (Caddy does, given the choice).
    Scrapy asks for zstd when the zstandard package is installed (it is: the raw store), but
    neither the parser nor pywb undoes it: every report was a parse error, every capture
    unreplayable. Asked for gzip, deflate and br only, the server sends what both read."""
    import zstandard

    from portal import DemoPortal
    from portal.site import build_site

    site = build_site()

    def answer(method, path, headers):
        resource = site.get(path)
        if resource is None or "zstd" not in headers.get("Accept-Encoding", ""):
            return None  # served as the demo portal serves it
        return 200, [("Content-Type", resource.content_type), ("Content-Encoding", "zstd")], \
            zstandard.ZstdCompressor().compress(resource.body)

    site.answer = answer
    with DemoPortal(site) as portal:
        run_nianbao("crawl", "--start-url", portal.start_url, "--data", tmp_path, "--profile", "test")
    db = open_database(tmp_path / "nianbao.db")
    assert [row for row in db.execute("select url, message from errors")] == []
    assert db.execute("select count(*) from reports").fetchone() == (5,)
    snapshots = list(iter_snapshots(db))
    assert {s.content_encoding for s in snapshots} == {None, "gzip"}
    assert {v for s in snapshots for k, v in s.request_headers if k.lower() == "accept-encoding"} == {
        "gzip, deflate, br"}


# --- an archive with what the demo portal does not serve ---

# A link as Chinese portals write them: a path and a query in Chinese, and a fragment.
CHINESE_LINK = "http://127.0.0.1:1/zwgk/年报/2024年度报告.html?栏目=年报#正文"


@pytest.fixture(scope="module")
def handmade(run_nianbao, tmp_path_factory):
    """Exchanges stored as the crawler stores them (the URL as Scrapy requests the link) and
    exported with ``nianbao export-warc``: a page at a Chinese URL, a plain page whose next
    night's 304 named a Content-Encoding the page never had, and a page sent br-encoded."""
    import brotli
    import scrapy

    data = tmp_path_factory.mktemp("handmade")
    db = open_database(data / "nianbao.db")
    chinese = store_snapshot(db, url=scrapy.Request(CHINESE_LINK).url, method="GET", request_headers=[],
                             status=200, response_headers=[["Content-Type", "text/html; charset=gb2312"]],
                             body=PAGE, fetched_at="2026-03-01T00:00:00.000Z")
    plain = store_snapshot(db, url="http://127.0.0.1:1/plain.html", method="GET", request_headers=[],
                           status=200, response_headers=[["Content-Type", "text/html"], ["ETag", '"v1"']],
                           body=PAGE, fetched_at="2026-03-01T00:00:01.000Z")
    not_modified = store_not_modified(
        db, revisit_of=plain, url="http://127.0.0.1:1/plain.html", method="GET",
        request_headers=[["If-None-Match", '"v1"']], status=304,
        response_headers=[["ETag", '"v1"'], ["Content-Encoding", "gzip"]], fetched_at="2026-03-02T00:00:00.000Z")
    brotli_page = store_snapshot(
        db, url="http://127.0.0.1:1/br.html", method="GET", request_headers=[], status=200,
        response_headers=[["Content-Type", "text/html"], ["Content-Encoding", "br"]],
        body=brotli.compress(PAGE), fetched_at="2026-03-01T00:00:02.000Z")
    snapshots = {"chinese": read_snapshot(db, chinese), "not modified": read_snapshot(db, not_modified),
                 "br": read_snapshot(db, brotli_page)}
    db.close()
    run_nianbao("export-warc", "--data", data, "-o", data / "handmade.warc.gz")
    return {"dir": data, **snapshots}


def test_a_chinese_url_is_written_as_the_uri_it_was_requested_at(handmade):
    url = handmade["chinese"].url
    assert url.isascii() and url.startswith("http://127.0.0.1:1/zwgk/%E5%B9%B4%E6%8A%A5/")
    assert url.endswith("#%E6%AD%A3%E6%96%87")  # 正文: kept, as the crawl requested it
    with open(handmade["dir"] / "handmade.warc.gz", "rb") as fh:
        response, request = records_of(fh)[1:3]
    assert response[1]["WARC-Target-URI"] == request[1]["WARC-Target-URI"] == url
    target = urlsplit(url)
    assert request[2].to_str().startswith(f"GET {target.path}?{target.query} HTTP/1.1\r\n")  # no fragment: never sent
    (line,) = [line for line in (handmade["dir"] / "handmade.cdxj").read_text().splitlines() if "zwgk" in line]
    assert line.startswith("1,0,0,127:1)/zwgk/%e5%b9%b4%e6%8a%a5/2024%e5%b9%b4%e5%ba%a6%e6%8a%a5%e5%91%8a.html?")


# --- pywb replaying the export ---


def _pywb_ready() -> bool:
    wanted = next(line for line in PYWB_LOCK.read_text().splitlines() if line.startswith("pywb=="))
    python = PYWB_VENV / "bin" / "python"
    if not python.exists():
        return False
    found = subprocess.run([str(python), "-c", "import pywb; print('pywb==' + pywb.__version__)"],
                           capture_output=True, text=True)
    return found.stdout.strip() == wanted


def pywb_venv() -> Path:
    """``.venv-pywb`` with the locked pywb, created if missing; skips if it cannot be."""
    if not _pywb_ready():
        steps = [[sys.executable, "-m", "venv", "--clear", str(PYWB_VENV)],
                 [str(PYWB_VENV / "bin" / "pip"), "install", "-q", "-r", str(PYWB_LOCK)]]
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                reason = f"cannot create {PYWB_VENV.name} for pywb: {' '.join(step[:4])} failed: {result.stderr[-500:]}"
                if os.environ.get("CI"):
                    pytest.fail(reason)  # CI creates it up front (.ci/run): there it must run
                pytest.skip(reason)
    return PYWB_VENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def pywb(export, handmade, guarded_env, tmp_path_factory):
    """A real ``wayback`` on 127.0.0.1 replaying collection ``nianbao`` from the export
    (the WARC and the CDXJ index nianbao wrote, in place), collection ``wacz`` from the
    WACZ (added with pywb's own ``wb-manager``), and ``handmade`` from that export."""
    venv = pywb_venv()
    root = tmp_path_factory.mktemp("pywb")
    for step in (["init", "wacz"], ["add", "--unpack-wacz", "wacz", str(export / "demo.wacz")]):
        result = subprocess.run([str(venv / "bin" / "wb-manager"), *step], cwd=root, env=guarded_env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    (root / "config.yaml").write_text(
        "collections:\n"
        "  nianbao:\n"
        f"    index_paths: {export / 'demo.cdxj'}\n"
        f"    archive_paths: {export}/\n"
        "  handmade:\n"
        f"    index_paths: {handmade['dir'] / 'handmade.cdxj'}\n"
        f"    archive_paths: {handmade['dir']}/\n",
        encoding="utf-8",
    )
    port = free_port()
    log = open(root / "wayback.log", "w+")
    process = subprocess.Popen([str(venv / "bin" / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
                               cwd=root, env=guarded_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(base + "/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"wayback did not start: {log.read()[-3000:]}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def replay(pywb, snapshot, collection="nianbao", accept_encoding="gzip"):
    """Fetch ``snapshot`` through pywb, unrewritten (``id_``), at its own timestamp, as a client
    that takes ``accept_encoding`` (None: no Accept-Encoding)."""
    ts = iso_date_to_timestamp(snapshot.fetched_at)
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    status, headers, body = fetch(f"{pywb}/{collection}/{ts}id_/{snapshot.url}", headers)
    # pywb answers with the capture it chose: it must be this one.
    assert headers["Memento-Datetime"] == time.strftime(
        "%a, %d %b %Y %H:%M:%S GMT", time.strptime(ts, "%Y%m%d%H%M%S"))
    return status, headers, body


def first_of(crawl, kind, profile=None):
    return next(s for s in crawl["snapshots"] if s.kind == kind and s.revisit_profile == profile)


def test_pywb_replays_a_report_page_byte_identical(crawl, pywb):
    snapshot = first_of(crawl, "report")
    status, headers, body = replay(pywb, snapshot)
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert body == sent_body(crawl, snapshot.url)  # exactly the bytes the portal sent
    # A client that does not take gzip gets the page itself, decoded by pywb.
    status, _, decoded = replay(pywb, snapshot, accept_encoding=None)
    assert status == 200 and decoded == gzip.decompress(sent_body(crawl, snapshot.url))


def test_pywb_replays_a_not_modified_revisit_as_the_page(crawl, pywb):
    revisit = first_of(crawl, "report", "server-not-modified")
    status, headers, body = replay(pywb, revisit)
    assert status == 200
    assert body == sent_body(crawl, revisit.url)


def test_pywb_replays_a_same_payload_revisit(crawl, pywb):
    revisit = first_of(crawl, "listing", "identical-payload-digest")
    status, headers, body = replay(pywb, revisit)
    assert status == 200
    assert body == sent_body(crawl, revisit.url)


def test_pywb_replays_the_wacz(crawl, pywb):
    for snapshot in (first_of(crawl, "report"), first_of(crawl, "report", "server-not-modified")):
        status, _, body = replay(pywb, snapshot, collection="wacz")
        assert status == 200 and body == sent_body(crawl, snapshot.url)


def test_pywb_replays_a_page_at_a_chinese_url_as_a_browser_asks_for_it(handmade, pywb):
    """A browser sends the link's path and query %-encoded in UTF-8, and no fragment."""
    link = urlsplit(CHINESE_LINK)
    asked = f"http://{link.netloc}{quote(link.path)}?{quote(link.query, safe='=&')}"
    ts = iso_date_to_timestamp(handmade["chinese"].fetched_at)
    status, headers, body = fetch(f"{pywb}/handmade/{ts}id_/{asked}")
    assert status == 200 and body == PAGE


def test_pywb_replays_a_304_that_named_another_coding_as_the_page(handmade, pywb):
    """The 304 said gzip; the page was stored plain: a browser that takes gzip must be told
    the body is plain, or it cannot open it."""
    status, headers, body = replay(pywb, handmade["not modified"], collection="handmade")
    assert status == 200 and headers["Content-Encoding"] is None and body == PAGE


def test_pywb_replays_a_brotli_page(handmade, pywb):
    """As sent to a client that takes br, and decoded for one that does not."""
    import brotli

    snapshot = handmade["br"]
    status, headers, body = replay(pywb, snapshot, collection="handmade", accept_encoding="br")
    assert status == 200 and headers["Content-Encoding"] == "br" and body == snapshot.body
    status, headers, body = replay(pywb, snapshot, collection="handmade", accept_encoding=None)
    assert status == 200 and headers["Content-Encoding"] is None and body == brotli.decompress(snapshot.body) == PAGE


def test_replay_stays_on_loopback(pywb, netguard_log):
    assert netguard_log.read_text() == ""
