"""The report body (title, preface, six sections, three tables) in each portal's paragraph style."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import table_markup as tm
from format_grids import Grid
from report_content import ReportContent

_DIGITS = re.compile(r"(\d+(?:\.\d+)?%?)")


@dataclass(frozen=True)
class BodyStyle:
    title: Callable[[str], str]
    paragraph: Callable[[str], str]
    heading: Callable[[str], str]
    table: Callable[[Grid], str]
    blank: str = ""                   # what sits between a table and the next heading


def render_body(report: ReportContent, grids: dict[str, Grid], style: BodyStyle, narrative: int,
                *, title_lines: list[str] | None = None) -> str:
    """``narrative``: how many of section 一's paragraphs to keep (the page-size knob)."""
    parts = [style.title(line) for line in (title_lines or [report.title])]
    parts += [style.paragraph(p) for p in report.preface]
    for numeral, heading in report.headings.items():
        parts.append(style.heading(heading))
        paragraphs = report.sections[numeral]
        if numeral == "一":
            paragraphs = paragraphs[:max(narrative, 1)]
        parts += [style.paragraph(p) for p in paragraphs]
        if numeral in grids:
            parts.append(style.table(grids[numeral]))
            parts.append(style.blank)
    return "\n".join(parts)


# ---- TRS editor: either its own CSS or Word's mso styles kept by the paste ----------------

_TRS_FONT = "font-family:仿宋_GB2312;font-size:16pt;"
_TRS_HEADING = "font-family:黑体;font-size:16pt;"
_TRS_P = "text-indent:2em;line-height:2em;"
_MSO_RUN = ("mso-spacerun:'yes';font-family:仿宋_GB2312;mso-bidi-font-family:'Times New Roman';"
            "font-size:16.0000pt;mso-font-kerning:1.0000pt;")
_MSO_HEADING = _MSO_RUN.replace("仿宋_GB2312", "黑体")
_MSO_P = ("text-indent:32.0000pt;mso-char-indent-count:2.0000;text-autospace:ideograph-numeric;"
          "mso-pagination:none;line-height:30.0000pt;mso-line-height-rule:exactly;")


def _mso_runs(text: str, run_style: str) -> str:
    """Word splits runs at digits (they carry lang=EN-US); the editor keeps every split."""
    return "".join(f'<span style="{run_style}">{tm.text(part)}</span>' for part in _DIGITS.split(text) if part)


def trs_body_style(mso: bool, lean: bool) -> BodyStyle:
    """``mso``: Word's styles kept by the paste (tables too); else the editor's own CSS."""
    if mso:
        table = tm.word_table if not lean else (lambda g: tm.word_table(g, lean=True))
        return BodyStyle(
            title=lambda t: (f'<p class="MsoNormal" align="center" style="text-align:center;line-height:31.0000pt;">'
                             f'<span style="{_MSO_RUN.replace("仿宋_GB2312", "方正小标宋简体")}">{tm.text(t)}</span></p>'),
            paragraph=lambda t: (f'<p class="MsoNormal" style="{_MSO_P}">{_mso_runs(t, _MSO_RUN)}'
                                 f'<span style="{_MSO_RUN}"></span></p>'),
            heading=lambda t: (f'<p class="MsoNormal" style="{_MSO_P}"><span style="{_MSO_HEADING}">'
                               f'{tm.text(t)}</span></p>'),
            table=table,
            blank=f'<p class="MsoNormal" style="{_MSO_P}"><span style="{_MSO_RUN}">&nbsp;</span></p>',
        )
    return BodyStyle(
        title=lambda t: (f'<p style="text-align:center;"><strong><span style="font-size:22pt;">{tm.text(t)}'
                         '</span></strong></p>'),
        paragraph=lambda t: f'<p style="{_TRS_P}"><span style="{_TRS_FONT}">{tm.text(t)}</span></p>',
        heading=lambda t: f'<p style="{_TRS_P}"><strong><span style="{_TRS_HEADING}">{tm.text(t)}</span></strong></p>',
        table=tm.ueditor_table if lean else tm.trs_table,
        blank="<p>&nbsp;</p>",
    )


# ---- Hanweb: IE-era upper-case markup -------------------------------------------------------

def hanweb_body_style(variant: str) -> BodyStyle:
    return BodyStyle(
        title=lambda t: f'<P align=center><STRONG><FONT size=5>{tm.text(t)}</FONT></STRONG></P>',
        paragraph=lambda t: f'<P style="TEXT-INDENT: 2em; LINE-HEIGHT: 200%">{tm.text(t)}</P>',
        heading=lambda t: f'<P style="TEXT-INDENT: 2em"><STRONG>{tm.text(t)}</STRONG></P>',
        table=lambda g: tm.hanweb_table(g, variant=variant),
        blank="<P>&nbsp;</P>",
    )


# ---- gov.cn: clean editor output ------------------------------------------------------------

def govcn_body_style(trs_tables: bool) -> BodyStyle:
    return BodyStyle(
        title=lambda t: "",                       # the page's <h1> carries it
        paragraph=lambda t: f'<p style="text-indent: 2em; text-align: justify;">{tm.text(t)}</p>',
        heading=lambda t: f'<p style="text-indent: 2em; text-align: justify;"><strong>{tm.text(t)}</strong></p>',
        table=tm.trs_table if trs_tables else tm.plain_table,
    )


# ---- Word's own export ----------------------------------------------------------------------

_W_BODY = "font-size:16.0pt;font-family:仿宋_GB2312;mso-hansi-font-family:宋体"
_W_NUM = "font-size:16.0pt;font-family:仿宋_GB2312;mso-fareast-font-family:仿宋_GB2312"
_W_P = "text-indent:32.0pt;mso-char-indent-count:2.0;line-height:28.0pt;mso-line-height-rule:exactly"


def _word_runs(text: str) -> str:
    runs = []
    for part in _DIGITS.split(text):
        if not part:
            continue
        if _DIGITS.fullmatch(part):
            runs.append(f"<span lang=EN-US style='{_W_NUM}'>{part}</span>")
        else:
            runs.append(f"<span style='{_W_BODY}'>{tm.text(part)}</span>")
    return "".join(runs)


def word_body_style(lean: bool) -> BodyStyle:
    end = "<span lang=EN-US style='font-size:16.0pt'><o:p></o:p></span>"
    return BodyStyle(
        title=lambda t: (f"<p class=MsoNormal align=center style='text-align:center;line-height:30.0pt'>"
                         f"<span style='font-size:22.0pt;font-family:方正小标宋简体'>{tm.text(t)}</span>{end}</p>"),
        paragraph=lambda t: f"<p class=MsoNormal style='{_W_P}'>{_word_runs(t)}{end}</p>",
        heading=lambda t: (f"<p class=MsoNormal style='{_W_P}'><span style='font-size:16.0pt;font-family:黑体;"
                           f"mso-hansi-font-family:宋体'>{tm.text(t)}</span>{end}</p>"),
        table=lambda g: tm.word_table(g, lean=lean),
        blank="<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>",
    )
