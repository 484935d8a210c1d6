"""The one-pass page walk must read a page exactly as the element-by-element readers do."""

from pathlib import Path

import pytest
from lxml import etree

from parsers import parse_report
from parsers.chrome import body_from_anchors, choose_body, find_body
from parsers.html_page import PageTable, _parse_page
from parsers.html_tables import element_rows, leaf_tables
from parsers.html_text import render_text, short_text_content, text_content
from parsers.page_walk import CELL, unmarked, walk_page
from parsers.table_mapping import classify_rows, continues_table, may_be_report_table
from portal.site import build_site

DATA = Path(__file__).parent / "data"


def html_pages() -> list[bytes]:
    """The demo portal's pages with tables (reports and chrome) and the real pingtan page."""
    site = build_site()
    pages = [site[path].body for path in site if "html" in site[path].content_type and b"<table" in site[path].body]
    return pages + [(DATA / "corpus" / "pingtan_2020_report_page.html").read_bytes(), CHROME_PAGE.encode("utf-8")]


@pytest.fixture(scope="module")
def docs():
    return [_parse_page(page.decode("utf-8", "replace"), page)[0] for page in html_pages() if page.isascii() or _utf8(page)]


def _utf8(page: bytes) -> bool:
    try:
        page.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_the_walk_renders_the_page_as_render_text(docs):
    for doc in docs:
        assert walk_page(doc).text == render_text(doc)


def test_the_walk_reads_every_leaf_table_as_its_elements(docs):
    for doc in docs:
        walked = [table.rows for table in walk_page(doc).tables]
        assert walked == [element_rows(table) for table in leaf_tables(doc)]


def test_the_walk_finds_the_body_find_body_finds(docs):
    for doc in docs:
        walk = walk_page(doc)
        report_tables = [t for t in leaf_tables(doc) if PageTable(element_rows(t)).kind]
        body = find_body(doc, report_tables)
        chosen = choose_body(walk.candidates, [t.start for t in walk.tables if PageTable(t.rows).kind])
        if chosen is None:  # no container names the body: both fall back to the same element
            assert body is body_from_anchors(doc, report_tables)
        else:
            assert walk.text_of(chosen) == render_text(body)


def test_short_text_content_is_text_content_stripped_up_to_its_limit(docs):
    """Read node by node and stopped early (an ancestor of a heading may hold the whole
    page), yet the same text as libxml2's for every element of the pages, or None."""
    compared = 0
    for doc in docs:
        for element in doc.iter(etree.Element):
            full = text_content(element).strip()
            for limit in (0, 12, 100):
                assert short_text_content(element, limit) == (full if len(full) <= limit else None)
            compared += 1
    assert compared > 1000


def test_a_long_body_of_many_headings_is_not_serialized_once_per_heading(monkeypatch):
    """Each heading text climbs to its parents to find the heading element; with the body as
    a parent, that was the whole text once per heading (quadratic: 3.5 s for 4 MB)."""
    from parsers import chrome

    serialized = []
    monkeypatch.setattr(chrome, "text_content", lambda el: serialized.append(text_content(el)) or serialized[-1])
    # A heading word in a sentence, not a heading: its climb goes on up to <body>.
    sentences = "".join(f"<p>本年度主动公开政府信息{n}条。</p>" for n in range(2000))
    report = parse_report(f"<html><body><h1>2024年政府信息公开工作年度报告</h1><p>一、总体情况</p>"
                          f"<p>二、主动公开政府信息情况</p>{sentences}</body></html>".encode())
    assert report.title == "2024年政府信息公开工作年度报告"
    assert max(map(len, serialized), default=0) < 1000  # the body holds 33,000


def test_a_page_holding_a_mark_character_still_parses():
    page = (DATA / "corpus" / "pingtan_2020_report_page.html").read_text("utf-8")
    marked = page.replace("政府信息公开工作年度报告", "政府信息公开工作年度报告" + CELL, 1)
    assert parse_report(marked.encode("utf-8")).applications == parse_report(page.encode("utf-8")).applications


@pytest.mark.parametrize("reference", ["&#xF8F0;", "&#63733;", "&#XF8F5", "&#x00f8f6;", "&#63738"])
def test_a_page_holding_a_mark_as_a_character_reference_still_parses(reference):
    """libxml2 decodes references after ``unmarked`` looked at the text: a CANDIDATE mark
    from ``&#xF8F0;`` left a record without its CLOSE (an AttributeError; found by fuzzing)."""
    page = (DATA / "corpus" / "pingtan_2020_report_page.html").read_text("utf-8")
    marked = page.replace("总体情况</span>", "总体情况" + reference + "</span>", 1)  # in the body
    assert marked != page
    assert parse_report(marked.encode("utf-8")).applications == parse_report(page.encode("utf-8")).applications


@pytest.mark.parametrize("before", ["", "&amp;", "&nbsp;" * 100])  # the first '&'s are looked at one by one
def test_a_mark_reference_is_found_after_any_number_of_other_references(before):
    assert unmarked(before + "&#xF8F5;7") == before + "\ufffd7"
    assert unmarked(before + "&#160;7") == before + "&#160;7"


def test_a_cell_written_with_mark_references_is_not_read_as_cells():
    """``&#xF8F5;7&#xF8F6;1`` printed in a cell made a cell record of its own: 7, a number
    the page never printed as a cell."""
    cells = "".join(f"<td>{value}</td>" for value in ["&#xF8F5;7&#xF8F6;1"] + ["0"] * 14)
    page = ("<html><body><div class='TRS_Editor'><p>2020年政府信息公开工作年度报告</p><p>一、总体情况</p>"
            "<p>四、政府信息公开行政复议、行政诉讼情况</p><table>" + REVIEW_HEADER + f"<tr>{cells}</tr></table></div></body></html>")
    report = parse_report(page.encode("utf-8"), content_type="text/html; charset=utf-8")
    assert all(cell["value"] != 7 for cell in report.cells)


REVIEW_HEADER = """<tr><td colspan=5>行政复议</td><td colspan=10>行政诉讼</td></tr>
<tr><td rowspan=2>结果维持</td><td rowspan=2>结果纠正</td><td rowspan=2>其他结果</td><td rowspan=2>尚未审结</td>
<td rowspan=2>总计</td><td colspan=5>未经复议直接起诉</td><td colspan=5>复议后起诉</td></tr>
<tr>""" + "<td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>" * 2 + "</tr>"


def test_the_text_of_nested_tables_is_recorded_once_not_once_per_level():
    """Found by fuzzing (a page repeated with unclosed tags, 291 MB for 4 MB): each cell's
    record held its whole text, so a cell's text was recorded again in the record of every
    cell around it. Cells holding a table belong to no leaf table and record none."""
    text = "本机关认真贯彻落实条例。" * 10_000
    page = ("<html><body>" + "<table><tr><td>x</td><td>" * 40 + f"<table><tr><td>一、总体情况</td><td>{text}</td></tr>"
            "<tr><td>7</td><td>8</td></tr></table>" + "</td></tr></table>" * 40 + "</body></html>")
    walk = walk_page(etree.fromstring(page, etree.HTMLParser()))
    assert len(walk.marked) < 3 * len(text)  # 40 times that before
    (leaf,) = walk.tables
    assert leaf.rows == [(["一、总体情况", text], {}), (["7", "8"], {})]


def test_tables_ruled_out_cheaply_are_tables_nobody_would_take(docs):
    """``may_be_report_table`` is exact: every table it rules out, the full reading rejects too."""
    ruled_out = 0
    for doc in docs:
        for table in leaf_tables(doc):
            rows = element_rows(table)
            if may_be_report_table(rows):
                continue
            ruled_out += 1
            labels = PageTable(rows).grid.label_rows()
            assert classify_rows(labels) is None
            assert not any(continues_table(kind, labels) for kind in ("applications", "active_disclosure"))
    assert ruled_out  # the chrome tables of CHROME_PAGE


CHROME_PAGE = """<html><head><meta charset="utf-8"></head><body>
<table><tr><td><a href="/">首页</a></td><td><a href="/zwgk/">政务公开</a></td><td><a href="/hdjl/">互动交流</a></td></tr></table>
<table class="xxgk"><tr><td>索引号：</td><td>11330000002482039X/2024-00012</td><td>发布机构：</td><td>永嘉县人民政府</td></tr>
<tr><td>生成日期：</td><td>2024-01-05</td><td>体裁分类：</td><td>政府信息公开年报</td></tr></table>
<table><tr><td>友情链接：</td><td><a href="http://www.zj.gov.cn">浙江省人民政府</a></td></tr></table>
<div class="TRS_Editor"><p>2023年政府信息公开工作年度报告</p></div>
<table><tr><td>网站标识码：3303240001</td><td>浙ICP备05009367号</td></tr></table>
</body></html>"""


def test_a_layout_div_around_the_whole_page_is_not_mistaken_for_the_body():
    page = """<html><body><div id="wrapper" class="main"><div class="nav"><a href="/a.html">首页</a></div>
<div class="TRS_Editor"><p>2023年政府信息公开工作年度报告</p><p>附件：<a href="./P0.pdf">报告.pdf</a></p>
<p>一、总体情况</p><p>""" + "本机关认真贯彻落实条例。" * 30 + """</p></div>
<div class="footer"><a href="/doc.pdf">下载</a></div></div></body></html>"""
    walk = walk_page(etree.fromstring(page, etree.HTMLParser()))
    (candidate,) = walk.candidates
    assert [link.href for link in walk.links] == ["./P0.pdf"]  # links are read inside candidates only
    assert "总体情况" in walk.text_of(candidate) and "首页" not in walk.text_of(candidate)
