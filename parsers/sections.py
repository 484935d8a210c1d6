"""Find the report's section headings (一、总体情况 … 六、其他需要报告的事项) in text lines.

Headings locate the tables in text forms and tell a report from other
pages. Table 三's own rows also start with 三、/四、 (三、本年度办理结果,
四、结转下年度继续办理), so headings are recognised by their words, not numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .national_format import ACTIVE_DISCLOSURE, APPLICATIONS, REVIEWS_LITIGATION
from .normalize import label_key, lines_holding, strip_numbering

OVERVIEW = "overview"
PROBLEMS = "problems"
OTHER_MATTERS = "other_matters"

_HEADINGS = [
    (OVERVIEW, re.compile(r"^(?:政府信息公开工作)?(?:总体情况|概述)")),
    (ACTIVE_DISCLOSURE, re.compile(r"^(?:行政机关)?主动公开政府信息(?:的)?情况")),
    (APPLICATIONS, re.compile(r"收到和处理政府信息公开申请(?:的)?情况")),
    (REVIEWS_LITIGATION, re.compile(r"^政府信息公开.{0,12}(?:行政复议|行政诉讼).{0,12}情况")),
    (PROBLEMS, re.compile(r"存在的?主要问题")),
    (OTHER_MATTERS, re.compile(r"^其他需要报告的事项")),
]
_MAX_HEADING = 48
# Each heading above holds 况, 述, 题 or 项 (情况, 概述, 问题, 事项). A line without them
# or the characters OpenCC turns into them (況 題 項, U+FA71, U+2F81B) is no heading,
# and is not normalised to find out: most lines of a report are narrative.
_HEADING_CHARS = re.compile("[况況\ufa71\U0002f81b述题題项項]")
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|第[一二三四五六七八九十]+部分)")


@dataclass(frozen=True)
class Heading:
    section: str
    line: int  # 0-based index into the lines searched


def find_headings(lines: list[str]) -> list[Heading]:
    """Each section's first heading line, in page order."""
    found: dict[str, Heading] = {}
    for index in lines_holding(_HEADING_CHARS, lines):  # the only lines heading_of may accept
        section = heading_of(lines[index])
        if section and section not in found:
            found[section] = Heading(section, index)
    return sorted(found.values(), key=lambda h: h.line)


def heading_of(line: str) -> str | None:
    if not line or len(line) > 4 * _MAX_HEADING or "\t" in line or "|" in line:
        return None
    if not _HEADING_CHARS.search(line):
        return None
    key = label_key(line)
    if not key or len(key) > _MAX_HEADING:
        return None
    numbered = bool(_NUMBERED.match(key))
    body = strip_numbering(key)
    for section, pattern in _HEADINGS:
        if pattern.search(body) and (numbered or len(body) <= 24):
            return section
    return None


def section_spans(headings: list[Heading], line_count: int) -> dict[str, tuple[int, int]]:
    """Line range (start, end) after each heading, up to the next heading."""
    spans = {}
    for i, heading in enumerate(headings):
        end = headings[i + 1].line if i + 1 < len(headings) else line_count
        spans[heading.section] = (heading.line + 1, end)
    return spans
