"""Read a table into a grid, then into labelled rows: HTML tables, and the cell grids
of PDF, DOCX and spreadsheets (``TableGrid.from_texts``).

Word tables carry rowspan/colspan, text split over many ``<span>``s,
``<o:p>`` and ``&nbsp;`` padding. ``TableGrid`` expands spans so every cell
has a grid position; ``labelled_rows`` turns each grid row into "labels,
then values", the form the text readers also produce. Which cells of a row
are values is decided here (``_split_labels``, ``_values_by_column``).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property
from typing import NamedTuple

from .cells import NUMBER, ZERO, is_blank, looks_like_value, read_cell
from .html_text import text_content
from .normalize import text_cache
from .rows import LabelledRow, RawCell, RawTable, is_label

_MAX_SPAN = 200  # guards against rowspan="9999" in broken pages
_SPACE = re.compile(r"[ \t\r\n\f\v]+")


class GridCell(NamedTuple):
    """A grid position's cell. Grids hold plain tuples of these four fields (built as tuples:
    a NamedTuple's constructor is a Python call per cell), read by the indexes below."""
    text: str
    row: int     # 1-based top-left position in the expanded grid
    col: int
    element_id: int  # identifies the <td> so a spanned cell is read once per row


_TEXT, _ROW, _COL, _ID = range(4)


# A <tr> as read from the page: its cells' texts, and the rowspan and colspan as written
# ("" when absent) of the cells (by index) that span more than one row or column.
RawRow = tuple[list[str], dict[int, tuple[str, str]]]


class TableGrid:
    """A table with rowspan/colspan (or merged cells) expanded into ``rows[r][c]``."""

    def __init__(self, number: int, spanned: set[int] | None = None):
        # The N of "table N, row r, col c" in a cell's where: 1-based among all the leaf tables
        # of the body (report tables or not) or of the document, as a reader counts them.
        self.number = number
        self.rows: list[list[GridCell]] = []
        self._spanned = spanned or set()  # indexes of rows where a cell fills several positions

    @classmethod
    def from_rows(cls, rows: list[RawRow], number: int) -> TableGrid:
        """A grid from cells already read off the page (``page_walk`` or ``element_rows``)."""
        grid = cls(number)
        grid._expand(rows)
        return grid

    def _expand(self, rows: list[RawRow]) -> None:
        pending: dict[tuple[int, int], GridCell] = {}  # (row, col) → cell spanning from above
        serial = 0  # not id(td): lxml proxies are short-lived and their ids get reused
        for r, (texts, spans) in enumerate(rows):
            if not pending and not spans:  # the common row: a cell per column
                row = r + 1
                self.rows.append([(text, row, c, serial + c) for c, text in enumerate(texts, start=1)])
                serial += len(texts)
                continue
            self._spanned.add(r)
            line: list[GridCell] = []
            col = 0
            for i, text in enumerate(texts):
                while (r, col) in pending:
                    line.append(pending.pop((r, col)))
                    col += 1
                serial += 1
                cell = (text, r + 1, col + 1, serial)
                span = spans.get(i)
                if span is None:  # most cells, even in a row beside a spanning one
                    line.append(cell)
                    col += 1
                    continue
                rowspan, colspan = _span(span[0]), _span(span[1])
                for dc in range(colspan):
                    line.append(cell)
                    for dr in range(1, rowspan):
                        pending[(r + dr, col + dc)] = cell
                col += colspan
            while (r, col) in pending:
                line.append(pending.pop((r, col)))
                col += 1
            self.rows.append(line)

    @classmethod
    def from_texts(cls, rows: list[list[tuple[int, str]]], number: int, where=None) -> TableGrid:
        """A grid read from another format (PDF, DOCX, spreadsheet). Each position holds
        ``(cell id, text)``; a merged cell repeats its id over the positions it covers, so
        it is read once per row like a spanned ``<td>``. ``where(row, col)`` names a
        position in that format's terms ("pdf page 3, table 1, row 4, col 2")."""
        grid = cls(number, spanned=set(range(len(rows))))  # merged cells may repeat anywhere
        first: dict[int, GridCell] = {}
        for r, line in enumerate(rows, start=1):
            for c, (cell_id, text) in enumerate(line, start=1):
                if cell_id not in first:  # top-left position of a merged cell
                    first[cell_id] = (_SPACE.sub(" ", text).strip(" "), r, c, cell_id)
            grid.rows.append([first[cell_id] for cell_id, _ in line])
        if where is not None:
            grid._where = where
        return grid

    def label_rows(self) -> list[LabelledRow]:
        """Rows with their labels only: all ``classify_rows`` reads, without building cells."""
        return [LabelledRow([c[_TEXT] for c in labels]) for _, labels, _ in self._split_rows]

    def labelled_rows(self) -> list[LabelledRow]:
        """A value cell is where it is printed: a value spanning rows, at its top row. A row is
        at its own row, its first position: its first cell may span down from a row above (三、
        本年度办理结果 beside the outcome rows), and a problem with the row must name the row."""
        rows = []
        where = self._where
        for row, (unique, labels, values) in enumerate(self._split_rows, start=1):
            rows.append(LabelledRow([c[_TEXT] for c in labels],
                                    [RawCell(c[_TEXT], where(c[_ROW], c[_COL])) for c in values],
                                    where(row, 1) if unique else f"table {self.number}"))
        return rows

    @cached_property
    def _split_rows(self) -> list[tuple[list[GridCell], list[GridCell], list[GridCell]]]:
        """Each row's distinct cells, its labels and its values. Computed once: the rows are
        read twice, to classify the table and then under the table's final number."""
        split = []
        spanned = self._spanned
        for index, line in enumerate(self.rows):
            unique = _unique(line) if index in spanned else line
            split.append((unique, *_split_labels(unique)))
        return _values_by_column(self.rows, split)

    def to_raw_table(self) -> RawTable:
        return RawTable(None, self.labelled_rows(), blanks_are_cells=True)

    def _where(self, row: int, col: int) -> str:
        return f"table {self.number}, row {row}, col {col}"


def _td_text(td) -> str:
    """All text in a ``<td>``, spans and ``<o:p>`` flattened, whitespace collapsed (nbsp kept as blank).
    Not ``normalize.cell_text``, which compacts a value's text to read it as a number."""
    return _SPACE.sub(" ", text_content(td)).strip(" ")


def leaf_tables(root) -> list:
    """Tables holding no other table: layout tables around a report are not report tables."""
    return [t for t in root.iter("table") if not any(True for _ in t.iterdescendants("table"))]


def element_rows(table) -> list[RawRow]:
    """A table's rows read from its elements (a table the page walk did not read: one in a
    second root element beside the first, or inside <noscript> and the like)."""
    rows = []
    for tr in _table_rows(table):
        tds = [td for td in tr if isinstance(td.tag, str) and td.tag in ("td", "th")]
        spans = {index: (td.get("rowspan", ""), td.get("colspan", "")) for index, td in enumerate(tds)
                 if td.get("rowspan", "1") != "1" or td.get("colspan", "1") != "1"}
        rows.append(([_td_text(td) for td in tds], spans))
    return rows


def _table_rows(table):
    for child in table:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (tr for tr in child if tr.tag == "tr")


def _span(value: str) -> int:
    if value == "" or value == "1":
        return 1
    try:
        number = int(value.strip() or 1)
    except ValueError:
        return 1
    return min(max(number, 1), _MAX_SPAN)


def _split_labels(cells: list[GridCell]) -> tuple[list[GridCell], list[GridCell]]:
    """Leading label cells, then value cells.

    Position decides, not content: once the first value appears, the rest are
    values even when they are text (``55（含自然失效29件）``, a stray word).
    A row with no value at all is a header row: every non-blank cell is a label.
    Text before the first value is read here as a label; the grid's columns may say it
    is a value (``_values_by_column``).
    """
    flags = [_cell_kind(cell[_TEXT]) for cell in cells]
    start = 0
    while start < len(cells) and not cells[start][_TEXT].strip():
        start += 1  # blank spacer columns before the labels…
    if start < len(cells) and not flags[start][0]:
        start = 0  # …but before a value they are EMPTY cells of a row without labels (table 四)
    end = start
    while end < len(cells) and flags[end][0]:
        end += 1
    rest = flags[end:]
    if not any(value for _, value in rest) and any(label for label, _ in rest):
        return [c for c, (label, _) in zip(cells, flags) if label], []
    return cells[start:end], cells[end:]


def _values_by_column(lines: list[list[GridCell]], split: list[tuple[list[GridCell], list[GridCell], list[GridCell]]]
                      ) -> list[tuple[list[GridCell], list[GridCell], list[GridCell]]]:
    """Give back to the values the text ``_split_labels`` took for a label in a value column.

    ``_split_labels`` reads a row alone, by its cells' texts: ``约5``, ``五`` or ``〇`` just
    after the labels (or first in a row without labels: table 四) reads as a label, and each
    value after it would be taken one column left. The grid knows the columns. A column is
    a value column when more of the labelled rows hold a number there than a label (a unit
    column, 条 in most rows, holds labels), or when a header cell spans it together with a
    column of numbers and no other row has a label there (行政复议 over table 四's first
    five columns; a cell across the whole table is a title or a block heading). The label
    cells that end a row and sit in value columns are values.
    """
    label_votes: Counter[int] = Counter()  # column -> labelled rows with a label there
    data_rows = []
    for index, (_, labels, values) in enumerate(split):
        if labels and any(_cell_kind(c[_TEXT])[1] for c in values):  # not a header row
            data_rows.append(index)
            label_votes.update({c[_COL] for c in labels})
    ending = {split[i][1][-1][_COL] for i in data_rows}  # the columns a misread value could sit in
    number_votes = Counter(c[_COL] for i in data_rows for c in split[i][2]
                           if c[_COL] in ending and read_cell(c[_TEXT]).kind in (NUMBER, ZERO))
    value_columns = {column for column in ending if number_votes[column] > label_votes[column]}
    if any(label_votes[column] == 1 for column in ending - value_columns):  # only then can a header decide
        numbers = {c[_COL] for i in data_rows for c in split[i][2] if read_cell(c[_TEXT]).kind in (NUMBER, ZERO)}
        value_columns |= {column for column in _headed_with(lines, split, numbers) if label_votes[column] == 1}
    if not value_columns:
        return split  # nearly every table: its rows end their labels in label columns
    fixed = list(split)
    for index in data_rows:
        unique, labels, values = split[index]
        end = len(labels)
        while end and labels[end - 1][_COL] in value_columns:
            end -= 1
        if end == 0:  # no label left: blanks before the values are EMPTY cells, as in any row without labels
            fixed[index] = (unique, [], unique)
        elif end < len(labels):
            fixed[index] = (unique, labels[:end], labels[end:] + values)
    return fixed


def _headed_with(lines: list[list[GridCell]], split, value_columns: set[int]) -> set[int]:
    """The columns under a header cell (a cell of a row without values) that also spans a
    value column, unless it spans the whole table (a title or a block heading)."""
    width = max(map(len, lines), default=0)
    headed: set[int] = set()
    for line, (_, _, values) in zip(lines, split):
        if values:
            continue
        spans: dict[int, list[int]] = {}  # cell id -> the columns it covers in this row
        for column, cell in enumerate(line, start=1):
            spans.setdefault(cell[_ID], []).append(column)
        for columns in spans.values():
            if len(columns) < width and not value_columns.isdisjoint(columns):
                headed.update(columns)
    return headed


@text_cache(maxsize=16384)  # cell texts recur in every row, table and report
def _cell_kind(text: str) -> tuple[bool, bool]:
    """(is a label, is a filled value)."""
    return is_label(text), looks_like_value(text) and not is_blank(text)


def _unique(line: list[GridCell]) -> list[GridCell]:
    if len({cell[_ID] for cell in line}) == len(line):
        return line  # no cell spans columns here
    seen: set[int] = set()
    unique = []
    for cell in line:
        if cell[_ID] not in seen:
            seen.add(cell[_ID])
            unique.append(cell)
    return unique
