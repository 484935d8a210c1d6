"""What the document readers (PDF, DOCX, spreadsheets) hand to ``documents.read_document``.

Each reader reduces its format to the same two things: the text in reading
order and its tables as grids of cells, every position named so that a
researcher can find it in the original file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

_CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")


@dataclass
class CellGrid:
    """One table: ``rows[r][c] = (cell id, text)``, a merged cell's id repeated."""

    rows: list[list[tuple[int, str]]]
    where: Callable[[int, int], str]  # (1-based row, col) → "docx table 2, row 5, col 3"


@dataclass
class DocumentContent:
    text_form: str                     # "pdf", "docx", "xlsx", "xls"
    lines: list[str] = field(default_factory=list)       # reading order, table rows tab-joined
    line_where: list[str] = field(default_factory=list)  # where each line is, same length
    tables: list[CellGrid] = field(default_factory=list)
    cell_ids: count = field(default_factory=lambda: count(1))
    # What a reader's size and work limits left unread (pages after a point, the ruled tables
    # of a page): a table there is not in ``tables``, and the report's problems say why.
    limits: list[str] = field(default_factory=list)

    def add_line(self, text: str, where: str) -> None:
        self.lines.append(text)
        self.line_where.append(where)

    def add_table(self, grid: CellGrid, where_row: Callable[[int], str]) -> None:
        """The grid, and its rows as tab-separated lines (the text fallback and full-text search read them)."""
        self.tables.append(grid)
        for r, row in enumerate(grid.rows, start=1):
            self.add_line("\t".join(row_texts(row)), where_row(r))


def row_texts(row: list[tuple[int, str]]) -> list[str]:
    """Each cell of a row once, merged cells included once."""
    seen: set[int] = set()
    texts = []
    for cell_id, text in row:
        if cell_id not in seen:
            seen.add(cell_id)
            texts.append(flatten(text))
    return texts


def flatten(text: str) -> str:
    """A cell's lines as one: Chinese joins without a space, other text with one."""
    parts = [part.strip() for part in text.splitlines() if part.strip()]
    if not parts:
        return ""
    joined = parts[0]
    for part in parts[1:]:
        glue = "" if _CJK.match(joined[-1]) or _CJK.match(part[0]) else " "
        joined += glue + part
    return joined
