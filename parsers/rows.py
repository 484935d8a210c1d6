"""The intermediate both table readers produce: rows of labels followed by value cells.

HTML grids and the text forms (one cell per line, tab rows, pipe rows) look
nothing alike, but each reduces to "these labels, then these cells". One
mapping step (``table_mapping``) turns such rows into canonical keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cells import is_blank, looks_like_value


@dataclass(frozen=True)
class RawCell:
    text: str   # as printed
    where: str  # "table 2, row 7, col 4" or "line 123"

    @property
    def blank(self) -> bool:
        return is_blank(self.text)


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
    """

    kind: str | None
    rows: list[LabelledRow]
    blanks_are_cells: bool


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
