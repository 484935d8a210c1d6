"""Fuzzing the parser entry points the crawl and the archive call, beyond
tests/test_parser_properties.py (which feeds ``parse_report`` random bytes, random text,
report-word soup and rendered tables cut or broken):

- real reports from tests/data, every format (PDF, DOCX, XLSX, XLS, HTML, text), cut short,
  bytes flipped, slices repeated or dropped, served under their own and others' names;
- ``archive.reparse.parse_stored_snapshot``, what the crawl's pipeline and ``nianbao reparse``
  call: a stored body of any kind ends as a report or as an ``errors`` row against its
  snapshot, never as an exception; a parser crash is recorded the same way.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.reparse import parse_stored_snapshot
from archive.schema import open_database
from archive.snapshots import store_snapshot
from conftest import get_test_file
from parsers import ParseError, parse_report

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

REAL = {
    "report_2021.docx": get_test_file("attachments", "report_2021.docx"),
    "report_2023.xlsx": get_test_file("attachments", "report_2023.xlsx"),
    "report_2024.xls": get_test_file("attachments", "report_2024.xls"),
    "report_2024.pdf": get_test_file("attachments", "report_2024.pdf"),
    "report_2024_unruled.pdf": get_test_file("attachments", "report_2024_unruled.pdf"),
    "report_page.html": get_test_file("corpus", "pingtan_2020_report_page.html"),
    "crawler_text.txt": get_test_file("corpus", "pingtan_2020_crawler_text.txt"),
    "seed_004.txt": get_test_file("seeds", "004_cbaa75f9e60907ca.txt"),
}
BODIES = {name: path.read_bytes() for name, path in REAL.items()}
CONTENT_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel", ".pdf": "application/pdf", ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def parse_or_parse_error(data: bytes, **kwargs) -> None:
    """A report that serialises, or a one-line ParseError: nothing else may escape."""
    try:
        report = parse_report(data, **kwargs)
    except ParseError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    json.dumps(report.to_dict(include_cells=True), ensure_ascii=False)


@st.composite
def mutated(draw, body: bytes) -> bytes:
    """``body`` with a few of the damages downloads and disks do."""
    data = bytearray(body)
    for _ in range(draw(st.integers(1, 4))):
        damage = draw(st.sampled_from(["cut", "flip", "repeat", "drop", "junk"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        span = draw(st.integers(1, 2048))
        if damage == "cut":
            del data[at:]
        elif damage == "flip" and data:
            for i in draw(st.lists(st.integers(at, min(len(data) - 1, at + span)), min_size=1, max_size=16)):
                data[i] ^= draw(st.integers(1, 255))
        elif damage == "repeat":
            data[at:at] = data[at:at + span]
        elif damage == "drop":
            del data[at:at + span]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


@st.composite
def damaged_real_report(draw):
    name = draw(st.sampled_from(sorted(BODIES)))
    data = draw(mutated(BODIES[name]))
    # Served under its own name and type, or another's (a CMS that lies about what it sends).
    served_as = draw(st.sampled_from([name, *sorted(BODIES)]))
    suffix = "." + served_as.rsplit(".", 1)[1]
    content_type = draw(st.sampled_from([CONTENT_TYPES[suffix], None, "application/octet-stream"]))
    return data, {"url": f"http://www.example.gov.cn/zwgk/P0{len(data)}{suffix}", "content_type": content_type}


@FUZZ
@given(damaged_real_report())
def test_damaged_real_reports(case):
    data, http = case
    parse_or_parse_error(data, **http)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_real_report_cut_at_every_eighth(name):
    body = BODIES[name]
    for eighth in range(8):
        parse_or_parse_error(body[:len(body) * eighth // 8], url=f"http://www.example.gov.cn/{name}")


# ---- stored snapshots: a report or an errors row against the snapshot ----

GKMLPT_URL = "http://www.example.gov.cn/gkmlpt/content/2/2024/post_123456.html"
HTML_URL = "http://www.example.gov.cn/zwgk/zfxxgknb/202401/t20240120_1.html"


@st.composite
def stored_bodies(draw):
    """(url, body as on the wire, response headers, text encoding the crawl detected)."""
    kind = draw(st.sampled_from(["real", "random", "gkmlpt"]))
    if kind == "real":
        name = draw(st.sampled_from(sorted(BODIES)))
        body, url = draw(mutated(BODIES[name])), f"http://www.example.gov.cn/zwgk/{name}"
    elif kind == "random":
        body, url = draw(st.binary(max_size=2048)), HTML_URL
    else:  # gkmlpt's report inside a DETAIL JSON, the JSON damaged or not
        content = draw(st.sampled_from([BODIES["report_page.html"].decode("utf-8", "replace")[:20000], ""])
                       | st.text(max_size=200))
        page = "<script>var _CONFIG = {DETAIL: " + json.dumps({"title": "年度报告", "content": content}) + "};</script>"
        cut = draw(st.integers(len(page) // 2, len(page)))
        body, url = page[:cut].encode("utf-8"), GKMLPT_URL
    headers = [["Content-Type", draw(st.sampled_from(["text/html; charset=utf-8", "application/pdf",
                                                      "application/octet-stream", "text/plain"]))]]
    if draw(st.booleans()):
        headers.append(["Content-Encoding", draw(st.sampled_from(["gzip", "deflate", "br", "x-unknown"]))])
        if headers[-1][1] == "gzip" and draw(st.booleans()):
            body = gzip.compress(body, mtime=0)  # honestly encoded; otherwise the header lies
    encoding = draw(st.sampled_from([None, "utf-8", "gb18030", "big5"]))
    return url, body, headers, encoding


@pytest.fixture(scope="module")
def archive_db():
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "nianbao.db")
        yield db
        db.close()


def test_stored_snapshots_end_as_a_report_or_an_error_row(archive_db):
    db = archive_db

    @FUZZ
    @given(stored_bodies())
    def check(case):
        url, body, headers, encoding = case
        snapshot_id = store_snapshot(db, url=url, method="GET", request_headers=[], status=200,
                                     response_headers=headers, body=body, encoding=encoding, kind="report")
        outcome = parse_stored_snapshot(db, snapshot_id)
        if outcome.error is None:
            (row,) = db.execute("select snapshot_id from reports where id = ?", [outcome.report_id]).fetchall()
            assert row[0] == snapshot_id
            return
        assert outcome.error == "ParseError", outcome  # anything else is a parser crash
        errors = db.execute("select stage, error, message from errors where snapshot_id = ?",
                            [snapshot_id]).fetchall()
        assert errors == [("parse", "ParseError", outcome.message)]

    check()


def test_a_parser_crash_is_an_error_row_against_its_snapshot(archive_db, monkeypatch):
    import archive.snapshot_parse

    def crash(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(archive.snapshot_parse, "parse_report", crash)
    snapshot_id = store_snapshot(archive_db, url=HTML_URL + "?crash", method="GET", request_headers=[], status=200,
                                 response_headers=[["Content-Type", "text/html"]], body=b"<p>crash</p>",
                                 encoding="utf-8", kind="report")
    outcome = parse_stored_snapshot(archive_db, snapshot_id)
    assert (outcome.error, outcome.message) == ("RecursionError", "parser crashed: maximum recursion depth exceeded")
    errors = archive_db.execute("select stage, error from errors where snapshot_id = ?", [snapshot_id]).fetchall()
    assert errors == [("parse", "RecursionError")]


# ---- found by the fuzzer: each once raised out of parse_report ----

def _zip_from_the_future() -> bytes:
    """report_2021.docx whose central directory asks for zip version 25.5 to extract."""
    data = bytearray(BODIES["report_2021.docx"])
    at = data.find(b"PK\x01\x02")
    data[at + 6:at + 8] = (255).to_bytes(2, "little")
    return bytes(data)


def _html_tag_swallowing_head() -> bytes:
    """The Pingtan page with ``<html …>\\n  <head>`` cut to ``<html``: the html tag swallows
    the first ``<meta>`` as attributes (seen as a mutation of the fuzzer above)."""
    page = BODIES["report_page.html"]
    return page.replace(b'<html ms-controller="windowRoot" ms-class-1="SLB:isSlb" ms-class-2="slb:isSlb">\n  <head>',
                        b"<html", 1)


@pytest.mark.parametrize("data, url, why", [
    pytest.param(_zip_from_the_future(), "http://www.example.gov.cn/a.docx",
                 "zipfile's NotImplementedError escaped _zip_kind", id="zip-version"),
    pytest.param(_html_tag_swallowing_head(), "http://www.example.gov.cn/a.html",
                 "KeyError(<Element table>): the body lay in a second root element", id="html-no-head"),
])
def test_fuzzer_findings(data, url, why):
    parse_or_parse_error(data, url=url)


@pytest.mark.parametrize("coding,wbits", [("gzip", 31), ("deflate", 15), ("deflate", -15)])  # -15: raw deflate
def test_a_compression_bomb_is_refused_not_inflated(coding, wbits):
    import zlib

    from parsers import decode_http_body
    from parsers.content_coding import MAX_INFLATED_SIZE

    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)  # made a MiB at a time
    zeros = b"\0" * (1 << 20)
    bomb = b"".join(packer.compress(zeros) for _ in range(MAX_INFLATED_SIZE // len(zeros) + 1)) + packer.flush()
    with pytest.raises(ParseError, match="a compression bomb"):
        decode_http_body(bomb, coding)
