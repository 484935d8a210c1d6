"""The intermediate every table reader produces: rows of labels followed by value cells.

Grids (HTML, PDF, DOCX, spreadsheets) and the text forms (one cell per line,
tab rows, pipe rows) look nothing alike, but each reduces to "these labels,
then these cells". One mapping step (``table_mapping``) turns such rows into
canonical keys. Tab and pipe rows keep each cell's field position, so a row
with EMPTY cells among merged-cell spacers is read by position (``by_position``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cells import is_blank, looks_like_value, read_cell
from .normalize import printed_positions, to_simplified


@dataclass(slots=True, unsafe_hash=True)  # not frozen: a frozen __init__ is 3x slower, and
class RawCell:                             # reports make hundreds of cells (never changed)
    text: str   # as printed
    where: str  # "table 2, row 7, col 4" or "line 123"
    column: int | None = None  # field index in a tab or pipe row, where every grid position is printed

    @property
    def blank(self) -> bool:
        return is_blank(self.text)


class PrintedPiece:
    """A text line as printed, beside the piece ``[start, end)`` of its simplified form that
    a table is read from: gives a cell read from the piece the text printed for it."""

    __slots__ = ("line", "simplified", "start", "_positions")

    def __init__(self, line: str, simplified: str, start: int):
        self.line, self.simplified, self.start = line, simplified, start
        self._positions: list[int] | None | bool = False  # not yet asked

    def cells(self, cells: list[RawCell], piece: str) -> list[RawCell]:
        """``cells``, read from ``piece`` in order, each value cell with the text printed
        for it (無 where the piece reads 无, 萬元 for 万元, with its pinyin) when that reads
        the same. Labels keep the simplified text the mapping matches."""
        found, position = [], 0
        for cell in cells:
            start = piece.find(cell.text, position) if cell.text else -1
            if start >= 0:
                position = start + len(cell.text)
                text = self._printed(self.start + start, self.start + position)
                if text is not None and text != cell.text and not is_label(cell.text) \
                        and to_simplified(text) == cell.text and read_cell(text) == read_cell(cell.text):
                    cell = RawCell(text, cell.where, cell.column)
            found.append(cell)
        return found

    def _printed(self, start: int, end: int) -> str | None:
        """What the line printed for ``simplified[start:end]``; None when that is unknown."""
        if len(self.line) == len(self.simplified):  # t2s converts character for character
            return self.line[start:end]
        if self._positions is False:  # asked once a line, and only of lines holding cells
            self._positions = printed_positions(self.line, self.simplified)
        return None if self._positions is None else self.line[self._positions[start]:self._positions[end]]


@dataclass
class LabelledRow:
    labels: list[str] = field(default_factory=list)
    cells: list[RawCell] = field(default_factory=list)
    where: str = ""


@dataclass
class RawTable:
    """Rows of one statistical table, before their labels are understood.

    ``blanks_are_cells`` is True for HTML grids, where a blank cell is EMPTY.
    In text forms a blank token may be a spacer left by a merged cell.
    ``glued`` is True for flattened crawler text, where a row's tokens may be
    several cells run together: such a row is split only by its own sums.
    """

    kind: str | None
    rows: list[LabelledRow]
    blanks_are_cells: bool
    glued: bool = False


def is_label(text: str) -> bool:
    return not is_blank(text) and not looks_like_value(text)


def rows_from_tokens(tokens: list[RawCell]) -> list[LabelledRow]:
    """Group a flat token stream: labels open a row, the values after them fill it.

    A label that follows values starts a new row; consecutive labels (a group
    heading, then an item; or header words, then the first row label) share one.
    """
    rows: list[LabelledRow] = []
    current = LabelledRow()
    for token in tokens:
        if is_label(token.text):
            if current.cells:  # a label after values starts the next row
                rows.append(current)
                current = LabelledRow()
            if not current.labels:
                current.where = token.where
            current.labels.append(token.text)
        else:
            if not current.labels and not current.cells:
                current.where = token.where
            current.cells.append(token)
    if current.labels or current.cells:
        rows.append(current)
    return rows


def by_position(cells: list[RawCell], expected: int, values_last: bool) -> list[RawCell] | None:
    """A tab or pipe row's ``expected`` cells by field position, blanks included; None when
    the row's fields do not settle it.

    Such a row prints every grid position: its fields after the label are its cells and
    the spacers of merged cells. Spacers come after the values where the last value spans
    the columns its row lacks (table 二) or a converter padded the row to the table's
    width; before them where the label spans the columns its group cells leave (table
    三 pasted from Word: ``values_last``). The other side is tried when the preferred one
    cannot hold every filled field.
    """
    line = _positioned_line(cells)
    if line is None or len(line) < expected:
        return None
    filled = sum(not c.blank for c in line)
    windows = (line[-expected:], line[:expected]) if values_last else (line[:expected], line[-expected:])
    return next((w for w in windows if sum(not c.blank for c in w) == filled), None)


def spacers_follow_values(rows: list[LabelledRow], width: int) -> bool:
    """True when the table's full rows (``width`` filled fields on a tab or pipe line) have
    blank fields after their values and never before: rows padded to the table's width."""
    before = after = False
    for row in rows:
        line = _positioned_line(row.cells)
        filled = [i for i, c in enumerate(line or ()) if not c.blank]
        if len(filled) == width:
            before |= filled[0] > 0
            after |= filled[-1] < len(line) - 1
    return after and not before


def _positioned_line(cells: list[RawCell]) -> list[RawCell] | None:
    """The row's consecutive fields on the one tab or pipe line holding all its filled cells."""
    filled = [c for c in cells if not c.blank]
    if not filled or any(c.where != filled[0].where for c in filled):
        return None
    line = [c for c in cells if c.where == filled[0].where]
    columns = [c.column for c in line]
    if None in columns or columns != list(range(columns[0], columns[0] + len(line))):
        return None
    return line
