"""Title, agency and publication date as reports print them (parsers/metadata.py)."""

from __future__ import annotations

import re

import pytest

from parsers import parse_report
from parsers.metadata import PAGE_FIELD_CHARS, _TITLE_CHARS, read_metadata
from parsers.normalize import to_simplified
from parsers.sections import _HEADING_CHARS


def metadata(text: str, page_lines: list[str] | None = None, meta: dict | None = None):
    lines = text.strip("\n").split("\n")
    body = list(filter(str.strip, lines))  # read_metadata reads the lines with text
    return read_metadata(meta or {}, page_lines or lines, body, None)


# ---- the publication date printed in the report itself ----

OCR_HEAD = """\
# 沭阳县人民政府 2025 年 政府信息公开工作年度报告

沭阳县人民政府
{date_line}

依据《中华人民共和国政府信息公开条例》规定，编制本报告。
## 一、总体情况
2025年，我县坚持以群众需求为导向。
"""


@pytest.mark.parametrize("date_line", ["(2026年1月23日)", "（2026年1月23日）", "2026 年 1 月 23 日"])
def test_date_under_the_title_is_the_publication_date(date_line):
    meta = metadata(OCR_HEAD.format(date_line=date_line))
    assert meta.published == "2026-01-23"
    assert meta.agency == "沭阳县人民政府"


@pytest.mark.parametrize("signature, published", [
    ("2026年1月23日", "2026-01-23"),
    ("二○一二年二月二十日", "2012-02-20"),
    ("二〇二一年十二月三十一日", "2021-12-31"),
])
def test_signature_date_at_the_end_is_the_publication_date(signature, published):
    text = OCR_HEAD.format(date_line="") + f"六、其他需要报告的事项\n无。\n沭阳县人民政府\n{signature}\n"
    assert metadata(text).published == published


def test_a_date_inside_a_sentence_is_not_a_publication_date():
    text = OCR_HEAD.format(date_line="统计期限从2025年1月1日至2025年12月31日止。")
    text += "本报告于2026年1月23日公布。\n"
    assert metadata(text).published is None


def test_a_date_that_is_no_date_is_ignored():
    text = OCR_HEAD.format(date_line="(2026年13月23日)") + "二○一二年二十月一日\n"
    assert metadata(text).published is None


def test_meta_tag_and_published_line_win_over_the_printed_date():
    text = OCR_HEAD.format(date_line="(2026年1月23日)")
    assert metadata(text, meta={"PubDate": "2026-01-30 09:00"}).published == "2026-01-30"
    page = ["发布时间：2026-02-01", *text.split("\n")]
    assert metadata(text, page_lines=page).published == "2026-02-01"


def test_text_report_takes_its_signature_date():
    text = OCR_HEAD.format(date_line="") + (
        "## 二、主动公开政府信息情况\n无。\n## 五、存在的主要问题及改进情况\n无。\n"
        "六、其他需要报告的事项\n无。\n\n沭阳县人民政府\n2026年1月23日\n"
    )
    report = parse_report(text.encode("utf-8"))
    assert report.published == "2026-01-23"
    assert report.title == "沭阳县人民政府2025年政府信息公开工作年度报告"


# ---- a title broken over two lines (PDF text) ----

PDF_HEAD = """\
正文
2024 年上海市科委政府信息公开工作
年度报告
根据《中华人民共和国政府信息公开条例》和《上海市政府
信息公开规定》的要求，市科委编制了 2024 年度政务公开工作
报告。
一、总体情况
上海市科委 2024 年深入贯彻《政府信息公开条例》。
"""


def test_title_broken_over_two_lines_is_joined():
    meta = metadata(PDF_HEAD)
    assert meta.title == "2024年上海市科委政府信息公开工作年度报告"
    assert meta.agency == "上海市科委"
    assert meta.year == 2024


# ---- the cheap character tests before normalising a line ----

def _every_cjk_character():
    ranges = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F)]
    return [chr(code) for start, end in ranges for code in range(start, end + 1)]


@pytest.mark.parametrize("targets, tests", [
    ("年报开公", [*_TITLE_CHARS, re.compile("公")]),  # 公 is tested as a plain substring
    ("况述题项", [_HEADING_CHARS]),
    ("间期源构", [PAGE_FIELD_CHARS]),
])
def test_character_tests_know_every_traditional_form(targets, tests):
    """A character OpenCC simplifies into one the test looks for must pass the test too."""
    characters = _every_cjk_character()
    simplified = to_simplified("\n".join(characters)).split("\n")
    assert len(simplified) == len(characters)
    for target in targets:
        test = next(t for t in tests if t.search(target))
        missed = [c for c, s in zip(characters, simplified) if target in s and not test.search(c)]
        assert missed == [], f"{target}: {missed}"


def test_opencc_is_skipped_only_where_it_would_change_nothing():
    """``needs_conversion`` lets text with no traditional character skip OpenCC: exact for
    every character alone, and for the phrases that convert although none of their
    characters does (回覆 → 回复)."""
    from parsers.normalize import _T2S, needs_conversion
    skipped = [c for c in _every_cjk_character() if not needs_conversion(c)]
    converted = _T2S.convert("\n".join(skipped)).split("\n")
    assert [c for c, s in zip(skipped, converted) if c != s] == []
    for phrase, simplified in [("回覆", "回复"), ("沈思", "沉思"), ("瞭解", "了解"), ("藉口", "借口"), ("甦醒", "苏醒")]:
        assert needs_conversion(phrase) and to_simplified(phrase) == simplified
    from parsers.normalize import _PHRASE_ONLY
    listed = _PHRASE_ONLY.pattern.split("|")
    assert [p for p in listed if _T2S.convert(p) == p] == []  # each listed phrase does convert
    assert not needs_conversion("政府信息公开工作年度报告（2024年）")
    assert not needs_conversion("影响力和覆盖面持续扩大，沈阳市")  # 覆 and 沈 alone stay as they are
    assert needs_conversion("政府資訊公開工作年度報告")
