"""Parsers for 政府信息公开工作年度报告: bytes in, a ``Report`` out. Pure: no I/O,
no Scrapy, so a live crawl and a reparse of the archive run the same code.

Reading a page, in order:
- content_coding.py  undo gzip/deflate/br (archived bodies are stored as received)
- sniff.py           binary, HTML or plain text?
- encoding.py        detect_encoding: BOM, header, <meta>, detection; GB2312/GBK as gb18030
- chrome.py          find the report body, drop navigation, breadcrumbs, 打印本页, footers
- page_walk.py       one libxslt pass over an HTML page: its text, leaf tables, body candidates, links
- html_page.py / text_page.py / page.py   the two readers and what they hand over
- documents.py       attachments read into the same Page: PDF, DOCX, XLSX, XLS; other formats refused by name
- document_kind.py   which document a binary is (DOCX/XLSX/OFD inside a ZIP, DOC/XLS/WPS inside OLE, images)
- document_content.py / pdf_document.py / word_document.py / spreadsheet.py   the document readers
                     (pdfplumber, python-docx, openpyxl, xlrd) and the lines and cell grids they hand over
- html_tables.py     TableGrid: rowspan/colspan expanded into a grid
- text_tables.py     the text forms (one cell per line, tabs, pipes, markdown, PDF lines)
- flattened_text.py  crawler text with a whole report on one line: cut at headings, rows found by printed labels
- rows.py            the shared intermediate: labels followed by value cells
- sections.py        the report's section headings (一、总体情况 …)
- national_format.py the canonical keys and the labels that mean them
- table_mapping.py   rows -> canonical keys for tables 二, 三, 四, each cell with its location
- row_alignment.py   anchor-and-fill: table 三 value rows that lost their labels, placed only when certain
- glued_digits.py    a run of glued digits split only where the row's own sum (R4/R5) admits one split
- indicators.py      the pre-2019 统计表 as indicator rows (indicator, unit, this year, cumulative)
- cells.py           number, zero, empty, not applicable, text (a blank is never 0)
- normalize.py       traditional -> simplified, pinyin annotations, full-width, ? noise
- layout.py          2021, 2019 trial or pre-2019
- metadata.py        title, agency, year, published, source
- attachments.py     links to PDF/DOC/… in the body
- narrative.py       numbers the prose states (共收到申请N件), for the soft rule R8
- images.py          images where a missing table should be (tables_as_images)
- checks.py          consistency rules R1, R3, R4, R5 (hard) and R8 (soft, warn)
- report.py          Report and parse_report, which ties the above together
- recognize.py       classify_listing_title: is a listing item a report?
"""

from .content_coding import decode_http_body
from .encoding import EncodingGuess, detect_encoding
from .errors import ParseError, UnreadableFormat
from .recognize import Recognition, classify_listing_title
from .report import Report, parse_report

# Bump when parsing changes the output, so archived snapshots can be reparsed.
PARSER_VERSION = "6"  # 2: text after HTML comments is kept; 3: attachments (PDF, DOCX, XLS(X)),
# glued digits, unlabelled rows placed by order, pre-2019 indicators, R8, tables_as_images / attachment_only;
# 4: a PDF or DOCX past what a report holds (characters, ruling-line crossings, cells) read so far: document_limit;
# base64 data: images elided from pages, pages over 8 million characters refused;
# 5: an amount in another unit than its column holds (元 under amount_10k_yuan, 万元 under amount)
# noted as amount_unit; 6: mark characters written as references (&#xF8F5;) no longer make cells,
# a table 二 row is not read under a header naming columns it lacks, a (六) item row lost beside the
# others is rows_missing, an HTML page libxml2 read short says so (document_limit), XLSX past
# openpyxl's bounds (nesting, merged cells) refused, links with unsplittable URLs and headings after
# comments no longer raise; a text row of more values than its columns is not placed (cells_unplaced; no cell of it recorded, no cell_missing);
# an integer past a float's range is text; PDF text drawn again in place (fake bold) is read once;
# text in a grid's value column (约5 first in table 四's row) is a text cell in that column, not a label

__all__ = [
    "PARSER_VERSION", "EncodingGuess", "ParseError", "Recognition", "Report", "UnreadableFormat",
    "classify_listing_title", "decode_http_body", "detect_encoding", "parse_report",
]
