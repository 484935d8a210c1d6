"""Every link the spider does not follow, and every request a middleware drops, is a
``skipped`` row saying why; the progress line and the end-of-run summary count those rows.

A real portal on 127.0.0.63 serves one column per flavour, each with pager links a page may
get wrong: a 下一页 to ``http://[::1``, page-number links and year columns on a port of 99999,
a TRS ``createPageHTML`` call whose prefix is no URL, a Hanweb ``jpage`` proxy and
``<nextgroup>`` that are none, a gkmlpt JSON list answering URLs that are not URLs (and a
number), report pages linking attachments that are none, a listed report whose URL is longer
than Scrapy's ``URLLENGTH_LIMIT``, and a year column past the column's bound. Scrapy refuses a
request for a port of 99999 when it is made: in a callback, that cost the page its other
links; those links are followed here. Beside them, a report robots.txt disallows and one that
redirects to a loopback address the crawl refuses: requests a middleware drops.
"""

from __future__ import annotations

import json
import re
import sqlite3
from urllib.parse import parse_qs

import pytest

from conftest import run_crawl_subprocess

from archive.skip_reasons import REDIRECT_TO_REFUSED_ADDRESS
from crawler.spiders.reports import NOT_A_URL, PAST_THE_BOUND, TOO_LONG

HOST = "127.0.0.63"
BAD_PORT = f"http://{HOST}:99999"  # the portal's own host: only the port is wrong
HTML = "text/html; charset=utf-8"
MODIFIED = "Mon, 20 Jan 2025 02:12:00 GMT"
SID, CATEGORY = "755031", "2580"
LONG_PATH = "/generic/" + "a" * 2100 + ".html"
REFUSED_TARGET = "http://127.0.0.64:9/latest/meta-data/"  # loopback, not allowed: refused unsent


def report_title(year: int) -> str:
    return f"示范区人民政府{year}年政府信息公开工作年度报告"


def page(title: str, body: str, head: str = "") -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
            f"<body>{body}</body></html>").encode("utf-8")


def item(href: str, title: str, date: str = "2024-01-20") -> str:
    return f'<li><a href="{href}">{title}</a><span>{date}</span></li>'


def report_page(year: int, links: str = "") -> bytes:
    return page(report_title(year), f"<h1>{report_title(year)}</h1><p>一、总体情况</p>{links}")


# Links that are no URL a request can be made for, by where they sit: {url as recorded: found on}.
NOT_URLS = {
    "http://[::1": "/generic/index.html",                                   # 下一页
    "http://exa mple.com:99999/": "/generic/index.html",                    # 下一页
    f"{BAD_PORT}/generic/index.html?page=3": "/generic/index.html",         # a page-number link
    f"{BAD_PORT}/generic/t20230120_3.html": "/generic/index.html",          # a listed report
    "http://[endif]/附件.pdf": "/generic/t20240120_1.html",                 # attachments
    "http://[endif]/down.jsp?filename=附件.pdf": "/generic/t20240120_1.html",
    f"{BAD_PORT}/files/b.pdf": "/generic/t20240120_1.html",
    "http://[::1/trs/2021n/": "/trs/index_1.html",                          # year columns
    f"{BAD_PORT}/trs/2020n/index.html": "/trs/index_1.html",
    "http://[x/index.html": "/trs/2022n/index.html",                        # a JS pager (createPageHTML)
    "http://[x/index_1.html": "/trs/2022n/index.html",
    "http://[x/module/web/jpage/dataproxy.jsp": "/col/col1/index.html",     # Hanweb jpage proxy (POST)
    f"{BAD_PORT}/module/jslib/jquery/jpage/dataproxy.jsp?page=2&columnid=2": "/col/col2/index.html",  # <nextgroup>
    "http://[::1/gkmlpt/content/post_2.html": f"/gkmlpt/api/all/{CATEGORY}?page=1&sid={SID}",  # JSON list
    f"{BAD_PORT}/gkmlpt/content/post_3.html": f"/gkmlpt/api/all/{CATEGORY}?page=1&sid={SID}",
    "12345": f"/gkmlpt/api/all/{CATEGORY}?page=1&sid={SID}",
    "http://[endif]/gkmlpt/附件.pdf": "/gkmlpt/content/post_1.html",       # a JSON attachment
}
# Pages the portal serves that must be fetched: each sits beside, or after, a link that is no URL.
FOLLOWED = ["/generic/t20240120_1.html", "/generic/t20220120_4.html", "/generic/t20210120_5.html",
            "/trs/index_1.html", "/trs/2022n/index.html", "/gkmlpt/content/post_1.html", "/gkmlpt/content/post_4.html",
            "/col/col1/t1.html", "/col/col2/t2.html"]


def unfollowed_links_site():
    from portal.hostile import HostileSite, redirect
    from portal.site import Resource

    def html(body: bytes, kind: str = "listing") -> Resource:
        return Resource(body, HTML, MODIFIED, kind)

    work_plan = item("./t20240110_2.html", "示范区人民政府2024年工作要点", "2024-01-10")  # on two listing pages
    generic = page("年度报告", "<ul>" + "".join([
        item("./t20240120_1.html", report_title(2023)),
        work_plan,
        item(f"{BAD_PORT}/generic/t20230120_3.html", report_title(2022)),
        item("./t20220120_4.html", report_title(2021)),  # after the link Scrapy refuses
        item(LONG_PATH, report_title(2020)),
        item("/private/t20190120_8.html", report_title(2018)),   # robots.txt disallows
        item("./t20190120_7.html", report_title(2019)),         # redirects to a refused address
    ]) + '</ul><a href="index.html?page=2">2</a> '
        f'<a href="{BAD_PORT}/generic/index.html?page=3">3</a> '
        '<a href="http://[::1">下一页</a> <a href="http://exa mple.com:99999/">下一页</a>')
    generic_2 = page("年度报告", "<ul>" + work_plan + item("./t20210120_5.html", report_title(2020)) + "</ul>")
    trs = page("政府信息公开年报", '<script>createPageHTML(2, 0, "index", "html");</script>'
               + "<ul>" + item("./t20240120_6.html", report_title(2017)) + "</ul>"
               '<div class="years"><a href="2022n/index.html">2022年</a> <a href="2019n/index.html">2019年</a></div>')
    trs_2 = page("政府信息公开年报", '<script>createPageHTML(2, 1, "index", "html");</script>'
                 '<div class="years"><a href="http://[::1/trs/2021n/">2021年</a> '
                 f'<a href="{BAD_PORT}/trs/2020n/index.html">2020年</a></div>')
    trs_year = page("2022年", '<script>createPageHTML(2, 0, "http://[x/index", "html");</script>')
    hanweb_record = '<record><![CDATA[<li><a href="{}" title="{}">…</a><b>2024-01-20</b></li>]]></record>'
    hanweb_post = page("政府信息公开年报", '<div id="div1"><script type="text/xml"><datastore><nextgroup><![CDATA[]]>'
                       "</nextgroup><recordset>" + hanweb_record.format("/col/col1/t1.html", report_title(2016))
                       + "</recordset></datastore></script></div><script>$('#div1').jpage({totalRecord:30, "
                       "perPage:15, groupSize:1, proxyUrl:'http://[x/module/web/jpage/dataproxy.jsp', "
                       "ajaxParam:{columnid:1}});</script>")
    hanweb_get = page("年度报告", '<div id="div2"><script type="text/xml"><datastore><nextgroup><![CDATA['
                      f'<a href="{BAD_PORT}/module/jslib/jquery/jpage/dataproxy.jsp?page=2&amp;columnid=2"></a>'
                      "]]></nextgroup><recordset>" + hanweb_record.format("/col/col2/t2.html", report_title(2015))
                      + "</recordset></datastore></script></div>")
    shell = page("政府信息公开目录", '<div id="app"></div>',
                 f"<script>window._CONFIG = {{SID:'{SID}', TREE:[{{id:{CATEGORY},name:'政府信息公开年报'}}]}};</script>")
    detail = {"id": 1, "title": report_title(2014), "content": f"<p>{report_title(2014)}</p><p>一、总体情况</p>",
              "attachment": [{"name": "附件.pdf", "url": "http://[endif]/gkmlpt/附件.pdf"}]}
    gkmlpt_report = page(report_title(2014), '<div id="app"></div>',
                         f"<script>window._CONFIG = {{SID:'{SID}', DETAIL:{json.dumps(detail, ensure_ascii=False)}}};"
                         "</script>")
    articles = [{"title": report_title(2014), "url": "/gkmlpt/content/post_1.html"},
                {"title": report_title(2013), "url": "http://[::1/gkmlpt/content/post_2.html"},
                {"title": report_title(2012), "url": f"{BAD_PORT}/gkmlpt/content/post_3.html"},
                {"title": report_title(2011), "url": 12345},
                {"title": report_title(2010), "url": "/gkmlpt/content/post_4.html"}]
    attachments = ('<p><a href="http://[endif]/附件.pdf">附件.pdf</a> '
                   '<a href="http://[endif]/down.jsp?filename=附件.pdf">附件</a> '
                   f'<a href="{BAD_PORT}/files/b.pdf">b.pdf</a></p>')
    resources = {
        "/robots.txt": Resource(b"User-agent: *\nDisallow: /private/\n", "text/plain", MODIFIED, "robots"),
        "/generic/index.html": html(generic),
        "/generic/index.html?page=1": html(generic_2),  # (else the column page again: its links found twice)
        "/generic/index.html?page=2": html(generic_2),
        "/generic/t20240120_1.html": html(report_page(2023, attachments), "report"),
        "/generic/t20240110_2.html": html(page("工作要点", "工作要点"), "non_report"),
        "/generic/t20220120_4.html": html(report_page(2021), "report"),
        "/generic/t20210120_5.html": html(report_page(2020), "report"),
        "/trs/index.html": html(trs),
        "/trs/index_1.html": html(trs_2),
        "/trs/t20240120_6.html": html(report_page(2017), "report"),
        "/trs/2022n/index.html": html(trs_year),
        "/trs/2019n/index.html": html(trs_year),
        "/col/col1/index.html": html(hanweb_post),
        "/col/col1/t1.html": html(report_page(2016), "report"),
        "/col/col2/index.html": html(hanweb_get),
        "/col/col2/t2.html": html(report_page(2015), "report"),
        "/gkmlpt/index": html(shell),
        "/gkmlpt/content/post_1.html": html(gkmlpt_report, "report"),
        "/gkmlpt/content/post_4.html": html(report_page(2010), "report"),
    }
    site = HostileSite(resources, "/generic/index.html",
                       [redirect("/generic/t20190120_7.html", REFUSED_TARGET)])

    def respond(method, path, query, form, headers):
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if path == f"/gkmlpt/api/all/{CATEGORY}" and params.get("sid") == SID:
            chunk = articles if params.get("page") == "1" else []
            return Resource(json.dumps({"articles": chunk, "total": len(articles)}, ensure_ascii=False).encode(),
                            "application/json", MODIFIED, "listing")
        return None

    site.respond = respond
    return site


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, guarded_env):
    from portal import DemoPortal

    tmp = tmp_path_factory.mktemp("unfollowed-links")
    with DemoPortal(unfollowed_links_site(), host=HOST) as portal:
        base = portal.base_url
        sites = [{"name": name, "start_urls": [base + path], "flavour": flavour} for name, path, flavour in [
            ("generic", "/generic/index.html", "generic"), ("trs", "/trs/index.html", "trs"),
            ("hanweb post", "/col/col1/index.html", "hanweb"), ("hanweb get", "/col/col2/index.html", "hanweb"),
            ("gkmlpt", "/gkmlpt/index", "gkmlpt")]]
        result = run_crawl_subprocess(guarded_env, sites, tmp / "data", "test", {
            "NIANBAO_MAX_LISTING_PAGES": 3, "NIANBAO_REFUSE_PRIVATE_ADDRESSES": True,
            "NIANBAO_ALLOWED_PRIVATE_NETWORKS": [HOST]})
        sent = [response.path for response in portal.sent]
    db = sqlite3.connect(tmp / "data" / "nianbao.db")
    yield {"db": db, "base": base, "sent": sent, "stderr": result.stderr}
    db.close()


def test_each_pager_year_and_attachment_link_that_is_no_url_is_skipped_saying_why(crawl):
    base = crawl["base"]
    skipped = {url: (reason, found_on) for url, reason, found_on in
               crawl["db"].execute("select url, reason, found_on from skipped")}
    assert {url: skipped.get(url) for url in NOT_URLS} == {
        url: (NOT_A_URL, base + found_on) for url, found_on in NOT_URLS.items()}


def test_the_links_beside_them_are_followed(crawl):
    """A port of 99999 on the page's own host made Scrapy raise in the callback: the page's
    other links, and its next pages, were lost with an ``errors`` row for the page."""
    fetched = {url.removeprefix(crawl["base"]) for (url,) in crawl["db"].execute("select url from snapshots")}
    assert set(FOLLOWED) <= fetched
    assert crawl["db"].execute("select url, stage, error, message from errors").fetchall() == []


def test_a_url_too_long_and_a_listing_page_past_the_bound_are_skipped_saying_why(crawl):
    """Scrapy's UrlLengthMiddleware drops a request over ``URLLENGTH_LIMIT`` unseen; a column's
    listing pages past ``NIANBAO_MAX_LISTING_PAGES`` were dropped with a stat alone."""
    base = crawl["base"]
    reasons = dict(crawl["db"].execute("select url, reason from skipped"))
    assert reasons[base + LONG_PATH] == TOO_LONG
    assert reasons[base + "/trs/2019n/index.html"] == PAST_THE_BOUND
    assert not any("2019n" in path or "aaaa" in path for path in crawl["sent"])


def progress_counts(stderr: str) -> dict:
    *_, last = [line for line in stderr.splitlines() if line.startswith("nianbao: ")]
    m = re.fullmatch(r"nianbao: (\d+) pages fetched \(.*\), (\d+) reports parsed, (\d+) skipped, (\d+) errors", last)
    return dict(zip(("pages", "reports", "skipped", "errors"), map(int, m.groups())))


def summary_counts(summary: str) -> dict:
    count = lambda label: int(re.search(rf"^{label}:\s+(\d+)", summary, re.M).group(1))  # noqa: E731
    return {"pages": count("pages fetched"), "reports": count("reports found"), "skipped": count("pages skipped"),
            "errors": count("errors"),
            "by reason": {reason: int(n) for n, reason in re.findall(r"^  (\d+) x (.*)$", summary, re.M)
                          if not reason.startswith(("fetch ", "parse ", "spider "))}}


def test_the_progress_line_and_the_summary_count_the_rows_of_the_run(crawl):
    """Skipped: every link not followed and every request a middleware dropped (robots.txt, a
    refused address), one row per URL, though the work plan is listed on two pages."""
    db = crawl["db"]
    (run_id, summary), = db.execute("select id, summary from crawl_runs")
    one = lambda sql: db.execute(sql, [run_id]).fetchone()[0]  # noqa: E731
    rows = {"pages": one("select count(*) from snapshots where run_id = ?"),
            "reports": one("select count(*) from reports where ? is not null"),  # the one run
            "skipped": one("select count(*) from skipped where run_id = ?"),
            "errors": one("select count(*) from errors where run_id = ?"),
            "by reason": dict(db.execute("select reason, count(*) from skipped where run_id = ? group by reason",
                                         [run_id]))}
    assert summary_counts(summary) == rows
    assert progress_counts(crawl["stderr"]) == {key: rows[key] for key in ("pages", "reports", "skipped", "errors")}
    assert rows["by reason"]["disallowed by robots.txt"] == 1
    assert rows["by reason"]["work plan (工作要点)"] == 1
    assert rows["by reason"][REDIRECT_TO_REFUSED_ADDRESS] == 1
    # Where it led is the row's detail, not its reason: no address in the summary's lines.
    assert db.execute("select detail from skipped where reason = ?", [REDIRECT_TO_REFUSED_ADDRESS]).fetchall() == [
        (f"{REFUSED_TARGET}: 127.0.0.64 is a loopback address",)]
    assert "127.0.0.64" not in summary
