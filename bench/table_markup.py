"""A grid rendered as each kind of portal serves it.

- ``word``: Word's own HTML export pasted into a CMS (``MsoNormalTable``, single-quoted mso
  styles, text split over ``<span>``s, ``<o:p></o:p>``); ``lean`` drops the per-cell mso borders.
- ``trs``: a TRS editor's re-serialised Word table (double quotes, shorter CSS).
- ``hanweb``: an old IE-serialised page (upper-case tags, ``MsoTableGrid``, CRLF between rows).
- ``ueditor``: a newer TRS site's UEditor table (``data-sort``, ``word-break`` cells).
- ``plain``: a hand-made table as gov.cn-style sites carry (``border="1"``, bare cells).

Real TRS pages re-serialise every cell with ~800 bytes of style (the pingtan page's table 三 is
166 KB); these dialects run 20-420 bytes a cell so a whole page stays within 30-150 KB.
"""

from __future__ import annotations

import html

from format_grids import Cell, Grid

_WIDTH_PT = {"title": 420.0, "header": 56.0, "label": 96.0, "value": 40.0}


def text(value: str) -> str:
    return html.escape(value, quote=False)


def _width(cell: Cell) -> float:
    return _WIDTH_PT[cell.kind] * (1 if cell.kind == "title" else cell.colspan)


def _spans(cell: Cell, quote: str = '"') -> str:
    q = quote
    out = f" rowspan={q}{cell.rowspan}{q}" if cell.rowspan > 1 else ""
    return out + (f" colspan={q}{cell.colspan}{q}" if cell.colspan > 1 else "")


# ---- Word's export -------------------------------------------------------------------

_WORD_TABLE = ("<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=601 "
               "style='width:450.8pt;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
               "mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>")
_WORD_BORDER = ("border:solid windowtext 1.0pt;border-top:none;mso-border-top-alt:solid windowtext .5pt;"
                "mso-border-alt:solid windowtext .5pt;")
_WORD_FONT = "font-size:10.5pt;font-family:仿宋_GB2312"


def _word_runs(line: str) -> str:
    """Word splits a run where the formatting of digits and CJK text changes."""
    if len(line) > 8:
        cut = len(line) // 2
        parts = [line[:cut], line[cut:]]
    else:
        parts = [line]
    return "".join(f"<span style='{_WORD_FONT}'>{text(p)}</span>" for p in parts)


def word_table(grid: Grid, *, lean: bool = False) -> str:
    rows = []
    for r, row in enumerate(grid):
        cells = []
        for cell in row:
            width = _width(cell)
            style = f"width:{width:.1f}pt;" + ("" if lean else _WORD_BORDER) + "padding:0cm 5.4pt 0cm 5.4pt"
            paras = "".join(
                f"<p class=MsoNormal align=center style='text-align:center'>"
                + (f"<span lang=EN-US style='{_WORD_FONT}'>{text(line)}<o:p></o:p></span>" if cell.kind == "value"
                   else _word_runs(line) + "<o:p></o:p>")
                + "</p>"
                for line in cell.lines
            )
            cells.append(f"<td width={round(width * 4 / 3)}{_spans(cell, '')} valign=middle style='{style}'>"
                         f"{paras}</td>")
        first = ";mso-yfti-firstrow:yes" if r == 0 else ""
        rows.append(f"<tr style='mso-yfti-irow:{r}{first};height:21.0pt'>{''.join(cells)}</tr>\n")
    return _WORD_TABLE + "\n" + "".join(rows) + "</table>\n"


# ---- TRS editor ----------------------------------------------------------------------

def trs_table(grid: Grid) -> str:
    rows = []
    for row in grid:
        cells = []
        for cell in row:
            shade = "background:#d9d9d9;" if cell.kind in ("title", "header") else ""
            paras = "".join(
                f'<p style="text-align:center;line-height:20pt;"><span style="font-family:仿宋_GB2312;'
                f'font-size:12pt;">{text(line)}</span></p>' for line in cell.lines
            )
            cells.append(f'<td width="{round(_width(cell) * 4 / 3)}"{_spans(cell)} valign="center" '
                         f'style="border:1px solid #000000;padding:0px 5px;{shade}">{paras}</td>')
        rows.append(f'<tr>{"".join(cells)}</tr>')
    return ('<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" '
            'style="border-collapse:collapse;width:100%;border:none;"><tbody>' + "".join(rows) + "</tbody></table>")


# ---- Hanweb, IE-serialised -----------------------------------------------------------

_HANWEB_TD = ("BORDER-RIGHT: windowtext 1pt solid; PADDING-RIGHT: 5.4pt; BORDER-TOP: #ece9d8; "
              "PADDING-LEFT: 5.4pt; PADDING-BOTTOM: 0cm; BORDER-LEFT: windowtext 1pt solid; "
              "PADDING-TOP: 0cm; BORDER-BOTTOM: windowtext 1pt solid")


def hanweb_table(grid: Grid, *, variant: str = "full") -> str:
    """``full``: every border and padding inline; ``lean``: widths only; ``bare``: no styles at all."""
    rows = []
    for row in grid:
        cells = []
        for cell in row:
            width = _width(cell)
            paras = "<BR>".join(text(line) for line in cell.lines)
            if variant == "bare":
                cells.append(f"<TD width={round(width * 4 / 3)}{_spans(cell, '')}>{paras}</TD>")
                continue
            style = f"WIDTH: {width:.1f}pt" if variant == "lean" else f"{_HANWEB_TD}; WIDTH: {width:.1f}pt"
            cells.append(f'<TD style="{style}" vAlign=center width={round(width * 4 / 3)}{_spans(cell, "")}>'
                         f'<P class=MsoNormal style="TEXT-ALIGN: center" align=center>'
                         f'<SPAN style="FONT-SIZE: 10.5pt; FONT-FAMILY: 仿宋_GB2312">{paras}</SPAN></P></TD>')
        rows.append('<TR style="HEIGHT: 20pt">\r\n' + "\r\n".join(cells) + "</TR>")
    return ('<TABLE class=MsoTableGrid style="BORDER-RIGHT: medium none; BORDER-TOP: medium none; '
            'BORDER-LEFT: medium none; BORDER-BOTTOM: medium none; BORDER-COLLAPSE: collapse; '
            'mso-border-alt: solid windowtext .5pt; mso-yfti-tbllook: 480" cellSpacing=0 cellPadding=0 '
            'width=546 align=center border=1>\r\n<TBODY>\r\n' + "\r\n".join(rows) + "</TBODY></TABLE>")


# ---- UEditor (newer TRS sites) -------------------------------------------------------

def ueditor_table(grid: Grid) -> str:
    rows = []
    for row in grid:
        cells = "".join(f'<td width="{round(_width(cell) * 4 / 3)}" valign="middle"{_spans(cell)} '
                        f'style="word-break: break-all;">{"<br/>".join(text(line) for line in cell.lines)}</td>'
                        for cell in row)
        rows.append(f"<tr>{cells}</tr>")
    return ('<table width="100%" data-sort="sortDisabled"><tbody>' + "".join(rows) + "</tbody></table>")


# ---- plain ---------------------------------------------------------------------------

def plain_table(grid: Grid) -> str:
    rows = []
    for row in grid:
        cells = "".join(f"<td{_spans(cell)}>{'<br/>'.join(text(line) for line in cell.lines)}</td>"
                        for cell in row)
        rows.append(f"<tr>{cells}</tr>\n")
    return ('<table border="1" cellspacing="0" cellpadding="4" width="100%" align="center">\n<tbody>\n'
            + "".join(rows) + "</tbody>\n</table>\n")
