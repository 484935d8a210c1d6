"""Each seed's report page gives the same numbers in every encoding portals use:
UTF-8, GBK and GB18030 (declared gb2312 as real pages do), and Big5/cp950 for the
traditional seed, whose pinyin tone marks Big5 cannot encode (character references)."""

from __future__ import annotations

import re

import pytest

from conftest import get_test_file
from parsers import parse_report
from portal import build_site

TABLES = ("active_disclosure", "applications", "reviews_litigation")
_META_CHARSET = re.compile(rb"charset=[\w-]+", re.I)


def seed_pages():
    site = build_site()
    for path in site.paths("report"):
        resource = site[path]
        charset = "gb18030" if "charset" not in resource.content_type else "utf-8"
        yield resource.seed, resource.body.decode(charset)


def encode_page(html: str, codec: str, declared: str) -> bytes:
    body = html.encode(codec, errors="xmlcharrefreplace")
    return _META_CHARSET.sub(f"charset={declared}".encode("ascii"), body)


def numbers(report) -> dict:
    data = report.to_dict()
    return {t: data[t] for t in TABLES} | {"failing_rules": data["failing_rules"]}


CASES = [
    (seed, html, codec, declared)
    for seed, html in seed_pages()
    for codec, declared in [("utf-8", "utf-8"), ("gbk", "gb2312"), ("gb18030", "gb18030")]
    + ([("cp950", "big5")] if seed.startswith("004") else [])
]


@pytest.mark.parametrize(
    "seed, html, codec, declared", CASES, ids=[f"{c[0][:3]}-{c[2]}" for c in CASES]
)
def test_seed_page_parses_the_same_in_every_encoding(seed, html, codec, declared):
    text_report = parse_report(get_test_file("seeds", f"{seed}.txt").read_bytes())
    page = encode_page(html, codec, declared)
    # No charset in the header: the page's own <meta> must be believed (or the bytes).
    report = parse_report(page, content_type="text/html")
    assert numbers(report) == numbers(text_report)
    assert report.agency == text_report.agency
    assert report.year == text_report.year
