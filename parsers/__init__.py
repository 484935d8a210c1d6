"""Parsers for 政府信息公开工作年度报告: bytes in, a ``Report`` out. Pure: no I/O,
no Scrapy, so a live crawl and a reparse of the archive run the same code.

Reading a page, in order:
- content_coding.py  undo gzip/deflate/br (archived bodies are stored as received)
- sniff.py           binary, HTML or plain text?
- encoding.py        detect_encoding: BOM, header, <meta>, detection; GB2312/GBK as gb18030
- chrome.py          find the report body, drop navigation, breadcrumbs, 打印本页, footers
- html_page.py / text_page.py / page.py   the two readers and what they hand over
- html_tables.py     TableGrid: rowspan/colspan expanded into a grid
- text_tables.py     the text forms (one cell per line, tabs, pipes, markdown, PDF lines)
- rows.py            the shared intermediate: labels followed by value cells
- sections.py        the report's section headings (一、总体情况 …)
- national_format.py the canonical keys and the labels that mean them
- table_mapping.py   rows -> canonical keys for tables 二, 三, 四, each cell with its location
- cells.py           number, zero, empty, not applicable, text (a blank is never 0)
- normalize.py       traditional -> simplified, pinyin annotations, full-width, ? noise
- layout.py          2021, 2019 trial or pre-2019
- metadata.py        title, agency, year, published, source
- attachments.py     links to PDF/DOC/… in the body
- checks.py          consistency rules R1, R3, R4, R5
- report.py          Report and parse_report, which ties the above together
- recognize.py       classify_listing_title: is a listing item a report?
"""

from .content_coding import decode_http_body
from .encoding import EncodingGuess, detect_encoding
from .errors import ParseError
from .recognize import Recognition, classify_listing_title
from .report import Report, parse_report

# Bump when parsing changes the output, so archived snapshots can be reparsed.
PARSER_VERSION = "2"  # 2: text after HTML comments is kept

__all__ = [
    "PARSER_VERSION", "EncodingGuess", "ParseError", "Recognition", "Report",
    "classify_listing_title", "decode_http_body", "detect_encoding", "parse_report",
]
