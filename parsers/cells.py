"""What a table cell holds: a number, an explicit zero, nothing, "not applicable", or text.

Blank and not-applicable cells stay ``None``: a blank is not a zero. A fifth
kind, ``inferred``, is never read from one cell: it marks a number recovered
from digits glued together with their neighbours (``glued_digits``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .normalize import cell_text, text_cache, to_simplified

NUMBER = "number"
ZERO = "zero"
EMPTY = "empty"
NOT_APPLICABLE = "not_applicable"
TEXT = "text"
INFERRED = "inferred"  # split out of a glued run by the row's own sum (R4/R5)

# These three are matched against a cell's text in simplified characters (read_cell).
_NOT_APPLICABLE = {"/", "-", "—", "--", "——", "－", "无", "不涉及", "N/A", "n/a", "\\", "／", "–", "一"}
# A whole-cell number: optional sign, thousands separators, decimals, an optional unit.
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:元|万元|件|个|项|条|次|人次)?$")
# Text that starts with a number: 55(含自然失效29件).
_LEADING_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)(?:件|个|项|条)?[(（\[【]")


@dataclass(frozen=True)
class CellValue:
    kind: str
    value: int | float | None


_UNIT = re.compile(r"[亿万千]?元")


@text_cache(maxsize=8192)  # asked of every header label of table 二, page after page (OpenCC each time)
def printed_unit(text: str) -> str | None:
    """The money unit a cell or a header prints (元, 万元, 千元, 亿元; 萬元 read as 万元), if any."""
    found = _UNIT.search(re.sub(r"\s+", "", to_simplified(text)))  # "7380.29 万 元" from spaced PDF text
    return found.group(0) if found else None


@text_cache(maxsize=8192)  # the same cell texts recur in every table and every report
def read_cell(text: str) -> CellValue:
    """Classify a cell by its printed text."""
    compact = cell_text(text)
    if not compact:
        return CellValue(EMPTY, None)
    compact = to_simplified(compact)  # 無 is 无, and 個 項 條 the units 个 项 条
    if compact in _NOT_APPLICABLE:
        return CellValue(NOT_APPLICABLE, None)
    match = _NUMBER.match(compact)
    if match:
        sign, digits, decimals = match.groups()
        number = _number(sign + digits.replace(",", ""), decimals)
        if number is None:
            return CellValue(TEXT, None)
        return CellValue(ZERO if number == 0 else NUMBER, number)
    match = _LEADING_NUMBER.match(compact)
    if match:
        whole, _, frac = match.group(1).partition(".")
        return CellValue(TEXT, _number(whole, "." + frac if frac else None))
    return CellValue(TEXT, None)


def cell_record(table: str, row: str, column: str, text: str, value, kind: str, where: str) -> dict:
    """One entry of ``Report.cells`` (a row of the archive's ``cells`` table): the value read,
    its kind, the text as printed and ``where`` it was printed ("table 2, row 6, col 10")."""
    return {"table": table, "row": row, "column": column, "value": value, "text": text, "kind": kind, "where": where}


@text_cache(maxsize=8192)
def looks_like_value(text: str) -> bool:
    """True when a token can sit in a value cell (used to tell values from labels)."""
    return read_cell(text).kind != TEXT or bool(_LEADING_NUMBER.match(to_simplified(cell_text(text))))


def is_blank(text: str) -> bool:
    return not cell_text(text)


def _number(integer: str, decimals: str | None) -> int | float | None:
    """The number printed, or None when no count or amount could be that long: past
    Python's int-string limit (4300 digits, ``int()`` refuses) or a float's range (an
    integer past it cannot be summed with a decimal: the checks raised OverflowError)."""
    if decimals:
        number = float(integer + decimals)
        return number if math.isfinite(number) else None
    try:
        number = int(integer)
        float(number)
    except (ValueError, OverflowError):
        return None
    return number
