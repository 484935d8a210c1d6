"""Anchor-and-fill: place table 三 value rows that lost their labels, only where it is certain.

PDF→markdown conversions of table 三 (the 2024 上海市科委 report) print many
value rows with no label: the labels went to loose text lines between the
markdown tables, broken mid-word and out of order. What stays certain is the
order of the rows. Labelled value rows anchor to their format row; a run of
unlabelled full-width rows (exactly seven values) between two anchors is
assigned, in order, to the format rows between those anchors **only when the
counts match exactly**. Otherwise the rows are reported (``rows_unplaced``)
and not guessed. Each placed cell's ``where`` says it was placed by order.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import national_format as fmt
from .cells import looks_like_value
from .rows import LabelledRow, RawCell

WIDTH = len(fmt.APPLICANT_COLUMNS)

# Table 三's rows in printed order; group subtotals sit before their leaves.
ORDER = (
    "new_received", "carried_over", "granted", "partially_granted",
    "withheld", "withheld_state_secret", "withheld_prohibited_by_law", "withheld_three_safeties_one_stability",
    "withheld_third_party_rights", "withheld_internal_affairs", "withheld_process_information",
    "withheld_enforcement_files", "withheld_administrative_inquiry",
    "unable", "unable_not_held", "unable_needs_creation", "unable_unclear",
    "rejected", "rejected_petition_complaint", "rejected_duplicate", "rejected_publication",
    "rejected_excessive", "rejected_confirmation",
    "other", "other_no_correction", "other_unpaid_fee", "other_other",
    "total", "carried_forward",
)
_POSITION = {key: i for i, key in enumerate(ORDER)}
_SUBTOTALS = set(fmt.SUBTOTAL_OF)  # never filled: an unlabelled row is taken for a leaf


@dataclass
class KeyedRow:
    row: LabelledRow
    key: str | None
    placed: str | None = None  # why the key was given by position, for the cells' where


def split_stacked_rows(rows: list[LabelledRow]) -> list[LabelledRow]:
    """Markdown rows of values that followed a labelled row with no label of their own
    were gathered into it; give each such line back its own, unlabelled, row.

    Only lines of exactly ``WIDTH`` values are split off, so the one-cell-per-line
    forms (a row spread over seven lines) are left as they are.
    """
    result = []
    for row in rows:
        lines = [line for line in _by_line(row.cells) if any(not c.blank for c in line)]
        if len(lines) < 2 or not all(_full_width(line) for line in lines[1:]):
            result.append(row)
            continue
        result.append(LabelledRow(row.labels, lines[0], row.where))
        result.extend(LabelledRow([], line, line[0].where) for line in lines[1:])
    return result


def place_unlabelled(keyed: list[KeyedRow]) -> list[dict]:
    """Give keys to the unlabelled full-width rows between anchors; returns problems."""
    anchors = [i for i, k in enumerate(keyed) if k.key in _POSITION and _has_values(k.row)]
    loose = [i for i, k in enumerate(keyed) if k.key is None and _full_width(k.row.cells)]
    if not loose:
        return []
    problems = []
    taken = {keyed[i].key for i in anchors}
    single_other = "other" in taken  # 2019's single (六) row: its leaves are not in this table
    bounds = [None] + anchors + [None]
    for before, after in zip(bounds, bounds[1:]):
        run = [i for i in loose if (before is None or i > before) and (after is None or i < after)]
        if not run:
            continue
        low = _POSITION[keyed[before].key] if before is not None else -1
        high = _POSITION[keyed[after].key] if after is not None else len(ORDER)
        slots = [key for key in ORDER[low + 1:high] if key not in _SUBTOTALS and key not in taken
                 and not (single_other and key.startswith("other_"))]
        if before is None and not slots:
            continue  # values above the first label are header numbering, not data
        if low >= high or len(slots) != len(run):
            lines = ", ".join(keyed[i].row.where for i in run)
            problems.append({"kind": "rows_unplaced", "table": fmt.APPLICATIONS,
                             "detail": f"{len(run)} unlabelled rows ({lines}) between {_name(keyed, before, 'start')} "
                                       f"and {_name(keyed, after, 'end')}, where the format has {len(slots)}"})
            continue
        for i, key in zip(run, slots):
            keyed[i].key = key
            keyed[i].placed = (f"row placed by order between {_name(keyed, before, 'start')} "
                               f"and {_name(keyed, after, 'end')}")
    stray = [c for i, k in enumerate(keyed) if k.key is None and i not in loose for c in k.row.cells if not c.blank]
    if stray:
        problems.append({"kind": "cells_unplaced", "table": fmt.APPLICATIONS,
                         "detail": ", ".join(f"'{c.text}' at {c.where}" for c in stray)})
    return problems


def _name(keyed: list[KeyedRow], index: int | None, end: str) -> str:
    return f"the table's {end}" if index is None else keyed[index].key


def _by_line(cells: list[RawCell]) -> list[list[RawCell]]:
    lines: list[list[RawCell]] = []
    for cell in cells:
        if lines and lines[-1][0].where == cell.where:
            lines[-1].append(cell)
        else:
            lines.append([cell])
    return lines


def _full_width(cells: list[RawCell]) -> bool:
    filled = [c for c in cells if not c.blank]
    return len(filled) == WIDTH and all(looks_like_value(c.text) for c in filled)


def _has_values(row: LabelledRow) -> bool:
    return any(not c.blank for c in row.cells)
