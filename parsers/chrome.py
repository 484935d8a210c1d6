"""Separate the report from the portal around it.

HTML: find the body container the CMS uses (TRS_Editor, #zoom, …); when none
holds the report, take the smallest element holding the report's tables and
section headings. Text (both rendered HTML and text files): blank out lines
that are navigation, print/close buttons, counters and footers.
"""

from __future__ import annotations

import re

from lxml import etree

from .normalize import clean_line
from .sections import heading_of

# Body containers seen on government portals, most specific first.
BODY_SELECTORS = [
    ("class", "TRS_Editor"), ("class", "TRS_UEDITOR"), ("class", "Custom_UnionStyle"),
    ("id", "zoom"), ("id", "UCAP-CONTENT"), ("class", "pages_content"),
    ("class", "article_content"), ("id", "ivs_content"),
]
_MIN_BODY_TEXT = 200

_SKIPPED_TAGS = {"script", "style", "noscript", "template", "iframe", "select", "button",
                 "textarea", "head", "title", "object", "svg", "input", "option"}
_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
               "section", "article", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "hr",
               "center", "form", "header", "footer", "nav", "caption", "tbody", "thead", "body"}

_CHROME_LINE = re.compile(
    r"打印本页|关闭窗口|【打印】|【关闭】|返回顶部|分享到|字号\s*[:：]|【[大中小]】|\[[大中小]\]|当前位置|您的位置|"
    r"网站标识码|ICP备|公网安备|主办单位|承办单位|版权所有|技术支持|扫一扫|点击数|点击率|浏览次数|"
    r"^简体$|^繁體$|^上一篇|^下一篇|^相关(文章|链接|阅读)|^(打印|关闭|收藏|返回)$"
)
_META_LINE = re.compile(r"^(发布时间|发布日期|发文日期|时间|日期|文章来源|信息来源|来源|作者)\s*[:：]")
_MAX_CHROME_LINE = 120


def find_body(doc, report_tables: list):
    """The element holding the report; ``report_tables`` are tables already known to be report tables."""
    for attribute, value in BODY_SELECTORS:
        matches = [el for el in _by_attribute(doc, attribute, value) if _text_length(el) >= _MIN_BODY_TEXT]
        if matches:
            best = max(matches, key=_text_length)
            if all(_contains(best, table) for table in report_tables):
                return best
    anchors = list(report_tables) + _heading_elements(doc)
    if anchors:
        return _common_ancestor(anchors)
    body = doc.find("body")
    return body if body is not None else doc


def render_text(element) -> str:
    """Text of an element with block elements on their own lines and table cells tab-separated."""
    parts: list[str] = []
    walker = etree.iterwalk(element, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else None
        if event == "start":
            if tag is None or tag.lower() in _SKIPPED_TAGS:
                walker.skip_subtree()
                if el is not element and el.tail:
                    parts.append(el.tail)
                continue
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if el.text:
                parts.append(el.text)
        else:
            if tag is None or tag.lower() in _SKIPPED_TAGS:
                continue
            if tag in ("td", "th"):
                parts.append("\t")
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
            if el is not element and el.tail:
                parts.append(el.tail)
    return "".join(parts)


def text_lines(text: str) -> list[str]:
    """Lines with runs of spaces collapsed (tabs kept: they separate cells)."""
    return [re.sub(r"[ \r\f\v]+", " ", line).strip(" ") for line in text.split("\n")]


def blank_chrome_lines(lines: list[str]) -> list[str]:
    """Chrome lines become empty strings, so line numbers stay those of the input."""
    return ["" if is_chrome(line) else line for line in lines]


def is_chrome(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_CHROME_LINE:
        return False
    stripped = clean_line(stripped)  # 發布日期 → 发布日期
    return bool(_CHROME_LINE.search(stripped) or _META_LINE.match(stripped))


def drop_lines_before(lines: list[str], index: int | None) -> list[str]:
    """Blank the navigation above the report title (text files carry the site menu)."""
    if not index:
        return lines
    return [""] * index + lines[index:]


def _by_attribute(doc, attribute: str, value: str):
    if attribute == "id":
        return doc.xpath("//*[@id=$v]", v=value)
    return doc.xpath("//*[contains(concat(' ', normalize-space(@class), ' '), $v)]", v=f" {value} ")


def _text_length(el) -> int:
    return len("".join(el.itertext()).strip())


def _contains(ancestor, el) -> bool:
    while el is not None:
        if el is ancestor:
            return True
        el = el.getparent()
    return False


_HEADING_WORDS = ("总体情况", "主动公开", "申请情况", "行政诉讼", "主要问题", "其他需要报告")


def _heading_elements(doc) -> list:
    """Elements whose text is a section heading (the heading may be split over spans)."""
    query = " or ".join(f"contains(., '{word}')" for word in _HEADING_WORDS)
    found = []
    for text in doc.xpath(f"//body//text()[{query}]"):
        el = text.getparent()
        for _ in range(3):  # climb out of <span>/<strong> wrappers
            if el is None:
                break
            content = el.text_content().strip()
            if len(content) > 100:
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

