"""Synthetic reports in the national format: a seed's tables with new values, new prose.

A synthetic report keeps a seed's three statistical tables (二, 三, 四) as the format lays
them out (``seed_tables``), with every number multiplied by a whole ``factor``. The
format's rules are sums and differences (R1-R7), so values scaled alike obey them as the
seed's did, and what the parser must read back is known: the seed's expected values times
``factor``. The prose is new and names no number, so nothing contradicts the tables (R8).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .report_body import EDITOR_STYLE
from .seed_tables import section_grid
from .seed_text import TABLE_SECTIONS, is_blank, is_value, plain, read_seed, table_tokens
from .word_html import empty_paragraph, paragraph, render_table

# Seeds whose tables pass every rule (their expected failing_rules is []).
TEMPLATE_SEEDS = ("000_a7e6a703afb669e1", "004_cbaa75f9e60907ca")

_PROSE = {
    "一": ("{agency}坚持以公开为常态、不公开为例外，围绕年度重点工作推进政务公开，现将有关情况报告如下。",
          "一是加强组织领导，明确分管领导和工作人员；二是完善制度，规范发布审核流程。"),
    "五": ("存在的主要问题：政策解读形式还不够丰富，基层政务公开标准化建设有待加强。",
          "改进措施：丰富解读形式，加强业务培训，持续提升公开质量。"),
    "六": ("本年度未收取信息处理费。",
          "其他需要报告的事项：无。"),
}


@dataclass(frozen=True)
class SyntheticReport:
    agency: str
    year: int
    template: str              # seed id whose tables are scaled
    factor: int

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"


def scaled_token(token: str, factor: int) -> str:
    """A table token as printed, its number multiplied; labels and blanks as they are."""
    if not is_value(token) or is_blank(token):
        return plain(token) if not is_value(token) else token
    bare = "".join(ch for ch in token if ch.isdigit() or ch in ".-")
    try:
        number = Decimal(bare)
    except ArithmeticError:
        return token          # a not-applicable mark (/, 无, …): not a number
    return str(number * factor)


def synthetic_body(report: SyntheticReport) -> str:
    """The report body (the inside of the CMS's content div)."""
    seed = read_seed(report.template)
    parts = [EDITOR_STYLE, paragraph(report.title, centered=True), paragraph(
        f"根据《中华人民共和国政府信息公开条例》的规定，编制本报告。本报告所列数据的统计期限自"
        f"{report.year}年1月1日起至{report.year}年12月31日止。")]
    for section in seed.sections:
        parts.append(paragraph(plain(section.heading).replace("?", ""), heading=True))
        if section.number in TABLE_SECTIONS:
            tokens = [scaled_token(t, report.factor) for t in table_tokens(section.lines)]
            parts.append(render_table(section_grid(section.number, tokens)))
            parts.append(empty_paragraph())
        else:
            parts.extend(paragraph(p.format(agency=report.agency)) for p in _PROSE.get(section.number, ()))
    return "".join(parts)

