"""Listing items and TRS pagers, read from the markup real portals serve."""

from __future__ import annotations

from crawler.listing import extract_listing_items
from crawler.pagers import listing_page_urls, trs_page_names

COLUMN = "http://127.0.0.1:8000/zwgk/zfxxgknb/index_1.html"

# The pager function's own definition must not be mistaken for a call.
TRS_DEFINITION = """<script>function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt)
{ if(_nPageCount == null || _nPageCount<=0){ return; } }</script>"""


def test_classic_trs_call_lists_every_page():
    html = TRS_DEFINITION + '<script>createPageHTML(3, 1, "index", "html");</script>'
    assert listing_page_urls(COLUMN, html) == [
        "http://127.0.0.1:8000/zwgk/zfxxgknb/index.html",
        "http://127.0.0.1:8000/zwgk/zfxxgknb/index_1.html",
        "http://127.0.0.1:8000/zwgk/zfxxgknb/index_2.html",
    ]


def test_newer_trs_call_is_one_based():
    html = "<script>createPageHTML('page_div', 3, 1, 'common_list', 'shtml', 325)</script>"
    assert trs_page_names(html) == ["common_list.shtml", "common_list_2.shtml", "common_list_3.shtml"]


def test_a_pager_claiming_a_million_pages_is_bounded():
    html = '<script>createPageHTML(1000000, 0, "index", "html");</script>'
    assert len(listing_page_urls(COLUMN, html, max_pages=50)) == 50


def test_no_pager_no_pages():
    assert listing_page_urls(COLUMN, "<html><body>no script</body></html>") == []


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
    one that spells the dot as a character reference still is."""
    from crawler.flavours.common import linked_documents

    def urls(page):
        return [item.url for item in linked_documents("http://gov.example/nb/t1.html", page)]

    assert urls('<p><a href="P0202501.PDF">附件</a> <a href="f.docx">附件</a></p>') == [
        "http://gov.example/nb/P0202501.PDF", "http://gov.example/nb/f.docx"]
    assert urls('<a href="/down?file=2024&#46;pdf">报告</a>') == ["http://gov.example/down?file=2024.pdf"]
    assert urls('<a href="/down/2024&period;Doc">报告</a>') == ["http://gov.example/down/2024.Doc"]
    assert urls('<a href="t2.html">2024年报告</a><a href="index.html">首页</a>') == []
