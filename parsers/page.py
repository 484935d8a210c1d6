"""What the readers (HTML, text, documents) hand to ``parse_report``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .rows import RawTable


@dataclass
class Page:
    meta: dict[str, str]          # standard meta tags (ArticleTitle, PubDate, ContentSource)
    page_lines: list[str]         # the page's lines, chrome included (发布时间/来源 live there);
                                  # HTML pages keep only those that may hold them
    body_lines: list[str]         # the report itself, chrome blanked out
    raw_tables: dict[str, list[RawTable]]  # by canonical table name
    # body_lines in simplified characters (normalize.simplify_lines), made once by the reader
    # for all that reads the body by meaning: chrome, text tables, metadata, the report's text.
    simplified_body_lines: list[str] = field(repr=False)
    html_title: str | None = None
    attachments: list[dict] = field(default_factory=list)
    # HTML only: finds the element holding the report, looked at again only when a table
    # is missing (is there an image where it should be? see images.py).
    find_body_element: Callable[[], object] | None = field(default=None, repr=False)
    # What the reader could not read, for the report's problems (a document cut short).
    problems: list[dict] = field(default_factory=list)

    @property
    def body_element(self):
        return self.find_body_element() if self.find_body_element is not None else None
