"""The statistical tables 二, 三, 四 of a seed, rebuilt as grids with the national format's spans.

Tokens come from `seed_text.table_tokens`. Each row of the seed is a run of label tokens followed by
a run of value tokens; the labels and values are placed, as printed, into per-table templates that
carry the format's header structure (rowspan/colspan as on real pages pasted from Word). Nothing is
invented: a cell holds a seed token or stays empty where the format merges cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .seed_text import is_blank, is_value, norm


@dataclass
class Cell:
    lines: list[str]          # printed text, one Word paragraph per entry
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"       # title | header | label | value


Grid = list[list[Cell]]

APPLICANT_COLUMNS = 7       # table 三: 自然人, five kinds of organisation, 总计
REVIEW_COLUMNS = 15         # table 四: 行政复议 5 + 行政诉讼 2 × 5


class SeedTableError(ValueError):
    """A seed's table region doesn't fit the national format's template."""


def _cell(token: str, **kw) -> Cell:
    return Cell(token.split("\n"), **kw)


def _runs(tokens: list[str]) -> list[tuple[list[str], list[str]]]:
    """Split tokens into (labels, values) rows: a label run, then the values that follow it."""
    runs: list[tuple[list[str], list[str]]] = []
    labels: list[str] = []
    values: list[str] = []
    for token in tokens:
        if is_value(token):
            values.append(token)
            continue
        if values:
            runs.append((labels, values))
            labels, values = [], []
        labels.append(token)
    if labels or values:
        runs.append((labels, values))
    return runs


def fit_values(values: list[str], expected: int) -> list[str]:
    """Blank tokens are layout spacers only when the non-blank ones fill the row exactly."""
    filled = [v for v in values if not is_blank(v)]
    if len(values) != expected and len(filled) == expected:
        return filled
    return values


def _value_cells(values: list[str], width: int) -> list[Cell]:
    cells = [_cell(v, kind="value") for v in values]
    if cells and len(values) < width:
        cells[-1].colspan = width - len(values) + 1   # the merged tail of a short row
    return cells


# ---- table 二: blocks 第二十条第（一）（五）（六）（八）项 ----

def active_disclosure_grid(tokens: list[str]) -> Grid:
    blocks: list[tuple[str, list[str]]] = []
    for token in tokens:
        if "第二十" in norm(token) and not is_value(token):
            blocks.append((token, []))
        elif blocks:
            blocks[-1][1].append(token)
    if not blocks:
        raise SeedTableError("table 二 has no 第二十条 block")
    # Grid width: the widest header row (信息内容 + columns) or data row (label + values).
    width = max(
        max(len(labels) - 1, 1 + len(values)) for _, rest in blocks for labels, values in _runs(rest)
    )
    grid: Grid = []
    for title, rest in blocks:
        grid.append([_cell(title, colspan=width, kind="title")])
        columns = 0
        for labels, values in _runs(rest):
            headers, label = (labels[:-1], labels[-1]) if values else (labels, None)
            if headers:
                row = [_cell(h, kind="header") for h in headers]
                row[-1].colspan = width - len(headers) + 1
                grid.append(row)
                columns = len(headers) - 1
            if label is not None:
                values = fit_values(values, columns or len(values))
                grid.append([_cell(label)] + _value_cells(values, width - 1))
    return grid


# ---- table 三: applications by applicant ----

_APPLICANT_HEADERS = (
    "corner", "申请人情况", "自然人", "法人或其他组织", "总计",
    "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他",
)
_LEVEL_MARKERS = (
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^[(（][一二三四五六七八九十]+[)）]")),
    (3, re.compile(r"^\d+[.．、]")),
)


def label_level(token: str) -> int | None:
    """1 for 一、…, 2 for （一）…, 3 for 1.…; None for an unnumbered header cell."""
    n = norm(token)
    return next((level for level, marker in _LEVEL_MARKERS if marker.match(n)), None)


def _assign_applicant_headers(tokens: list[str]) -> dict[str, list[str]]:
    """Header cells by meaning (seed 002 prints 总计 before 自然人; 003 splits 商业 / 企业)."""
    slots: dict[str, list[str]] = {}
    pending: list[str] = []
    for token in tokens:
        pending.append(token)
        text = "".join(norm(t) for t in pending)
        if "corner" not in slots and ("勾稽" in text or "本列" in text):
            slots["corner"], pending = pending, []
            continue
        open_slots = [s for s in _APPLICANT_HEADERS[1:] if s not in slots]
        if text in open_slots:
            slots[text], pending = pending, []
        elif not any(s.startswith(text) for s in open_slots):
            raise SeedTableError(f"table 三 header cell not in the format: {pending!r}")
    missing = [s for s in _APPLICANT_HEADERS if s not in slots]
    if missing or pending:
        raise SeedTableError(f"table 三 header cells missing: {missing} (left over {pending!r})")
    return slots


def _header_cell(tokens: list[str], **kw) -> Cell:
    return Cell([line for t in tokens for line in t.split("\n")], kind="header", **kw)


@dataclass
class _Row:
    groups: list[str]      # open group labels (三、本年度办理结果, （三）不予公开), outermost first
    label: str
    values: list[str]


def applications_grid(tokens: list[str]) -> Grid:
    runs = _runs(tokens)
    if not runs or not runs[0][1]:
        raise SeedTableError("table 三 has no values")
    first_labels = runs[0][0]
    split = next((i for i, t in enumerate(first_labels) if label_level(t)), len(first_labels) - 1)
    headers = _assign_applicant_headers(first_labels[:split])
    runs[0] = (first_labels[split:], runs[0][1])

    rows: list[_Row] = []
    open_groups: list[tuple[int, str]] = []          # (level, label)
    for labels, values in runs:
        if not labels:
            raise SeedTableError(f"table 三 values without a row label: {values!r}")
        for k, label in enumerate(labels):
            level = label_level(label) or (open_groups[-1][0] + 1 if open_groups else 1)
            open_groups = [(lv, g) for lv, g in open_groups if lv < level]
            if k < len(labels) - 1:
                open_groups.append((level, label))
        rows.append(_Row([g for _, g in open_groups], labels[-1],
                         fit_values(values, APPLICANT_COLUMNS)))

    grid: Grid = [
        [_header_cell(headers["corner"], rowspan=3, colspan=3),
         _header_cell(headers["申请人情况"], colspan=APPLICANT_COLUMNS)],
        [_header_cell(headers["自然人"], rowspan=2),
         _header_cell(headers["法人或其他组织"], colspan=5),
         _header_cell(headers["总计"], rowspan=2)],
        [_header_cell(headers[name]) for name in _APPLICANT_HEADERS[5:]],
    ]
    for i, row in enumerate(rows):
        cells: list[Cell] = []
        for depth, group in enumerate(row.groups):
            starts_group = i == 0 or rows[i - 1].groups[: depth + 1] != row.groups[: depth + 1]
            if starts_group:
                span = 1
                while i + span < len(rows) and rows[i + span].groups[: depth + 1] == row.groups[: depth + 1]:
                    span += 1
                cells.append(_cell(group, rowspan=span))
        cells.append(_cell(row.label, colspan=3 - len(row.groups)))
        grid.append(cells + _value_cells(row.values, APPLICANT_COLUMNS))
    return grid


# ---- table 四: administrative review and litigation ----

def reviews_grid(tokens: list[str]) -> Grid:
    headers = [t for t in tokens if not is_value(t)]
    values = fit_values([t for t in tokens if is_value(t)], REVIEW_COLUMNS)
    if len(headers) != 19:
        raise SeedTableError(f"table 四 has {len(headers)} header cells, the format has 19")
    h = iter(headers)
    top = [_header_cell([next(h)], colspan=5), _header_cell([next(h)], colspan=10)]
    middle = [_header_cell([next(h)], rowspan=2) for _ in range(5)]
    middle += [_header_cell([next(h)], colspan=5), _header_cell([next(h)], colspan=5)]
    bottom = [_header_cell([next(h)]) for _ in range(10)]
    return [top, middle, bottom, [_cell(v, kind="value") for v in values]]


GRID_BUILDERS = {"二": active_disclosure_grid, "三": applications_grid, "四": reviews_grid}


def section_grid(number: str, tokens: list[str]) -> Grid | None:
    """The section's table, or None when the seed has no table there (only its heading)."""
    if not any(is_value(t) and not is_blank(t) for t in tokens):
        return None
    return GRID_BUILDERS[number](tokens)
