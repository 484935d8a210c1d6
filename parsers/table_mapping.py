"""Turn labelled rows into the canonical nested dicts of tables 二, 三 and 四.

Rows are found by their labels (matched by meaning, see ``national_format``);
columns by the order of the value cells. Every cell taken is also recorded
with its kind and position so a number can be traced back to the page.
Text-form rows that lost their labels are placed by ``row_alignment``; rows
of flattened crawler text whose cells ran together are split by
``glued_digits`` only where the row's own sum allows one split.

To find why a cell holds what it holds: its row key comes from ``_application_key``
(table 三) or ``ACTIVE_ROWS`` (table 二, in ``map_active_disclosure``), its column from
``take_cells`` (which of the row's value cells), its value from ``_record``.
Which cells of a row are values was decided before, by the reader
(``html_tables._split_labels`` for grids, ``rows.rows_from_tokens`` for text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import re

from . import national_format as fmt
from .cells import EMPTY, INFERRED, TEXT, cell_record, printed_unit, read_cell
from .glued_digits import plain_cells, split_by_sums
from .indicators import INDICATOR_WORDS, INDICATORS, is_indicator_header
from .normalize import label_key, mainland_wording, strip_numbering, to_simplified
from .row_alignment import KeyedRow, place_unlabelled, split_stacked_rows
from .rows import LabelledRow, RawCell, RawTable, by_position, spacers_follow_values

# The sums a glued run is split by: table 三's row (R4), table 四's three groups (R5).
_APPLICATION_SUMS = ((len(fmt.APPLICANT_COLUMNS),), "R4")
_REVIEW_SUMS = ((len(fmt.REVIEW_OUTCOMES),) * len(fmt.REVIEW_GROUPS), "R5")
_NUMBERED_ITEM = re.compile(r"^\d+[.、)]")


@dataclass
class MappedTable:
    values: dict
    cells: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    layout_votes: set[str] = field(default_factory=set)


# The words that make a block of rows one of the tables: every word of an entry must be in
# its labels; the first entry that matches wins.
_TABLE_WORDS = (
    (fmt.APPLICATIONS, ("本年新收",)),
    (fmt.APPLICATIONS, ("申请人情况", "自然人")),
    (fmt.REVIEWS_LITIGATION, ("行政复议", "结果维持")),
    (fmt.REVIEWS_LITIGATION, ("行政复议", "尚未审结")),
    (fmt.ACTIVE_DISCLOSURE, ("第二十条",)),
    (fmt.ACTIVE_DISCLOSURE, ("信息内容",)),
    (fmt.ACTIVE_DISCLOSURE, ("规章", "行政许可")),
)


def classify_rows(rows: list[LabelledRow]) -> str | None:
    """Which of the three tables (or a pre-2019 统计表) a block of rows is, from the words in its labels."""
    text = "".join(label_key(label) for row in rows for label in row.labels)
    if is_indicator_header(text):  # first: a 统计表 may name 规章 and 行政许可 among its indicators
        return INDICATORS
    for kind, words in _TABLE_WORDS:
        if all(word in text for word in words):
            return kind
    return None


def continues_table(kind: str | None, rows: list[LabelledRow]) -> bool:
    """Is a header-less table the rest of a ``kind`` table Word split at a page break?

    Two or more of its row labels must name rows of that table: one could be chance.
    """
    patterns = _CONTINUATION_PATTERNS.get(kind)
    if not patterns:
        return False
    keys = [strip_numbering(label_key(label)) for row in rows for label in row.labels]
    return sum(1 for key in keys if fmt.first_match(patterns, key)) >= 2


def may_be_report_table(rows: list[tuple[list[str], dict]]) -> bool:
    """False when no label of these rows (cell texts, as read off a page) can make
    ``classify_rows`` or ``continues_table`` say yes: most tables of a page are layout
    and chrome, and building their grids was most of the work of reading a page.

    Exact, not a guess: every way to a yes needs certain characters in the labels
    (``ways_to_a_table``), and a label's characters (its ``label_key``) are among those of
    its cell's text simplified and in mainland wording."""
    text = "\n".join(text for texts, _ in rows for text in texts)
    if text.isascii():
        return False
    present = set(mainland_wording(to_simplified(text)))
    return any(way <= present for way in _WAYS)


_CONTINUATION_PATTERNS = {
    fmt.APPLICATIONS: fmt.APPLICATION_ROWS + fmt.APPLICATION_GROUPS,
    fmt.ACTIVE_DISCLOSURE: fmt.ACTIVE_ROWS,
}


def ways_to_a_table() -> list[frozenset[str]]:
    """The characters each way to a report table needs (a 统计表 header, the words of
    ``_TABLE_WORDS``, a row label a continued table may hold): a table whose text lacks
    some character of every way is none of the tables."""
    ways = [INDICATOR_WORDS] + ["".join(words) for _, words in _TABLE_WORDS]
    for patterns in _CONTINUATION_PATTERNS.values():
        for _, pattern in patterns:
            ways += fmt.required_characters(pattern.pattern)
    return [frozenset(way) for way in ways]


_WAYS = ways_to_a_table()


def take_cells(cells: list[RawCell], expected: int, blanks_are_cells: bool,
               values_last: bool = False) -> list[RawCell | None] | None:
    """Pick ``expected`` cells from a row's value tokens; None when they cannot be placed.

    Text forms leave spacer tokens where cells were merged: blank tokens are
    spacers only when the non-blank tokens are exactly as many as the format's
    cells; otherwise blanks are EMPTY cells (docs/report-format.md, "Cell values"),
    read by position in a tab or pipe row (``values_last``: see ``rows.by_position``).
    More filled tokens than cells, and no tab or pipe line to place them by, cannot
    be placed: which one is extra (a line repeated, a header line lost) is unknown,
    and taking the first ones put values under columns that did not print them.
    """
    if not blanks_are_cells:
        filled = [c for c in cells if not c.blank]
        if len(filled) == expected:
            return filled
        positioned = by_position(cells, expected, values_last)
        if positioned is not None:
            return positioned
        if len(filled) > expected:
            return None
    if len(cells) == expected:
        return list(cells)
    trimmed = _trim_blanks(cells)
    if len(trimmed) >= expected:
        return trimmed[:expected]
    return trimmed + [None] * (expected - len(trimmed))


def map_active_disclosure(tables: list[RawTable], layout: str) -> MappedTable:
    mapped = MappedTable({})
    for table in tables:
        header: list[str] = []
        header_units: dict[str, str] = {}  # amount column -> the unit its header names
        for row in table.rows:
            keys = _label_keys(row)
            columns = [c for k in keys for c in fmt.columns_named(k)]
            if columns:
                header = columns
                header_units = _header_units(row)
                mapped.layout_votes |= _active_layout_votes(columns)
            row_key = fmt.first_match(fmt.ACTIVE_ROWS, keys[-1]) if keys else None
            if not row_key or not _has_data(row, table) or row_key in mapped.values:
                continue
            names = header if _header_fits(header, row_key) else _default_columns(layout, row_key)
            if not names:
                continue
            recorded = len(mapped.cells)
            values = _take_row(mapped, fmt.ACTIVE_DISCLOSURE, row_key, names, table, row)
            if values is not None:
                mapped.values[row_key] = values
                _note_amount_units(mapped, mapped.cells[recorded:], header_units)
    return mapped


def _header_units(row: LabelledRow) -> dict[str, str]:
    """The unit each amount column's header label names, if any."""
    units = {}
    for label in row.labels:
        key = label_key(label)  # simplified, pinyin off: 萬元 is 万元
        unit = printed_unit(key)
        for column in fmt.columns_named(strip_numbering(key)) if unit else ():
            if column in fmt.AMOUNT_UNITS:
                units[column] = unit
    return units


def _note_amount_units(mapped: MappedTable, cells: list[dict], header_units: dict[str, str]) -> None:
    """An amount in another unit than its column holds (元 under ``amount_10k_yuan``, 万元
    under ``amount``), by its cell or its header, is kept as printed (never converted) and
    noted as an ``amount_unit`` problem, so that no one sums 元 with 万元."""
    for cell in cells:
        if cell["column"] not in fmt.AMOUNT_UNITS or not cell["value"]:
            continue  # nothing read, or 0 (in any unit)
        printed = printed_unit(cell["text"])
        unit = printed or header_units.get(cell["column"])
        held = fmt.AMOUNT_UNITS[cell["column"]]
        if unit is None or unit == held:
            continue
        source = "in the cell" if printed else "in the column's header"
        mapped.problems.append(_problem("amount_unit", fmt.ACTIVE_DISCLOSURE,
                                        f"{cell['row']}.{cell['column']} = {cell['text']} is in {unit} ({source}), "
                                        f"not {held}: kept as printed"))


def map_applications(tables: list[RawTable]) -> MappedTable:
    mapped = MappedTable({})
    for table in tables:
        text_form = not table.blanks_are_cells and not table.glued
        keyed = _key_rows(split_stacked_rows(table.rows) if text_form else table.rows)
        # a Word grid prints the label's merged columns before the values; a converter pads after them
        values_last = not table.blanks_are_cells and not spacers_follow_values(table.rows, len(fmt.APPLICANT_COLUMNS))
        if text_form:
            mapped.problems.extend(place_unlabelled(keyed))
        for entry in keyed:
            row, row_key = entry.row, entry.key
            if not row_key or not _has_data(row, table):
                continue
            if row_key in mapped.values:
                mapped.problems.append(_problem("duplicate_row", fmt.APPLICATIONS, f"{row_key} again at {row.where}"))
                continue
            values = _take_row(mapped, fmt.APPLICATIONS, row_key, fmt.APPLICANT_COLUMNS, table, row,
                               _APPLICATION_SUMS, entry.placed, values_last=values_last)
            if values is None:
                continue
            mapped.values[row_key] = values
            if row_key in fmt.OTHER_ITEM_ROWS:
                mapped.layout_votes.add("2021")
    return mapped


def _key_rows(rows: list[LabelledRow]) -> list[KeyedRow]:
    keyed, group = [], None
    for row in rows:
        row_key, group = _application_key(tuple(row.labels), group)
        keyed.append(KeyedRow(row, row_key))
    return keyed


def map_reviews(tables: list[RawTable]) -> MappedTable:
    """Table 四 is one row of 15 numbers under a two-level header.

    Take the fullest row; when no row holds all 15 (converted text splits the
    table into one row per group), take the data rows in order.
    """
    mapped = MappedTable({})
    candidates = [(row, t) for t in tables for row in t.rows if any(not c.blank for c in row.cells)]
    if not candidates:
        return mapped
    row, table = max(candidates, key=lambda rt: sum(not c.blank for c in rt[0].cells))
    if table.glued:
        return _glued_reviews(mapped, table, row)
    cells = row.cells
    if sum(not c.blank for c in cells) < fmt.REVIEW_CELL_COUNT and len(candidates) > 1:
        cells = [cell for candidate, _ in candidates for cell in candidate.cells]
    taken = _taken_or_unplaced(mapped, fmt.REVIEWS_LITIGATION, "the row", cells, fmt.REVIEW_CELL_COUNT,
                               table.blanks_are_cells)
    if taken is None:
        for group in fmt.REVIEW_GROUPS:
            mapped.values[group] = dict.fromkeys(fmt.REVIEW_OUTCOMES)
        return mapped
    width = len(fmt.REVIEW_OUTCOMES)
    for i, group in enumerate(fmt.REVIEW_GROUPS):
        part = taken[i * width:(i + 1) * width]
        mapped.values[group] = _record(mapped, fmt.REVIEWS_LITIGATION, group, fmt.REVIEW_OUTCOMES, part, row)
    return mapped


def _glued_reviews(mapped: MappedTable, table: RawTable, row: LabelledRow) -> MappedTable:
    """Table 四 from flattened text: fifteen numbers, split by R5 when glued."""
    names = [(group, outcome) for group in fmt.REVIEW_GROUPS for outcome in fmt.REVIEW_OUTCOMES]
    values = _take_row(mapped, fmt.REVIEWS_LITIGATION, "the row", names, table, row, _REVIEW_SUMS)
    if values is not None:
        for (group, outcome), value in values.items():
            mapped.values.setdefault(group, {})[outcome] = value
    return mapped


def _take_row(mapped: MappedTable, table_name: str, row_key: str, names, table: RawTable, row: LabelledRow,
              sums=None, placed: str | None = None, values_last: bool = False) -> dict | None:
    """The row's values by column name, each cell recorded; None when the row is unreadable."""
    cells = row.cells
    if table.glued:
        run = " ".join(c.text.strip() for c in cells if not c.blank)
        if plain_cells(run, len(names)) is None:  # the spaces do not separate the cells
            return _glued_row(mapped, table_name, row_key, names, run, row, sums)
        cells = [c for c in cells if not c.blank]
    taken = _taken_or_unplaced(mapped, table_name, row_key, cells, len(names), table.blanks_are_cells, values_last)
    if taken is None:
        return dict.fromkeys(names)
    return _record(mapped, table_name, row_key, names, taken, row, placed)


def _taken_or_unplaced(mapped: MappedTable, table_name: str, row_key: str, cells: list[RawCell], expected: int,
                       blanks_are_cells: bool, values_last: bool = False) -> list[RawCell | None] | None:
    """``take_cells``; None when it cannot place the cells: they are named in a
    cells_unplaced problem, and the caller leaves the row's values missing (no cell of the
    row recorded, since none was printed blank, and no cell_missing said, since none is)."""
    taken = take_cells(cells, expected, blanks_are_cells, values_last)
    if taken is not None:
        return taken
    filled = [c for c in cells if not c.blank]
    mapped.problems.append(_problem("cells_unplaced", table_name,
                                    f"{row_key}: {len(filled)} values where the format has {expected}: "
                                    + ", ".join(f"'{c.text}' at {c.where}" for c in filled)))
    return None


def _glued_row(mapped: MappedTable, table_name: str, row_key: str, names, run: str, row: LabelledRow,
               sums) -> dict | None:
    """Split a glued run by the row's own sums, or record it as unreadable text."""
    split = split_by_sums(run, sums[0]) if sums else None
    if split is not None and split.unique:
        where = f"{row.where} (glued '{run}' split by {sums[1]})"
        values = {}
        for name, value in zip(names, split.values):
            mapped.cells.append(cell_record(table_name, *_row_column(row_key, name), run, value, INFERRED, where))
            values[name] = value
        return values
    detail = split.describe() if split is not None else f"'{run}' has no sum to split it by"
    mapped.problems.append(_problem("glued_digits", table_name, f"{row_key}: {detail}"))
    for name in names:  # nothing printed is lost, though nothing is read from it
        mapped.cells.append(cell_record(table_name, *_row_column(row_key, name), run, None, TEXT,
                                         f"{row.where} (glued '{run}' unreadable)"))
    return None


def _row_column(row_key: str, name) -> tuple[str, str]:
    """Table 四's columns are (group, outcome) pairs: the group is the cell's row."""
    return name if isinstance(name, tuple) else (row_key, name)


@lru_cache(maxsize=4096)  # the format's labels recur in every report
def _application_key(labels: tuple[str, ...], group: str | None) -> tuple[str | None, str | None]:
    """The row key named by the last label, tracking the (三)–(六) group for "3.其他"."""
    row_key = None
    for label in labels:
        printed = label_key(label)
        key = strip_numbering(printed)
        heading = fmt.first_match(fmt.APPLICATION_GROUPS, key)
        item = None if heading else fmt.first_match(fmt.APPLICATION_ROWS, key)
        if heading:
            group, row_key = heading, heading
        elif item:
            row_key = item
            group = _group_of(item)
        elif fmt.OTHER_OTHER[1].search(key) and (
                group == "other" or group == "rejected" and _NUMBERED_ITEM.match(printed)):
            # "3.其他" after the (五) rows: (六)其他处理's heading was lost, its third item was not
            row_key, group = fmt.OTHER_OTHER[0], "other"
        else:
            row_key = None
    return row_key, group


def _group_of(row_key: str) -> str | None:
    for group, prefix in fmt.SUBTOTAL_OF.items():
        if row_key.startswith(prefix):
            return group
    return None


def _record(mapped: MappedTable, table: str, row_key: str, names, taken, row: LabelledRow,
            placed: str | None = None) -> dict:
    """Where a table cell's value is decided: ``names[i]`` (a column) gets ``taken[i]``, the
    cell ``take_cells`` placed there, read by ``cells.read_cell``. Each cell is recorded in
    ``mapped.cells``; returns the row's values by column. ``placed``: why the row's key was
    given by its position (``row_alignment``), added to each cell's where."""
    values = {}
    records = mapped.cells
    for name, cell in zip(names, taken):
        row_name, column = name if name.__class__ is tuple else (row_key, name)  # _row_column, inline
        if cell is None:
            mapped.problems.append(_problem("cell_missing", table, f"{row_name}.{column} at {row.where}"))
            records.append(cell_record(table, row_name, column, "", None, EMPTY, row.where))
            values[name] = None
            continue
        text = cell.text
        value = read_cell(text)
        # cells.cell_record, written out: a report has hundreds of cells
        records.append({"table": table, "row": row_name, "column": column, "value": value.value, "text": text,
                        "kind": value.kind, "where": f"{cell.where} ({placed})" if placed else cell.where})
        values[name] = value.value
    return values


def _problem(kind: str, table: str, detail: str) -> dict:
    return {"kind": kind, "table": table, "detail": detail}


def _label_keys(row: LabelledRow) -> list[str]:
    return [strip_numbering(label_key(label)) for label in row.labels]


def _has_data(row: LabelledRow, table: RawTable) -> bool:
    # In HTML a labelled row of empty cells is a row of EMPTY values; in text
    # a row of blank tokens is more likely header spacers.
    if table.blanks_are_cells:
        return bool(row.cells)
    return any(not c.blank for c in row.cells)


def _trim_blanks(cells: list[RawCell]) -> list[RawCell]:
    start, end = 0, len(cells)
    while start < end and cells[start].blank:
        start += 1
    while end > start and cells[end - 1].blank:
        end -= 1
    return list(cells[start:end])


# The columns a row of table 二 has in either layout.
_ROW_COLUMNS = {row: {column for columns in fmt.ACTIVE_DEFAULT_COLUMNS.values() for column in columns.get(row, ())}
                for rows in fmt.ACTIVE_DEFAULT_COLUMNS.values() for row in rows}


def _header_fits(header: list[str], row_key: str) -> bool:
    """Does the last header read name only columns this row has? A block whose own header
    was lost (a line dropped by a converter) is not read under the block's before it: 收费
    金额 under 本年处理决定数量 would make an amount in 万元 a count of decisions."""
    return bool(header) and set(header) <= _ROW_COLUMNS.get(row_key, set())


def _default_columns(layout: str, row_key: str) -> tuple[str, ...]:
    return fmt.ACTIVE_DEFAULT_COLUMNS.get(layout, fmt.ACTIVE_DEFAULT_COLUMNS["2021"]).get(row_key, ())


def _active_layout_votes(columns: list[str]) -> set[str]:
    votes = set()
    if set(columns) & fmt.LAYOUT_2019_COLUMNS:
        votes.add("2019")
    if set(columns) & fmt.LAYOUT_2021_COLUMNS:
        votes.add("2021")
    return votes
