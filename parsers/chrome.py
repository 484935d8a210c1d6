"""Separate the report from the portal around it.

HTML: find the body container the CMS uses (TRS_Editor, #zoom, …); when none
holds the report, take the smallest element holding the report's tables and
section headings. Text (both rendered HTML and text files): blank out lines
that are navigation, print/close buttons, counters and footers.
"""

from __future__ import annotations

import re

from lxml import etree

from .normalize import clean_line, clean_lines
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
_SPACE_RUN = re.compile(r"[ \r\f\v]+")
_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath normalize-space() treats as space

# XPath string(): all text under an element, as lxml.html's text_content() gives it.
text_content = etree.XPath("string()")


def find_body(doc, report_tables: list):
    """The element holding the report; ``report_tables`` are tables already known to be report tables."""
    containers = _body_containers(doc)
    for selector in BODY_SELECTORS:
        sized = [(el, _text_length(el)) for el in containers[selector]]
        sized = [(el, length) for el, length in sized if length >= _MIN_BODY_TEXT]
        if sized:
            best = max(sized, key=lambda pair: pair[1])[0]
            if all(_contains(best, table) for table in report_tables):
                return best
    anchors = list(report_tables) + _heading_elements(doc)
    if anchors:
        return _common_ancestor(anchors)
    body = doc.find("body")
    return body if body is not None else doc


def render_text(element) -> str:
    """Text of an element with block elements on their own lines and table cells tab-separated."""
    return render_texts(element, None)[0]


def render_texts(element, part) -> tuple[str, str | None]:
    """``render_text`` of ``element`` and, from the same walk, of ``part`` inside it.

    Rendering the page once serves both the page and its report body. ``part``
    renders the same in place as alone (its own tail is left out); None when the
    walk never renders it (outside ``element``, or inside a skipped subtree).
    """
    parts: list[str] = []
    part_start = part_end = None
    # Comments and processing instructions have no start/end events, only their own;
    # their tails are text (Word pages put <!--[if …]--> in mid-sentence).
    walker = etree.iterwalk(element, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event in ("comment", "pi"):
            if el.tail:
                parts.append(el.tail)
            continue
        tag = el.tag if isinstance(el.tag, str) else None
        if event == "start":
            if tag is None or tag.lower() in _SKIPPED_TAGS:
                walker.skip_subtree()
                if el is not element and el.tail:
                    parts.append(el.tail)
                continue
            if el is part:
                part_start = len(parts)
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
            if el is part:
                part_end = len(parts)
            if el is not element and el.tail:
                parts.append(el.tail)
    part_text = "".join(parts[part_start:part_end]) if part_end is not None else None
    return "".join(parts), part_text


def text_lines(text: str) -> list[str]:
    """Lines with runs of spaces collapsed (tabs kept: they separate cells)."""
    # One substitution over the whole text: the runs never contain a newline.
    return [line.strip(" ") for line in _SPACE_RUN.sub(" ", text).split("\n")]


def blank_chrome_lines(lines: list[str]) -> list[str]:
    """Chrome lines become empty strings, so line numbers stay those of the input."""
    stripped = [line.strip() for line in lines]
    candidates = [text for text in stripped if _may_be_chrome(text)]
    cleaned = dict(zip(candidates, clean_lines(candidates)))  # one OpenCC call for the page
    return ["" if text in cleaned and _is_chrome_text(cleaned[text]) else line
            for line, text in zip(lines, stripped)]


def is_chrome(line: str) -> bool:
    stripped = line.strip()
    if not _may_be_chrome(stripped):
        return False
    return _is_chrome_text(clean_line(stripped))  # 發布日期 → 发布日期


def _may_be_chrome(stripped: str) -> bool:
    return bool(stripped) and len(stripped) <= _MAX_CHROME_LINE


def _is_chrome_text(cleaned: str) -> bool:
    return bool(_CHROME_LINE.search(cleaned) or _META_LINE.match(cleaned))


def drop_lines_before(lines: list[str], index: int | None) -> list[str]:
    """Blank the navigation above the report title (text files carry the site menu)."""
    if not index:
        return lines
    return [""] * index + lines[index:]


def _body_containers(doc) -> dict[tuple[str, str], list]:
    """The elements each of ``BODY_SELECTORS`` matches, in document order.

    One walk over the tree instead of an XPath query per selector (each query
    walks the whole tree). A class matches as a whole token of the attribute,
    as in ``contains(concat(' ', normalize-space(@class), ' '), ' value ')``.
    """
    found: dict[tuple[str, str], list] = {selector: [] for selector in BODY_SELECTORS}
    for el in doc.iter(etree.Element):
        element_id = el.get("id")
        if element_id is not None and ("id", element_id) in found:
            found[("id", element_id)].append(el)
        classes = el.get("class")
        if classes:
            for token in dict.fromkeys(_XML_SPACE.split(classes)):
                if ("class", token) in found:
                    found[("class", token)].append(el)
    return found


def _text_length(el) -> int:
    return len(text_content(el).strip())


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
            content = text_content(el).strip()
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

