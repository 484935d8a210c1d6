"""Researchers' corrections: a value for one cell, over what the source printed or the
parser read.

A correction names the report version it was made on, but applies to that version's
logical report (``report_groups``), so it keeps applying when a reparse rewrites the
cells or the site publishes a new version. ``current_cells`` and the wide tables (whose
rows of the logical report are refreshed here) show the newest correction of each cell
instead of the parsed value; reparse never writes to ``corrections``. The parsed cell as
it was when the correction was made is recorded with it: when the counted version's
parsed cell differs from that later (the source was fixed, or the parser improved), the
correction shows in ``corrections_flagged`` for someone to look at again.

The value is given as text and read like a printed cell (``parsers.cells.read_cell``):
a number (``48``, ``1,234``, ``12.5万元``), ``0``, ``/`` (not applicable, as are ``-``,
``—``, ``无``, ``不涉及``), or an empty string for a blank. Anything else, text included, is
refused: a correction says what the cell holds; the source's wording goes in ``why``. As
in the format, counts are whole numbers, only the amounts have decimals, and only
``items_change`` (本年增/减) is negative.
The correction in effect for the cell made again (same report, value, who and why) is
not recorded twice: ``CorrectionInEffect`` names it; unless the parsed cell changed since,
when it is made anew over what is parsed now (and leaves ``corrections_flagged``). A unit
given must be the one the column holds (``AMOUNT_UNITS``).
"""

from __future__ import annotations

from parsers.cells import EMPTY, NOT_APPLICABLE, NUMBER, ZERO, printed_unit, read_cell
from parsers.national_format import AMOUNT_UNITS

from . import wide_tables
from .cross_checks import run_cross_checks, with_next_years
from .timestamps import utc_now
from .transactions import write_transaction

TABLES = ("active_disclosure", "applications", "reviews_litigation")


VALUES = "a number, 0, / (not applicable) or '' (blank)"


class CorrectionError(ValueError):
    """A correction that cannot be recorded; the message is one line."""


class CorrectionInEffect(CorrectionError):
    """The same correction is already the one in effect for the cell: nothing recorded."""

    def __init__(self, message: str, correction_id: int):
        super().__init__(message)
        self.correction_id = correction_id


def add_correction(db, *, report_id: int, table: str, row: str, column: str, value: str,
                   who: str, why: str, when: str | None = None) -> int:
    """Record a correction of one cell of report ``report_id``; return its id."""
    if table not in TABLES:
        raise CorrectionError(f"unknown table {table!r}; tables are {', '.join(TABLES)}")
    for name, given in (("row", row), ("column", column), ("who", who), ("why", why)):
        if not (given or "").strip():
            raise CorrectionError(f"{name} must not be empty")
    report = db.execute("select group_id from reports where id = ?", [report_id]).fetchone()
    if report is None:
        raise CorrectionError(f"no report {report_id}")
    rows, columns = canonical_cells(table)
    if row not in rows:
        raise CorrectionError(f"unknown row {row!r} of {table}")
    if column not in columns:
        raise CorrectionError(f"unknown column {column!r} of {table}")
    cell = read_cell(value)
    if cell.kind not in (NUMBER, ZERO, EMPTY, NOT_APPLICABLE):
        raise CorrectionError(f"value {value!r} is not a cell value; give {VALUES}")
    _check_number(cell.value, value, column)
    _check_unit(value, column)
    in_effect = db.execute(
        "select k.id, k.report_id, k.text, k.who, k.why, k.parsed_value, k.parsed_text, k.parsed_kind "
        "from corrections k join reports r on r.id = k.report_id "
        "where (k.report_id = ? or r.group_id = ?) and k.table_name = ? and k.row_key = ? and k.column_key = ? "
        "order by k.id desc limit 1",
        [report_id, report[0], table, row, column],
    ).fetchone()
    parsed = db.execute(
        "select value, text, kind from cells where report_id = ? and table_name = ? and row_key = ? "
        "and column_key = ?",
        [report_id, table, row, column],
    ).fetchone() or (None, None, None)
    # The same correction again records nothing, unless the parsed cell changed since: then it
    # is made anew over what is parsed now (so it leaves corrections_flagged).
    if in_effect and in_effect[1:5] == (report_id, value, who.strip(), why.strip()) and in_effect[5:] == parsed:
        raise CorrectionInEffect(f"correction {in_effect[0]} already says so", in_effect[0])
    with write_transaction(db):
        correction_id = db["corrections"].insert(
            {
                "report_id": report_id,
                "table_name": table,
                "row_key": row,
                "column_key": column,
                "value": cell.value,
                "text": value,
                "kind": cell.kind,
                "parsed_value": parsed[0],
                "parsed_text": parsed[1],
                "parsed_kind": parsed[2],
                "who": who.strip(),
                "why": why.strip(),
                "made_at": when or utc_now(),
            }
        ).last_pk
        if report[0] is not None:
            wide_tables.refresh(db, {report[0]})
            run_cross_checks(db, with_next_years(db, {report[0]}))
    return correction_id


# The format's numbers (docs/report-format.md, "Cell values"): counts are whole, amounts (万元,
# 元) may have decimals, and only 本年增/减 may be negative.
DECIMAL_COLUMNS = tuple(AMOUNT_UNITS)
SIGNED_COLUMNS = ("items_change",)


def _check_number(number, value: str, column: str) -> None:
    if number is None:
        return
    if number < 0 and column not in SIGNED_COLUMNS:
        raise CorrectionError(f"value {value!r}: {column} cannot be negative (only items_change, 本年增/减, can)")
    if number != int(number) and column not in DECIMAL_COLUMNS:
        raise CorrectionError(f"value {value!r}: {column} is a count, a whole number "
                              f"(only the amounts, {' and '.join(DECIMAL_COLUMNS)}, have decimals)")


def _check_unit(value: str, column: str) -> None:
    """A unit given must be the one the column holds: the value is stored as a number, and
    125000元 under amount_10k_yuan (万元) would be stored as 125,000 万元."""
    unit = printed_unit(value)
    if unit is None:
        return
    if column not in AMOUNT_UNITS:
        raise CorrectionError(f"value {value!r}: {column} is a count, not an amount in {unit}")
    if unit != AMOUNT_UNITS[column]:
        raise CorrectionError(f"value {value!r}: {column} holds {AMOUNT_UNITS[column]}; "
                              f"give the amount in {AMOUNT_UNITS[column]}")


def corrections_flagged(db) -> list[dict]:
    """Corrections in effect whose parsed cell is no longer what it was when they were made."""
    return list(db.query("select * from corrections_flagged order by correction_id"))


def canonical_cells(table: str) -> tuple[set, set]:
    """(row keys, column keys) of one table of the national format, both layouts."""
    from parsers import national_format as fmt

    if table == fmt.ACTIVE_DISCLOSURE:
        return {k for k, _ in fmt.ACTIVE_ROWS}, {k for k, _ in fmt.ACTIVE_COLUMNS}
    if table == fmt.APPLICATIONS:
        rows = {k for k, _ in fmt.APPLICATION_ROWS} | {k for k, _ in fmt.APPLICATION_GROUPS}
        return rows | {fmt.OTHER_OTHER[0]}, set(fmt.APPLICANT_COLUMNS)
    return set(fmt.REVIEW_GROUPS), set(fmt.REVIEW_OUTCOMES)
