"""The pre-2019 政府信息公开情况统计表 as indicator rows: indicator, unit, this year, cumulative.

Before the national format, each province had its own 统计表 (指标名称 |
计量单位 | 本年度 | 历年累计) with rows that vary: 主动公开信息数, 其中：1.网站公开,
当面/传真/电子邮件申请数, 行政申诉数… So its rows are kept as printed, loosely
typed (docs/report-format.md, "Before 2019"), in whatever form the table came:
an HTML grid, text rows, or crawler text where label, unit and numbers ran
together (``主动公开信息数条4251516其中：1.网站公开条41815092.政府公报公开条77``).
There the unit word ends the label, but the two numbers of a row have no sum
to check a split against, so a glued run is unreadable: the indicator and
unit are kept, the values are not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .cells import EMPTY, TEXT, cell_record, read_cell
from .glued_digits import plain_cells
from .normalize import label_key
from .rows import LabelledRow, RawCell, RawTable

INDICATORS = "indicators"
COLUMNS = ("this_year", "cumulative")
UNITS = ("人次", "万元", "条", "件", "个", "次", "元", "项", "人", "份")

_HEADER = re.compile(r"指标\s*名称")
INDICATOR_WORDS = "指标名称单位"  # what ``is_indicator_header`` needs, spaces aside
# The header's own words, up to 历年累计 ("2011年度" holds digits that are not data).
_HEADER_WORDS = re.compile(r"指标\s*名称.{0,40}?累\s*计")
_UNIT_BEFORE_DIGITS = re.compile("(?:" + "|".join(UNITS) + r")(?=[ \u3000]*\d)")
_RUN = re.compile(r"[ \u3000]*\d[\d .\u3000]*")
_GLUED_ROWS = 2  # this many "unit then digits" on the header's line: the table ran together


@dataclass
class MappedIndicators:
    rows: list[dict] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)


def is_indicator_header(text: str) -> bool:
    """Labels of a 统计表: 指标名称 with a unit column (``text`` in simplified characters)."""
    return bool(_HEADER.search(text)) and "单位" in text


def glued_indicator_rows(text: str, where: str) -> list[LabelledRow] | None:
    """Rows of a 统计表 that ran together on one line, after its 指标名称 header; None
    when the line is not such a table."""
    header = _HEADER.search(text)
    if not header:
        return None
    words = _HEADER_WORDS.search(text, header.start())
    position = words.end() if words else header.end()
    if len(_UNIT_BEFORE_DIGITS.findall(text, position)) < _GLUED_ROWS:
        return None
    rows = []
    while True:
        unit = _UNIT_BEFORE_DIGITS.search(text, position)
        if not unit:
            break
        run = _RUN.match(text, unit.end())
        digits, next_start = run.group(0).rstrip(), run.end()
        if digits.endswith(".") and digits[:-1][-1:].isdigit():
            digits = digits[:-2]  # "41815092." + "政府公报公开": "2." numbers the next row
        elif digits[-1:].isdigit() and text[next_start:next_start + 1] in ("、", "．"):
            digits = digits[:-1]
        next_start = unit.end() + len(digits)
        label = text[position:unit.start()].strip()
        rows.append(LabelledRow([label, unit.group(0)], [RawCell(t, where) for t in digits.split()], where))
        position = next_start
    return rows


def map_indicators(tables: list[RawTable]) -> MappedIndicators:
    mapped = MappedIndicators()
    for table in tables:
        for row in table.rows:
            labels = [label for label in row.labels if label.strip()]
            if not labels or is_indicator_header(label_key("".join(labels))):  # 指標名稱 too
                continue
            names, unit = _unit_of(labels)
            if unit is None and all(c.blank for c in row.cells):
                continue  # a heading row (一、主动公开情况) or a note, not an indicator
            cells = list(row.cells)
            if unit is None and cells and (first := label_key(cells[0].text)) in UNITS:
                unit = first  # a grid whose unit column reads as a value column
                cells.pop(0)
            indicator = label_key("".join(dict.fromkeys(names)))
            if not indicator:
                continue
            mapped.rows.append(_indicator_row(mapped, indicator, unit, cells, table, row))
    return mapped


def _indicator_row(mapped: MappedIndicators, indicator: str, unit, cells: list[RawCell], table: RawTable,
                   row: LabelledRow) -> dict:
    record = {"indicator": indicator, "unit": unit}
    run = " ".join(c.text.strip() for c in cells if c.text.strip())
    if table.glued and plain_cells(run, len(COLUMNS)) is None:
        mapped.problems.append({"kind": "glued_digits", "table": INDICATORS,
                                "detail": f"{indicator}: '{run}' has no sum to split it by"})
        for column in COLUMNS:
            mapped.cells.append(cell_record(INDICATORS, indicator, column, run, None, TEXT,
                                            f"{row.where} (glued '{run}' unreadable)"))
            record[column] = None
        return record
    if table.glued:
        cells = [RawCell(t, row.where) for t in run.split()]
    for i, column in enumerate(COLUMNS):
        cell = cells[i] if i < len(cells) else None
        if cell is None:
            mapped.cells.append(cell_record(INDICATORS, indicator, column, "", None, EMPTY, row.where))
            record[column] = None
            continue
        value = read_cell(cell.text)
        mapped.cells.append(cell_record(INDICATORS, indicator, column, cell.text, value.value, value.kind, cell.where))
        record[column] = value.value
    return record


def _unit_of(labels: list[str]) -> tuple[list[str], str | None]:
    """The indicator's labels and its unit: the last label when it is a unit word, or a
    unit word after a space at the end of it (``主动公开信息数 条`` read from a PDF line).
    Units are read by their label_key: 條 is 条."""
    last = labels[-1].strip()
    if (unit := label_key(last)) in UNITS:
        return labels[:-1], unit
    head, _, tail = last.rpartition(" ")
    if head and (unit := label_key(tail)) in UNITS:
        return labels[:-1] + [head], unit
    return labels, None
