"""Tell a 政府信息公开工作年度报告 from the other items in the same listing columns.

Listing columns mix the report with 政府网站工作年度报表 (website statistics),
政务公开工作要点 (work plans), 重点领域信息公开 and other annual reports.
Reasons are short stable strings: they are stored in the ``skipped`` table.

One function for the crawler (which listing items to follow) and the parser (which line of
a page is its title): titles in traditional characters are read through ``label_key``
(OpenCC's t2s, normalize.py), which also reads the wording 政府资讯公开 (資訊公開) as the
mainland's 政府信息公开 (``normalize.mainland_wording``); a mainland 政务资讯 column stays
what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import label_key

REPORT = "information disclosure annual report"
WEBSITE_STATISTICS = "website annual statistics (政府网站工作年度报表)"
WORK_PLAN = "work plan (工作要点)"
OTHER_ANNUAL_REPORT = "other annual report (not information disclosure)"
NOT_ANNUAL_REPORT = "not an annual report"
NO_YEAR = "report without a year"
KEY_AREAS = "key-area disclosure (重点领域信息公开)"
ABOUT_REPORT = "about a report, not the report (通知/解读)"

_WEBSITE = re.compile(r"(政府)?网站(工作)?年度报表|网站年度报表|网站工作报表|政务新媒体.*报表")
_WORK_PLAN = re.compile(r"工作要点|工作计划|实施方案|任务分工")
_DISCLOSURE = re.compile(r"政府?信息公开|政务公开")
_ANNUAL_REPORT = re.compile(r"年报|年.{0,16}报告")
_KEY_AREAS = re.compile(r"重点领域")
_ABOUT_REPORT = re.compile(r"通知|格式|解读|图解|答记者问|征求意见")
_CHINESE_YEAR = re.compile(r"([〇零一二三四五六七八九○Ｏ0?]{4})年")
_DIGITS = str.maketrans("〇零一二三四五六七八九○Ｏ", "0012345678900")


@dataclass(frozen=True)
class Recognition:
    is_report: bool
    year: int | None
    reason: str


def classify_listing_title(title: str | None) -> Recognition:
    """Is this listing title an information-disclosure annual report (in either script), and
    for which year?"""
    key = label_key(title or "")
    year = title_year(key)
    if _WEBSITE.search(key):
        return Recognition(False, year, WEBSITE_STATISTICS)
    if _WORK_PLAN.search(key):
        return Recognition(False, year, WORK_PLAN)
    if not _ANNUAL_REPORT.search(key):
        return Recognition(False, year, NOT_ANNUAL_REPORT)
    if _ABOUT_REPORT.search(key):
        return Recognition(False, year, ABOUT_REPORT)
    if _KEY_AREAS.search(key):
        return Recognition(False, year, KEY_AREAS)
    if not _DISCLOSURE.search(key):
        return Recognition(False, year, OTHER_ANNUAL_REPORT)
    if year is None:
        return Recognition(False, None, NO_YEAR)
    return Recognition(True, year, REPORT)


def title_year(key: str) -> int | None:
    """The report year a title names: 2023年 / 2023年度 / 二〇二三年 (the first one)."""
    match = re.search(r"((?:19|20)\d{2})\s*年", key) or re.search(r"((?:19|20)\d{2})(?=政府|政务|信息|度|工作)", key)
    if match:
        return int(match.group(1))
    match = _CHINESE_YEAR.search(key)
    if match:
        digits = match.group(1).translate(_DIGITS)
        if digits.isdigit() and 1990 <= int(digits) <= 2100:
            return int(digits)
    return None
