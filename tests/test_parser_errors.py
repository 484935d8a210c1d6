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


def test_a_page_longer_than_any_report_page_is_refused_before_parsing(monkeypatch):
    """A parse costs ~20 bytes of memory a character: a page of more than MAX_PAGE_CHARS
    (8 million) is refused, saying so, instead of taking gigabytes."""
    from parsers import report

    page = ("<html><body><h1>2024年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>二、主动公开政府信息情况</p>"
            + "<p>正文</p>" * 300 + "</body></html>")
    parse_report(page.encode())
    monkeypatch.setattr(report, "MAX_PAGE_CHARS", 2_000)
    with pytest.raises(ParseError, match=r"^a page of 0\.0 million characters, more than a report page holds"):
        parse_report(page.encode())


def test_images_inlined_as_data_uris_are_elided_not_parsed():
    """Word-exported pages may carry their images inline, megabytes of base64 that hold no
    report text: shortened before parsing, they cost nothing and change nothing."""
    import base64
    import os
    from pathlib import Path

    from parsers.report import elide_inline_data

    page = (Path(__file__).parent / "data" / "corpus" / "pingtan_2020_report_page.html").read_bytes()
    image = base64.b64encode(os.urandom(3_000_000)).decode()
    with_image = page.replace(b"</body>", f'<p><img src="data:image/png;base64,{image}"></p></body>'.encode(), 1)
    assert parse_report(with_image).to_dict(include_cells=True) == parse_report(page).to_dict(include_cells=True)
    assert elide_inline_data(f'<img src="data:image/png;base64,{image}">') == \
        '<img src="data:image/png;base64,…(4,000,000 characters)">'
    assert elide_inline_data('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">') == \
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'  # a small one is kept as it is
