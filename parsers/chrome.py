"""Separate the report from the portal around it.

HTML: find the body container the CMS uses (TRS_Editor, #zoom, …); when none
holds the report, take the smallest element holding the report's tables and
section headings. Text (both rendered HTML and text files): blank out lines
that are navigation, print/close buttons, counters and footers. (How an HTML
element becomes text is ``html_text``.)
"""

from __future__ import annotations

import re
from functools import cache

from lxml import etree

from .html_text import short_text_content
from .normalize import line_indexes, simplify_lines, tidy_lines, traditional_forms
from .sections import heading_of

# Body containers seen on government portals, most specific first.
BODY_SELECTORS = [
    ("class", "TRS_Editor"), ("class", "TRS_UEDITOR"), ("class", "Custom_UnionStyle"),
    ("id", "zoom"), ("id", "UCAP-CONTENT"), ("class", "pages_content"),
    ("class", "article_content"), ("id", "ivs_content"),
]
_MIN_BODY_TEXT = 200

# Both are matched against cleaned lines (simplified: a 繁體 link reads 繁体).
_CHROME_LINE = re.compile(
    r"打印本页|关闭窗口|【打印】|【关闭】|返回顶部|分享到|字号\s*[:：]|【[大中小]】|\[[大中小]\]|当前位置|您的位置|"
    r"网站标识码|ICP备|公网安备|主办单位|承办单位|版权所有|技术支持|扫一扫|点击数|点击率|浏览次数|"
    r"^简体$|^繁体$|^上一篇|^下一篇|^相关(文章|链接|阅读)|^(打印|关闭|收藏|返回)$"
)
_META_LINE = re.compile(r"^(发布时间|发布日期|发文日期|时间|日期|文章来源|信息来源|来源|作者)\s*[:：]")
# The same two, run once over all lines joined by newlines (no match may cross one).
_CHROME_LINES = re.compile(_CHROME_LINE.pattern.replace(r"\s", r"[^\S\n]"), re.MULTILINE)
_META_LINES = re.compile(_META_LINE.pattern.replace(r"\s", r"[^\S\n]"), re.MULTILINE)
_MAX_CHROME_LINE = 120
_XPATH_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() collapses


def choose_body(candidates: list, report_tables: list[int]):
    """The body container among the page walk's candidates: by the selectors in order, the
    one named with the longest text (of at least _MIN_BODY_TEXT characters), if it holds
    every report table. Each candidate has ``css_class``, ``id`` and ``length`` (of its
    whitespace-normalised text), and ``holds(position)`` tells whether a report table (by
    position) lies inside it. None when no selector names the body."""
    for attribute, value in BODY_SELECTORS:
        if attribute == "id":
            named = [c for c in candidates if c.id == value]
        else:
            named = [c for c in candidates if value in _XPATH_SPACE.split(c.css_class)]
        sized = [c for c in named if c.length >= _MIN_BODY_TEXT]
        if sized:
            best = max(sized, key=lambda candidate: candidate.length)
            if all(best.holds(table) for table in report_tables):
                return best
    return None


def body_from_anchors(doc, report_tables: list):
    """No container names the body: the smallest element holding the report's tables and
    section headings, else the page's <body>."""
    anchors = list(report_tables) + _heading_elements(doc)
    if anchors:
        return _common_ancestor(anchors)
    body = doc.find("body")
    return body if body is not None else doc


def blank_chrome_lines(lines: list[str], simplified: list[str] | None = None) -> list[str]:
    """Chrome lines become empty strings, so line numbers stay those of the input.
    ``simplified``: ``simplify_lines(lines)``, when the caller has it."""
    if simplified is None:
        simplified = simplify_lines(lines)
    distinct = {line: line.strip() for line in set(lines)}
    line_of = {text: line for line, text in distinct.items() if text and len(text) <= _MAX_CHROME_LINE}
    candidates = sorted(line_of)
    simplified_of = dict(zip(lines, simplified))  # a line's simplified form, stripped, is that of the line stripped
    cleaned = tidy_lines([simplified_of[line_of[text]].strip() for text in candidates])
    chrome = _chrome_texts(candidates, cleaned)
    if not chrome:
        return lines
    return ["" if distinct[line] in chrome else line for line in lines]


def blank_chrome(lines: list[str], simplified: list[str]) -> tuple[list[str], list[str]]:
    """``blank_chrome_lines`` of ``lines``, and the same lines blanked in ``simplified``
    (``simplify_lines(lines)``)."""
    body = blank_chrome_lines(lines, simplified)
    if body is lines:
        return lines, simplified
    return body, [simple if line else "" for line, simple in zip(body, simplified)]


def _chrome_texts(candidates: list[str], cleaned: list[str]) -> set[str]:
    """The candidates that are chrome, from their ``cleaned`` forms (cleaned together: one
    OpenCC call for the page), searched together (two regex scans instead of two per line)."""
    text = "\n".join(cleaned)
    if text.count("\n") != len(cleaned) - 1:  # a line holds a newline of its own: line by line
        return {line for line, clean in zip(candidates, cleaned) if _is_chrome_text(clean)}
    return {candidates[index]
            for pattern in (_CHROME_LINES, _META_LINES) for index in line_indexes(pattern, text)}


def _is_chrome_text(cleaned: str) -> bool:
    return bool(_CHROME_LINE.search(cleaned) or _META_LINE.match(cleaned))


def drop_lines_before(lines: list[str], index: int | None) -> list[str]:
    """Blank the navigation above the report title (text files carry the site menu)."""
    if not index:
        return lines
    return [""] * index + lines[index:]


_HEADING_WORDS = ("总体情况", "主动公开", "申请情况", "行政诉讼", "主要问题", "其他需要报告")
_MAX_HEADING = 100  # characters: longer text is a paragraph, not a heading


# Text nodes holding a heading word; the length test first spares the word tests on the
# many short nodes of Word HTML (a node shorter than the shortest word cannot hold one).
# descendant::text(), not //text(): with a predicate libxml2 reads "//" as one child step
# per node, merging each node's matches into the result with a duplicate check, quadratic
# in the matches of a page of many roots (a report repeated 50 times took 8 s, now 0.05 s).
def _heading_texts_query(text: str = ".") -> etree.XPath:
    """Text nodes whose ``text`` (an XPath expression of the node) holds a heading word."""
    return etree.XPath(
        f"//body/descendant::text()[string-length() >= {min(map(len, _HEADING_WORDS))}]"
        f"[{' or '.join(f'contains({text}, {word!r})' for word in _HEADING_WORDS)}]"
    )


_HEADING_TEXTS = _heading_texts_query()


@cache
def _traditional_heading_texts() -> etree.XPath:
    """The same in traditional characters (總體情況, 主動公開): each node read through translate()
    from the characters OpenCC's t2s turns into the words' characters. Three times the cost
    of the plain search, so asked only of pages where that finds nothing."""
    forms = traditional_forms("".join(_HEADING_WORDS))
    return _heading_texts_query(f"translate(., {''.join(forms)!r}, {''.join(forms.values())!r})")


def _heading_elements(doc) -> list:
    """Elements whose text is a section heading (the heading may be split over spans)."""
    found = []
    for text in _HEADING_TEXTS(doc) or _traditional_heading_texts()(doc):
        el = text.getparent()  # for a tail text, the node it follows
        if el is not None and not isinstance(el.tag, str):  # a comment's (<!--[endif]-->总体情况)
            el = el.getparent()
        for _ in range(3):  # climb out of <span>/<strong> wrappers
            if el is None:
                break
            content = short_text_content(el, _MAX_HEADING)
            if content is None:
                break
            if heading_of(content):
                found.append(el)
                break
            el = el.getparent()
    return found


def _common_ancestor(elements: list):
    chains = []
    for el in elements:
        chain = []
        while el is not None:
            chain.append(el)
            el = el.getparent()
        chains.append(chain[::-1])
    common = chains[0][0]
    for depth in range(min(len(c) for c in chains)):
        nodes = {id(c[depth]) for c in chains}
        if len(nodes) != 1:
            break
        common = chains[0][depth]
    return common

