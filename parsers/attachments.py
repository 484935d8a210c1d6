"""Links to attached documents in the report body (the report may live only there)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from .html_text import text_content

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".ofd", ".zip")
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
        url = urljoin(base_url, href) if base_url else href
        if url in seen:
            continue
        seen.add(url)
        title = _SPACES.sub(" ", text).strip() or title_attribute or _filename(href)
        found.append({"url": url, "title": title})
    return found


def is_attachment(href: str) -> bool:
    """Does the link lead to a document file (by its path, or a file named in its query)?
    The crawler asks it too, of the links it follows (crawler/flavours/common.py)."""
    try:
        parts = urlsplit(href)
    except ValueError:  # "http://[endif]/a.pdf", "http://[x/a.pdf": a bracketed host that is no IP address
        return False  # no URL anyone could fetch
    if parts.path.lower().endswith(ATTACHMENT_EXTENSIONS):
        return True
    # Hanweb: /module/download/downfile.jsp?classid=0&filename=<hex>.pdf; PDF viewers: ?file=...
    for values in parse_qs(parts.query).values():
        if any(v.lower().split("?")[0].endswith(ATTACHMENT_EXTENSIONS) for v in values):
            return True
    return False



def _filename(href: str) -> str:
    return urlsplit(href).path.rsplit("/", 1)[-1]
