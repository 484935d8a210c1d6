"""Flavour adapters on static markup: real samples (tests/data/portal-samples) and small pages
in the forms real portals use. No network."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from conftest import get_test_file
from crawler.flavours import flavour_module, generic, gkmlpt, hanweb, trs
from crawler.flavours.detect import detect_flavour
from crawler.listing import extract_listing_items
from parsers.embedded_body import extracted_report_body


def sample(name: str) -> str:
    return get_test_file("portal-samples", name).read_text(encoding="utf-8")


def response(url: str, text: str, method: str = "GET", cls=HtmlResponse):
    return cls(url=url, body=text.encode("utf-8"), encoding="utf-8", request=Request(url, method=method))


# ---- TRS ---------------------------------------------------------------------------------------

YZQ = "http://www.yzq.gov.cn/zwgk/zwdt/zwyw/index.html"


def test_trs_sample_listing_items_and_both_pager_forms():
    text = sample("trs_list_yzq_2017_excerpt.html")
    assert detect_flavour(YZQ, text) == "trs"
    items = trs.listing_items(response(YZQ, text), text)
    assert items[0].url == "http://www.yzq.gov.cn/zwgk/zwdt/zwyw/201710/t20171020_398361.html"
    assert items[0].date == "2017-10-20"
    requests = trs.listing_requests(response(YZQ, text), text, max_pages=500)
    assert len(requests) == 120 and requests[1].url.endswith("/zwyw/index_1.html")
    assert all(r.meta["nianbao_kind"] == "listing" for r in requests)
    newer = "<script>createPageHTML('page_div', 3, 2, 'common_list', 'shtml', 40)</script>"
    assert [r.url.rsplit("/", 1)[1] for r in trs.listing_requests(response(YZQ, newer), newer, 500)] == [
        "common_list.shtml", "common_list_2.shtml", "common_list_3.shtml"]


def test_trs_pager_is_bounded():
    text = '<script>createPageHTML(1000000, 0, "index", "html");</script>'
    assert len(trs.listing_requests(response(YZQ, text), text, max_pages=25)) == 25


def test_trs_year_sub_columns_are_listing_pages():
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/index.html"
    text = ('<div><a href="./2021n/">2021年</a><a href="./2022n/index.html">2022年</a>'
            '<a href="./2022n/202201/t20220121_72383737.html" title="x">x</a></div>')
    urls = [r.url for r in trs.listing_requests(response(url, text), text, 500)]
    assert urls == ["http://www.example.gov.cn/zwgk/zfxxgknb/2021n/",
                    "http://www.example.gov.cn/zwgk/zfxxgknb/2022n/index.html"]


def test_trs_attachments_appendix_w0_and_script_written():
    url = "http://www.example.gov.cn/zwgk/202606/t20260612_10145310.shtml"
    text = sample("trs_attachment_markup_examples.html")
    found = {i.url.rsplit("/", 1)[1]: i.title for i in trs.attachments(response(url, text), text)}
    assert "P020260612342787864103.pdf" in found and "《安康建设工程造价信息》2026年第5期.pdf" in found.values()
    assert "P020260612553273540285.pdf" in found
    # written by document.write inside a script: no <a> in the parsed page
    assert {"P020260903657491913704.pdf", "P020260903657496859244.pdf"} <= set(found)
    # .jpg is not a document
    assert not any(name.endswith(".jpg") for name in found)


# ---- Hanweb ------------------------------------------------------------------------------------

DINGXI = "http://zwgk.dingxi.gov.cn/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=110&columnid=12377"


@pytest.mark.parametrize("text", [
    '<script>document.write(\'<a href="./P1.pdf">\')</script><SCRIPT type="x">b</SCRIPT>',
    "<script>a<script>b</script>c</script>",   # scripts do not nest: the first closing ends it
    "<script>unclosed<script>also",            # no closing anywhere: nothing
    "<script<script>x</script>",               # the opening tag runs to the first ">"
    "<record> <![CDATA[<li>one</li>]]> </record><record><![CDATA[two]]></record><record><![CDATA[x",
])
def test_between_finds_what_the_lazy_regex_finds(text):
    import re

    from crawler.flavours.common import _SCRIPT_CLOSE, _SCRIPT_OPEN, between

    cut = text[:text.rfind(">") + 1]
    assert list(between(cut, _SCRIPT_OPEN, _SCRIPT_CLOSE)) == re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S | re.I)
    assert list(between(text, *hanweb._RECORD)) == re.findall(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", text, re.S)


def test_many_unclosed_scripts_and_records_are_read_in_one_pass():
    """A lazy regex scans to the end for each opening no closing follows: 8,000 unclosed
    <script> tags took 2.2 s on the crawl's one thread, 100,000 would take minutes. Run in a
    subprocess with a generous bound, so a return of the quadratic scan fails instead of hanging."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("from crawler.flavours import common, hanweb\n"
            "assert common.script_documents('http://x/', '<script>a' * 100_000) == []\n"
            "assert hanweb.records_html('<record><![CDATA[a]]>' * 100_000) == ''\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)


def test_hanweb_dataproxy_sample_records_and_next_page():
    text = sample("hanweb_dataproxy_response_dingxi_2022.xml")
    resp = response(DINGXI, text, cls=TextResponse)
    items = hanweb.listing_items(resp, text)
    assert len(items) == 4
    assert items[0].url == "http://zwgk.dingxi.gov.cn/art/2022/1/20/art_12377_1486865.html"
    assert items[1].title.startswith("定西市工信局关于对省级第二轮环保督察") and not items[1].title.endswith("...")
    assert items[1].date == "2022-01-19"
    assert items[3].url.startswith("http://zwgk.dingxi.gov.cn/art/2021/11/4/art_12480_")
    (nxt,) = hanweb.listing_requests(resp, text, 500)
    assert nxt.method == "GET" and "/module/web/jpage/dataproxy.jsp" in nxt.url and "page=1" in nxt.url
    assert detect_flavour(DINGXI, text) == "hanweb"


COLUMN = "http://www.example.gov.cn/col/col12377/index.html"


def column_page(proxy: str, total: int = 100, inline: int = 45) -> str:
    records = "".join(
        f'<record><![CDATA[<li><a href="/art/2022/1/{i % 28 + 1}/art_12377_{i}.html" title="t{i}">t{i}</a>'
        f"<b>2022-01-20</b></li>]]></record>" for i in range(inline))
    return (f'<div id="div12377"><script type="text/xml"><datastore><nextgroup><![CDATA[]]></nextgroup>'
            f"<recordset>{records}</recordset></datastore></script></div>"
            f"<script>$('#div12377').jpage({{totalRecord:{total}, perPage:15, groupSize:3, proxyUrl:'{proxy}',"
            "ajaxParam:{col:1, appid:'1', webid:110, path:'/', columnid:12377, unitid:'38486', "
            "webname:'定西市', permissiontype:0}});</script>")


@pytest.mark.parametrize("proxy", ["/module/web/jpage/dataproxy.jsp", "/module/jslib/jquery/jpage/dataproxy.jsp"])
def test_hanweb_post_batches_carry_ajax_param_and_referer(proxy):
    text = column_page(proxy)
    resp = response(COLUMN, text)
    assert len(hanweb.listing_items(resp, text)) == 45
    batches = hanweb.listing_requests(resp, text, 500)
    assert [(r.method, urlsplit(r.url).path) for r in batches] == [("POST", proxy)] * 2
    first = parse_qs(urlsplit(batches[0].url).query)
    assert first == {"startrecord": ["46"], "endrecord": ["90"], "perpage": ["15"]}
    assert parse_qs(urlsplit(batches[1].url).query)["endrecord"] == ["100"]
    form = parse_qs(batches[0].body.decode())
    assert form["columnid"] == ["12377"] and form["webname"] == ["定西市"] and form["appid"] == ["1"]
    assert batches[0].headers["Referer"] == COLUMN.encode()
    assert batches[0].headers["Content-Type"] == b"application/x-www-form-urlencoded"
    # the answer to a POST batch asks for nothing more
    answer = response(batches[0].url, "<datastore><recordset></recordset></datastore>", method="POST",
                      cls=TextResponse)
    assert hanweb.listing_requests(answer, answer.text, 500) == []


def test_hanweb_batches_are_bounded():
    text = column_page("/module/web/jpage/dataproxy.jsp", total=10_000_000)
    assert len(hanweb.listing_requests(response(COLUMN, text), text, 7)) == 7


def test_hanweb_get_pages_up_to_totalpage():
    text = ('<script type="text/xml"><datastore><totalrecord>30</totalrecord><totalpage>3</totalpage>'
            '<nextgroup><![CDATA[<a href="/module/jslib/jquery/jpage/dataproxy.jsp?page=2&amp;columnid=9"></a>]]>'
            "</nextgroup><recordset></recordset></datastore></script>")
    urls = [r.url for r in hanweb.listing_requests(response(COLUMN, text), text, 500)]
    assert urls == [f"http://www.example.gov.cn/module/jslib/jquery/jpage/dataproxy.jsp?page={n}&columnid=9"
                    for n in (2, 3)]


def test_hanweb_downfile_attachment():
    url = "http://www.example.gov.cn/art/2022/1/20/art_12377_1.html"
    text = ('<div id="zoom"><a href="/module/download/downfile.jsp?classid=0&amp;filename='
            '0f3c2a9b8d7e6f5a4b3c2d1e0f9a8b7c.pdf">附件</a><a href="/art/2022/1/1/art_1_2.html">x</a></div>')
    (found,) = hanweb.attachments(response(url, text), text)
    assert found.url.endswith("downfile.jsp?classid=0&filename=0f3c2a9b8d7e6f5a4b3c2d1e0f9a8b7c.pdf")


# ---- gkmlpt ------------------------------------------------------------------------------------

SHELL = ("<html><head><script>window._CONFIG = {SID:'755031', TREE:[{id:2578,name:'政策文件',children:[]},"
         "{id:2580,name:'政府信息公开年报',children:[]}]};</script></head><body><div id=app></div></body></html>")


def test_gkmlpt_shell_asks_the_json_api_for_the_report_category():
    url = "http://www.example.gov.cn/gkmlpt/index"
    assert detect_flavour(url, SHELL) == "gkmlpt"
    assert gkmlpt.listing_items(response(url, SHELL), SHELL) == []
    (api,) = gkmlpt.listing_requests(response(url, SHELL), SHELL, 500)
    assert api.url == "http://www.example.gov.cn/gkmlpt/api/all/2580?page=1&sid=755031"
    # a category named in the URL's fragment wins
    (api,) = gkmlpt.listing_requests(response(url + "#2578", SHELL), SHELL, 500)
    assert "/api/all/2578?" in api.url


def test_a_gkmlpt_report_column_named_in_traditional_characters_is_the_category():
    shell = SHELL.replace("政府信息公开年报", "政府資訊公開年報")
    assert gkmlpt.category_of("", shell) == "2580"


def start_requests(sites: list[dict]) -> list:
    """The requests the spider starts the sites with."""
    import asyncio

    from crawler.spiders.reports import ReportSpider

    async def collect():
        return [request async for request in ReportSpider(sites=sites).start()]

    return asyncio.run(collect())


def test_scrapy_crawl_gives_start_urls_and_is_sent_to_nianbao_for_a_registry():
    """`scrapy crawl reports -a start_urls=URL,URL` (scrapy.cfg); `-a sites=FILE` names no
    registry entries (it was read as a list of characters): the error says what to run."""
    from crawler.spiders.reports import ReportSpider

    spider = ReportSpider(start_urls="http://a.gov.cn/col/,http://b.gov.cn/col/")
    assert [site["start_urls"] for site in spider.sites] == [["http://a.gov.cn/col/", "http://b.gov.cn/col/"]]
    with pytest.raises(ValueError, match="nianbao crawl --sites FILE"):
        ReportSpider(sites="sites.yaml")


def test_several_categories_of_one_gkmlpt_shell_are_one_request_and_each_is_read():
    """Scrapy's duplicate filter ignores fragments: /gkmlpt/index#2580 and #2581 are one request.
    The spider makes it once and carries both fragments, each with the site that named it (two
    bodies may name two categories of one shell); the adapter asks for both categories, each
    for its fragment."""
    shell = "http://www.example.gov.cn/gkmlpt/index"
    trs_column = "http://www.example.gov.cn/zwgk/nb/index.html"
    starts = start_requests([{"name": "A", "start_urls": [f"{shell}#2580", trs_column]},
                             {"name": "B", "start_urls": [f"{shell}#2581", "http://www.example.gov.cn/zwgk/nb/#top"]}])
    assert [(r.url, r.meta["nianbao_site"], r.meta["nianbao_fragments"]) for r in starts] == [
        (shell, "A", {"2580": "A", "2581": "B"}),
        (trs_column, "A", {"": "A", "top": "B"})]  # a page once, as first given, less its fragment
    assert all(r.meta["nianbao_column_start"] for r in starts)
    answer = HtmlResponse(url=shell, body=SHELL.encode(), encoding="utf-8", request=starts[0])
    assert [(r.url, r.meta["nianbao_for_fragment"]) for r in gkmlpt.listing_requests(answer, SHELL, 500)] == [
        (f"http://www.example.gov.cn/gkmlpt/api/all/{category}?page=1&sid=755031", str(category))
        for category in (2580, 2581)]
    # no fragment: the TREE node named like a report column, asked for once beside the same number
    for fragments, categories in [([""], ["2580"]), (["", "2580"], ["2580"]), (["2581", ""], ["2581", "2580"])]:
        request = Request(shell, meta={"nianbao_fragments": dict.fromkeys(fragments, "A")})
        answer = HtmlResponse(url=shell, body=SHELL.encode(), encoding="utf-8", request=request)
        asked = gkmlpt.listing_requests(answer, SHELL, 500)
        assert [r.url.split("/all/")[1].split("?")[0] for r in asked] == categories


def test_gkmlpt_api_pages_and_items():
    url = "http://www.example.gov.cn/gkmlpt/api/all/2580?page=1&sid=755031"
    answer = json.dumps({"total": 45, "articles": [
        {"id": i, "title": f"某市{2000 + i}年政府信息公开工作年度报告", "url": f"http://www.example.gov.cn/gkmlpt/content/2/2580/post_{i}.html",
         "display_publish_time": 1705276800, "attachment": []} for i in range(20)]})
    resp = response(url, answer, cls=TextResponse)
    items = gkmlpt.listing_items(resp, answer)
    assert len(items) == 20 and items[0].date == "2024-01-15" and items[0].url.endswith("post_0.html")
    urls = [r.url for r in gkmlpt.listing_requests(resp, answer, 500)]
    assert urls == [f"http://www.example.gov.cn/gkmlpt/api/all/2580?page={n}&sid=755031" for n in (2, 3)]
    page2 = response(url.replace("page=1", "page=2"), answer, cls=TextResponse)
    assert gkmlpt.listing_requests(page2, answer, 500) == []


def test_gkmlpt_report_body_from_detail_json():
    detail = {"id": 7, "title": "某市2023年政府信息公开工作年度报告", "publisher": "某市人民政府办公室",
              "display_publish_time": 1705276800, "content": "<p>一、总体情况</p><table><tr><td>1</td></tr></table>",
              "attachment": [{"name": "年报.pdf", "url": "/attachment/0/1/7.pdf"}]}
    inline = json.dumps(detail, ensure_ascii=False).replace("<", "\\u003C").replace(">", "\\u003E")
    page = f"<html><head><script>window._CONFIG = {{SID:'1', DETAIL:{inline}}};</script></head><body></body></html>"
    url = "http://www.example.gov.cn/gkmlpt/content/2/2580/post_7.html"
    body = extracted_report_body(page)
    assert "<table><tr><td>1</td></tr></table>" in body
    assert '<meta name="ArticleTitle" content="某市2023年政府信息公开工作年度报告">' in body
    assert '<meta name="PubDate" content="2024-01-15">' in body
    (att,) = gkmlpt.attachments(response(url, page), page)
    assert att.url == "http://www.example.gov.cn/attachment/0/1/7.pdf" and att.title == "年报.pdf"
    assert extracted_report_body("<html><body>DETAIL: none here</body></html>") is None


# ---- generic -----------------------------------------------------------------------------------

LIST = "http://old.example.gov.cn/list.asp?classid=12&page=1"


def test_generic_page_links_up_to_the_last_page():
    text = ('<div>首页 上一页 <a href="list.asp?classid=12&amp;page=2">下一页</a> '
            '<a href="list.asp?classid=12&amp;page=9">尾页</a></div>')
    urls = [r.url for r in generic.listing_requests(response(LIST, text), text, 500)]
    assert urls == [f"http://old.example.gov.cn/list.asp?classid=12&page={n}" for n in range(1, 10)]
    assert len(generic.listing_requests(response(LIST, text), text, 4)) == 4


def test_generic_zero_based_page_index_with_a_js_count():
    url = "http://x.example.gov.cn/news/list.jsp?pageIndex=0"
    text = '<script>var totalPage = 4;</script><a href="list.jsp?pageIndex=1">下一页</a>'
    urls = [r.url for r in generic.listing_requests(response(url, text), text, 500)]
    assert urls == [f"http://x.example.gov.cn/news/list.jsp?pageIndex={n}" for n in range(4)]


def test_generic_count_page_names_index_pages():
    url = "http://x.example.gov.cn/xxgk/ndbg/index.html"
    text = "<script>var countPage = 3;var currentPage = 0;</script>"
    assert [r.url.rsplit("/", 1)[1] for r in generic.listing_requests(response(url, text), text, 500)] == [
        "index.html", "index_1.html", "index_2.html"]


@pytest.mark.parametrize("previous,next_", [("上一页", "下一页"), ("上一頁", "下一頁"), ("上 一 页", "下 一 页")])
def test_generic_next_link_followed_when_nothing_else_is_known(previous, next_):
    """In either script (a traditional-character site's pager says 下一頁), spaced or not."""
    url = "http://x.example.gov.cn/col/list-3.html"
    text = f'<div class="page"><a href="list-2.html">{previous}</a><a href="list-4.html">{next_}</a></div>'
    assert [r.url for r in generic.listing_requests(response(url, text), text, 500)] == [
        "http://x.example.gov.cn/col/list-4.html"]


@pytest.mark.parametrize("pager", ["下一页", "下一頁", "尾頁"])
def test_generic_items_from_table_rows_without_document_shaped_links(pager):
    url = "http://x.example.gov.cn/xxgk/ndbg/index.html"
    text = ('<div class="logo"><a href="/">某市人民政府</a></div><p>2024-01-01</p><table>'
            '<tr><td><a href="content_1.html">某市2023年政府信息公开工作年度报告</a></td><td>2024-01-20</td></tr>'
            f'<tr><td><a href="index_1.html">{pager}</a></td><td>2024-01-20</td></tr></table>')
    items = extract_listing_items(url, text)
    assert [(i.url.rsplit("/", 1)[1], i.date) for i in items] == [("content_1.html", "2024-01-20")]


def test_detection_falls_back_to_generic():
    assert detect_flavour("http://x.example.gov.cn/list.asp", "<html><body>列表</body></html>") == "generic"
    assert detect_flavour("http://x.example.gov.cn/a", sample("hanweb_article_markers_wenzhou_2010.html")) == "hanweb"
    with pytest.raises(ValueError, match="unknown flavour"):
        flavour_module("joomla")
