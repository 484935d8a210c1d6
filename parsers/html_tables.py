"""Read Word-pasted HTML tables into a grid, then into labelled rows.

Word tables carry rowspan/colspan, text split over many ``<span>``s,
``<o:p>`` and ``&nbsp;`` padding. ``TableGrid`` expands spans so every cell
has a grid position; ``labelled_rows`` turns each grid row into "labels,
then values", the form the text readers also produce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from .cells import is_blank, looks_like_value
from .chrome import text_content
from .rows import LabelledRow, RawCell, RawTable, is_label

_MAX_SPAN = 200  # guards against rowspan="9999" in broken pages
_SPACE = re.compile(r"[ \t\r\n\f\v]+")


@dataclass(frozen=True)
class GridCell:
    text: str
    row: int     # 1-based top-left position in the expanded grid
    col: int
    element_id: int  # identifies the <td> so a spanned cell is read once per row


class TableGrid:
    """A ``<table>`` with rowspan/colspan expanded into ``rows[r][c]``."""

    def __init__(self, table, number: int):
        self.number = number  # 1-based position among the report's tables
        self.rows: list[list[GridCell]] = []
        self._expand(table)

    def _expand(self, table) -> None:
        pending: dict[tuple[int, int], GridCell] = {}  # (row, col) → cell spanning from above
        serial = 0  # not id(td): lxml proxies are short-lived and their ids get reused
        for r, tr in enumerate(_table_rows(table)):
            line: list[GridCell] = []
            col = 0
            for td in tr:
                if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                    continue
                while (r, col) in pending:
                    line.append(pending.pop((r, col)))
                    col += 1
                rowspan, colspan = _span(td, "rowspan"), _span(td, "colspan")
                serial += 1
                cell = GridCell(cell_text(td), r + 1, col + 1, serial)
                for dc in range(colspan):
                    line.append(cell)
                    for dr in range(1, rowspan):
                        pending[(r + dr, col + dc)] = cell
                col += colspan
            while (r, col) in pending:
                line.append(pending.pop((r, col)))
                col += 1
            self.rows.append(line)

    def labelled_rows(self) -> list[LabelledRow]:
        rows = []
        for unique, labels, values in self._split_rows:
            where = self._where(unique[0]) if unique else f"table {self.number}"
            rows.append(LabelledRow([c.text for c in labels], [RawCell(c.text, self._where(c)) for c in values], where))
        return rows

    @cached_property
    def _split_rows(self) -> list[tuple[list[GridCell], list[GridCell], list[GridCell]]]:
        """Each row's distinct cells, its labels and its values. Computed once: the rows are
        read twice, to classify the table and then under the table's final number."""
        split = []
        for line in self.rows:
            unique = _unique(line)
            split.append((unique, *_split_labels(unique)))
        return split

    def to_raw_table(self) -> RawTable:
        return RawTable(None, self.labelled_rows(), blanks_are_cells=True)

    def _where(self, cell: GridCell) -> str:
        return f"table {self.number}, row {cell.row}, col {cell.col}"


def cell_text(td) -> str:
    """All text in a cell, spans and ``<o:p>`` flattened, whitespace collapsed (nbsp kept as blank)."""
    return _SPACE.sub(" ", text_content(td)).strip(" ")


def leaf_tables(root) -> list:
    """Tables holding no other table: layout tables around a report are not report tables."""
    return [t for t in root.iter("table") if not any(True for _ in t.iterdescendants("table"))]


def _table_rows(table):
    for child in table:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (tr for tr in child if tr.tag == "tr")


def _span(td, name: str) -> int:
    try:
        value = int(str(td.get(name, "1")).strip() or 1)
    except ValueError:
        return 1
    return min(max(value, 1), _MAX_SPAN)


def _split_labels(cells: list[GridCell]) -> tuple[list[GridCell], list[GridCell]]:
    """Leading label cells, then value cells.

    Position decides, not content: once the first value appears, the rest are
    values even when they are text (``55（含自然失效29件）``, a stray word).
    A row with no value at all is a header row: every non-blank cell is a label.
    """
    start = 0
    while start < len(cells) and not cells[start].text.strip():
        start += 1  # blank spacer columns before the labels
    end = start
    while end < len(cells) and is_label(cells[end].text):
        end += 1
    rest = cells[end:]
    has_value = any(looks_like_value(c.text) and not is_blank(c.text) for c in rest)
    if not has_value and any(is_label(c.text) for c in rest):
        return [c for c in cells if is_label(c.text)], []
    return cells[start:end], rest


def _unique(line: list[GridCell]) -> list[GridCell]:
    seen: set[int] = set()
    unique = []
    for cell in line:
        if cell.element_id not in seen:
            seen.add(cell.element_id)
            unique.append(cell)
    return unique
