"""What a hostile portal can put in the archive, shown by a real ``nianbao serve`` over HTTP:
captured bytes of any type are served sandboxed or as a download, never as a page of
Datasette's origin; text from pages (titles, agency names, URLs) is escaped wherever it is
shown; only http(s) URLs become links."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from test_serve import get_json, running_datasette

from archive.reparse import parse_stored_snapshot
from archive.schema import open_database
from archive.snapshots import store_snapshot
from portal.synthetic import TEMPLATE_SEEDS, SyntheticReport, synthetic_body

SCRIPT = "<script>alert(document.domain)</script>"
# As a page's HTML prints it (escaped): its text, which the parser reads, holds the markup.
AGENCY_IN_HTML = "示范县&lt;svg/onload=alert(1)&gt;局"  # no spaces: titles lose theirs
CAPTURES = {  # name: (Content-Type as received, body)
    "svg": ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'),
    "xml": ("text/xml", b'<?xml-stylesheet type="text/xsl" href="data:,x"?><r><script>alert(1)</script></r>'),
    "xhtml": ("application/xhtml+xml", b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'),
    "untyped html": (None, b"<html><body><script>alert(1)</script></body></html>"),
    "malformed type": ('text/html"><script>alert(1)</script>', b"<script>alert(1)</script>"),
}


def store(db, url, content_type, body, kind="report"):
    headers = [["Content-Type", content_type]] if content_type is not None else []
    return store_snapshot(db, url=url, method="GET", request_headers=[], status=200, response_headers=headers,
                          body=body, kind=kind)


@pytest.fixture(scope="module")
def served(tmp_path_factory, guarded_env):
    path = tmp_path_factory.mktemp("serve-hostile") / "nianbao.db"
    db = open_database(path)
    ids = {name: store(db, f"http://127.0.0.1:9/{n}", *capture, kind="page")
           for n, (name, capture) in enumerate(CAPTURES.items())}
    report = SyntheticReport(AGENCY_IN_HTML, 2023, TEMPLATE_SEEDS[0], 2)
    page = (f"<html><head><meta charset='utf-8'><title>{report.title}</title></head><body>"
            f"<h1>{report.title}</h1>{synthetic_body(report)}</body></html>").encode()
    ids["report"] = store(db, "http://127.0.0.1:9/report.html", "text/html; charset=utf-8", page)
    assert parse_stored_snapshot(db, ids["report"]).report_id
    ids["javascript url"] = store(db, "javascript:alert(document.cookie)", "text/plain", b"x", kind="page")
    db.close()
    with running_datasette(path.parent, guarded_env) as base:
        yield base, ids


def answer(url, method="GET"):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_captured_bytes_of_every_type_are_sandboxed_or_downloaded(served, method):
    """An SVG or XML file can carry script as surely as HTML: every answer of /-/raw/ carries
    the sandbox CSP and nosniff; HTML (and XHTML, and a body without a type that looks like
    text) is shown sandboxed, other text (a malformed text/ type too) as text/plain, anything
    else as an attachment."""
    base, ids = served
    expected = {"svg": ("image/svg+xml", True), "xml": ("text/plain; charset=utf-8", False),
                "xhtml": ("text/html; charset=utf-8", False), "untyped html": ("text/html; charset=utf-8", False),
                "malformed type": ("text/plain; charset=utf-8", False)}
    for name, (content_type, attachment) in expected.items():
        status, headers, body = answer(f"{base}/-/raw/{ids[name]}", method)
        assert status == 200, name
        assert headers["Content-Type"] == content_type, name
        assert headers["Content-Security-Policy"].startswith("sandbox; default-src 'none'; script-src 'none'"), name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert ("attachment" in (headers["Content-Disposition"] or "")) == attachment, name
        assert body == b"" if method == "HEAD" else body, name


def test_text_from_pages_is_escaped_on_datasette_pages(served):
    """An agency name with markup in it, as a page may print it: escaped on the table pages,
    the row page and the charts page's list of bodies; never markup of Datasette's."""
    base, ids = served
    (report,) = get_json(f"{base}/nianbao/reports.json?_shape=array")
    assert "示范县<svg/onload=alert(1)>局" in report["title"]
    pages = [f"/nianbao/reports/{report['id']}", "/nianbao/reports", "/nianbao/agencies", "/nianbao/report_list",
             "/-/charts"]
    for page in pages:
        status, _, body = answer(base + page)
        html = body.decode("utf-8")
        assert status == 200 and "&lt;svg/onload=alert(1)&gt;" in html, page
        assert "<svg/onload" not in html, page


def test_only_http_urls_become_links(served):
    base, ids = served
    html = answer(f"{base}/nianbao/snapshots")[2].decode("utf-8")
    assert 'href="javascript:' not in html and "javascript:alert(document.cookie) · " in html
    assert '<a href="http://127.0.0.1:9/report.html" rel="noopener noreferrer">' in html
