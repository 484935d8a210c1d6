"""``parse_report``: bytes of a report page or text file in, a ``Report`` out.

Pure: no file or network I/O, so a reparse from the archive and a live crawl
run the same code. Each input form (HTML, text, a PDF/DOCX/XLS(X) attachment)
is read into a ``Page`` holding raw tables of labelled rows; ``_report`` then maps
them to canonical keys and checks them, whatever the form.
"""

from __future__ import annotations

import re
from itertools import compress
from dataclasses import dataclass, field

from . import national_format as fmt
from .checks import Check, failing_rules, narrative_checks, run_checks
from .content_coding import decode_http_body
from .documents import DOCUMENT_TEXT, read_document
from .encoding import read_body
from .errors import ParseError
from .html_page import read_html_page
from .images import sections_with_images
from .indicators import INDICATORS, map_indicators
from .layout import detect_layout, layout_from_text
from .metadata import read_metadata
from .narrative import find_claims
from .normalize import mainland_wording, simplified_text
from .sections import find_headings
from .sniff import binary_kind, looks_binary_text, looks_like_html
from .table_mapping import MappedTable, map_active_disclosure, map_applications, map_reviews
from .text_page import read_text_page

# A report page is 30-330 KB (150,000 characters at most). Parsing costs ~20 bytes of memory
# a character (a 60 MB page of 41 million took 810 MB): past 8 million (~160 MB), after
# inline images are elided, a page is refused.
MAX_PAGE_CHARS = 8_000_000
_INLINE_DATA = re.compile(r"(data:[\w.+-]+/[\w.+-]+;base64,)([A-Za-z0-9+/=\s]{1000,})")


@dataclass
class Report:
    title: str | None
    agency: str | None
    year: int | None
    published: str | None
    source: str | None
    layout: str | None
    active_disclosure: dict | None
    applications: dict | None
    reviews_litigation: dict | None
    checks: list[Check]
    failing_rules: list[str] | None
    problems: list[dict]
    encoding: str
    encoding_source: str
    text_form: str
    attachments: list[dict]
    cells: list[dict] = field(default_factory=list, repr=False)
    text: str = field(default="", repr=False)  # report text without chrome, for full-text search
    encoding_note: str | None = None
    indicators: list[dict] | None = None  # a pre-2019 统计表's rows (indicator, unit, this_year, cumulative)

    def to_dict(self, include_cells: bool = False) -> dict:
        data = {
            "title": self.title, "agency": self.agency, "year": self.year,
            "published": self.published, "source": self.source, "layout": self.layout,
            "active_disclosure": self.active_disclosure, "applications": self.applications,
            "reviews_litigation": self.reviews_litigation, "indicators": self.indicators,
            "checks": [c.to_dict() for c in self.checks],
            "failing_rules": self.failing_rules, "problems": self.problems,
            "encoding": self.encoding, "encoding_source": self.encoding_source,
            "text_form": self.text_form, "attachments": self.attachments,
        }
        if include_cells:
            data["cells"] = self.cells
        return data


def parse_report(data: bytes, *, url: str | None = None, content_type: str | None = None,
                 content_encoding: str | None = None) -> Report:
    """Parse a report page (any encoding, possibly still content-encoded) or a text file."""
    body = decode_http_body(data, content_encoding)
    if not body.strip():
        raise ParseError("empty input")
    kind = binary_kind(body)
    if kind == "gzip" and not content_encoding:  # archived body whose header was lost
        body = decode_http_body(body, "gzip")
        kind = binary_kind(body)
    if kind:  # an attachment: PDF, DOCX, XLS(X) are read; other formats raise a ParseError naming them
        document = read_document(body, url)
        if document is None:  # binary, but no document format: NUL bytes, a gzip body still encoded
            raise ParseError(f"binary input ({kind}), not a text or HTML page")
        page, text_form = document
        return _report(page, text_form, DOCUMENT_TEXT)
    decoded = read_body(body, content_type)  # detect and decode in one pass over the bytes
    guess, text = decoded.guess, decoded.text
    if looks_binary_text(text):
        raise ParseError("binary input (undecodable bytes), not a text or HTML page")
    utf8 = decoded.utf8  # the bytes as received, when they are UTF-8 (libxml2 reads them directly)
    if "base64," in text:  # images inlined as data: URIs, megabytes that hold no report text
        elided = elide_inline_data(text)
        if len(elided) != len(text):
            text, utf8 = elided, None
    if len(text) > MAX_PAGE_CHARS:
        raise ParseError(f"a page of {len(text) / 1e6:.1f} million characters, more than a report page "
                         f"holds (at most {MAX_PAGE_CHARS // 1_000_000} million)")

    if looks_like_html(text, content_type):
        page = read_html_page(text, url, utf8=utf8)
        text_form = "html"
    else:
        page = read_text_page(text)
        text_form = "text"
    return _report(page, text_form, guess)


def _report(page, text_form: str, guess) -> Report:
    """Metadata, tables and checks of a page, whatever form it arrived in."""
    filled = list(map(str.strip, page.body_lines))  # which lines hold text
    body = list(compress(page.body_lines, filled))
    simplified_body = list(compress(page.simplified_body_lines, filled))
    meta = read_metadata(page.meta, page.page_lines, body, page.html_title, simplified_body)
    headings = find_headings(page.body_lines)
    body_text = "\n".join(body)
    # What phrases are looked for in (and the report's text), from the lines the reader simplified.
    simplified = simplified_text(body_text, simplified_body)
    if not _is_report(page, meta.title, headings, simplified):
        limits = "; ".join(p["detail"] for p in page.problems if p["kind"] == "document_limit")
        raise ParseError("not a report: no 政府信息公开 annual-report title, section headings or tables"
                         + (f" in what was read ({limits})" if limits else ""))

    first_guess = layout_from_text(body_text, meta.year) or "2021"
    active = map_active_disclosure(page.raw_tables.get(fmt.ACTIVE_DISCLOSURE, []), first_guess)
    applications = map_applications(page.raw_tables.get(fmt.APPLICATIONS, []))
    reviews = map_reviews(page.raw_tables.get(fmt.REVIEWS_LITIGATION, []))
    indicators = map_indicators(page.raw_tables.get(INDICATORS, []))
    layout = detect_layout(active.layout_votes, applications.layout_votes, body_text, meta.year)

    mapped = {fmt.ACTIVE_DISCLOSURE: active, fmt.APPLICATIONS: applications, fmt.REVIEWS_LITIGATION: reviews}
    values = {name: (m.values or None) for name, m in mapped.items()}
    checks = run_checks(values[fmt.APPLICATIONS], values[fmt.REVIEWS_LITIGATION])
    checks += narrative_checks(find_claims(simplified), values[fmt.APPLICATIONS], values[fmt.REVIEWS_LITIGATION])
    has_tables = any(v is not None for v in values.values())

    return Report(
        title=meta.title, agency=meta.agency, year=meta.year, published=meta.published,
        source=meta.source, layout=layout,
        active_disclosure=values[fmt.ACTIVE_DISCLOSURE], applications=values[fmt.APPLICATIONS],
        reviews_litigation=values[fmt.REVIEWS_LITIGATION],
        checks=checks, failing_rules=failing_rules(checks) if has_tables else None,
        problems=page.problems + _problems(mapped, {h.section for h in headings}, layout, page) + indicators.problems,
        indicators=indicators.rows or None,
        encoding=guess.encoding, encoding_source=guess.source, encoding_note=guess.note,
        text_form=text_form, attachments=page.attachments,
        cells=[c for m in mapped.values() for c in m.cells] + indicators.cells, text=simplified,
    )


def elide_inline_data(text: str) -> str:
    """``data:image/png;base64,iVBOR…`` runs of more than 1,000 characters shortened to
    ``data:image/png;base64,…(N characters)``: what an image was, without its bytes."""
    return _INLINE_DATA.sub(lambda m: f"{m.group(1)}…({len(m.group(2)):,} characters)", text)


def _is_report(page, title: str | None, headings: list, simplified: str) -> bool:
    """Tables or headings of the format, or a report title backed by report content
    (``simplified``: the body's text in simplified characters, 政府資訊公開條例 as 政府资讯公开条例).

    A title alone is not enough: listing pages are full of report titles.
    """
    if page.raw_tables or len(headings) >= 2:
        return True
    return bool(title) and bool(headings or page.attachments or "政府信息公开条例" in mainland_wording(simplified))


def _problems(mapped: dict[str, MappedTable], sections: set[str], layout: str | None, page) -> list[dict]:
    """What could not be read. A missing table says why when the page shows it: pictures in
    its section (tables_as_images), or only a link to the report file (attachment_only)."""
    problems = []
    absent = [name for name, table in mapped.items()
              if not table.values and layout != "pre2019"
              and not any(p["kind"] == "glued_digits" for p in table.problems)]  # present, but glued
    if absent and len(absent) == len(mapped) and page.attachments and len(sections) < 2:
        files = ", ".join(a["url"] for a in page.attachments)
        problems.append({"kind": "attachment_only", "table": None,
                         "detail": f"the page only links the report file: {files}"})
        absent = []
    images = sections_with_images(page.body_element) if absent else {}
    for name, table in mapped.items():
        if name in images:
            problems.append({"kind": "tables_as_images", "table": name,
                             "detail": "image(s) where the table should be: " + ", ".join(images[name])})
        elif name in absent:
            detail = ("heading present but no table: it may be an image or an attachment"
                      if name in sections else "no table and no heading for it")
            problems.append({"kind": "tables_missing", "table": name, "detail": detail})
        problems.extend(table.problems)
    missing = _missing_rows(mapped, layout)
    for name, rows in missing.items():
        problems.append({"kind": "rows_missing", "table": name, "detail": ", ".join(rows)})
    return problems


def _missing_rows(mapped: dict[str, MappedTable], layout: str | None) -> dict[str, list[str]]:
    """Rows the format has but the page's table lacks (partial extraction, misread labels)."""
    missing = {}
    apps = mapped[fmt.APPLICATIONS].values
    if apps:
        rows = [r for r in fmt.APPLICATION_REQUIRED_ROWS if r not in apps]
        if not any(r == "other" or r.startswith("other_") for r in apps):
            rows.append("other")
        elif any(row in apps for row in fmt.OTHER_ITEM_ROWS):  # (六) printed as its items: all three, not some
            rows += [r for r in fmt.OTHER_ITEM_ROWS if r not in apps]
        if rows:
            missing[fmt.APPLICATIONS] = rows
    active = mapped[fmt.ACTIVE_DISCLOSURE].values
    if active and layout in fmt.ACTIVE_DEFAULT_COLUMNS:
        rows = [r for r in fmt.ACTIVE_DEFAULT_COLUMNS[layout] if r not in active]
        if rows:
            missing[fmt.ACTIVE_DISCLOSURE] = rows
    return missing
