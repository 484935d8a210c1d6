"""Parsers for 政府信息公开工作年度报告: bytes in, a ``Report`` out. Pure: no I/O,
no Scrapy, so a live crawl and a reparse of the archive run the same code.

Start at report.py: ``parse_report`` takes the steps below in this order. To find why
a cell holds its value, the docstring of table_mapping.py says where each part is decided.

Bytes to text:
- report.py          parse_report, which ties the steps together, and Report
- content_coding.py  undo gzip/deflate/br (archived bodies are stored as received)
- sniff.py           binary, HTML or plain text?
- encoding.py        read_body (detect_encoding): BOM, header, <meta>, detection; GB2312/GBK as gb18030
Text, or a document, to a Page (page.py): the report's lines and raw tables of labelled rows:
- html_page.py       an HTML page, through:
    page_walk.py     one libxslt pass over the tree: its text, leaf tables, body candidates, links
    html_text.py     the text of an element: blocks on lines of their own, cells tab-separated
    chrome.py        which element is the report body; navigation, 打印本页, footers blanked
    attachments.py   links to PDF/DOC/… in the body
- text_page.py       a plain-text page (crawler text, the seed files)
- documents.py       an attachment read into the same Page: PDF, DOCX, XLSX, XLS; other formats refused by name
    document_kind.py which document a binary is (DOCX/XLSX/OFD inside a ZIP, DOC/XLS/WPS inside OLE, images)
    pdf_document.py, word_document.py, spreadsheet.py   the readers (pdfplumber, python-docx, openpyxl,
                     xlrd); pdf_streams.py bounds what a PDF's streams inflate to
    document_content.py  what those readers hand over: lines and cell grids
- html_tables.py     TableGrid: an HTML table or a document's grid, spans expanded, rows split into labels and values
- text_tables.py     the text forms (one cell per line, tabs, pipes, markdown, PDF lines)
    flattened_text.py    crawler text with a whole report on one line: cut at headings, rows found by printed labels
- sections.py        the report's section headings (一、总体情况 …), which locate the tables in text
- rows.py            the shared intermediate: labels followed by value cells
Page to Report (report._report):
- metadata.py        title, agency, year, published, source
- layout.py          2021, 2019 trial or pre-2019
- national_format.py the canonical keys and the labels that mean them (the national format itself)
- table_mapping.py   rows -> canonical keys for tables 二, 三, 四, each cell with its location
    row_alignment.py anchor-and-fill: table 三 value rows that lost their labels, placed only when certain
    glued_digits.py  a run of glued digits split only where the row's own sum (R4/R5) admits one split
    cells.py         number, zero, empty, not applicable, text (a blank is never 0); an entry of Report.cells
- indicators.py      the pre-2019 统计表 as indicator rows (indicator, unit, this year, cumulative)
- checks.py          consistency rules R1, R3, R4, R5 (hard) and R8 (soft, warn)
    narrative.py     numbers the prose states (共收到申请N件), for R8
- images.py          images where a missing table should be (tables_as_images)
Used throughout:
- normalize.py       traditional -> simplified, pinyin annotations, full-width, ? noise, and the
                     wording 資訊公開 as 信息公开: every phrase recognised (titles, headings, 条例,
                     table words, units) is matched on its forms (label_key, to_simplified)
- recognize.py       classify_listing_title: is a listing item (or a page's title line) a report?
                     The crawler's too
- errors.py          ParseError, UnreadableFormat
Before parse_report, by its caller (archive/snapshot_parse.py, for a crawl and a reparse alike):
- embedded_body.py   the report HTML of a page that carries it inside a script (gkmlpt)

Besides ``__all__``, other packages import: recognize (title_year), normalize (label_key:
link titles, pager words and column names in either script), attachments
(is_attachment: the crawler follows the links the parser lists, and records those that are
no URL) and embedded_body from crawler/; embedded_body from archive/snapshot_parse.py; cells and
national_format from archive/corrections.py.
"""

from .content_coding import decode_http_body
from .encoding import EncodingGuess, detect_encoding
from .errors import ParseError, UnreadableFormat
from .recognize import Recognition, classify_listing_title
from .report import Report, parse_report

# Bump when parsing changes the output, so archived snapshots can be reparsed.
PARSER_VERSION = "9"  # 2: text after HTML comments is kept; 3: attachments (PDF, DOCX, XLS(X)),
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
# text in a grid's value column (约5 first in table 四's row) is a text cell in that column, not a label;
# 7: a row's where (its problems, its missing cells) is its own grid row, not the top row of a label
# spanning down into it; a damaged PDF stream's recovered bytes count against the memory limit (document_limit);
# a title with 资讯公开 (資訊公開) is a report's title, as the crawler already read it; traditional text is read
# as simplified everywhere recognition looks (條例 cited, R8 claims, agency, text-form tables, 萬元/個 cells)
# 8: a text form's value cell keeps its text as printed (無, 萬元), as HTML cells did, and so do problems quoting it
# 9: an attachment link whose extension is escaped (%2Epdf) or broken by a newline is an attachment, as a
# browser fetches it; the body element searched for images is the walk's (a <div>), not any element named alike

__all__ = [
    "PARSER_VERSION", "EncodingGuess", "ParseError", "Recognition", "Report", "UnreadableFormat",
    "classify_listing_title", "decode_http_body", "detect_encoding", "parse_report",
]
