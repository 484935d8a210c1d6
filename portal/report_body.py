"""The body of a report page (the inside of `div.TRS_Editor`), rendered from one seed's own text."""

from __future__ import annotations

from .seed_tables import section_grid
from .seed_text import TABLE_SECTIONS, SeedReport, is_title_line, table_tokens
from .word_html import empty_paragraph, paragraph, render_table

# The inline style block real TRS_Editor bodies open with.
EDITOR_STYLE = (
    '<style type="text/css">'
    + "".join(
        f".TRS_Editor {tag}{{margin-top:0px;margin-bottom:0px;line-height:2;"
        f"font-family:宋体;font-size:12pt;}}"
        for tag in ("P", "DIV", "TD", "TH", "SPAN", "FONT", "UL", "LI", "A")
    )
    + "</style>"
)


def report_body(seed: SeedReport) -> str:
    parts = [EDITOR_STYLE]
    for line in seed.preface:
        # A second title line in the body (seed 004) is centred, as editors do.
        parts.append(paragraph(line, centered=is_title_line(line)))
    for section in seed.sections:
        parts.append(paragraph(section.heading, heading=True))
        grid = section_grid(section.number, table_tokens(section.lines)) \
            if section.number in TABLE_SECTIONS else None
        if grid is not None:
            parts.append(render_table(grid))
            parts.append(empty_paragraph())
            continue
        lines = [ln.strip() for ln in section.lines if ln.strip()]
        if not lines and section.number in TABLE_SECTIONS:
            parts.append(empty_paragraph())      # the table is gone; only its heading remains
        parts.extend(paragraph(line) for line in lines)
    return "".join(parts)
