"""Reports in traditional characters read as the same reports in simplified ones.

Portals facing Hong Kong or Macau, Big5 mirrors and some mainland sites print 政府資訊公開,
條例, 總體情況. Every phrase the parser recognises (titles, section headings, the 条例 a
report cites, table words, units, page markers) is matched on normalised text
(``parsers.normalize``), so the same report in either script gives the same result.

The traditional texts are made here from the committed fixtures: each character OpenCC's t2s
turns into a character of the text is put in its place (``to_traditional``), so t2s gives
the fixture back, which each test asserts first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import parse_report
from parsers.normalize import to_simplified, traditional_forms

DATA = Path(__file__).parent / "data"
TEXT_FIXTURES = sorted([*DATA.glob("corpus/*.txt"), *DATA.glob("corpus/*.md"), *DATA.glob("seeds/*.txt")])
ENCODING_FIELDS = ("encoding", "encoding_source", "encoding_note")


def to_traditional(text: str) -> str:
    """``text`` with each simplified character that has a traditional form written in it
    (the standard one: not a CJK compatibility form)."""
    chosen: dict[str, str] = {}
    for traditional, simplified in traditional_forms(text).items():
        if len(simplified) == 1 and not 0xF900 <= ord(traditional) < 0xFB00:
            chosen.setdefault(simplified, traditional)
    converted = text.translate(str.maketrans(chosen))
    assert converted != text and to_simplified(converted) == to_simplified(text)
    return converted


def report_dict(data: bytes, **kwargs) -> dict:
    report = parse_report(data, **kwargs).to_dict(include_cells=True)
    return {key: value for key, value in report.items() if key not in ENCODING_FIELDS}


def assert_same_report_but_printed_cells(actual: dict, expected: dict):
    """Everything alike but each cell's text, which is as printed: the same once simplified.
    So are the words that quote a cell (a glued run's ``where``, a problem's ``detail``)."""
    cells, expected_cells = actual.pop("cells"), expected.pop("cells")
    assert [to_simplified(cell.pop("text")) for cell in cells] == [cell.pop("text") for cell in expected_cells]
    assert [{**cell, "where": to_simplified(cell["where"])} for cell in cells] == expected_cells
    problems = [{**problem, "detail": to_simplified(problem["detail"])} for problem in actual.pop("problems")]
    assert problems == expected.pop("problems")
    assert actual == expected


@pytest.mark.parametrize("path", TEXT_FIXTURES, ids=lambda p: p.name)
def test_a_text_report_in_traditional_characters_is_the_same_report(path):
    """Crawler text, PDF and OCR markdown, the seeds: everything alike, the report's text
    included (text forms are read in simplified characters), but each cell's text, which is
    as printed. The two flattened crawler texts were no report at all (their headings and
    条例 were matched as printed), and the others lost the narrative checks (R8: 收到…申請
    was not 收到…申请)."""
    text = path.read_text(encoding="utf-8")
    assert_same_report_but_printed_cells(report_dict(to_traditional(text).encode("utf-8")),
                                         report_dict(text.encode("utf-8")))


def _seed(prefix: str) -> str:
    return next(DATA.glob(f"seeds/{prefix}_*.txt")).read_text(encoding="utf-8")


def _corpus(name: str) -> str:
    return (DATA / "corpus" / name).read_text(encoding="utf-8")


def _cell(report, table: str, row: str, column: str) -> dict:
    return next(c for c in report.cells if (c["table"], c["row"], c["column"]) == (table, row, column))


# Each text form, in traditional characters, with cells printed 無 or 萬元: (the text, the
# cell's table, row and column, its text as printed, its value, its kind).
PRINTED_CELLS = {
    "pipe rows with pinyin (seed 004)": (
        _seed("004").replace("8.屬于行政查詢事項(xiàng) | 4 | 1 | 0 |", "8.屬于行政查詢事項(xiàng) | 4 | 1 | 無(wú) |"),
        "applications", "withheld_administrative_inquiry", "research_institution", "無(wú)", None, "not_applicable"),
    "pipe rows, a unit with pinyin (seed 004)": (
        _seed("004").replace("| 668.57 |", "| 668.57萬(wàn)元 |"),
        "active_disclosure", "fees", "amount_10k_yuan", "668.57萬(wàn)元", 668.57, "number"),
    "tab rows (seed 002)": (
        to_traditional(_seed("002")).replace("規章\t0\t", "規章\t無\t", 1),
        "active_disclosure", "regulations", "issued", "無", None, "not_applicable"),
    "one cell per line (seed 000)": (
        to_traditional(_seed("000")).replace("規章 |\n0 |", "規章 |\n無 |", 1),
        "active_disclosure", "regulations", "issued", "無", None, "not_applicable"),
    "PDF lines (markdown of a PDF)": (
        to_traditional(_corpus("shanghai_stc_2024_pdf_markdown.md")).replace("\n行政許可 97\n", "\n行政許可 無\n", 1),
        "active_disclosure", "licensing", "decisions", "無", None, "not_applicable"),
    "flattened crawler text": (
        to_traditional(_corpus("pingtan_2020_crawler_text.txt")).replace("39573802895.90元", "3957.38萬元", 1),
        "active_disclosure", "procurement", "amount", "3957.38萬元", None, None),
}


@pytest.mark.parametrize("text,table,row,column,printed,value,kind", PRINTED_CELLS.values(), ids=PRINTED_CELLS)
def test_a_text_cell_keeps_its_text_as_printed(text, table, row, column, printed, value, kind):
    """A text form is read in simplified characters, and its cells kept that text: 無 was
    stored as 无 (HTML cells kept 無). The value is read as before; the text is as printed."""
    simplified_report = parse_report(to_simplified(text).encode("utf-8"))
    report = parse_report(text.encode("utf-8"))
    cell = _cell(report, table, row, column)
    assert cell["text"] == printed
    assert_same_report_but_printed_cells(report.to_dict(include_cells=True),
                                         simplified_report.to_dict(include_cells=True))
    if kind is not None:
        assert (cell["value"], cell["kind"]) == (value, kind)


def portal_report_pages():
    from portal import build_site

    site = build_site()
    for path in site.paths("report"):
        resource = site[path]
        yield path, resource.body.decode("gb18030" if "charset" not in resource.content_type else "utf-8")


PORTAL_PAGES = list(portal_report_pages())


@pytest.mark.parametrize("path,html", PORTAL_PAGES, ids=[path.rsplit("/", 1)[-1] for path, _ in PORTAL_PAGES])
def test_a_report_page_in_traditional_characters_is_the_same_report(path, html):
    """HTML keeps each cell's text as printed (萬元 stays 萬元); all else is the same."""
    html = html.replace("charset=gb2312", "charset=utf-8")
    expected = report_dict(html.encode("utf-8"))
    actual = report_dict(to_traditional(html).encode("utf-8"))
    cells, expected_cells = actual.pop("cells"), expected.pop("cells")
    assert [to_simplified(cell.pop("text")) for cell in cells] == [cell.pop("text") for cell in expected_cells]
    assert cells == expected_cells
    assert actual == expected


TRADITIONAL_HEADINGS = ["一、總體情況", "二、主動公開政府資訊情況", "三、收到和處理政府資訊公開申請情況",
                        "四、政府資訊公開行政復議、行政訴訟情況", "五、存在的主要問題及改進情況", "六、其他需要報告的事項"]


@pytest.mark.parametrize("line,section", list(zip(TRADITIONAL_HEADINGS, [
    "overview", "active_disclosure", "applications", "reviews_litigation", "problems", "other_matters"])))
def test_headings_in_hong_kong_wording_are_the_sections(line, section):
    """資訊 for 信息 (政府資訊公開, 主動公開政府資訊), and pinyin after the characters."""
    from parsers.sections import heading_of

    assert heading_of(line) == section
    assert heading_of(line.replace("資訊", "信息")) == section
    with_pinyin = line.replace("情況", "情(qíng)況(kuàng)")
    assert heading_of(with_pinyin) == section


def _page(title: str, body: str) -> bytes:
    return (f"<html><head><title>{title}</title></head><body><div class='TRS_Editor'>"
            f"<h1>{title}</h1>{body}</div></body></html>").encode("utf-8")


@pytest.mark.parametrize("cited", [
    "《中華人民共和國政府資訊公開條例》", "《中華人民共和國政府信息公開條例》", "《政府资讯公开条例》",
    "《中華人民共和國政府信(xìn)息(xī)公(gōng)開(kāi)條(tiáo)例(lì)》",
])
def test_a_titled_page_citing_the_regulation_in_traditional_characters_is_a_report(cited):
    """A title alone is no report (listing pages are full of titles): the page must cite the
    条例, have headings or attachments. 條例 (and 資訊公開) in the text count as 条例 does."""
    title = "示範區2024年政府資訊公開工作年度報告"
    report = parse_report(_page(title, f"<p>根據{cited}，現公布本年度報告。</p>"))
    assert (report.title, report.year) == ("示范区2024年政府资讯公开工作年度报告", 2024)
    from parsers.errors import ParseError

    with pytest.raises(ParseError, match="not a report"):
        parse_report(_page(title, "<p>現公布本年度報告。</p>"))


@pytest.mark.parametrize("title,agency", [
    ("2024年度示範區人民政府辦公室政府資訊公開工作年度報告", "示范区人民政府办公室"),
    ("2024年示範區人民政府辦公室政府資訊公開年報", "示范区人民政府办公室"),
    ("2024年度示範區人民政府辦公室政府信息公開工作年度報告", "示范区人民政府办公室"),
    # the agency as the title prints it: its own 資訊 is not read as 信息
    ("2024年示範區政府資訊辦公室政府資訊公開工作年度報告", "示范区政府资讯办公室"),
])
def test_the_agency_after_the_year_is_read_in_hong_kong_wording(title, agency):
    report = parse_report(_page(title, "<p>一、總體情況</p><p>二、主動公開政府資訊情況</p>"))
    assert (report.agency, report.year) == (agency, 2024)


def test_a_page_of_no_known_container_is_found_by_its_traditional_headings():
    """No container names the body: it is the smallest element holding the report's tables
    and headings. Headings in traditional characters were not found (the search for them
    matched 总体情况 as printed), so the body was the tables' element alone, without the
    overview and the other sections' prose."""
    from parsers import chrome
    from parsers.html_page import _parse_page

    prose = "<p><span>本機關</span><span>認真貫徹《政府資訊公開條例》。</span></p>"
    body = "".join(f"<div><p><span>{heading}</span></p>{prose}</div>" for heading in TRADITIONAL_HEADINGS)
    title = "示範區2023年政府資訊公開工作年度報告"
    page = f"<html><head><title>{title}</title></head><body><div class='x'>{body}</div><p>網站地圖</p></body></html>"
    doc, _ = _parse_page(page)
    assert chrome._HEADING_TEXTS(doc) == []  # the plain search finds none: the traditional one is asked
    assert [el.text for el in chrome._heading_elements(doc)] == TRADITIONAL_HEADINGS
    report = parse_report(page.encode("utf-8"))
    assert [report.text.count(to_simplified(h)) for h in TRADITIONAL_HEADINGS] == [1] * 6
    assert "网站地图" not in report.text


def test_a_traditional_script_switch_is_chrome():
    """The 简体 | 繁體 switch of a portal's header: its lines are matched cleaned (繁體 reads
    繁体), and the pattern said 繁體, which never matched."""
    from parsers.chrome import blank_chrome_lines

    assert blank_chrome_lines(["简体", "繁體", "繁体", "一、總體情況"]) == ["", "", "", "一、總體情況"]


def test_a_statistics_table_in_traditional_characters_gives_the_same_indicators():
    """The pre-2019 统计表: 指標名稱 is its header, and 條 a unit."""
    from test_indicators import EXPECTED, PAGE

    report = parse_report(to_traditional(PAGE).encode("utf-8"))
    assert report.indicators == EXPECTED


@pytest.mark.parametrize("text,kind,value", [
    ("3個", "number", 3), ("5項", "number", 5), ("2條", "number", 2), ("4931.94萬元", "number", 4931.94),
    ("無", "not_applicable", None), ("55(含自然失效29項)", "text", 55),
])
def test_cells_with_traditional_units_are_numbers(text, kind, value):
    from parsers.cells import read_cell

    assert (read_cell(text).kind, read_cell(text).value) == (kind, value)


@pytest.mark.parametrize("line", ["第 4 頁", "第4頁 共9頁", "第 4 页 共 9 页", "第(dì) 4 頁(yè)"])
def test_pdf_page_markers_in_traditional_characters(line):
    from parsers.pdf_document import is_page_marker

    assert is_page_marker(line)


def test_only_a_line_opening_with_di_can_read_as_a_page_marker_once_simplified():
    """is_page_marker asks OpenCC only of lines opening with 第: of the markers' characters,
    t2s makes only 页 (of 頁), and pinyin follows a character, so a line that is no marker
    as printed can be one simplified only as 第 4 頁 or 第(dì) 4 页."""
    from parsers.pdf_document import is_page_marker

    assert traditional_forms("第页共,，/-－—–0123456789 \u3000pageofPAGE") == {"頁": "页"}
    assert not is_page_marker("共 9 頁") and not is_page_marker("頁 4")
