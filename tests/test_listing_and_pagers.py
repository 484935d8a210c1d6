"""Listing items and TRS pagers, read from the markup real portals serve."""

from __future__ import annotations

import pytest

from crawler.flavours.trs import listing_page_urls, trs_page_names
from crawler.listing import extract_listing_items

COLUMN = "http://127.0.0.1:8000/zwgk/zfxxgknb/index_1.html"

# The pager function's own definition must not be mistaken for a call.
TRS_DEFINITION = """<script>function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt)
{ if(_nPageCount == null || _nPageCount<=0){ return; } }</script>"""


def test_classic_trs_call_lists_every_page():
    html = TRS_DEFINITION + '<script>createPageHTML(3, 1, "index", "html");</script>'
    assert listing_page_urls(COLUMN, html, max_pages=500) == [
        "http://127.0.0.1:8000/zwgk/zfxxgknb/index.html",
        "http://127.0.0.1:8000/zwgk/zfxxgknb/index_1.html",
        "http://127.0.0.1:8000/zwgk/zfxxgknb/index_2.html",
    ]


def test_newer_trs_call_is_one_based():
    html = "<script>createPageHTML('page_div', 3, 1, 'common_list', 'shtml', 325)</script>"
    assert trs_page_names(html) == ["common_list.shtml", "common_list_2.shtml", "common_list_3.shtml"]


def test_a_pager_claiming_a_million_pages_is_bounded():
    """Bounded before the names are made: a million names held ~70 MB for a moment, and a
    pager claiming 10^9 pages would have held the crawl until it ran out of memory."""
    import tracemalloc

    html = '<script>createPageHTML(1000000, 0, "index", "html");</script>'
    tracemalloc.start()
    try:
        urls = listing_page_urls(COLUMN, html, max_pages=50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(urls) == 50
    assert peak < 1_000_000
    assert len(listing_page_urls(COLUMN, html.replace("1000000", "1000000000000"), max_pages=50)) == 50


def test_no_pager_no_pages():
    assert listing_page_urls(COLUMN, "<html><body>no script</body></html>", max_pages=500) == []


def test_items_prefer_the_full_title_attribute_and_keep_the_date():
    html = """<ul>
      <li><a href="./202402/t20240130_100002.html" title="合作市2023年政府信息公开工作年度报告">合作市2023年政府信息...</a><span>2024-01-30</span></li>
      <li><a href="../../">首页</a></li>
    </ul>
    <table><tr><td><a href="./201710/t20171020_398361.html">袁州区财政局掀起学习热潮</a></td><td>2017-10-20</td></tr></table>"""
    items = extract_listing_items(COLUMN, html)
    assert [(i.title, i.date) for i in items] == [
        ("合作市2023年政府信息公开工作年度报告", "2024-01-30"),
        ("袁州区财政局掀起学习热潮", "2017-10-20"),
    ]
    assert items[0].url == "http://127.0.0.1:8000/zwgk/zfxxgknb/202402/t20240130_100002.html"


def test_attachment_links_are_found_however_their_href_is_written():
    """A page whose source names no attachment extension is not parsed to look for links;
    one that spells it in a way a browser reads as one (a character reference, a percent
    escape, a line break inside) is parsed all the same."""
    from crawler.flavours.common import linked_documents

    def urls(page):
        return [item.url for item in linked_documents("http://gov.example/nb/t1.html", page)]

    assert urls('<p><a href="P0202501.PDF">附件</a> <a href="f.docx">附件</a></p>') == [
        "http://gov.example/nb/P0202501.PDF", "http://gov.example/nb/f.docx"]
    assert urls('<a href="/down?file=2024&#46;pdf">报告</a>') == ["http://gov.example/down?file=2024.pdf"]
    assert urls('<a href="/down/2024&period;Doc">报告</a>') == ["http://gov.example/down/2024.Doc"]
    assert urls('<a href="/down/2024%2Epdf">报告</a>') == ["http://gov.example/down/2024%2Epdf"]
    assert urls('<a href="/down/2024.p\r\ndf">报告</a>') == ["http://gov.example/down/2024.pdf"]
    assert urls('<a href="t2.html">2024年报告</a><a href="index.html">首页</a>') == []


@pytest.mark.parametrize("href, listed", [
    ("P0202501.pdf", "http://gov.example/nb/P0202501.pdf"),
    ("/module/download/downfile.jsp?classid=0&filename=6a2b.pdf",
     "http://gov.example/module/download/downfile.jsp?classid=0&filename=6a2b.pdf"),
    ("http://[endif]/附件.pdf", "http://[endif]/附件.pdf"),  # no URL: kept as written
    ("http://[endif]/down.jsp?filename=附件.pdf", "http://[endif]/down.jsp?filename=附件.pdf"),
    ("http://[endif]/附件.html", None),
    ("t2.html", None),
    ("2024.p\ndf", "http://gov.example/nb/2024.pdf"),  # browsers and urllib drop a newline in a URL
    ("2024%2Epdf", "http://gov.example/nb/2024%2Epdf"),  # the server's 2024.pdf
])
def test_the_crawler_and_the_parser_take_the_same_links_for_attachments(href, listed):
    """One definition (``parsers.attachments.is_attachment``); the crawler keeps a link no
    request can be made for as written, for the spider to record as no URL (NOT_A_URL),
    where the parser lists only the report's attachments that are URLs."""
    from crawler.flavours.common import linked_documents
    from crawler.listing import is_url
    from crawler.spiders.reports import NOT_A_URL, unfollowed
    from parsers import parse_report

    page = (f'<html><head><title>XX县2023年政府信息公开工作年度报告</title></head><body><div class="TRS_Editor">'
            f'<p>XX县2023年政府信息公开工作年度报告</p><p>一、总体情况</p><p>二、主动公开政府信息情况</p>'
            f'<p><a href="{href}">附件</a></p></div></body></html>')
    found = [item.url for item in linked_documents("http://gov.example/nb/t1.html", page)]
    parsed = [a["url"] for a in parse_report(page.encode("utf-8"), url="http://gov.example/nb/t1.html").attachments]
    assert found == ([listed] if listed else [])
    assert parsed == ([listed] if listed and is_url(listed) else [])
    if listed and not is_url(listed):
        assert unfollowed({"name": "gov", "start_urls": ["http://gov.example/nb/"]}, listed) == NOT_A_URL


@pytest.mark.parametrize("href, attachment", [
    ("P0202501.PDF", True),
    ("/down.jsp?file=2024%2Epdf", True),    # a query's value is read unescaped
    ("/down.jsp?file=%E5%B9%B4%E6%8A%A5.Docx", True),
    ("/down/2024%2Epdf", True),             # a path is read unescaped, as the server reads it
    ("/down/2024.%50DF", True),
    ("/down/2024%2Ehtml", False),
    ("/nb/t20240120_1.html?from=pdf", False),
    ("../../index.html", False),
    ("/nb/a.p\ndf", True),                  # urllib drops a tab or newline inside a URL
    ("/nb/2024.\tPDF", True),
    ("/down.jsp?file=a\r\n.docx", True),
    ("http://[endif]/a.p\ndf", True),      # dropped also from a link urllib cannot read
])
def test_an_attachment_is_named_by_its_path_or_a_query_value(href, attachment):
    """What ``is_attachment`` says, also of the links it answers before urllib splits them
    (most of a page's: no extension, no percent escape)."""
    from parsers.attachments import is_attachment

    assert is_attachment(href) is attachment


def test_an_items_date_is_read_from_its_own_row_not_past_it():
    """The date beside an anchor: in its <li>/<tr> (its first 2,000 characters), else in a
    parent of at most 200 characters."""
    page = ('<ul><li><a href="/a.html">年报</a> 2024-01-05</li>'
            '<li><a href="/b.html">年报</a>' + "说明" * 1_100 + "2024-01-06</li></ul>"
            '<div><a href="/c.html">短</a><span>2023-12-30</span></div>'
            '<div><a href="/d.html">长</a>' + "文字" * 120 + "2023-12-31</div>")
    dates = {item.url.rsplit("/", 1)[1]: item.date for item in extract_listing_items("http://x/", page)}
    # b and d: no date read beside them, and hrefs no document has: not listing items.
    assert dates == {"a.html": "2024-01-05", "c.html": "2023-12-30"}


def test_a_page_of_anchors_under_one_parent_is_read_in_one_pass():
    """Every anchor reads its container's text; under <body> that was the whole page once per
    anchor (1.3 MB: 34 s on the crawl's one thread). A subprocess with a generous bound fails
    instead of hanging."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("from crawler.listing import extract_listing_items\n"
            "extract_listing_items('http://x/', '<a href=\"共</a>\\n' * 180_000)\n")
    # About a second now; ~140 s before.
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)


@pytest.mark.parametrize("href, url, requestable", [
    ("./t20240120_1.html", "http://gov.example/col/t20240120_1.html", True),
    ("http://[::1]:8080/a.html", "http://[::1]:8080/a.html", True),
    ("http://gov.example:/a b.html", "http://gov.example:/a b.html", True),  # Scrapy quotes the space
    ("http://[::1", "http://[::1", False),                                   # urllib cannot read it
    ("http://[endif]/a.pdf", "http://[endif]/a.pdf", False),
    ("http://gov.example:99999/a.html", "http://gov.example:99999/a.html", False),  # Scrapy refuses the port
    ("http://gov.example:abc/a.html", "http://gov.example:abc/a.html", False),
    ("http://exa mple.com/", "http://exa mple.com/", False),                 # no host has a space
    ("http://ex\x00ample.com/", "http://ex\x00ample.com/", False),
    ("file:///etc/passwd", "file:///etc/passwd", False),                      # no host: the spider says NOT_HTTP
    (12345, "12345", False),                                                  # a JSON list's number
])
def test_a_link_is_kept_as_written_and_is_a_url_when_a_request_can_be_made_for_it(href, url, requestable):
    """``is_url`` answers what Scrapy's Request would: a link it says no to is recorded in
    ``skipped`` instead of raising in the spider's callback."""
    import scrapy

    from crawler.listing import is_url, link_url
    from crawler.spiders.reports import NOT_A_URL, NOT_HTTP, unfollowed

    assert link_url("http://gov.example/col/index.html", href) == url
    assert is_url(url) is requestable
    site = {"name": "gov", "start_urls": ["http://gov.example/col/"]}
    if requestable:
        scrapy.Request(url)
        assert unfollowed(site, url) in (None, "on an unrelated host (not followed)")
    else:
        assert unfollowed(site, url) == (NOT_HTTP if url.startswith("file:") else NOT_A_URL)


def test_a_listed_document_without_a_date_is_an_item_and_the_spider_judges_it_by_its_title():
    """Listing and parser share one idea of an attachment (``is_attachment``): a report listed
    as a PDF, or as a Hanweb download link, is fetched as an attachment even with no date beside
    it; a document that is no report is recorded in ``skipped`` with the title's reason; the
    page's other links are no items."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from crawler.items import SkippedPage
    from crawler.spiders.reports import ReportSpider
    from parsers import classify_listing_title

    url = "http://127.0.0.1:8000/zwgk/zfxxgknb/index.html"
    text = ('<div><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/about.html">网站声明</a></div>'
            '<div><a href="./202503/P020250301300006.pdf">示范区2024年政府信息公开工作年度报告（全文）</a></div>'
            '<div><a href="/module/download/downfile.jsp?classid=0&amp;filename=6a2b.pdf">'
            '示范区2023年政府信息公开工作年度报告</a></div>'
            '<div><a href="/files/sqb.DOC#top">政府信息公开申请表</a></div>')
    site = {"name": "demo", "start_urls": [url], "flavour": "trs"}
    spider = ReportSpider.from_crawler(get_crawler(ReportSpider), sites=[site])
    request = Request(url, meta={"nianbao_site": "demo", "nianbao_flavour": "trs"})
    made = list(spider.parse_listing(HtmlResponse(url, body=text.encode(), encoding="utf-8", request=request)))
    assert [(r.url, r.meta["nianbao_kind"]) for r in made if isinstance(r, Request)] == [
        ("http://127.0.0.1:8000/zwgk/zfxxgknb/202503/P020250301300006.pdf", "attachment"),
        ("http://127.0.0.1:8000/module/download/downfile.jsp?classid=0&filename=6a2b.pdf", "attachment")]
    assert [(s.url, s.reason) for s in made if isinstance(s, SkippedPage)] == [
        ("http://127.0.0.1:8000/files/sqb.DOC#top", classify_listing_title("政府信息公开申请表").reason)]
