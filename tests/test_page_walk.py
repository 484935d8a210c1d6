"""The one-pass page walk must read a page exactly as the element-by-element readers do."""

from pathlib import Path

import pytest
from lxml import etree

from parsers import parse_report
from parsers.chrome import _MIN_BODY_TEXT, BODY_SELECTORS, choose_body
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


def body_by_its_elements(doc, report_tables: list):
    """The body as the elements name it, what the walk's choice is checked against: by the
    selectors in order, the element named with the longest text (stripped, of at least
    _MIN_BODY_TEXT characters), if it holds every report table; None when none is."""
    for attribute, value in BODY_SELECTORS:
        named = doc.xpath(f".//@id[. = '{value}']/.." if attribute == "id"
                          else f".//@class[contains(concat(' ', normalize-space(.), ' '), ' {value} ')]/..")
        sized = [(element, len(text_content(element).strip())) for element in named]
        sized = [(element, length) for element, length in sized if length >= _MIN_BODY_TEXT]
        if sized:
            best = max(sized, key=lambda pair: pair[1])[0]
            if all(best in table.iterancestors() for table in report_tables):
                return best
    return None


def test_the_walk_finds_the_body_its_elements_name(docs):
    named = 0
    for doc in docs:
        walk = walk_page(doc)
        report_tables = [t for t in leaf_tables(doc) if PageTable(element_rows(t)).kind]
        body = body_by_its_elements(doc, report_tables)
        chosen = choose_body(walk.candidates, [t.start for t in walk.tables if PageTable(t.rows).kind])
        if chosen is None:  # no container names the body: html_page finds it by its anchors
            assert body is None
        else:
            assert walk.text_of(chosen) == render_text(body)
            named += 1
    assert named >= 3


def test_the_deepest_tree_the_html_parser_builds_is_walked():
    """libxslt refuses a tree deeper than its template depth (3,000), so the walk once fell
    back to reading such a page by its elements. No page needs it: the HTML parser stops at
    256 levels (the page then says so), and the walk takes at most two template levels an
    element, a body candidate's (2 x 255 deep needs 511; with XML_PARSE_HUGE the parser
    would build 2,047 levels, which the walk refuses: this test is there to say so)."""
    page = ("<html><head><title>2023年政府信息公开工作年度报告</title></head><body>"
            + '<div class="TRS_Editor"><p>一、总体情况</p>' * 5000 + "</body></html>")
    doc, limits = _parse_page(page)
    assert max(sum(1 for _ in element.iterancestors()) for element in doc.iter()) == 255
    assert limits and limits[0].endswith("Excessive depth in document: 256")
    walk = walk_page(doc)
    assert len(walk.candidates) == 254 and walk.text == render_text(doc)
    report = parse_report(page.encode("utf-8"))
    assert [p["kind"] for p in report.problems if p["kind"] == "document_limit"] == ["document_limit"]


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


class CountingElement(etree.ElementBase):
    """An element that counts the text nodes read through ``itertext`` (all elements' together)."""
    read = 0

    def itertext(self, *args, **kwargs):
        for text in super().itertext(*args, **kwargs):
            CountingElement.read += 1
            yield text


def test_a_long_body_of_many_headings_is_not_serialized_once_per_heading():
    """Each heading text climbs to its parents to find the heading element; with the body as
    a parent, that was the whole text once per heading (quadratic: 3.5 s for 4 MB). The climb
    reads a parent's text only up to a heading's length: a few text nodes per heading word."""
    from parsers import chrome

    # A heading word in a sentence, not a heading: its climb goes on up to <body>.
    sentences = "".join(f"<p>本年度主动公开政府信息{n}条。</p>" for n in range(2000))
    page = (f"<html><body><h1>2024年政府信息公开工作年度报告</h1><p>一、总体情况</p>"
            f"<p>二、主动公开政府信息情况</p>{sentences}</body></html>")
    assert parse_report(page.encode()).title == "2024年政府信息公开工作年度报告"
    parser = etree.HTMLParser()
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=CountingElement))
    doc = etree.fromstring(page, parser)
    CountingElement.read = 0
    assert len(chrome._heading_elements(doc)) == 2
    assert CountingElement.read < 20 * len(chrome._HEADING_TEXTS(doc))  # read whole: 4,008,002


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


def test_a_table_whose_inner_tables_the_walk_skips_is_a_leaf_table_its_cells_asked_one_by_one():
    """A table with a table under it has each cell asked whether it holds one (a table
    without asks none). When each inner table lies inside <noscript> or the like, which
    the walk skips, the outer table is a leaf table of the walk still: its rows are read,
    and the cell holding the skipped table records no text, as a cell holding a table."""
    page = ("<html><body><table><tr><td rowspan=2>甲</td><td><noscript><table><tr><td>x</td></tr></table>"
            "</noscript>乙</td></tr><tr><td colspan=' 2\n'> 丙  丁 </td></tr></table>"
            "<table><tr><td>戊</td><td rowspan=3>己</td></tr></table></body></html>")
    walk = walk_page(_parse_page(page)[0])
    assert [table.rows for table in walk.tables] == [
        [(["甲", ""], {0: ("2", "")}), (["丙 丁"], {0: ("", " 2 ")})],
        [(["戊", "己"], {1: ("3", "")})],
    ]
    assert walk.text == render_text(_parse_page(page)[0])


def test_the_body_element_is_the_candidate_the_walk_chose():
    """The walk looks for candidates on <div>s only; the element looked up again for the
    body (images where a table is missing) was the n-th element of any tag a selector
    names: a <span id="zoom"> (字号 buttons) before the body stood in for it."""
    from parsers.html_page import _read_page

    page = ('<html><body><span id="zoom">字号</span><div class="TRS_Editor"><p>' + "本机关" * 100
            + "</p></div></body></html>")
    body = _read_page(_parse_page(page)[0], None).body_element
    assert (body.tag, body.get("class")) == ("div", "TRS_Editor")


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
