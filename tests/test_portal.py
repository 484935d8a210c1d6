"""The imitation TRS WCM portal: its pages (built from the seed texts) and its HTTP server."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from portal import DemoPortal, build_site
from portal.seed_text import TABLE_SECTIONS, is_blank, is_value, read_seed, seed_ids, table_tokens

COLUMN = "/zwgk/zfxxgknb/"


@pytest.fixture(scope="module")
def site():
    return build_site()


@pytest.fixture(scope="module")
def portal(site):
    with DemoPortal(site) as running:
        yield running


def fetch(url, **headers):
    """(status, headers, raw body) over real HTTP; error statuses are answers too."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page_text(resource) -> str:
    """Decoded as a careful client would: GB2312/GBK pages as GB18030 (they hold GBK-only 體)."""
    return resource.body.decode("utf-8" if "utf-8" in resource.content_type else "gb18030")


def editor_body(resource):
    doc = lxml.html.fromstring(page_text(resource))
    (body,) = doc.xpath('//div[@class="TRS_Editor"]')
    return body


# ---- the site as built ----

def test_build_is_deterministic(site):
    again = build_site()
    assert list(site) == list(again)
    assert all(site[p].body == again[p].body for p in site)


def test_column_has_three_or_more_listing_pages(site):
    listings = site.paths("listing")
    assert len(listings) >= 3
    assert {COLUMN + "index.html", COLUMN + "index_1.html", COLUMN + "index_2.html"} <= set(listings)


@pytest.mark.parametrize("page", [0, 1, 2])
def test_listing_pages_link_each_other_only_through_create_page_html(site, page):
    name = "index.html" if page == 0 else f"index_{page}.html"
    body = site[COLUMN + name].body
    assert f'createPageHTML({len(site.paths("listing"))}, {page}, "index", "html");'.encode() in body
    listing_paths = set(site.paths("listing")) | {COLUMN}
    targets = {urlsplit(urljoin("http://portal" + COLUMN + name, href)).path
               for href in lxml.html.fromstring(body).xpath("//a/@href")}
    assert not targets & listing_paths
    assert not re.search(rb"index_\d+\.html", body)


def test_listing_items_carry_full_title_and_truncated_text(site):
    items = []
    for path in site.paths("listing"):
        doc = lxml.html.fromstring(site[path].body)
        items += doc.xpath('//ul[@class="list"]/li')
    assert len(items) == len(site.paths("report")) + len(site.paths("non_report"))
    truncated = [li for li in items if li.xpath("./a")[0].text.endswith("...")]
    assert truncated
    for li in truncated:
        anchor = li.xpath("./a")[0]
        assert anchor.get("title").startswith(anchor.text[:-3])
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", li.xpath("./span")[0].text) for li in items)


def test_every_seed_has_a_report_page_in_trs_markup(site):
    for seed_id in seed_ids():
        path = site.report_path(seed_id)
        assert re.fullmatch(COLUMN + r"\d{6}/t\d{8}_\d+\.html", path)
        resource = site[path]
        assert resource.kind == "report"
        page = page_text(resource)
        for meta in ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ArticleTitle", "PubDate",
                     "ContentSource"):
            assert f'<meta name="{meta}"' in page
        assert "发布时间：" in page and 'id="hiscount"' in page and "【关闭窗口】" in page
        assert "网站标识码" in page and "ICP备" in page and "公网安备" in page


def test_non_reports_are_listed_with_their_own_pages(site):
    titles = {site[p].title for p in site.paths("non_report")}
    assert "2024年政府网站工作年度报表" in titles
    assert "2025年政务公开工作要点" in titles


@pytest.mark.parametrize("seed_id", seed_ids())
def test_report_tables_carry_the_seed_values_in_order(site, seed_id):
    seed = read_seed(seed_id)
    printed = [t for n in TABLE_SECTIONS for t in table_tokens(seed.section(n).lines)
               if is_value(t) and not is_blank(t)]
    body = editor_body(site[site.report_path(seed_id)])
    cells = [td.text_content().replace("\xa0", " ").strip() for td in body.xpath(".//td")]
    assert [c for c in cells if c and is_value(c)] == [t.strip() for t in printed]


def test_tables_have_the_national_format_spans(site):
    body = editor_body(site[site.report_path("000_a7e6a703afb669e1")])
    t2, t3, t4 = body.xpath(".//table")
    assert all(t.get("class") == "MsoNormalTable" for t in (t2, t3, t4))
    corner = t3.xpath(".//tr[1]/td[1]")[0]
    assert (corner.get("rowspan"), corner.get("colspan")) == ("3", "3")
    assert [len(tr.xpath("./td")) for tr in t3.xpath(".//tr")].count(7 + 1) >= 2
    assert len(t3.xpath(".//tr")) == 3 + 25                # header rows + the 2021 layout's 25 rows
    assert [td.get("colspan") for td in t4.xpath(".//tr[1]/td")] == ["5", "10"]
    assert len(t4.xpath(".//tr[4]/td")) == 15
    assert b"<o:p></o:p>" in site[site.report_path("000_a7e6a703afb669e1")].body


def test_seed_004_keeps_the_single_other_row(site):
    body = editor_body(site[site.report_path("004_cbaa75f9e60907ca")])
    t3 = body.xpath(".//table")[1]
    assert len(t3.xpath(".//tr")) == 3 + 23


def test_label_quirks_are_kept(site):
    page_002 = editor_body(site[site.report_path("002_47717d3cd7e0ea5b")]).text_content()
    assert "本年度止件数" in page_002
    page_004 = editor_body(site[site.report_path("004_cbaa75f9e60907ca")])
    assert "區(qū)" in page_004.text_content()
    cells = [td.text_content() for td in page_004.xpath(".//td")]
    assert "? ? 0" in cells and "????? 22" in cells


def test_seed_001_has_headings_but_no_tables(site):
    body = editor_body(site[site.report_path("001_120ec37bf10fb6e7")])
    assert body.xpath(".//table") == []
    text = body.text_content()
    assert "二、主动公开政府信息情况" in text and "三、收到和处理政府信息公开申请情况" in text


def test_seed_chrome_goes_to_the_page_chrome(site):
    page = site[site.report_path("003_1cf59b4176a625ae")].body.decode("gb18030")
    body = editor_body(site[site.report_path("003_1cf59b4176a625ae")]).text_content()
    assert '<meta name="PubDate" content="2024-01-30 11:41:29"' in page
    assert "发布时间：2024-01-30 11:41" in page
    assert "政府信息公开指南" not in body and "关闭窗口" not in body and "点击数" not in body
    page_004 = site[site.report_path("004_cbaa75f9e60907ca")].body.decode("utf-8")
    assert "来源：江夏區(qū)行政審批局" in page_004 and "發(fā)布日期" not in page_004


def test_one_report_page_is_gbk_without_a_header_charset(site):
    resource = site[site.report_path("003_1cf59b4176a625ae")]
    assert resource.content_type == "text/html"
    assert b'charset=gb2312' in resource.body
    with pytest.raises(UnicodeDecodeError):
        resource.body.decode("utf-8")
    assert "合作市2023年政府信息公开工作年度报告" in resource.body.decode("gb18030")


# ---- the server, over real HTTP on 127.0.0.1 ----

def test_server_answers_the_whole_site(portal, site):
    assert portal.base_url.startswith("http://127.0.0.1:")
    assert portal.start_url == portal.base_url + COLUMN + "index.html"
    for path, resource in site.items():
        status, headers, body = fetch(portal.url(path))
        assert status == 200, path
        assert body == resource.body
        assert headers["Content-Type"] == resource.content_type


def test_robots_and_home(portal):
    status, _, body = fetch(portal.url("/robots.txt"), **{"Accept-Encoding": "gzip"})
    assert status == 200 and b"User-agent: *" in body and b"Disallow: /search/" in body
    _, _, home = fetch(portal.url("/"))
    assert b'href="./zwgk/zfxxgknb/index.html"' in home


def test_gbk_page_over_http(portal, site):
    status, headers, body = fetch(portal.url(site.report_path("003_1cf59b4176a625ae")))
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    assert "charset" not in headers["Content-Type"]
    assert "合作市" in body.decode("gb18030")


def test_gzip_only_when_asked(portal):
    _, plain_headers, plain = fetch(portal.start_url)
    assert plain_headers.get("Content-Encoding") is None
    _, headers, packed = fetch(portal.start_url, **{"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "gzip"
    assert packed == gzip.compress(plain, mtime=0)
    assert int(headers["Content-Length"]) == len(packed)
    _, refused, _ = fetch(portal.start_url, **{"Accept-Encoding": "gzip;q=0"})
    assert refused.get("Content-Encoding") is None


def test_sent_records_exactly_the_bytes_sent(portal, site):
    path = site.report_path("000_a7e6a703afb669e1")
    portal.clear_sent()
    _, _, raw = fetch(portal.url(path), **{"Accept-Encoding": "gzip"})
    _, _, missing = fetch(portal.url("/no/such/page.html"))
    first, second = portal.sent
    assert (first.method, first.path, first.status, first.body) == ("GET", path, 200, raw)
    assert ("Content-Encoding", "gzip") in first.headers
    assert gzip.decompress(first.body) == site[path].body
    assert (second.status, second.body) == (404, missing)


def test_conditional_requests_get_304(portal, site):
    path = site.report_path("002_47717d3cd7e0ea5b")
    _, headers, _ = fetch(portal.url(path))
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert last_modified == site[path].last_modified
    status, _, body = fetch(portal.url(path), **{"If-None-Match": etag})
    assert (status, body) == (304, b"")
    status, _, _ = fetch(portal.url(path), **{"If-Modified-Since": last_modified})
    assert status == 304
    status, _, _ = fetch(portal.url(path), **{"If-None-Match": '"something-else"'})
    assert status == 200
    _, gz_headers, _ = fetch(portal.url(path), **{"Accept-Encoding": "gzip"})
    status, _, _ = fetch(portal.url(path), **{"Accept-Encoding": "gzip", "If-None-Match": gz_headers["ETag"]})
    assert status == 304


def test_unknown_paths_are_404(portal):
    status, headers, body = fetch(portal.url("/search/?q=年报".replace("年报", "%E5%B9%B4")))
    assert status == 404 and b"404" in body
    assert headers["Content-Type"].startswith("text/html")


def test_directory_urls_serve_their_index(portal, site):
    status, _, body = fetch(portal.url(COLUMN))
    assert status == 200 and body == site[COLUMN + "index.html"].body


def expand(table) -> list[list[str]]:
    """The table as a rectangular grid, rowspan/colspan expanded (what a parser must do)."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.xpath(".//tr")):
        c = 0
        for td in tr.xpath("./td"):
            while (r, c) in grid:
                c += 1
            for dr in range(int(td.get("rowspan", 1))):
                for dc in range(int(td.get("colspan", 1))):
                    grid[(r + dr, c + dc)] = td.text_content().strip()
            c += int(td.get("colspan", 1))
    rows = 1 + max(r for r, _ in grid)
    return [[grid.get((r, c)) for c in range(1 + max(c for rr, c in grid if rr == r))] for r in range(rows)]


@pytest.mark.parametrize("seed_id", [s for s in seed_ids() if not s.startswith("001")])
def test_expanded_grids_are_rectangular(site, seed_id):
    tables = editor_body(site[site.report_path(seed_id)]).xpath(".//table")
    widths = [{len(row) for row in expand(t)} for t in tables]
    assert widths == [{4}, {10}, {15}]
