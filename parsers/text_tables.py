"""Read the statistical tables of text forms into labelled rows.

The forms seen: one cell per line with a `` |`` suffix (seed 000), cells
separated by blank lines with multi-line header cells (003), tab-separated
rows with merged cells left empty (002), and pipe rows with empty ``| |``
merged cells and ``?`` noise (004). All become one token stream per table,
which ``rows.rows_from_tokens`` groups into labels and values.
"""

from __future__ import annotations

import re

from .cells import looks_like_value
from .rows import RawCell, RawTable, rows_from_tokens
from .sections import find_headings, section_spans
from .national_format import TABLES

# Markdown table rule lines: |---|:---:|
_MARKDOWN_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$")
# A whole line "label 1 2 3" (PDF extraction): split the trailing values off.
_TRAILING_VALUES = re.compile(r"^(?P<label>.*?[^\d\s.,-])\s+(?P<values>(?:[-\d.,/]+\s*)+)$")


def text_tables(lines: list[str], first_line_number: int = 1) -> dict[str, RawTable]:
    """The tables 二/三/四 found under their section headings, by canonical table name."""
    spans = section_spans(find_headings(lines), len(lines))
    tables = {}
    for kind in TABLES:
        if kind not in spans:
            continue
        start, end = spans[kind]
        tokens = []
        for index in range(start, end):
            tokens.extend(line_tokens(lines[index], f"line {index + first_line_number}"))
        rows = rows_from_tokens(tokens)
        if any(any(not c.blank for c in row.cells) for row in rows):
            tables[kind] = RawTable(kind, rows, blanks_are_cells=False)
    return tables


def line_tokens(line: str, where: str) -> list[RawCell]:
    """Split one line into cell tokens; an empty line gives none, a nbsp-only line one blank."""
    line = line.rstrip("\r\n")
    if "\t" not in line and not line.strip(" ") or _MARKDOWN_RULE.match(line):
        return []
    if "\t" not in line and not line.strip():  # only nbsp: a blank cell (or a spacer)
        return [RawCell("", where)]
    if "\t" in line:
        parts = line.split("\t")
    elif "|" in line:
        body = line.rstrip()
        if body.endswith("|"):
            body = body[:-1]  # the row's closing pipe, not an empty cell
        parts = body.split("|")
    else:
        parts = _split_trailing_values(line.strip())
    return [RawCell(part.strip(), where) for part in parts]


def _split_trailing_values(line: str) -> list[str]:
    match = _TRAILING_VALUES.match(line)
    if not match:
        return [line]
    values = match.group("values").split()
    if not all(looks_like_value(v) for v in values) or looks_like_value(match.group("label")):
        return [line]
    return [match.group("label")] + values
