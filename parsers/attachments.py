"""Links to attached documents in the report body (the report may live only there)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from .html_text import text_content

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".ofd", ".zip")
# The extensions no other one starts with (".doc" stands for ".docx"): a text holding none
# of them (case aside) names no document by an extension. Checked before reading a link
# (here), a page's links (page_walk) and a whole page (crawler/flavours/common.py).
ATTACHMENT_HINTS = tuple(extension for extension in ATTACHMENT_EXTENSIONS
                         if not any(other != extension and extension.startswith(other)
                                    for other in ATTACHMENT_EXTENSIONS))
ATTACHMENT_HINT = re.compile("|".join(map(re.escape, ATTACHMENT_HINTS)), re.IGNORECASE)
_URL_CONTROLS = str.maketrans("", "", "\t\r\n")  # urllib removes them from a URL before reading it
_SPACES = re.compile(r"\s+")


def find_attachments(body, base_url: str | None) -> list[dict]:
    links = ((anchor.get("href") or "", anchor.get("title") or "", text_content(anchor)) for anchor in body.iter("a"))
    return _attachments(links, base_url)


def attachments_from_links(links: list, base_url: str | None) -> list[dict]:
    """``find_attachments`` over links already read off the page (``page_walk.Link``)."""
    return _attachments(((link.href, link.title, link.text) for link in links), base_url)


def _attachments(links, base_url: str | None) -> list[dict]:
    """(href, title attribute, text) of each link -> the attachments, each once."""
    found: list[dict] = []
    seen: set[str] = set()
    for href, title_attribute, text in links:
        href = href.strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        if not is_attachment(href):
            continue
        url = _address(href, base_url)
        if url is None or url in seen:
            continue
        seen.add(url)
        title = _SPACES.sub(" ", text).strip() or title_attribute or _filename(href)
        found.append({"url": url, "title": title})
    return found


def _address(href: str, base_url: str | None) -> str | None:
    """The link's URL (made absolute against ``base_url``), None when urllib cannot read it
    (``http://[endif]/a.pdf``, ``http://[x/a.pdf``: a bracketed host that is no IP address):
    no URL anyone could fetch, not listed as the report's."""
    try:
        urlsplit(href)
    except ValueError:
        return None
    return urljoin(base_url, href) if base_url else href


def is_attachment(href: str) -> bool:
    """Does the link name a document file, by its path or by a file named in its query?
    Read as written when urllib cannot read it (``http://[endif]/附件.pdf``): whether it
    can be fetched is the caller's question. The parser lists only links it can make URLs of
    (``_address``); the crawler follows the others no more, but records them in ``skipped``
    (crawler/flavours/common.py ``linked_documents``, crawler/spiders/reports.py)."""
    # Most links of a page hold no extension and no percent escape (a query's value may spell
    # one: ``?file=a%2Epdf``): no need to split them. Looked for as urllib reads the link.
    as_read = href.translate(_URL_CONTROLS)
    if "%" not in as_read and not ATTACHMENT_HINT.search(as_read):
        return False
    path, query = _path_and_query(href)
    if path.lower().endswith(ATTACHMENT_EXTENSIONS):
        return True
    # Hanweb: /module/download/downfile.jsp?classid=0&filename=<hex>.pdf; PDF viewers: ?file=...
    for values in parse_qs(query).values():
        if any(v.lower().split("?")[0].endswith(ATTACHMENT_EXTENSIONS) for v in values):
            return True
    return False


def _path_and_query(href: str) -> tuple[str, str]:
    """The link's path and query, as urllib reads them; of a link it cannot read, what
    precedes the query and what follows it, as written."""
    try:
        parts = urlsplit(href)
    except ValueError:
        path, _, query = href.split("#", 1)[0].partition("?")
        return path, query
    return parts.path, parts.query


def _filename(href: str) -> str:
    return urlsplit(href).path.rsplit("/", 1)[-1]
