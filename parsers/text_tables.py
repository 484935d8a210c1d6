"""Read the statistical tables of text forms into labelled rows.

The forms seen: one cell per line with a `` |`` suffix (seed 000), cells
separated by blank lines with multi-line header cells (003), tab-separated
rows with merged cells left empty (002), and pipe rows with empty ``| |``
merged cells and ``?`` noise (004), markdown rows, and PDF lines "label v1 v2 …"
(``split_pdf_line``). All become one token stream per table, which
``rows.rows_from_tokens`` groups into labels and values. Crawler text
that flattened a table onto one line is read by ``flattened_text``; a pre-2019
统计表 by ``indicators``.
"""

from __future__ import annotations

import re

from .cells import is_blank, looks_like_value
from .flattened_text import flattened_table, split_flattened_lines
from .indicators import INDICATORS, glued_indicator_rows, is_indicator_header
from .national_format import TABLES
from .normalize import simplify_lines
from .rows import LabelledRow, PrintedPiece, RawCell, RawTable, is_label, rows_from_tokens
from .sections import find_headings, heading_of, section_spans

_HEADER_LINES = 4  # a one-cell-per-line header spreads 指标名称 | 计量单位 over lines
# Markdown table rule lines: |---|:---:|
_MARKDOWN_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$")
# PDF lines: a page marker "- 4 -" is not three values.
_PAGE_MARKER = re.compile(r"^[-－—–]\s*\d+\s*[-－—–]$")
# A merged group label printed on its row's line ("三、本年度办理结果 （一）予以公开 1 2 …")
# is a label of its own: split before each numbering that follows a space.
_NUMBERED_LABEL = re.compile(r"\s+(?=[（(][一二三四五六七八九十]{1,3}[）)]|[一二三四五六七八九十]{1,3}、|\d{1,2}[.．、]\D)")


def text_tables(lines: list[str], first_line_number: int = 1,
                simplified: list[str] | None = None) -> dict[str, RawTable]:
    """The tables 二/三/四 found under their section headings, and a pre-2019 统计表
    (``indicators``) wherever it is, by table name. Read from the lines in simplified
    characters (``simplified``: ``simplify_lines`` of ``lines``, when the caller has it):
    the words that find them (收到和处理, 指标名称, 条) are matched as printed in simplified
    text. A value cell keeps its text as printed (無, 萬元), read as simplified text reads."""
    if simplified is None:
        simplified = simplify_lines(lines)
    pieces, origins, starts = split_flattened_lines(simplified)  # crawler text may hold a whole report on one line
    printed = PrintedPieces(lines, simplified, origins, starts)
    wheres = [f"line {origin + first_line_number}" for origin in origins]
    spans = section_spans(find_headings(pieces), len(pieces))
    tables = {}
    for kind in TABLES:
        if kind not in spans:
            continue
        start, end = spans[kind]
        flattened = flattened_table(kind, pieces[start:end], wheres[start:end], printed[start:end])
        if flattened:
            tables[kind] = flattened
            continue
        tokens = []
        for index in range(start, end):
            tokens.extend(line_tokens(pieces[index], wheres[index], printed[index]))
        rows = rows_from_tokens(tokens)
        if any(any(not c.blank for c in row.cells) for row in rows):
            tables[kind] = RawTable(kind, rows, blanks_are_cells=False)
    indicators = indicator_table(pieces, wheres, printed)
    if indicators:
        tables[INDICATORS] = indicators
    return tables


class PrintedPieces:
    """Each piece's ``PrintedPiece`` (None where its line was printed in simplified
    characters), made when asked: only the pieces of tables are. ``pieces[start:end]`` is
    the view of those pieces."""

    def __init__(self, lines: list[str], simplified: list[str], origins: list[int], starts: list[int],
                 offset: int = 0):
        """``origins``, ``starts``: each piece's line and where in it the piece starts
        (``split_flattened_lines``)."""
        self.lines, self.simplified, self.origins, self.starts, self.offset = lines, simplified, origins, starts, offset

    def __getitem__(self, index):
        if isinstance(index, slice):  # a table's pieces, as the readers of one table get them
            return PrintedPieces(self.lines, self.simplified, self.origins, self.starts, self.offset + index.start)
        index += self.offset
        origin = self.origins[index]
        line, simple = self.lines[origin], self.simplified[origin]
        if line == simple:
            return None
        return PrintedPiece(line, simple, self.starts[index])


def indicator_table(pieces: list[str], wheres: list[str], printed: PrintedPieces | None = None) -> RawTable | None:
    """A pre-2019 统计表: from its 指标名称 header to the next section heading or the end.
    ``printed``: the pieces as printed, for the cells' text."""
    for index, piece in enumerate(pieces):
        if "指标" not in piece or not is_indicator_header("".join(pieces[index:index + _HEADER_LINES])):
            continue
        glued = glued_indicator_rows(piece, wheres[index])  # digits only: printed as they read
        if glued:
            return RawTable(INDICATORS, glued, blanks_are_cells=False, glued=True)
        lines = []
        for i in range(index, len(pieces)):
            if i > index and heading_of(pieces[i]):
                break
            lines.append(line_tokens(pieces[i], wheres[i], printed[i] if printed is not None else None))
        rows = _rows_by_line(lines) or rows_from_tokens([token for line in lines for token in line])
        if any(any(not c.blank for c in row.cells) for row in rows):
            return RawTable(INDICATORS, rows, blanks_are_cells=False)
    return None


def _rows_by_line(lines: list[list[RawCell]]) -> list[LabelledRow]:
    """One row per line when lines hold a label and its values together (tab, pipe or
    PDF rows); empty when the table is one cell per line, which the token stream reads.
    A 统计表 has heading rows with no values, so label-only lines stay rows of their own."""
    if not any(tokens and is_label(tokens[0].text) and any(looks_like_value(t.text) for t in tokens[1:])
               for tokens in lines):
        return []
    rows = []
    for tokens in lines:
        if tokens:
            split = next((i for i, t in enumerate(tokens) if not is_label(t.text)), len(tokens))
            rows.append(LabelledRow([t.text for t in tokens[:split]], tokens[split:], tokens[0].where))
    return rows


def line_tokens(line: str, where: str, printed: PrintedPiece | None = None) -> list[RawCell]:
    """Split one line into cell tokens; an empty line gives none, a nbsp-only line one blank.

    Tab and pipe rows print every grid position, so their tokens keep their field index
    (``RawCell.column``): the mapping reads a row with EMPTY cells by position. ``printed``:
    the line as printed when ``line`` is its simplified form; value tokens take its text.
    """
    tokens = _line_tokens(line, where)
    return printed.cells(tokens, line) if printed is not None else tokens


def _line_tokens(line: str, where: str) -> list[RawCell]:
    line = line.rstrip("\r\n")
    if "\t" not in line and not line.strip(" ") or _MARKDOWN_RULE.match(line):
        return []
    if "\t" not in line and not line.strip():  # only nbsp: a blank cell (or a spacer)
        return [RawCell("", where)]
    if "\t" in line:
        parts = line.split("\t")
    elif "|" in line:
        parts = _pipe_fields(line)
    else:
        return [RawCell(part, where) for part in split_pdf_line(line.strip())]
    if len(parts) == 1:  # one cell per line (seed 000): no row to hold positions
        return [RawCell(parts[0].strip(), where)]
    return [RawCell(part.strip(), where, column) for column, part in enumerate(parts)]


def _pipe_fields(line: str) -> list[str]:
    """``a | b |`` (seed 004) or ``| a | b |`` (markdown). The closing pipe ends the row; a
    pipe opens one only at the line's very start, as in markdown: a seed-004 row whose first
    cell is EMPTY prints `` | 0 | 0 |``, a space before its first pipe."""
    body = line.rstrip()
    if body.endswith("|"):
        body = body[:-1]
    if body.startswith("|"):
        body = body[1:]
    return body.split("|")


def split_pdf_line(line: str) -> list[str]:
    """A PDF line "label v1 v2 …": the label (split at its numberings), then each value.

    Values are read from the right, token by token, while they look like cell values
    (numbers, ``0.5元``, not-applicable marks ``/ - — 无 不涉及``). A line of values only
    (table 四's fifteen) is all values; a page marker ``- 4 -`` stays one token.
    """
    tokens = list(re.finditer(r"\S+", line))
    first_value = len(tokens)
    while first_value and _is_value_token(tokens[first_value - 1].group()):
        first_value -= 1
    values = [t.group() for t in tokens[first_value:]]
    if not values:
        return [line]
    if first_value == 0:
        return values if len(values) > 1 and not _PAGE_MARKER.match(line) else [line]
    label = line[:tokens[first_value].start()].rstrip()
    return _NUMBERED_LABEL.split(label) + values


def _is_value_token(token: str) -> bool:
    return looks_like_value(token) and not is_blank(token)
