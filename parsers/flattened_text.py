"""Crawler text whose page was flattened: a whole report, tables included, on one line.

``…三、收到和处理政府信息公开申请情况（本列数据…）申请人情况自然人…一、本年新收
政府信息公开申请数量200 000121二、上年结转…（一）予以公开6000017（二）部分公开…``

Two steps. The line is cut at the section headings it contains, so sections
are found as in any text. A table section on one line is then read by finding
the format's printed labels in order (``national_format.PRINTED_*``): the
digits between one label and the next are that row's run, and the numbering
of the next label ("2.", "（三）") is given back to it even when it touches the
digits (``…00000002.其他法律…`` is ``0000000`` then ``2.其他法律…``). Whether a
run holds its cells or glued digits is decided later, by the mapping. The lines
come in simplified characters (``text_tables``), as the labels and headings are printed here.
"""

from __future__ import annotations

import re

from . import national_format as fmt
from .rows import LabelledRow, PrintedPiece, RawCell, RawTable

LONG_LINE = 200  # shorter lines are ordinary text: a heading inside them is prose

_NUMERAL = "[一二三四五六七八九十]、"
_INLINE_HEADING = re.compile(_NUMERAL + r"\s*(?:"
                             r"(?:政府信息公开工作)?(?:总体情况|概述)"
                             r"|(?:行政机关)?主动公开政府信息(?:的)?情况"
                             r"|(?:行政机关)?收到和处理政府信息公开申请(?:的)?情况"
                             r"|(?:因)?政府信息公开.{0,12}?(?:行政复议|行政诉讼).{0,12}?情况"
                             r"|(?:政府信息公开工作)?存在的?主要问题(?:及改进情况)?"
                             r"|其他需要报告的事项)")
# A row's run: digits, spaces, a minus sign, decimals, an amount's unit.
_RUN = re.compile(r"-?\d[\d .\-\u3000\xa0]*(?:万元|元)?")
_NUMBERING_AFTER = re.compile(r"^[.、．]\s*\D")
_REVIEW_WORDS = ("结果维持", "尚未审结")
_ACTIVE_HEADER = re.compile(r"第二十条.{0,12}信息内容\s*(?:本年|上一?年|采购)")
_MIN_ROWS = 3  # rows of table 三 a line must hold to be taken for the table


def split_flattened_lines(lines: list[str]) -> tuple[list[str], list[int], list[int]]:
    """Lines with long ones cut before and after each section heading they contain.

    Returns the pieces and, for each, the index of the line it came from and where in
    that line it starts, so cells still point at the line as printed.
    """
    pieces, origins, starts = [], [], []
    for index, line in enumerate(lines):
        cuts = [m.span() for m in _INLINE_HEADING.finditer(line)] if len(line) > LONG_LINE else []
        position = 0
        for start, end in cuts:
            for begin, stop in ((position, start), (start, end)):
                if line[begin:stop].strip():
                    pieces.append(line[begin:stop])
                    origins.append(index)
                    starts.append(begin)
            position = end
        pieces.append(line[position:])
        origins.append(index)
        starts.append(position)
    return pieces, origins, starts


def flattened_table(kind: str, pieces: list[str], wheres: list[str], printed=None) -> RawTable | None:
    """The table of a section whose rows ran together on one line; None for other forms.
    ``printed``: each piece's ``PrintedPiece`` by index (``text_tables.PrintedPieces``), for
    the cells' text.

    Prose names the same things ("予以公开9件，部分公开0件…"), so a line is taken
    for a table only with what prose lacks: table 三's rows each carry seven
    cells (at least seven digits), table 二 its header (第二十条第（一）项信息内容本年…)
    run into its column words, table 四 one run of fifteen cells.
    """
    for index, (piece, where) in enumerate(zip(pieces, wheres)):
        if "\t" in piece or "|" in piece or not re.search(r"\d", piece):
            continue
        rows = []
        if kind == fmt.APPLICATIONS and _labels_found(piece, fmt.PRINTED_APPLICATION_LABELS) >= _MIN_ROWS:
            rows = read_labelled_runs(piece, where, fmt.PRINTED_APPLICATION_LABELS)
            if sum(_digits(row) >= len(fmt.APPLICANT_COLUMNS) for row in rows) < _MIN_ROWS:
                rows = []
        elif kind == fmt.ACTIVE_DISCLOSURE and _ACTIVE_HEADER.search(piece) \
                and _labels_found(piece, fmt.PRINTED_ACTIVE_LABELS) >= 2:
            rows = read_labelled_runs(piece, where, fmt.PRINTED_ACTIVE_LABELS)
        elif kind == fmt.REVIEWS_LITIGATION and all(w in piece for w in _REVIEW_WORDS):
            rows = _review_row(piece, where)
            if rows and _digits(rows[0]) < fmt.REVIEW_CELL_COUNT:
                rows = []
        if rows:
            printed_piece = printed[index] if printed is not None else None
            if printed_piece is not None:
                rows = _as_printed(rows, piece, printed_piece)
            return RawTable(kind, rows, blanks_are_cells=False, glued=True)
    return None


def _as_printed(rows: list[LabelledRow], piece: str, printed: PrintedPiece) -> list[LabelledRow]:
    """The rows with their cells' text as printed (萬元 where the piece reads 万元)."""
    cells = printed.cells([cell for row in rows for cell in row.cells], piece)
    taken = 0
    for row in rows:
        row.cells, taken = cells[taken:taken + len(row.cells)], taken + len(row.cells)
    return rows


def read_labelled_runs(text: str, where: str, labels) -> list[LabelledRow]:
    """Rows of (label, run) found by searching each printed label after the previous one."""
    found, position = [], 0
    for _, pattern in labels:
        match = pattern.search(text, position)
        if match:
            found.append(match)
            position = match.end()
    rows = []
    carry = text[:found[0].start()] if found else ""  # header words before the first label
    for i, match in enumerate(found):
        stop = found[i + 1].start() if i + 1 < len(found) else len(text)
        tail, run, carry_next = split_region(text[match.end():stop])
        labels_here = [t.strip() for t in (carry, match.group(0) + tail) if t.strip()]
        rows.append(LabelledRow(labels_here, [RawCell(token, where) for token in run.split()], where))
        carry = carry_next
    return rows


def split_region(region: str) -> tuple[str, str, str]:
    """Text after a label: (rest of the label, the run, what leads into the next label)."""
    match = _RUN.search(region)
    if not match:
        return "", "", region
    tail, run, rest = region[:match.start()], match.group(0), region[match.end():]
    if run.endswith(".") and run[:-1][-1:].isdigit() and not rest[:1].isdigit():
        run, rest = run[:-2], run[-2:] + rest   # "00000002." + "其他法律" → numbering "2."
    elif run[-1:].isdigit() and _NUMBERING_AFTER.match(rest):
        run, rest = run[:-1], run[-1] + rest    # "3000003" + "、…" (numbering with 、)
    return tail, run.strip(), rest


def _review_row(text: str, where: str) -> list[LabelledRow]:
    """Table 四 flattened: its header words, then one run of fifteen numbers."""
    runs = list(_RUN.finditer(text))
    if not runs:
        return []
    last = runs[-1]
    return [LabelledRow([text[:last.start()].strip()], [RawCell(t, where) for t in last.group(0).split()], where)]


def _digits(row: LabelledRow) -> int:
    return sum(ch.isdigit() for cell in row.cells for ch in cell.text)


def _labels_found(text: str, labels) -> int:
    return len({key for key, pattern in labels if pattern.search(text)})
