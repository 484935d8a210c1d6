"""Title, agency, report year, publication date and source of a report.

Standard meta tags (``ArticleTitle``, ``PubDate``, ``ContentSource``) win when
present and non-empty; otherwise the page's own lines (``发布时间：``,
``来源：``, the title heading) are read. The agency is the publishing body as
the report names itself, so the same body gets the same name every year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import clean_line, clean_lines, lines_holding, mainland_wording, simplify_lines, tidy_lines
from .recognize import classify_listing_title, title_year
from .sections import heading_of

_SPACES = re.compile(r"\s+")
_TITLE_LABEL = re.compile(r"^(?:标题|题名|文章标题|名称)[:：]")
_TITLE_SEARCH_LINES = 40
_HEAD_LINES = 2 * _TITLE_SEARCH_LINES  # where the title, the agency and the year are looked for
# Only lines with 时间, 日期, 来源 or 发布机构 are read on the whole page (_published, _source):
# they hold 间, 期, 源 or 构, or what OpenCC turns into them (間, 構).
PAGE_FIELD_CHARS = re.compile("[间間期源构構]")
# A report title holds 年, 报 and 公开 (see recognize.py), in simplified characters or
# in what OpenCC turns into them (報 開, U+F98E, U+2F857, U+2F9EE): a cheap test before
# the candidate is normalised and classified.
_TITLE_CHARS = [re.compile(chars) for chars in ("[年\uf98e]", "[报報\U0002f857]", "[开開\U0002f9ee]")]

_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
_PUBLISHED = [
    re.compile(r"(?:发布时间|发布日期|发文日期|公开日期|生成日期)\s*[:：]?\s*" + _DATE),
    re.compile(r"(?:时间|日期)\s*[:：]\s*" + _DATE),
]
# A date printed as a line of its own: under the title, often in brackets ("(2026年1月23日)"),
# or as the signature at the end, also in Chinese numerals (二○一二年二月二十日).
_DATE_LINE = re.compile(r"^\(?(\d{4})年(\d{1,2})月(\d{1,2})日\)?$")
_CHINESE_DATE_LINE = re.compile(r"^\(?([〇零○O0一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日\)?$")
_CHINESE_DIGITS = str.maketrans("〇零○O0一二三四五六七八九", "0000012345678" + "9")
_SIGNATURE_LINES = 5  # the date closes the report, after the agency's name
_SOURCE = re.compile(r"(?:文章来源|信息来源|稿件来源|来源|发布机构)\s*[:：]\s*([^\s:：|【\[]+)(.?)")

# <agency><year>年(度)…报告 and <year>年(度)<agency>政府信息公开… (in mainland wording:
# 政府资讯公开 reads 政府信息公开, ``normalize.mainland_wording``)
_AGENCY_FIRST = re.compile(r"^(?P<agency>.+?)(?:关于)?(?:19|20)\d{2}年度?(?!以来)")
_YEAR_FIRST = re.compile(r"^(?:19|20)\d{2}年度?(?P<agency>.+?)(?:政府信息公开|政务公开|信息公开)")
# The opening sentence: "2024年,城中区人民政府深入贯彻…"
_OPENING = re.compile(r"^(?:19|20)\d{2}年度?(?:以来)?[,，、]?(?P<rest>.{2,40})")
_VERBS = re.compile(
    r"深入|认真|严格|坚持|全面|紧紧|始终|持续|进一步|积极|按照|根据|围绕|高度|扎实|着力|聚焦|不断|切实|继续|"
    r"贯彻|落实|在|以|把|将|紧扣|立足|牢固|准确|主动|加强|大力|聚力|结合|严"
)
_BODY_SUFFIX = re.compile(r"(政府|办公室|办公厅|办事处|局|委员会|委|办|中心|院|厅|部|署|会|市|区|县|镇|乡|街道|州|省|所|站|队|旗|盟)$")


@dataclass(frozen=True)
class Metadata:
    title: str | None
    agency: str | None
    year: int | None
    published: str | None
    source: str | None


def read_metadata(meta: dict[str, str], page_lines: list[str], body_lines: list[str], html_title: str | None,
                  simplified_body: list[str] | None = None) -> Metadata:
    """``page_lines``: the page's lines, chrome included, for 发布时间/来源 (those holding
    ``PAGE_FIELD_CHARS`` are enough); ``body_lines``: the report's lines with text, blank
    ones left out (``simplified_body``: the same in simplified characters, when the reader
    made them)."""
    if simplified_body is None:
        simplified_body = simplify_lines(body_lines)
    fields = [page_lines[index] for index in lines_holding(PAGE_FIELD_CHARS, page_lines)]
    page = clean_lines(list(filter(str.strip, fields)))
    body = tidy_lines(_head_and_end(simplified_body))
    titles = _title_lines(meta, body, html_title)
    title = titles[0] if titles else None
    year = title_year(title) if title else None
    if year is None:
        year = _first_year(body)
    source = _clean(meta.get("ContentSource")) or _source(page)
    agency = _agency(titles) or _agency_from_opening(body) or source
    published = _date(meta.get("PubDate") or "") or _published(page) or _printed_date(body)
    return Metadata(title, agency, year, published, source)


def _head_and_end(lines: list[str]) -> list[str]:
    """The lines metadata reads: the head and the end (where the signature and date are)."""
    if len(lines) > _HEAD_LINES + _SIGNATURE_LINES:
        return lines[:_HEAD_LINES] + lines[-_SIGNATURE_LINES:]
    return lines


def _title_lines(meta: dict[str, str], body: list[str], html_title: str | None) -> list[str]:
    """Report-title candidates, best first: ArticleTitle, heading lines, then <title> parts."""
    candidates = [meta.get("ArticleTitle") or ""]
    head = body[:_TITLE_SEARCH_LINES]
    candidates += [line for line in head if len(line) <= 80]
    # Titles broken over two lines (PDF text): "2024年上海市科委政府信息公开工作" + "年度报告"
    candidates += [a + b for a, b in zip(head, head[1:]) if len(a) + len(b) <= 60]
    candidates += re.split(r"[_|｜]| - ", html_title or "")
    titles = []
    for candidate in candidates:
        if "公" not in candidate or not all(chars.search(candidate) for chars in _TITLE_CHARS):
            continue
        title = _TITLE_LABEL.sub("", _SPACES.sub("", clean_line(candidate)))
        if title and classify_listing_title(title).is_report and title not in titles:
            titles.append(title)
    return titles


def _agency(titles: list[str]) -> str | None:
    worded = [(title, mainland_wording(title)) for title in titles]
    for pattern in (_AGENCY_FIRST, _YEAR_FIRST):
        for title, mainland in worded:
            match = pattern.match(mainland)
            # The agency as the title prints it: the wording keeps each phrase's length.
            agency = title[match.start("agency"):match.end("agency")] if match else None
            if agency and _plausible_agency(agency):
                return agency
    return None


def _agency_from_opening(body: list[str]) -> str | None:
    for line in body[:_HEAD_LINES]:
        match = _OPENING.match(line)
        if not match:
            continue
        rest = match.group("rest")
        verb = _VERBS.search(rest)
        agency = rest[: verb.start()] if verb else ""
        if _plausible_agency(agency):
            return agency
    return None


def _plausible_agency(name: str) -> bool:
    return 2 <= len(name) <= 40 and bool(_BODY_SUFFIX.search(name)) and not re.search(r"[,，。;；:：]", name)


def _first_year(body: list[str]) -> int | None:
    for line in body[:_HEAD_LINES]:
        match = re.search(r"((?:19|20)\d{2})年", line)
        if match:
            return int(match.group(1))
    return None


def _published(page: list[str]) -> str | None:
    page = [line for line in page if "时间" in line or "日期" in line]  # both patterns need one
    for pattern in _PUBLISHED:
        for line in page:
            match = pattern.search(line)
            if match:
                date = _ymd(*match.groups())
                if date:
                    return date
    return None


def _printed_date(body: list[str]) -> str | None:
    """The date under the title (before the first section) or signing the report."""
    head = []
    for line in body[:_TITLE_SEARCH_LINES]:
        if heading_of(line):
            break
        head.append(line)
    for line in head + body[-_SIGNATURE_LINES:][::-1]:
        date = _date_line(line)
        if date:
            return date
    return None


def _date_line(line: str) -> str | None:
    compact = _SPACES.sub("", line)
    if not compact.endswith(("日", "日)")):
        return None
    match = _DATE_LINE.match(compact)
    if match:
        return _ymd(*match.groups())
    match = _CHINESE_DATE_LINE.match(compact)
    if match:
        year, month, day = match.groups()
        return _ymd(year.translate(_CHINESE_DIGITS), str(_chinese_number(month)), str(_chinese_number(day)))
    return None


def _chinese_number(text: str) -> int:
    """一 … 三十一: a month or a day in Chinese numerals (0 when it is not one)."""
    digits = text.translate(_CHINESE_DIGITS)
    if "十" not in digits:
        return int(digits) if len(digits) == 1 else 0
    tens, _, ones = digits.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return 0
    return int(tens or 1) * 10 + int(ones or 0)


def _source(page: list[str]) -> str | None:
    for line in page:
        if "来源" not in line and "发布机构" not in line:  # what _SOURCE needs (fast test)
            continue
        match = _SOURCE.search(line)
        if match and match.group(2) not in (":", "："):  # "来源:作者:" is an empty field
            return match.group(1)
    return None


def _date(text: str) -> str | None:
    match = re.search(_DATE, text)
    return _ymd(*match.groups()) if match else None


def _ymd(year: str, month: str, day: str) -> str | None:
    y, m, d = int(year), int(month), int(day)
    if 1990 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


def _clean(value: str | None) -> str | None:
    value = clean_line(value or "")
    return value or None
