"""Links to attached documents in the report body (the report may live only there)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from .chrome import text_content

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".ofd", ".zip")
_SPACES = re.compile(r"\s+")


def find_attachments(body, base_url: str | None) -> list[dict]:
    found: list[dict] = []
    seen: set[str] = set()
    for anchor in body.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        if not _is_attachment(href):
            continue
        url = urljoin(base_url, href) if base_url else href
        if url in seen:
            continue
        seen.add(url)
        title = _SPACES.sub(" ", text_content(anchor)).strip() or anchor.get("title") or _filename(href)
        found.append({"url": url, "title": title})
    return found


def _is_attachment(href: str) -> bool:
    parts = urlsplit(href)
    if parts.path.lower().endswith(ATTACHMENT_EXTENSIONS):
        return True
    # Hanweb: /module/download/downfile.jsp?classid=0&filename=<hex>.pdf; PDF viewers: ?file=...
    for values in parse_qs(parts.query).values():
        if any(v.lower().split("?")[0].endswith(ATTACHMENT_EXTENSIONS) for v in values):
            return True
    return False


def _filename(href: str) -> str:
    return urlsplit(href).path.rsplit("/", 1)[-1]
