"""Title, agency, report year, publication date and source of a report.

Standard meta tags (``ArticleTitle``, ``PubDate``, ``ContentSource``) win when
present and non-empty; otherwise the page's own lines (``发布时间：``,
``来源：``, the title heading) are read. The agency is the publishing body as
the report names itself, so the same body gets the same name every year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import clean_line, clean_lines
from .recognize import classify_listing_title, title_year

_SPACES = re.compile(r"\s+")
_TITLE_LABEL = re.compile(r"^(?:标题|题名|文章标题|名称)[:：]")
_TITLE_SEARCH_LINES = 40

_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
_PUBLISHED = [
    re.compile(r"(?:发布时间|发布日期|发文日期|公开日期|生成日期)\s*[:：]?\s*" + _DATE),
    re.compile(r"(?:时间|日期)\s*[:：]\s*" + _DATE),
]
_SOURCE = re.compile(r"(?:文章来源|信息来源|稿件来源|来源|发布机构)\s*[:：]\s*([^\s:：|【\[]+)(.?)")

# <agency><year>年(度)…报告 and <year>年(度)<agency>政府信息公开…
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


def read_metadata(meta: dict[str, str], page_lines: list[str], body_lines: list[str], html_title: str | None) -> Metadata:
    """``page_lines``: the whole page (chrome included, for 发布时间/来源); ``body_lines``: the report."""
    page = clean_lines([line for line in page_lines if line.strip()])
    body = clean_lines([line for line in body_lines if line.strip()])
    titles = _title_lines(meta, body, html_title)
    title = titles[0] if titles else None
    year = title_year(title) if title else None
    if year is None:
        year = _first_year(body)
    source = _clean(meta.get("ContentSource")) or _source(page)
    agency = _agency(titles) or _agency_from_opening(body) or source
    published = _date(meta.get("PubDate") or "") or _published(page)
    return Metadata(title, agency, year, published, source)


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
        title = _TITLE_LABEL.sub("", _SPACES.sub("", clean_line(candidate)))
        if title and classify_listing_title(title).is_report and title not in titles:
            titles.append(title)
    return titles


def _agency(titles: list[str]) -> str | None:
    for pattern in (_AGENCY_FIRST, _YEAR_FIRST):
        for title in titles:
            match = pattern.match(title)
            if match and _plausible_agency(match.group("agency")):
                return match.group("agency")
    return None


def _agency_from_opening(body: list[str]) -> str | None:
    for line in body[:_TITLE_SEARCH_LINES * 2]:
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
    for line in body[:_TITLE_SEARCH_LINES * 2]:
        match = re.search(r"((?:19|20)\d{2})年", line)
        if match:
            return int(match.group(1))
    return None


def _published(page: list[str]) -> str | None:
    for pattern in _PUBLISHED:
        for line in page:
            match = pattern.search(line)
            if match:
                date = _ymd(*match.groups())
                if date:
                    return date
    return None


def _source(page: list[str]) -> str | None:
    for line in page:
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
