"""A crawled page chooses where its links point: the crawler fetches only http(s) URLs on the
site's own hosts, whatever a page links or redirects to.

Scrapy would read a ``file://`` URL from the local disk (whatever host it names: the site's
own host passed the host check), and ``data:``, ``ftp://`` and ``s3://`` ones too; the archive
would then hold, and a published export carry, the crawling machine's files. Here a real
portal on 127.0.0.61 lists reports at ``file://`` and ``data:`` URLs, pages onwards ("下一页")
to a local file and to an unrelated host, links a report's attachment to a local file and
redirects a report there; the real spider crawls it in a subprocess. Nothing of the local
file is archived, nothing is asked of the other host, and each link is in ``skipped`` saying
why.
"""

from __future__ import annotations

import sqlite3

import pytest

from conftest import run_crawl_subprocess

from archive.schema import open_database
from archive.snapshots import iter_snapshots
from crawler.spiders.reports import NOT_A_URL, NOT_HTTP, UNRELATED_HOST

HOST = "127.0.0.61"
OTHER_HOST = "http://127.0.0.62:9/zwgk/zfxxgknb/index.html"  # nothing listens there
SECRET = "LOCAL-SECRET-3f9c2a"
HTML = "text/html; charset=utf-8"
MODIFIED = "Mon, 20 Jan 2025 02:12:00 GMT"
# What Word's conditional comments leave in an href: urllib refuses the bracketed host.
NO_URL = "http://[endif]/202101/t20210120_3.html"
NO_URL_NEXT, NO_URL_ATTACHMENT = "http://[x/index_1.html", "http://[endif]/附件.pdf"


def hostile_links_site(secret_dir):
    from portal.hostile import HostileSite, redirect
    from portal.site import COLUMN_PATH, START_PATH, Resource

    listing = f"""<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body><ul>
<li><a href="file://{HOST}{secret_dir}/report.html">示范区人民政府2024年政府信息公开工作年度报告</a><span>2025-01-20</span></li>
<li><a href="data:text/html,{SECRET}">示范区人民政府2023年政府信息公开工作年度报告</a><span>2024-01-20</span></li>
<li><a href="./202301/t20230120_1.html">示范区人民政府2022年政府信息公开工作年度报告</a><span>2023-01-20</span></li>
<li><a href="./202201/t20220120_2.html">示范区人民政府2021年政府信息公开工作年度报告</a><span>2022-01-20</span></li>
<li><a href="{NO_URL}">示范区人民政府2020年政府信息公开工作年度报告</a><span>2021-01-20</span></li>
</ul><a href="file://{secret_dir}/listing.html">下一页</a> <a href="{OTHER_HOST}">下一页</a>
<a href="{NO_URL_NEXT}">下一页</a></body></html>"""
    report = f"""<html><head><meta charset="utf-8"><title>示范区人民政府2022年政府信息公开工作年度报告</title></head>
<body><h1>示范区人民政府2022年政府信息公开工作年度报告</h1>
<p>附件：<a href="file://{HOST}{secret_dir}/report.pdf">年度报告全文.pdf</a>
<a href="{NO_URL_ATTACHMENT}">附件.pdf</a></p></body></html>"""
    resources = {
        START_PATH: Resource(listing.encode("utf-8"), HTML, MODIFIED, "listing"),
        COLUMN_PATH + "202301/t20230120_1.html": Resource(report.encode("utf-8"), HTML, MODIFIED, "report"),
    }
    return HostileSite(resources, START_PATH, [redirect(COLUMN_PATH + "202201/t20220120_2.html",
                                                        f"file://{secret_dir}/report.html")])


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, guarded_env):
    from portal import DemoPortal

    tmp = tmp_path_factory.mktemp("hostile-links")
    secret_dir = tmp / "secrets"
    secret_dir.mkdir()
    for name in ("report.html", "listing.html", "report.pdf"):
        (secret_dir / name).write_text(f"<html><body>{SECRET} 年度报告</body></html>", encoding="utf-8")
    with DemoPortal(hostile_links_site(secret_dir), host=HOST) as portal:
        run_crawl_subprocess(guarded_env, [{"name": "hostile links", "start_urls": [portal.start_url],
                                            "flavour": "generic"}], tmp / "data", "test", {})
        sent = [response.path for response in portal.sent]
    db = sqlite3.connect(tmp / "data" / "nianbao.db")
    yield {"db": db, "path": tmp / "data" / "nianbao.db", "secret_dir": secret_dir, "sent": sent}
    db.close()


def test_nothing_from_the_local_disk_is_archived(crawl):
    urls = [url for (url,) in crawl["db"].execute("select url from snapshots")]
    assert urls and all(url.startswith(f"http://{HOST}:") for url in urls)
    archive = open_database(crawl["path"])
    assert not [s.url for s in iter_snapshots(archive) if SECRET.encode() in s.body]
    archive.close()


def test_each_link_not_followed_is_skipped_saying_why(crawl):
    skipped = dict(crawl["db"].execute("select url, reason from skipped"))
    secret_dir = crawl["secret_dir"]
    assert {url: skipped.get(url) for url in [
        f"file://{HOST}{secret_dir}/report.html", f"data:text/html,{SECRET}", f"file://{secret_dir}/listing.html",
        f"file://{HOST}{secret_dir}/report.pdf", OTHER_HOST, NO_URL, NO_URL_NEXT, NO_URL_ATTACHMENT]} == {
        f"file://{HOST}{secret_dir}/report.html": NOT_HTTP,  # a listed report
        f"data:text/html,{SECRET}": NOT_HTTP,
        f"file://{secret_dir}/listing.html": NOT_HTTP,        # the next page
        f"file://{HOST}{secret_dir}/report.pdf": NOT_HTTP,  # a report's attachment
        OTHER_HOST: UNRELATED_HOST,                          # a next page elsewhere
        NO_URL: NOT_A_URL,                                   # a listed report whose link is no URL
        NO_URL_NEXT: NOT_A_URL,                              # a next page whose link is no URL
        NO_URL_ATTACHMENT: NOT_A_URL,                        # an attachment whose link is no URL
    }


def test_links_that_are_no_urls_cost_the_page_nothing_else(crawl):
    """urllib raises on ``http://[endif]/…``: the listing page, with such a report link and
    next-page link, and the report page, with such an attachment link, are read all the same."""
    pages = {url.split("/", 3)[3]: kind for url, kind in crawl["db"].execute("select url, kind from snapshots")}
    assert pages.get("zwgk/zfxxgknb/202301/t20230120_1.html") == "report"
    (report_id,) = crawl["db"].execute("select id from reports").fetchone()
    assert report_id


def test_a_redirect_to_a_local_file_is_not_followed(crawl):
    """Scrapy's redirect middleware follows http(s) Locations only: the 302 is archived as
    the report's answer and its error, and nothing is asked of the other host."""
    (redirected,) = [url for (url,) in crawl["db"].execute("select url from snapshots where status = 302")]
    assert redirected.endswith("/zwgk/zfxxgknb/202201/t20220120_2.html")
    assert crawl["db"].execute("select url, error, message from errors").fetchall() == [
        (redirected, "HttpError", "HTTP 302")]


def test_a_callback_that_raises_is_an_error_row_for_its_page(tmp_path):
    """Whatever still makes a spider callback raise (a page no test foresaw) costs that page
    what it would have given: the run records it in ``errors``, not only in the log."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from crawler.extensions import CrawlRunExtension
    from crawler.spiders.reports import ReportSpider

    crawler = get_crawler(ReportSpider, {"NIANBAO_DATA_DIR": str(tmp_path)})
    extension = CrawlRunExtension(crawler)
    url = f"http://{HOST}/zwgk/zfxxgknb/index.html"
    response = HtmlResponse(url, body=b"<html></html>", request=Request(url))
    try:
        raise ValueError("'endif' does not appear to be an IPv4 or IPv6 address")
    except ValueError:
        extension.spider_error(Failure(), response, None)
    db = crawler.nianbao_archive.db
    assert db.execute("select url, stage, error, message, snapshot_id from errors").fetchall() == [
        (url, "spider", "ValueError", "'endif' does not appear to be an IPv4 or IPv6 address", None)]
    assert crawler.stats.get_value("nianbao/spider_errors") == 1
    db.close()
