"""Hostile hosts: oversize downloads crawled for real, and the pieces alone.

The hostile hosts (script challenges, refusals, robots.txt, rate limits, mirrors, a
withdrawn report, tables as images) are crawled with the whole imitation portal in
tests/test_imitation_portal.py. Here the hostile column is crawled on its own with its
files over ``DOWNLOAD_MAXSIZE``, on two nights: the second asks for them conditionally and
downloads none of them again. (The imitation portal serves them as real PDFs.)"""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

import pytest

from conftest import get_test_file, run_crawl_subprocess

LIMIT = 1_000_000  # DOWNLOAD_MAXSIZE for the crawl; the hostile PDFs are 1.5 MB


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, guarded_env):
    from portal import DemoPortal, Site
    from portal.hostile import ADDRESSES, hostile_column_site, registry_entries

    tmp = tmp_path_factory.mktemp("oversize")
    with DemoPortal(Site({}), host=ADDRESSES["hostile-column"]) as portal:
        base = portal.base_url
        portal.site = hostile_column_site(base)
        nights = []
        for _ in range(2):
            portal.clear_sent()
            run_crawl_subprocess(guarded_env, registry_entries({"hostile-column": portal}), tmp / "data", "test",
                                 {"DOWNLOAD_MAXSIZE": LIMIT})
            nights.append(portal.sent)
    db = sqlite3.connect(tmp / "data" / "nianbao.db")
    db.row_factory = sqlite3.Row
    yield {"db": db, "site": portal.site, "base": base, "nights": nights}
    db.close()


def rows(db, sql, *params):
    return [dict(r) for r in db.execute(sql, params)]


FIRST_RUN = "(select min(id) from crawl_runs)"
LAST_RUN = "(select max(id) from crawl_runs)"


def test_oversize_downloads_end_as_errors_saying_so(crawl):
    urls = {crawl["base"] + crawl["site"].extra[k] for k in ("pdf_only", "attachment")}
    errors = rows(crawl["db"], f"select * from errors where error = 'DownloadTooLarge' and run_id = {FIRST_RUN}")
    assert {e["url"] for e in errors} == urls
    for error in errors:
        assert error["stage"] == "fetch"
        assert error["message"] == f"over the size limit: announced 1,500,000 bytes, DOWNLOAD_MAXSIZE is {LIMIT:,}"
    assert not rows(crawl["db"], "select * from payloads where size > ?", LIMIT)
    # The report that links the oversize attachment is still found.
    (report,) = rows(crawl["db"], "select * from reports where url = ?", crawl["base"] + crawl["site"].extra["report"])
    assert report["year"] == 2024 and report["has_tables"] == 1


def test_a_file_cancelled_for_its_size_is_asked_for_conditionally_the_next_night(crawl):
    """No validator is stored with a cancelled download's snapshot (there is none): the
    validators its answer announced are kept apart, and the next night's 304 ends it."""
    urls = {crawl["base"] + crawl["site"].extra[k] for k in ("pdf_only", "attachment")}
    paths = {urlsplit(url).path for url in urls}
    second = [sent for sent in crawl["nights"][1] if urlsplit(sent.path).path in paths]
    assert len(second) == 2
    for sent in second:
        assert sent.status == 304 and sent.body == b""
        assert dict(sent.request_headers).get("If-Modified-Since")
    errors = rows(crawl["db"], f"select * from errors where error = 'DownloadTooLarge' and run_id = {LAST_RUN}")
    assert {e["url"] for e in errors} == urls
    for error in errors:
        assert error["message"].startswith("unchanged since ")
        assert error["message"].endswith(f"still over the size limit: 1,500,000 bytes announced, DOWNLOAD_MAXSIZE is {LIMIT:,}")
    remembered = rows(crawl["db"], "select * from oversize_files")
    assert {r["url"] for r in remembered} == urls
    assert all(r["size_limit"] == LIMIT and r["content_length"] == 1_500_000 and r["last_modified"] for r in remembered)


# -- the pieces alone -------------------------------------------------------------------------

def test_recognise_challenge():
    """Which challenge (a block's reason, one of a few) and what marked it (its detail)."""
    from archive.blocks import JSL_CHALLENGE, JSL_STYLE_CHALLENGE, TS_CHALLENGE
    from crawler.middlewares.challenges import recognise_challenge
    from portal import build_site
    from portal.hostile import JSL_PAGE, RUISHU_PAGE

    real = get_test_file("hostile", "ruishu_412_challenge_skeleton.html").read_bytes()
    reason, detail = recognise_challenge(412, real)
    assert reason == TS_CHALLENGE and detail.startswith("HTTP 412: $_ts script")
    assert recognise_challenge(200, RUISHU_PAGE) == (TS_CHALLENGE, "HTTP 200: $_ts script, r='m' markup")
    assert recognise_challenge(202, b"<meta content='x' r='m'>", ["NfBCSins2OywS=60a; path=/"]) == (
        TS_CHALLENGE, "HTTP 202: r='m' markup, cookie NfBCSins2OywS")
    assert recognise_challenge(521, JSL_PAGE) == (JSL_STYLE_CHALLENGE, "HTTP 521, sets document.cookie")
    assert recognise_challenge(521, b"<html><script>x()</script></html>") == (JSL_STYLE_CHALLENGE, "HTTP 521")
    assert recognise_challenge(200, b"<script>var __jsl_clearance_s='1';</script>") == (JSL_CHALLENGE, "HTTP 200")
    # Ordinary pages, and a cookie ending in S on a normal 200, are not challenges.
    for page in build_site().values():
        assert recognise_challenge(200, page.body) is None
    assert recognise_challenge(200, b"<html><body>$_ts is a variable name</body></html>", ["JSESSIONIDS=1"]) is None
    assert recognise_challenge(404, b"<html><script>x()</script></html>") is None


@pytest.mark.parametrize("head", [
    b"<meta content='x' r='m'>", b"<META content=\"<meta\" R=\"M\"/>", b"<script r=m>", b"<meta r='m' ",  # cut mid-tag
    b"<meta content='r=m'>", b"<metadata r='m'>", b"<p r='m'>", b"<meta x>r='m'", b"<meta; <meta r=m", b"",
])
def test_r_m_markup_is_what_the_lazy_regex_finds(head):
    import re

    from crawler.middlewares.challenges import has_r_m

    lazy = re.compile(rb"<(?:meta|script)\b[^>]*?\sr\s*=\s*['\"]?m['\"]?[\s>/]", re.IGNORECASE)
    assert has_r_m(head) == bool(lazy.search(head))


def test_a_head_of_many_unclosed_meta_tags_is_judged_in_one_pass():
    """Every answer is judged on the crawl's one thread: the lazy regex took seconds for a
    256 KB head of "<meta;" repeated. A subprocess with a generous bound fails instead of hanging."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("from crawler.middlewares.challenges import recognise_challenge\n"
            "assert recognise_challenge(200, b'<meta;' * 43_000) is None\n"
            "assert recognise_challenge(200, b'<meta;' * 43_000 + b'>') is None\n")
    # About a second now; the lazy regex took ~45 s a call here.
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)


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
