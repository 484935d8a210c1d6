"""HTML as Word writes it when a report is pasted into a TRS editor.

`MsoNormalTable` tables with long inline styles, cell text split over several `<span>`s inside
`<p class="MsoNormal">`, `<o:p></o:p>` markers and `&nbsp;` padding: the markup real report pages
carry, so the crawler's parsers meet it in tests. Rendering never changes a cell's text.
"""

from __future__ import annotations

import html

from .seed_tables import Cell, Grid

_FONT = "font-family:仿宋_GB2312;font-size:12.0000pt;mso-font-kerning:1.0000pt;"
_RUN = "mso-spacerun:'yes';" + _FONT
_BODY_FONT = "font-family:仿宋_GB2312;font-size:16.0000pt;mso-spacerun:'yes';"
_HEADING_FONT = "font-family:黑体;font-size:16.0000pt;mso-spacerun:'yes';"
_TABLE_STYLE = (
    "border-collapse:collapse;width:420.0000pt;mso-table-layout-alt:fixed;border:none;"
    "mso-border-left-alt:0.5000pt solid windowtext;mso-border-top-alt:0.5000pt solid windowtext;"
    "mso-border-right-alt:0.5000pt solid windowtext;mso-border-bottom-alt:0.5000pt solid windowtext;"
    "mso-border-insideh:0.5000pt solid windowtext;mso-border-insidev:0.5000pt solid windowtext;"
    "mso-padding-alt:0.0000pt 5.4000pt 0.0000pt 5.4000pt ;"
)
_CELL_BORDERS = (
    "padding:0.0000pt 5.4000pt 0.0000pt 5.4000pt ;border-left:1.0000pt solid windowtext;"
    "mso-border-left-alt:0.5000pt solid windowtext;border-right:1.0000pt solid windowtext;"
    "mso-border-right-alt:0.5000pt solid windowtext;border-top:1.0000pt solid windowtext;"
    "mso-border-top-alt:0.5000pt solid windowtext;border-bottom:1.0000pt solid windowtext;"
    "mso-border-bottom-alt:0.5000pt solid windowtext;"
)
_WIDTH_PT = {"title": 420.0, "header": 56.0, "label": 96.0, "value": 40.0}


def escape(text: str) -> str:
    """HTML text; non-breaking spaces as `&nbsp;`, as editors write them (and GBK can't hold)."""
    return html.escape(text, quote=False).replace("\u00a0", "&nbsp;")


def _runs_of(text: str) -> list[str]:
    """Split text the way Word splits runs (at punctuation, else mid-way); joined, it's unchanged."""
    if len(text) <= 6:
        return [text]
    for mark in "（(、，,：:":
        cut = text.find(mark, 2)
        if 0 < cut < len(text) - 2:
            return [text[:cut], text[cut:]]
    half = len(text) // 2
    return [text[:half], text[half:]]


def _cell_paragraph(line: str, kind: str) -> str:
    if kind == "value":
        spans = f'<span lang="EN-US" style="{_FONT}">{escape(line)}</span>'
    else:
        spans = "".join(f'<span style="{_RUN}">{escape(run)}</span>' for run in _runs_of(line))
    align = "left" if kind == "title" else "center"
    return (
        f'<p class="MsoNormal" align="{align}" style="text-align:{align};line-height:20.0000pt;'
        f'mso-line-height-rule:exactly;">{spans}<span style="{_FONT}"><o:p></o:p></span></p>'
    )


def render_cell(cell: Cell) -> str:
    width = _WIDTH_PT[cell.kind] * (cell.colspan if cell.kind != "title" else 1)
    spans = ""
    if cell.rowspan > 1:
        spans += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        spans += f' colspan="{cell.colspan}"'
    shade = "background:rgb(217,217,217);" if cell.kind in ("title", "header") else ""
    paragraphs = "".join(_cell_paragraph(line, cell.kind) for line in cell.lines)
    return (
        f'<td width="{round(width * 4 / 3)}" valign="center"{spans} '
        f'style="width:{width:.4f}pt;{_CELL_BORDERS}{shade}">{paragraphs}</td>'
    )


def render_table(grid: Grid) -> str:
    rows = []
    for i, row in enumerate(grid):
        first = ' class="firstRow"' if i == 0 else ""
        rows.append(f'<tr style="height:26.1500pt;"{first}>{"".join(map(render_cell, row))}</tr>')
    return (
        f'<table class="MsoNormalTable" border="1" cellspacing="0" style="{_TABLE_STYLE}">'
        f'<tbody>{"".join(rows)}</tbody></table>'
    )


def paragraph(text: str, *, heading: bool = False, centered: bool = False) -> str:
    font = _HEADING_FONT if heading else _BODY_FONT
    style = "text-align:center;" if centered else "text-indent:32.0000pt;mso-char-indent-count:2.0000;"
    runs = "".join(f'<span style="{font}">{escape(run)}</span>' for run in _runs_of(text))
    pad = '<span style="' + font + '">&nbsp;&nbsp;&nbsp;</span>' if heading else ""
    return (
        f'<p class="MsoNormal" style="{style}line-height:28.0000pt;mso-line-height-rule:exactly;">'
        f'{runs}{pad}<span style="{font}"><o:p></o:p></span></p>'
    )


def empty_paragraph() -> str:
    return f'<p class="MsoNormal"><span style="{_BODY_FONT}"><o:p>&nbsp;</o:p></span></p>'
