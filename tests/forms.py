"""Render a report's table values in each form real reports arrive in (docs/report-format.md,
"Forms the same table arrives in"), so property tests can check the parser reads every value back.

``values`` is the canonical nested dict the parser returns (``{"active_disclosure": {row: {column:
leaf}}, "applications": …, "reviews_litigation": …}``), except that a leaf says what the cell prints:

- ``int`` or ``Decimal``: a number, printed as is (``Decimal("1681.00")`` keeps its two places);
- ``None``: an EMPTY cell (``&nbsp;`` in HTML, a blank token in text);
- ``str``: printed as is: a not-applicable mark (``/``, ``—``, ``无``) or an amount with its unit.

``expected_tables`` and ``expected_kinds`` say what the parser must give back for those leaves.
Each form is rendered from one grid per table that carries the format's spans (rowspan/colspan as
Word pastes them); the text forms flatten that grid the way their extractors do.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import takewhile

from portal.seed_tables import Cell, Grid
from portal.word_html import empty_paragraph, escape, paragraph, render_table

LAYOUTS = ("2021", "2019")
FORMS = ("html", "cell_lines", "blank_lines", "tabs", "pipes", "pdf", "markdown")
TABLES = ("active_disclosure", "applications", "reviews_litigation")
NOT_APPLICABLE = ("/", "-", "—", "无", "不涉及")

# ---- the format: labels and keys ----

_CHANGE3 = [("上一年项目数量", "items_prev_year"), ("本年增/减", "items_change"), ("处理决定数量", "decisions")]
# Table 二 blocks: (block heading, [(column header, key)], [(row label, key)]).
ACTIVE_BLOCKS = {
    "2021": [
        ("第二十条第（一）项",
         [("本年制发件数", "issued"), ("本年废止件数", "repealed"), ("现行有效件数", "in_force")],
         [("规章", "regulations"), ("行政规范性文件", "normative_documents")]),
        ("第二十条第（五）项", [("本年处理决定数量", "decisions")], [("行政许可", "licensing")]),
        ("第二十条第（六）项", [("本年处理决定数量", "decisions")], [("行政处罚", "penalty"), ("行政强制", "coercion")]),
        ("第二十条第（八）项", [("本年收费金额（单位：万元）", "amount_10k_yuan")], [("行政事业性收费", "fees")]),
    ],
    "2019": [
        ("第二十条第（一）项",
         [("本年新制作数量", "made"), ("本年新公开数量", "published"), ("对外公开总数量", "public_total")],
         [("规章", "regulations"), ("规范性文件", "normative_documents")]),
        ("第二十条第（五）项", _CHANGE3, [("行政许可", "licensing"), ("其他对外管理服务事项", "other_services")]),
        ("第二十条第（六）项", _CHANGE3, [("行政处罚", "penalty"), ("行政强制", "coercion")]),
        ("第二十条第（八）项", _CHANGE3[:2], [("行政事业性收费", "fees")]),
        ("第二十条第（九）项", [("采购项目数量", "items"), ("采购总金额", "amount")], [("政府集中采购", "procurement")]),
    ],
}
ACTIVE_WIDTH = 4  # 信息内容 + at most three columns

APPLICANT_COLUMNS = ("natural_person", "commercial_enterprise", "research_institution",
                     "social_welfare_org", "legal_service_org", "other_org", "total")
_RESULTS = "三、本年度办理结果"
_GROUPS = {
    "withheld": "（三）不予公开", "unable": "（四）无法提供", "rejected": "（五）不予处理", "other": "（六）其他处理",
}
# Table 三 rows: (the merged group cells on their left, row label, key).
_APPLICATION_ROWS = [
    ((), "一、本年新收政府信息公开申请数量", "new_received"),
    ((), "二、上年结转政府信息公开申请数量", "carried_over"),
    ((_RESULTS,), "（一）予以公开", "granted"),
    ((_RESULTS,), "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted"),
    *(((_RESULTS, _GROUPS["withheld"]), label, key) for label, key in [
        ("1.属于国家秘密", "withheld_state_secret"),
        ("2.其他法律行政法规禁止公开", "withheld_prohibited_by_law"),
        ("3.危及“三安全一稳定”", "withheld_three_safeties_one_stability"),
        ("4.保护第三方合法权益", "withheld_third_party_rights"),
        ("5.属于三类内部事务信息", "withheld_internal_affairs"),
        ("6.属于四类过程性信息", "withheld_process_information"),
        ("7.属于行政执法案卷", "withheld_enforcement_files"),
        ("8.属于行政查询事项", "withheld_administrative_inquiry")]),
    *(((_RESULTS, _GROUPS["unable"]), label, key) for label, key in [
        ("1.本机关不掌握相关政府信息", "unable_not_held"),
        ("2.没有现成信息需要另行制作", "unable_needs_creation"),
        ("3.补正后申请内容仍不明确", "unable_unclear")]),
    *(((_RESULTS, _GROUPS["rejected"]), label, key) for label, key in [
        ("1.信访举报投诉类申请", "rejected_petition_complaint"),
        ("2.重复申请", "rejected_duplicate"),
        ("3.要求提供公开出版物", "rejected_publication"),
        ("4.无正当理由大量反复申请", "rejected_excessive"),
        ("5.要求行政机关确认或重新出具已获取信息", "rejected_confirmation")]),
    *(((_RESULTS, _GROUPS["other"]), label, key) for label, key in [
        ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other_no_correction"),
        ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other_unpaid_fee"),
        ("3.其他", "other_other")]),
    ((_RESULTS,), "（七）总计", "total"),
    ((), "四、结转下年度继续办理", "carried_forward"),
]
_SINGLE_OTHER = ((_RESULTS,), _GROUPS["other"], "other")  # 2019: （六） is one row


def application_rows(layout: str) -> list[tuple[tuple[str, ...], str, str]]:
    """25 rows in the 2021 layout; 23 in 2019, whose （六）其他处理 is a single ``other`` row."""
    if layout == "2021":
        return list(_APPLICATION_ROWS)
    rows = [row for row in _APPLICATION_ROWS if not row[2].startswith("other_")]
    rows.insert(next(i for i, row in enumerate(rows) if row[2] == "total"), _SINGLE_OTHER)
    return rows


REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")
REVIEW_OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
# Header words split over two lines, as narrow Word columns print them (seed 003).
_OUTCOME_HEADERS = (["结果", "维持"], ["结果", "纠正"], ["其他", "结果"], ["尚未", "审结"], ["总计"])


def table_shape(layout: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """The rows and columns of each table: ``{table: {row: columns}}``."""
    active = {key: tuple(c for _, c in columns)
              for _, columns, rows in ACTIVE_BLOCKS[layout] for _, key in rows}
    applications = {key: APPLICANT_COLUMNS for _, _, key in application_rows(layout)}
    reviews = {group: REVIEW_OUTCOMES for group in REVIEW_GROUPS}
    return {"active_disclosure": active, "applications": applications, "reviews_litigation": reviews}


# ---- leaves: what a cell prints and what the parser must give back ----

def printed(leaf) -> str:
    if leaf is None:
        return ""
    if isinstance(leaf, Decimal):
        return format(leaf, "f")
    return str(leaf)


def expected_value(leaf) -> int | float | None:
    """Blank and not-applicable cells are ``None``; numbers keep their value (``元`` dropped)."""
    if leaf is None or isinstance(leaf, str) and leaf in NOT_APPLICABLE:
        return None
    if isinstance(leaf, int):
        return leaf
    text = printed(leaf).removesuffix("元")
    return float(text) if "." in text else int(text)


def expected_kind(leaf) -> str:
    if leaf is None:
        return "empty"
    if isinstance(leaf, str) and leaf in NOT_APPLICABLE:
        return "not_applicable"
    return "zero" if expected_value(leaf) == 0 else "number"


def expected_tables(values: dict) -> dict:
    return {table: {row: {col: expected_value(leaf) for col, leaf in cells.items()}
                    for row, cells in rows.items()} for table, rows in values.items()}


def expected_kinds(values: dict) -> dict[tuple[str, str, str], str]:
    return {(table, row, col): expected_kind(leaf)
            for table, rows in values.items() for row, cells in rows.items() for col, leaf in cells.items()}


# ---- one grid per table, spans as Word pastes them ----

def _label(text: str, **spans) -> Cell:
    return Cell([text], kind="label", **spans)


def _header(lines, **spans) -> Cell:
    return Cell(list(lines) if isinstance(lines, list) else [lines], kind="header", **spans)


def _value(leaf, **spans) -> Cell:
    return Cell([printed(leaf)], kind="value", **spans)


def _span(i: int, count: int) -> int:
    """Table 二 is four columns wide: a row's last cell spans what its fewer columns leave."""
    return ACTIVE_WIDTH - count if i == count - 1 else 1


def active_grid(values: dict, layout: str) -> Grid:
    grid: Grid = []
    for block, columns, rows in ACTIVE_BLOCKS[layout]:
        n = len(columns)
        grid.append([Cell([block], colspan=ACTIVE_WIDTH, kind="title")])
        grid.append([_header("信息内容")] + [_header(h, colspan=_span(i, n)) for i, (h, _) in enumerate(columns)])
        for label, key in rows:
            grid.append([_label(label)] + [_value(values[key][c], colspan=_span(i, n))
                                           for i, (_, c) in enumerate(columns)])
    return grid


def applications_grid(values: dict, layout: str) -> Grid:
    grid: Grid = [
        [_header("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
         _header("申请人情况", colspan=7)],
        [_header("自然人", rowspan=2), _header("法人或其他组织", colspan=5), _header("总计", rowspan=2)],
        [_header(["商业", "企业"]), _header(["科研", "机构"]), _header("社会公益组织"),
         _header("法律服务机构"), _header("其他")],
    ]
    rows = application_rows(layout)
    for i, (groups, label, key) in enumerate(rows):
        cells = []
        for depth in range(len(groups)):
            prefix = groups[:depth + 1]
            if i == 0 or rows[i - 1][0][:depth + 1] != prefix:  # the group's merged cell starts here
                span = len(list(takewhile(lambda r: r[0][:depth + 1] == prefix, rows[i:])))
                cells.append(_label(groups[depth], rowspan=span))
        cells.append(_label(label, colspan=3 - len(groups)))
        grid.append(cells + [_value(values[key][c]) for c in APPLICANT_COLUMNS])
    return grid


def reviews_grid(values: dict) -> Grid:
    outcomes = [_header(lines) for lines in _OUTCOME_HEADERS]
    return [
        [_header("行政复议", colspan=5), _header("行政诉讼", colspan=10)],
        [_header(lines, rowspan=2) for lines in _OUTCOME_HEADERS]
        + [_header("未经复议直接起诉", colspan=5), _header("复议后起诉", colspan=5)],
        outcomes + [_header(c.lines) for c in outcomes],
        [_value(values[g][o]) for g in REVIEW_GROUPS for o in REVIEW_OUTCOMES],
    ]


def table_grids(values: dict, layout: str) -> dict[str, Grid]:
    return {
        "active_disclosure": active_grid(values["active_disclosure"], layout),
        "applications": applications_grid(values["applications"], layout),
        "reviews_litigation": reviews_grid(values["reviews_litigation"]),
    }


def expand(grid: Grid) -> list[list[Cell | None]]:
    """Every grid position: the cell that starts there, or None where a span covers it."""
    width = max(sum(c.colspan for c in row) for row in grid)
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(grid):
        line: list[Cell | None] = []
        cells = iter(row)
        for c in range(width):
            if (r, c) in taken:
                line.append(None)
                continue
            cell = next(cells, None)
            line.append(cell)
            if cell is None:
                continue
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
        out.append(line)
    return out


# ---- the report around the tables ----

def _report_lines(layout: str) -> dict[str, list[str]]:
    year = 2023 if layout == "2021" else 2020
    return {
        "title": [f"XX县人民政府{year}年政府信息公开工作年度报告"],
        "一": ["一、总体情况",
               f"{year}年，XX县人民政府认真贯彻落实《中华人民共和国政府信息公开条例》，"
               "依法做好政府信息公开工作。"],
        "二": ["二、主动公开政府信息情况"],
        "三": ["三、收到和处理政府信息公开申请情况"],
        "四": ["四、政府信息公开行政复议、行政诉讼情况"],
        "五": ["五、存在的主要问题及改进情况", "一是公开内容不够全面；二是解读形式较为单一。"],
        "六": ["六、其他需要报告的事项", "本年度未收取信息处理费。"],
    }


_TABLE_SECTION = {"二": "active_disclosure", "三": "applications", "四": "reviews_litigation"}


def render(values: dict, layout: str, form: str, *, encoding: str = "utf-8") -> bytes:
    """The whole report, with ``values`` in its tables 二, 三, 四, as ``form`` prints them.

    Characters the encoding lacks (nbsp in GBK) become ``?``, as they did on real portals.
    """
    grids = table_grids(values, layout)
    parts = _report_lines(layout)
    if form == "html":
        return _html_page(parts, grids, encoding).encode(encoding, errors="replace")
    render_grid = _TEXT_FORMS[form]
    lines: list[str] = []
    for name, section in parts.items():
        lines.extend(section)
        if name in _TABLE_SECTION:
            lines.extend(render_grid(grids[_TABLE_SECTION[name]], _TABLE_SECTION[name]))
    separator = "\n\n" if form == "blank_lines" else "\n"
    return (separator.join(lines) + "\n").encode(encoding, errors="replace")


def _html_page(parts: dict[str, list[str]], grids: dict[str, Grid], encoding: str) -> str:
    body = [paragraph(parts["title"][0], centered=True)]
    for name, section in parts.items():
        if name == "title":
            continue
        body.append(paragraph(section[0], heading=True))
        body.extend(paragraph(line) for line in section[1:])
        if name in _TABLE_SECTION:
            grid = [[_nbsp_if_blank(c) for c in row] for row in grids[_TABLE_SECTION[name]]]
            body.append(render_table(grid))
            body.append(empty_paragraph())
    title = escape(parts["title"][0])
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={encoding}">'
            f'<title>{title}</title></head><body><div class="TRS_Editor">{"".join(body)}</div></body></html>')


def _nbsp_if_blank(cell: Cell) -> Cell:
    if cell.kind == "value" and not cell.lines[0]:
        return Cell(["\u00a0"], cell.rowspan, cell.colspan, cell.kind)
    return cell


# ---- text forms: each flattens a grid the way its extractor does ----

def _cells_in_reading_order(grid: Grid) -> list[Cell]:
    return [cell for row in grid for cell in row]


def _cell_lines(grid: Grid, table: str) -> list[str]:
    """Seed 000: one cell per line, `` |`` after each; merged cells appear once, no spacers."""
    return [f"{''.join(c.lines)} |" if c.lines[0] else " |" for c in _cells_in_reading_order(grid)]


# Seed 003's table 四 has three nbsp spacer tokens among its 15 values, left by merged cells.
_SPACERS_AFTER = {"reviews_litigation": (6, 7, 13)}


def _blank_lines(grid: Grid, table: str) -> list[str]:
    """Seed 003: cells separated by blank lines, header cells over several lines, blanks as nbsp."""
    tokens, values = [], 0
    for cell in _cells_in_reading_order(grid):
        tokens.append("\n".join(cell.lines) if cell.lines[0] else "\u00a0")
        if cell.kind == "value":
            values += 1
            if values in _SPACERS_AFTER.get(table, ()):
                tokens.append("\u00a0")
    return tokens


def _fields(grid: Grid, join: str) -> list[list[str]]:
    return [[join.join(c.lines) if c is not None else "" for c in row] for row in expand(grid)]


def _tabs(grid: Grid, table: str) -> list[str]:
    """Seed 002: tab-separated rows, every grid position present, merged ones empty."""
    return ["\t".join(row) for row in _fields(grid, " ")]


def _pipes(grid: Grid, table: str) -> list[str]:
    """Seed 004: ``a | b |`` rows, every grid position present, merged ones empty."""
    return [" | ".join(row) + " |" for row in _fields(grid, " ")]


def _markdown(grid: Grid, table: str) -> list[str]:
    rows = ["| " + " | ".join(row) + " |" for row in _fields(grid, "")]
    width = len(expand(grid)[0])
    return rows[:1] + ["|" + "---|" * width] + rows[1:]


def _pdf(grid: Grid, table: str) -> list[str]:
    """PDF text: a row's labels and values on one line; in tables 三 and 四 a one-column header
    cell one character per line (narrow columns), a wider one on its line; merged group labels
    on their own line; page markers ``- 4 -`` between rows."""
    lines = []
    for r, row in enumerate(grid):
        if r % 9 == 8:
            lines.append(f"- {_FIRST_PAGE[table] + r // 9} -")
        if all(c.kind in ("header", "title") for c in row):
            if table == "active_disclosure":
                lines.append(" ".join("".join(c.lines) for c in row))
            else:
                for cell in row:
                    text = "".join(cell.lines)
                    lines.extend(text if cell.colspan == 1 else [text])
            continue
        merged = [c.kind == "label" and c.rowspan > 1 for c in row]
        lines.extend(c.lines[0] for c, spans in zip(row, merged) if spans)
        lines.append(" ".join("".join(c.lines) for c, spans in zip(row, merged) if not spans and c.lines[0]))
    return lines


_FIRST_PAGE = {"active_disclosure": 3, "applications": 4, "reviews_litigation": 7}


_TEXT_FORMS = {
    "cell_lines": _cell_lines, "blank_lines": _blank_lines, "tabs": _tabs,
    "pipes": _pipes, "pdf": _pdf, "markdown": _markdown,
}
