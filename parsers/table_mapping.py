"""Turn labelled rows into the canonical nested dicts of tables 二, 三 and 四.

Rows are found by their labels (matched by meaning, see ``national_format``);
columns by the order of the value cells. Every cell taken is also recorded
with its kind and position so a number can be traced back to the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import national_format as fmt
from .cells import read_cell
from .normalize import label_key, strip_numbering
from .rows import LabelledRow, RawCell, RawTable


@dataclass
class MappedTable:
    values: dict
    cells: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    layout_votes: set[str] = field(default_factory=set)


def classify_rows(rows: list[LabelledRow]) -> str | None:
    """Which of the three tables a block of rows is, from the words in its labels."""
    text = "".join(label_key(label) for row in rows for label in row.labels)
    if "本年新收" in text or ("申请人情况" in text and "自然人" in text):
        return fmt.APPLICATIONS
    if "行政复议" in text and ("结果维持" in text or "尚未审结" in text):
        return fmt.REVIEWS_LITIGATION
    if "第二十条" in text or "信息内容" in text or ("规章" in text and "行政许可" in text):
        return fmt.ACTIVE_DISCLOSURE
    return None


def take_cells(cells: list[RawCell], expected: int, blanks_are_cells: bool) -> list[RawCell | None]:
    """Pick ``expected`` cells from a row's value tokens.

    Text forms leave spacer tokens where cells were merged: blank tokens are
    spacers only when the non-blank tokens are exactly as many as the format's
    cells; otherwise blanks are EMPTY cells (report-format.md, "Cell values").
    """
    if not blanks_are_cells:
        filled = [c for c in cells if not c.blank]
        if len(filled) == expected:
            return filled
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
        for row in table.rows:
            keys = _label_keys(row)
            columns = [c for k in keys for c in fmt.columns_named(k)]
            if columns:
                header = columns
                mapped.layout_votes |= _active_layout_votes(columns)
            row_key = fmt.first_match(fmt.ACTIVE_ROWS, keys[-1]) if keys else None
            if not row_key or not _has_data(row, table) or row_key in mapped.values:
                continue
            names = header or _default_columns(layout, row_key)
            if not names:
                continue
            taken = take_cells(row.cells, len(names), table.blanks_are_cells)
            mapped.values[row_key] = _record(mapped, fmt.ACTIVE_DISCLOSURE, row_key, names, taken, row)
    return mapped


def map_applications(tables: list[RawTable]) -> MappedTable:
    mapped = MappedTable({})
    for table in tables:
        group = None
        for row in table.rows:
            row_key, group = _application_key(_label_keys(row), group)
            if not row_key or not _has_data(row, table):
                continue
            if row_key in mapped.values:
                mapped.problems.append(_problem("duplicate_row", fmt.APPLICATIONS, f"{row_key} again at {row.where}"))
                continue
            taken = take_cells(row.cells, len(fmt.APPLICANT_COLUMNS), table.blanks_are_cells)
            mapped.values[row_key] = _record(mapped, fmt.APPLICATIONS, row_key, fmt.APPLICANT_COLUMNS, taken, row)
            if row_key in fmt.LAYOUT_2021_ROWS:
                mapped.layout_votes.add("2021")
    return mapped


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
    cells = row.cells
    if sum(not c.blank for c in cells) < fmt.REVIEW_CELL_COUNT and len(candidates) > 1:
        cells = [cell for candidate, _ in candidates for cell in candidate.cells]
    taken = take_cells(cells, fmt.REVIEW_CELL_COUNT, table.blanks_are_cells)
    width = len(fmt.REVIEW_OUTCOMES)
    for i, group in enumerate(fmt.REVIEW_GROUPS):
        part = taken[i * width:(i + 1) * width]
        mapped.values[group] = _record(mapped, fmt.REVIEWS_LITIGATION, group, fmt.REVIEW_OUTCOMES, part, row)
    return mapped


def _application_key(keys: list[str], group: str | None) -> tuple[str | None, str | None]:
    """The row key named by the last label, tracking the (三)–(六) group for "3.其他"."""
    row_key = None
    for key in keys:
        heading = fmt.first_match(fmt.APPLICATION_GROUPS, key)
        item = None if heading else fmt.first_match(fmt.APPLICATION_ROWS, key)
        if heading:
            group, row_key = heading, heading
        elif item:
            row_key = item
            group = _group_of(item)
        elif group == "other" and fmt.OTHER_OTHER[1].search(key):
            row_key = fmt.OTHER_OTHER[0]
        else:
            row_key = None
    return row_key, group


def _group_of(row_key: str) -> str | None:
    for group, prefix in fmt.SUBTOTAL_OF.items():
        if row_key.startswith(prefix):
            return group
    return None


def _record(mapped: MappedTable, table: str, row_key: str, names, taken, row: LabelledRow) -> dict:
    values = {}
    for name, cell in zip(names, taken):
        if cell is None:
            mapped.problems.append(_problem("cell_missing", table, f"{row_key}.{name} at {row.where}"))
            mapped.cells.append(_cell_record(table, row_key, name, "", None, "empty", row.where))
            values[name] = None
            continue
        value = read_cell(cell.text)
        mapped.cells.append(_cell_record(table, row_key, name, cell.text, value.value, value.kind, cell.where))
        values[name] = value.value
    return values


def _cell_record(table, row, column, text, value, kind, where) -> dict:
    return {"table": table, "row": row, "column": column, "value": value, "text": text, "kind": kind, "where": where}


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


def _default_columns(layout: str, row_key: str) -> tuple[str, ...]:
    return fmt.ACTIVE_DEFAULT_COLUMNS.get(layout, fmt.ACTIVE_DEFAULT_COLUMNS["2021"]).get(row_key, ())


def _active_layout_votes(columns: list[str]) -> set[str]:
    votes = set()
    if set(columns) & fmt.LAYOUT_2019_COLUMNS:
        votes.add("2019")
    if set(columns) & fmt.LAYOUT_2021_COLUMNS:
        votes.add("2021")
    return votes
