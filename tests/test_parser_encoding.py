"""Encodings as Chinese portals serve them: GBK declared GB2312, lying headers, BOMs."""

import gzip
import zlib

import pytest

from parsers import ParseError, decode_http_body, detect_encoding, parse_report

REPORT_HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>朱镕基区2023年政府信息公开工作年度报告</title></head><body>
<div class="TRS_Editor"><p>朱镕基区2023年政府信息公开工作年度报告</p>
<p>一、总体情况</p><p>2023年，朱镕基区人民政府认真贯彻《中华人民共和国政府信息公开条例》。</p>
<p>二、主动公开政府信息情况</p>
<table><tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>0</td><td>0</td><td>3</td></tr>
<tr><td>行政规范性文件</td><td>5</td><td>1</td><td>堃</td></tr></table>
<p>五、存在的主要问题及改进情况</p></div></body></html>"""


def page(charset):
    return REPORT_HTML.format(charset=charset)


def test_gbk_page_declared_gb2312_without_header_charset():
    data = page("gb2312").encode("gbk")  # 镕 and 堃 are GBK-only: not in GB2312
    guess = detect_encoding(data, "text/html")
    assert (guess.encoding, guess.source) == ("gb18030", "meta")
    report = parse_report(data, content_type="text/html")
    assert report.agency == "朱镕基区"
    assert report.active_disclosure["regulations"] == {"issued": 0, "repealed": 0, "in_force": 3}
    cell = next(c for c in report.cells if c["row"] == "normative_documents" and c["column"] == "in_force")
    assert (cell["text"], cell["kind"], cell["value"]) == ("堃", "text", None)


def test_header_charset_wins_when_it_decodes():
    data = page("gb2312").encode("gbk")
    guess = detect_encoding(data, "text/html; charset=GBK")
    assert (guess.encoding, guess.source) == ("gb18030", "http-header")


def test_lying_header_loses_to_meta():
    data = page("gb2312").encode("gbk")
    guess = detect_encoding(data, "text/html; charset=utf-8")
    assert (guess.encoding, guess.source) == ("gb18030", "meta")
    assert parse_report(data, content_type="text/html; charset=utf-8").agency == "朱镕基区"


def test_utf8_bytes_win_over_gb2312_declarations():
    data = page("gb2312").encode("utf-8")
    guess = detect_encoding(data, "text/html; charset=gb2312")
    assert guess.encoding == "utf-8" and guess.source == "detected" and guess.note
    report = parse_report(data, content_type="text/html; charset=gb2312")
    assert report.agency == "朱镕基区" and report.encoding_source == "detected"


def test_gbk_bytes_with_no_declaration_are_detected():
    data = page("x").replace('<meta http-equiv="Content-Type" content="text/html; charset=x">', "").encode("gbk")
    guess = detect_encoding(data)
    assert (guess.encoding, guess.source) == ("gb18030", "detected")


def test_bom_wins():
    data = b"\xef\xbb\xbf" + page("gb2312").encode("utf-8")
    assert detect_encoding(data, "text/html; charset=gbk").source == "bom"
    report = parse_report(data)
    assert report.encoding == "utf-8" and report.encoding_source == "bom"
    assert report.title == "朱镕基区2023年政府信息公开工作年度报告"


def test_utf16_with_bom():
    data = page("utf-16").encode("utf-16")
    report = parse_report(data)
    assert report.encoding_source == "bom" and report.agency == "朱镕基区"


def test_big5_page():
    text = page("big5").replace("朱镕基区", "臺北市").replace("镕", "")
    import opencc

    data = opencc.OpenCC("s2t").convert(text).encode("big5", errors="ignore")
    report = parse_report(data)
    assert report.encoding == "big5"
    assert report.active_disclosure["regulations"]["in_force"] == 3


@pytest.mark.parametrize("coding,encode", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as many servers send it
    ("identity", lambda b: b),
    (None, lambda b: b),
])
def test_content_encodings(coding, encode):
    body = page("utf-8").encode("utf-8")
    assert decode_http_body(encode(body), coding) == body
    assert parse_report(encode(body), content_encoding=coding).agency == "朱镕基区"


def test_brotli_or_clear_error():
    body = page("utf-8").encode("utf-8")
    try:
        import brotli
    except ImportError:
        with pytest.raises(ParseError):
            decode_http_body(b"\x0b\x02\x80", "br")
        return
    assert decode_http_body(brotli.compress(body), "br") == body


def test_broken_gzip_is_a_parse_error():
    with pytest.raises(ParseError) as info:
        decode_http_body(b"not gzip at all", "gzip")
    assert "\n" not in str(info.value)
    body = page("utf-8").encode("utf-8")
    with pytest.raises(ParseError, match="cut short"):
        decode_http_body(gzip.compress(body)[:-100], "gzip")
    with pytest.raises(ParseError):
        decode_http_body(gzip.compress(body) + b"junk", "gzip")


def test_gzip_members_one_after_another_are_one_body():
    body = page("utf-8").encode("utf-8")
    assert decode_http_body(gzip.compress(body[:500]) + gzip.compress(body[500:]), "gzip") == body
