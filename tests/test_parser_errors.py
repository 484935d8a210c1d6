"""Inputs that are not reports fail with a one-line ParseError, never a traceback."""

import pytest

from parsers import ParseError, parse_report

NOT_A_REPORT = """<html><head><meta charset="utf-8"><title>关于开展2024年春季植树活动的通知</title></head>
<body><div class="TRS_Editor"><p>各单位：为改善生态环境，定于3月12日开展植树活动。</p>
<ul><li><a href="./t1.html">城中区2023年政府信息公开工作年度报告</a></li>
<li><a href="./t2.html">城中区2022年政府信息公开工作年度报告</a></li></ul></div></body></html>"""


@pytest.mark.parametrize("data,words", [
    (b"", "empty"),
    (b"   \n\t  ", "empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "binary"),
    (b"abc\x00\x01\x02def" * 20, "binary"),
    (bytes(range(256)) * 8, "binary"),
    (bytes((i * 7919 + 13) % 256 for i in range(4096)), "binary"),  # deterministic "random" bytes
    (NOT_A_REPORT.encode("utf-8"), "not a report"),
    ("今天天气很好，我们去公园散步。".encode("utf-8"), "not a report"),
])
def test_parse_error_with_one_line_message(data, words):
    with pytest.raises(ParseError) as info:
        parse_report(data)
    message = str(info.value)
    assert words in message
    assert "\n" not in message and message


def test_random_bytes():
    for seed in range(5):
        data = bytes((i * (7919 + seed * 104729) + seed) % 251 for i in range(2048))
        with pytest.raises(ParseError):
            parse_report(data)


def test_parse_error_is_an_exception():
    assert issubclass(ParseError, Exception)
