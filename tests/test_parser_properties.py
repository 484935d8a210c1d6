"""Property tests: values rendered into every table form come back exactly; hostile input never
raises anything but ``ParseError``.

The forms are rendered by ``forms.py`` from one grid per table (docs/report-format.md, "Forms the same
table arrives in"); glued crawler text is left out, as position alone cannot recover it. Each
(layout, form) pair is a test; tables the parser still gets wrong in a pair are split off as strict
xfails (``KNOWN_FAILURES``), each with a minimal example (``ONCE_FAILING`` once fixed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from forms import (APPLICANT_COLUMNS, FORMS, LAYOUTS, NOT_APPLICABLE, TABLES, expected_kinds, expected_tables,
                   render, table_shape)
from parsers import ParseError, Report, parse_report
from parsers.text_tables import split_pdf_line

# Reproducible in CI: the same examples every run, nothing remembered between runs.
PROPERTY = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# A known failure is only confirmed, not shrunk: shrinking a failing parse costs hundreds of runs.
CONFIRM_FAILURE = settings(PROPERTY, phases=[Phase.explicit, Phase.generate])


# ---- values ----

@dataclass(frozen=True)
class Carries:
    """What a form can print besides numbers so that nobody, parser or person, could read it otherwise.

    The spec's spacer rule: in text, blank tokens are spacers when the non-blank tokens are exactly
    as many as the format's cells there, otherwise EMPTY cells. So
    - ``blanks``: a blank can stand for a cell only where the form prints every cell position (the
      HTML grid; tab, pipe and markdown rows with merged positions left empty; one token per cell
      in seeds 000/003). PDF lines split on whitespace: a blank leaves no token at all.
    - ``blank_rows``: a text row of nothing but blank tokens looks exactly like a heading row padded
      with spacers (seed 002's ``第二十条第（一）项\t\t\t``), so only the HTML grid carries one.
    - ``blank_reviews``: seed 003 prints nbsp spacers among table 四's 15 values; with one of the 15
      EMPTY the count no longer tells spacers from cells, so that form gets no blanks in 四. No form
      gets table 四 all blank: that row looks like the empty row Word leaves under a table.
    - ``marks``: not-applicable marks; every form carries all of them.
    """

    marks: tuple[str, ...]
    blanks: bool
    blank_rows: bool
    blank_reviews: bool


CARRIES = {
    "html": Carries(NOT_APPLICABLE, blanks=True, blank_rows=True, blank_reviews=True),
    "cell_lines": Carries(NOT_APPLICABLE, blanks=True, blank_rows=False, blank_reviews=True),
    "blank_lines": Carries(NOT_APPLICABLE, blanks=True, blank_rows=False, blank_reviews=False),
    "tabs": Carries(NOT_APPLICABLE, blanks=True, blank_rows=False, blank_reviews=True),
    "pipes": Carries(NOT_APPLICABLE, blanks=True, blank_rows=False, blank_reviews=True),
    "markdown": Carries(NOT_APPLICABLE, blanks=True, blank_rows=False, blank_reviews=True),
    "pdf": Carries(NOT_APPLICABLE, blanks=False, blank_rows=False, blank_reviews=False),
}
NUMBERS_ONLY = Carries((), blanks=False, blank_rows=False, blank_reviews=False)


def printed_rows(layout: str) -> list[list[tuple[str, str, str]]]:
    """The cells of each printed row as (table, row, column); table 四 prints its 15 as one row."""
    rows = []
    for table, shape in table_shape(layout).items():
        slots = [[(table, row, column) for column in columns] for row, columns in shape.items()]
        rows.extend([[slot for row in slots for slot in row]] if table == "reviews_litigation" else slots)
    return rows


_CELL_BYTES = 5


def report_values(layout: str, carries: Carries = NUMBERS_ONLY) -> st.SearchStrategy[dict]:
    """Values for the three tables of ``layout``, as the nested dict ``forms.render`` takes.

    Drawn as one block of bytes, five per cell, decoded by ``_cell``: a draw per cell costs more
    than parsing the report (tables 二-四 hold ~250 cells), and bytes still shrink well, towards
    all zeros, where every cell is the number 0.
    """
    size = _CELL_BYTES * sum(map(len, printed_rows(layout)))
    return st.binary(min_size=size, max_size=size).map(lambda raw: _decode(raw, layout, carries))


def _decode(raw: bytes, layout: str, carries: Carries) -> dict:
    values: dict = {}
    chunks = (raw[i:i + _CELL_BYTES] for i in range(0, len(raw), _CELL_BYTES))
    for slots in printed_rows(layout):
        reviews = slots[0][0] == "reviews_litigation"
        blanks = carries.blank_reviews if reviews else carries.blanks
        row = [(slot, chunk, _cell(chunk, slot[2], carries.marks, blanks)) for slot, chunk in zip(slots, chunks)]
        if all(leaf is None for _, _, leaf in row) and (reviews or not carries.blank_rows):
            (slot, chunk, _), *rest = row  # no all-blank row where the form can't carry one
            row = [(slot, chunk, _number(chunk, slot[2]))] + rest
        for (table, name, column), _, leaf in row:
            values.setdefault(table, {}).setdefault(name, {})[column] = leaf
    return values


def _cell(chunk: bytes, column: str, marks: tuple[str, ...], blanks: bool):
    """Mostly a number; one in eight a not-applicable mark, one in eight EMPTY, where allowed."""
    kind = chunk[0] % 8
    if kind == 6 and marks:
        return marks[int.from_bytes(chunk[1:], "big") % len(marks)]
    if kind == 7 and blanks:
        return None
    return _number(chunk, column)


def _number(chunk: bytes, column: str):
    """Counts 0..99999; 本年增/减 -9999..9999; amounts with 0 to 4 places, in 2019's （九） maybe with 元."""
    flags, n = chunk[0] >> 3, int.from_bytes(chunk[1:], "big")
    if column in ("amount_10k_yuan", "amount"):
        places = flags % 5
        amount = Decimal(n % 10 ** (5 + places)).scaleb(-places)
        return f"{format(amount, 'f')}元" if column == "amount" and flags & 0x10 else amount
    if column == "items_change":
        return -(n % 10000) if flags & 0x10 else n % 10000
    return n % 100000


# ---- round trips ----

ENCODINGS = ("utf-8", "gbk")  # GBK has no nbsp: blank cells arrive as "?", as on real portals


def read_back(values: dict, layout: str, form: str, tables=TABLES, encoding: str = "utf-8") -> None:
    """Every value of ``tables`` comes back exactly, each cell with its kind, and the layout."""
    report = parse_report(render(values, layout, form, encoding=encoding))
    got = report.to_dict()
    expected = expected_tables(values)
    for table in tables:
        assert got[table] == expected[table], table
    kinds = {(c["table"], c["row"], c["column"]): c["kind"] for c in report.cells if c["table"] in tables}
    assert kinds == {k: v for k, v in expected_kinds(values).items() if k[0] in tables}
    if "active_disclosure" in tables:  # table 二's column words tell the layout
        assert report.layout == layout


SHORT = {"active_disclosure": "二", "applications": "三", "reviews_litigation": "四"}
LEADING_BLANK_HTML = ("HTML: a row's leading EMPTY cell is skipped as a spacer column "
                      "when the row has no label (table 四)")
# (test, layout, form) → {tables that fail: why}; the other tables of that form are plain tests.
KNOWN_FAILURES: dict[tuple[str, str, str], dict[tuple[str, ...], str]] = {}


def cases(test: str):
    """(layout, form, tables) for every pair; tables the parser gets wrong there as strict xfails."""
    for layout in LAYOUTS:
        for form in FORMS:
            known = KNOWN_FAILURES.get((test, layout, form), {})
            failing = {t for tables in known for t in tables}
            passing = tuple(t for t in TABLES if t not in failing)
            if passing:
                yield pytest.param(layout, form, passing, id=f"{layout}-{form}")
            for tables, reason in known.items():
                yield pytest.param(layout, form, tables, id=f"{layout}-{form}-{''.join(map(SHORT.get, tables))}",
                                   marks=pytest.mark.xfail(strict=True, reason=reason))


def _check_all(strategy, layout, form, tables, request):
    known_failure = request.node.get_closest_marker("xfail") is not None

    @given(strategy, st.sampled_from(ENCODINGS))
    def check(values, encoding):
        read_back(values, layout, form, tables, encoding)

    (CONFIRM_FAILURE if known_failure else PROPERTY)(check)()


@pytest.mark.parametrize("layout,form,tables", list(cases("numbers")))
def test_numbers_come_back(layout, form, tables, request):
    _check_all(report_values(layout), layout, form, tables, request)


@pytest.mark.parametrize("layout,form,tables", list(cases("marks")))
def test_empty_and_not_applicable_cells_come_back(layout, form, tables, request):
    _check_all(report_values(layout, CARRIES[form]), layout, form, tables, request)


def all_zero_but(layout: str, table: str, row: str, column: str, leaf) -> dict:
    values = {t: {r: dict.fromkeys(columns, 0) for r, columns in rows.items()}
              for t, rows in table_shape(layout).items()}
    values[table][row][column] = leaf
    return values


# Minimal examples of failures the properties found (every cell 0 but one), fixed since and
# kept as plain tests: each says what went wrong. A new failure: add its (test, layout, form)
# to KNOWN_FAILURES as a strict xfail with its minimal example here, until it is fixed.
ONCE_FAILING = [
    ("2021", "html", "reviews_litigation", "review", "upheld", None, LEADING_BLANK_HTML),
    ("2021", "tabs", "applications", "carried_forward", "natural_person", None,
     "an EMPTY first value next to merged-cell spacers was trimmed with them"),
    ("2019", "tabs", "active_disclosure", "procurement", "items", None, "政府集中采购\\t\\t0\\t: items took the 0"),
    ("2019", "tabs", "active_disclosure", "fees", "items_prev_year", None, "行政事业性收费\\t\\t0\\t: likewise"),
    ("2021", "markdown", "applications", "granted", "natural_person", None, "as in tabs"),
    ("2019", "pipes", "applications", "other", "natural_person", None, "as in tabs"),
    ("2021", "pipes", "reviews_litigation", "review", "upheld", None,
     "' | 0 | 0 |': the EMPTY first field was taken for markdown's opening pipe"),
    ("2021", "pdf", "reviews_litigation", "review", "upheld", 1, "table 四's 15 values read as one number"),
    ("2021", "pdf", "active_disclosure", "regulations", "issued", "—", "'规章 — 0 0' not split into cells"),
    ("2021", "pdf", "applications", "granted", "natural_person", "无", "a line with 无 not split into cells"),
    ("2021", "pdf", "applications", "new_received", "total", "不涉及", "a line with 不涉及 not split into cells"),
    ("2019", "pdf", "active_disclosure", "procurement", "amount", "0.5元", "'0.5元' stopped the line's split"),
]


@pytest.mark.parametrize("layout,form,table,row,column,leaf,why", [
    pytest.param(*case, id=f"{case[0]}-{case[1]}-{case[3]}.{case[4]}={case[5]!r}") for case in ONCE_FAILING
])
def test_once_failing_minimal(layout, form, table, row, column, leaf, why):
    read_back(all_zero_but(layout, table, row, column, leaf), layout, form, (table,))


# Seed 004 and PDF→markdown converters pad a table 三 row to the table's width AFTER its values,
# where a Word grid prints the label's merged columns before them: the table's full rows tell which.
@pytest.mark.parametrize("full,short", [
    ("一、本年新收政府信息公开申请数量 | 9 | 2 | 0 | 0 | 2 | 0 | 13 | ||",
     "二、上年结转政府信息公开申请数量 |  | 0 | 0 | 0 | 0 | 0 | 5 | ||"),
    ("| 一、本年新收政府信息公开申请数量 | 9 | 2 | 0 | 0 | 2 | 0 | 13 |  |",
     "| 二、上年结转政府信息公开申请数量 |  | 0 | 0 | 0 | 0 | 0 | 5 |  |"),
    ("一、本年新收政府信息公开申请数量\t\t\t9\t2\t0\t0\t2\t0\t13",
     "二、上年结转政府信息公开申请数量\t\t\t\t0\t0\t0\t0\t0\t5"),
], ids=["seed-004-pipes", "markdown", "word-tabs"])
def test_empty_first_value_in_padded_rows(full, short):
    page = ("XX县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n三、收到和处理政府信息公开申请情况\n"
            f"{full}\n{short}\n四、政府信息公开行政复议、行政诉讼情况\n")
    applications = parse_report(page.encode()).applications
    assert applications["new_received"] == dict(zip(APPLICANT_COLUMNS, [9, 2, 0, 0, 2, 0, 13]))
    assert applications["carried_over"] == dict(zip(APPLICANT_COLUMNS, [None, 0, 0, 0, 0, 0, 5]))


def test_pdf_group_label_on_the_first_rows_line():
    """The merged group label printed on its first row's line is a label of its own."""
    page = ("XX县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n三、收到和处理政府信息公开申请情况\n"
            "三、本年度办理结果 （一）予以公开 1 2 3 4 5 6 7\n四、政府信息公开行政复议、行政诉讼情况\n")
    applications = parse_report(page.encode()).applications or {}
    assert applications.get("granted") == dict(zip(APPLICANT_COLUMNS, range(1, 8)))


# ---- hostile input: a Report or a one-line ParseError, nothing else ----

def report_or_parse_error(data: bytes, **kwargs) -> Report | None:
    try:
        report = parse_report(data, **kwargs)
    except ParseError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return None
    json.dumps(report.to_dict(include_cells=True), ensure_ascii=False)
    return report


HTTP = st.fixed_dictionaries({}, optional={
    "content_type": st.sampled_from(["text/html", "text/plain; charset=gbk", "text/html; charset=utf-8",
                                     "application/octet-stream", "text/html; charset=nonsense"]),
    "content_encoding": st.sampled_from(["gzip", "deflate", "br", "identity", "gzip, br", "x-unknown"]),
})


@PROPERTY
@given(st.binary(max_size=4096), HTTP)
def test_random_bytes(data, http):
    report_or_parse_error(data, **http)


@PROPERTY
@given(st.text(max_size=2000), st.sampled_from(["utf-8", "gb18030", "utf-16", "big5"]))
def test_random_text(text, encoding):
    report_or_parse_error(text.encode(encoding, errors="replace"))


# Words of real reports, so random text reaches the table readers instead of "not a report".
REPORT_WORDS = [
    "XX县人民政府2023年政府信息公开工作年度报告", "一、总体情况", "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项", "第二十条第（一）项", "信息内容", "本年制发件数", "本年增/减", "规章", "行政许可",
    "行政事业性收费", "采购总金额", "申请人情况", "自然人", "总计", "一、本年新收政府信息公开申请数量",
    "（三）不予公开", "1.属于国家秘密", "（六）其他处理", "3.其他", "四、结转下年度继续办理", "行政复议",
    "结果维持", "尚未审结", "- 4 -", "0", "12", "-3", "668.57", "55（含自然失效29件）", "/", "—", "无", "?",
    "\u00a0", "區(qū)", "發布日期：2024-01-30", "<table>", "<td rowspan=\"3\">", "</tr>", "&nbsp;",
]
SEPARATORS = ["\n", "\n\n", "\t", " | ", " ", "|", "\r\n", ""]


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(REPORT_WORDS) | st.text(max_size=8), st.sampled_from(SEPARATORS)),
                min_size=20, max_size=300))
def test_report_word_soup(pieces):
    report_or_parse_error("".join(word + sep for word, sep in pieces).encode("utf-8"))


FORM_AND_LAYOUT = st.tuples(st.sampled_from(LAYOUTS), st.sampled_from(FORMS))


@PROPERTY
@given(FORM_AND_LAYOUT, st.sampled_from(["utf-8", "gbk"]), st.data())
def test_truncated_pages(layout_and_form, encoding, data):
    layout, form = layout_and_form
    page = render(data.draw(report_values(layout, CARRIES[form])), layout, form, encoding=encoding)
    report_or_parse_error(page[:data.draw(st.integers(0, len(page)), label="cut")])


# Ways Word pages and broken CMS templates break: tags left open, spans out of range, huge attributes.
_BAD_SPANS = ["0", "-3", "1e9", "99999999", "abc", "", "2.5", "３", "9" * 400]


@st.composite
def broken_html(draw):
    layout = draw(st.sampled_from(LAYOUTS))
    page = render(draw(report_values(layout, CARRIES["html"])), layout, "html").decode("utf-8")
    closing = list(re.finditer(r"</(?:td|tr|table|p|span|div|tbody)>", page))
    dropped = draw(st.sets(st.integers(0, len(closing) - 1), max_size=len(closing)))
    page = "".join(piece for i, piece in enumerate(re.split(r"(</(?:td|tr|table|p|span|div|tbody)>)", page))
                   if not (i % 2 and (i // 2) in dropped))
    spans = iter(draw(st.lists(st.sampled_from(_BAD_SPANS), min_size=1, max_size=20)))
    page = re.sub(r'(rowspan|colspan)="\d+"', lambda m: f'{m.group(1)}="{next(spans, "1")}"', page)
    huge = draw(st.sampled_from(["style", "class", "title", "width", "colspan"]))
    size = draw(st.sampled_from([10_000, 1_000_000]))
    at = draw(st.integers(0, len(page)))
    page = page[:at] + f'<td {huge}="{"x" * size}"><table><tr><td>' + page[at:]
    cut = draw(st.integers(len(page) // 2, len(page)))
    return page[:cut].encode("utf-8")


@PROPERTY
@given(broken_html())
def test_broken_html(data):
    report_or_parse_error(data)


_PAGE = "XX县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n二、主动公开政府信息情况\n{}\n三、收到和处理政府信息公开申请情况\n"


@pytest.mark.parametrize("data", [
    # past Python's int-string limit (4300 digits): a TEXT cell, not a ValueError
    pytest.param(_PAGE.format("规章\t" + "9" * 4301 + "\t0\t0").encode(), id="huge-number-text"),
    pytest.param(("<p>二、主动公开政府信息情况</p><table><tr><td>规章</td><td>" + "1" * 5000
                  + "（含）</td></tr></table>").encode(), id="huge-number-html"),
    pytest.param(_PAGE.format("规章\t" + "1" * 5000 + ".5\t0\t0").encode(), id="huge-decimal"),
    pytest.param(("<p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p>" + "<div>" * 100_000).encode(),
                 id="deep-nesting"),
    pytest.param(("<p>二、主动公开政府信息情况</p>" + "<table><tr><td>" * 20_000).encode(), id="deep-tables"),
])
def test_hostile_examples(data):
    report_or_parse_error(data)


def test_long_digit_run_before_a_non_value_in_a_pdf_line():
    """A regex with nested quantifiers once took minutes on this line (30 digits, then a word):
    should the PDF line reader backtrack again, this test hangs rather than passes. No
    wall-clock bound: CI machines are too noisy for one."""
    digits = "1" * 30
    assert split_pdf_line(f"规章 {digits} 无") == ["规章", digits, "无"]
    assert split_pdf_line(f"规章 {digits} 0 不涉及 0.5元") == ["规章", digits, "0", "不涉及", "0.5元"]
    assert split_pdf_line(f"规章 {digits} 0 3 页") == [f"规章 {digits} 0 3 页"]  # ends in a word: no values
    report_or_parse_error(_PAGE.format(f"规章 {digits} 0 3 页").encode())
