"""Listing titles: annual reports vs. what shares their columns."""

import pytest

from parsers import classify_listing_title
from parsers.recognize import (
    ABOUT_REPORT, NOT_ANNUAL_REPORT, OTHER_ANNUAL_REPORT, WEBSITE_STATISTICS, WORK_PLAN,
)


@pytest.mark.parametrize("title,year", [
    ("平潭综合实验区2020年度政府信息公开工作年度报告", 2020),
    ("吴川市人民政府办公室2024年度政府信息公开工作报告", 2024),
    ("湛河区轻工路街道办事处 2024 年政府信息公开工作 年度报告", 2024),
    ("2021年江夏區(qū)政府信息公開工作年度報(bào)告", 2021),
    ("江夏區2021年政府信息公開工作年度報告", 2021),
    ("XX县2021年政府信息公开年报", 2021),
    ("二〇二一年XX市政府信息公开工作年度报告", 2021),
    ("ＸＸ市２０２２年政府信息公开工作年度报告", 2022),
])
def test_reports(title, year):
    result = classify_listing_title(title)
    assert result.is_report and result.year == year


@pytest.mark.parametrize("title,reason", [
    ("2024年政府网站工作年度报表", WEBSITE_STATISTICS),
    ("城中区人民政府2023年政府网站工作年度报表", WEBSITE_STATISTICS),
    ("2025年政务公开工作要点", WORK_PLAN),
    ("城中区2024年法治政府建设年度报告", OTHER_ANNUAL_REPORT),
    ("关于印发政府信息公开工作年度报告格式的通知", ABOUT_REPORT),
    ("关于开展植树活动的通知", NOT_ANNUAL_REPORT),
    ("", NOT_ANNUAL_REPORT),
])
def test_non_reports(title, reason):
    result = classify_listing_title(title)
    assert not result.is_report
    assert result.reason == reason


def test_recognition_is_frozen():
    result = classify_listing_title("2024年政务公开工作要点")
    with pytest.raises(AttributeError):
        result.year = 2000


# Traditional-character wording (資訊 for 信息), for the crawler's listings and the parser's
# title lines alike: one function.

@pytest.mark.parametrize("title,year", [
    ("臺北市政府2023年政府資訊公開工作年度報告", 2023),
    ("示范區2024年政府資訊公開工作年度報告", 2024),
    ("2022年度政府資訊公開年報", 2022),
    ("江夏區2021年政府信息公開工作年度報告", 2021),
    ("城中区人民政府2024年政府信息公开工作年度报告", 2024),
    ("示范區 2024 年政府資訊 公開工作年度報告", 2024),  # spaces inside words, as titles have them
])
def test_traditional_titles_are_reports(title, year):
    result = classify_listing_title(title)
    assert result.is_report and result.year == year


@pytest.mark.parametrize("title,reason", [
    ("2024年政府網站工作年度報表", WEBSITE_STATISTICS),
    ("2025年政務公開工作要點", WORK_PLAN),
    ("關於印發政府資訊公開工作年度報告格式的通知", ABOUT_REPORT),
    ("2024年政务资讯工作年度报告", OTHER_ANNUAL_REPORT),  # 资讯 alone is not 信息公开
    (None, NOT_ANNUAL_REPORT),
])
def test_traditional_non_reports_stay_out(title, reason):
    result = classify_listing_title(title)
    assert not result.is_report and result.reason == reason


def test_a_traditional_report_page_is_read_by_its_title():
    """The parser finds the title of a page that says 資訊公開, and with it the report's year
    and agency. (Only the crawler's recognition read 資訊 as 信息 once: the parser found no
    title, and refused this page as no report.)"""
    from parsers import parse_report

    page = ("<html><head><title>示范區2024年政府資訊公開工作年度報告</title></head><body>"
            "<h1>示范區2024年政府資訊公開工作年度報告</h1>"
            "<p>一、總體情況</p><p>2024年，示范區人民政府……</p></body></html>")
    report = parse_report(page.encode("utf-8"), url="http://example.gov.cn/a.html")
    assert (report.title, report.year, report.agency) == ("示范区2024年政府资讯公开工作年度报告", 2024, "示范区")
