"""Links whose query holds Chinese are asked for as a browser on their page would ask: the
query in the page's own encoding (a GBK portal's ``show.jsp?name=年报`` wants GBK bytes), the
path in UTF-8. Before, every query went out UTF-8, and a GBK portal answered 404."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

from conftest import run_crawl_subprocess

HOST = "127.0.0.65"
TITLE = "示范区人民政府2023年政府信息公开工作年度报告"
NAME = "2023年报"
MODIFIED = "Mon, 20 Jan 2025 02:12:00 GMT"


def gbk_page(title: str, body: str) -> bytes:
    return (f'<html><head><meta charset="gbk"><title>{title}</title></head>'
            f"<body>{body}</body></html>").encode("gbk")


def link_encoding_site():
    from portal.hostile import HostileSite
    from portal.site import Resource

    listing = gbk_page("政府信息公开年报", f'<ul><li><a href="/show.jsp?name={NAME}">{TITLE}</a>'
                                         "<span>2024-01-20</span></li></ul>")
    report = gbk_page(TITLE, f"<h1>{TITLE}</h1><p>一、总体情况</p>")

    def respond(method, path, query, form, headers):  # the report, for the query its page spells
        if path == "/show.jsp":
            if query == "name=" + quote(NAME.encode("gbk")):
                return Resource(report, "text/html; charset=gbk", MODIFIED, "report")
            return Resource(b"not found", "text/html", MODIFIED, "non_report")
        return None

    resources = {"/gk/index.html": Resource(listing, "text/html; charset=gbk", MODIFIED, "listing")}
    site = HostileSite(resources, "/gk/index.html")
    site.respond = respond
    return site


def test_a_query_in_chinese_is_asked_for_in_the_pages_encoding(tmp_path, guarded_env):
    from portal import DemoPortal

    with DemoPortal(link_encoding_site(), host=HOST) as portal:
        base = portal.base_url
        sites = [{"name": "gbk", "start_urls": [base + "/gk/index.html"], "flavour": "generic"}]
        run_crawl_subprocess(guarded_env, sites, tmp_path / "data", "test", {})
        sent = [response.path for response in portal.sent]
    assert "/show.jsp?name=2023%C4%EA%B1%A8" in sent
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    assert db.execute("select url, status from snapshots where kind = 'report'").fetchall() == [
        (f"{base}/show.jsp?name=2023%C4%EA%B1%A8", 200)]
    assert db.execute("select count(*) from reports").fetchone() == (1,)
    db.close()
