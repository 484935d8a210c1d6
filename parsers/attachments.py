"""Links to attached documents in the report body (the report may live only there)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from .html_text import text_content

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".ofd", ".zip")
# A link names a document by the extension of its path or of a query value, read as a browser
# sends the link and a server reads it: tab, CR and LF dropped (browsers and urllib drop them
# anywhere in a URL: "a.p\ndf" fetches a.pdf) and percent escapes decoded (the server's file
# for "a%2Epdf" is a.pdf). ``is_attachment`` decides; cheaper first looks, each letting every
# such link through: ``may_name_document`` for a link (the page walk asks it in XPath) and
# ``source_may_name_document`` for a whole page's source (crawler/flavours/common.py).
#
# The extensions no other one starts with (".doc" stands for ".docx"): a link holding none
# of them (case aside) and no percent escape names no document.
ATTACHMENT_HINTS = tuple(extension for extension in ATTACHMENT_EXTENSIONS
                         if not any(other != extension and extension.startswith(other)
                                    for other in ATTACHMENT_EXTENSIONS))
ATTACHMENT_HINT = re.compile("|".join(map(re.escape, ATTACHMENT_HINTS)), re.IGNORECASE)
URL_CONTROLS = "\t\r\n"  # browsers and urllib remove them from a URL before reading it
_URL_CONTROLS = str.maketrans("", "", URL_CONTROLS)


def _letters_as_written() -> str:
    """The hints' letters (after the dot) as a page's source may spell them: any of them
    percent-escaped (either case), with tabs, CRs and LFs anywhere."""
    gap = f"[{URL_CONTROLS}]*"
    hints = []
    for hint in ATTACHMENT_HINTS:
        letters = []
        for letter in hint.removeprefix("."):
            escapes = sorted({f"%{ord(case):02x}" for case in (letter.lower(), letter.upper())})
            letters.append("(?:" + "|".join([re.escape(letter)] + [gap.join(escape) for escape in escapes]) + ")")
        hints.append(gap.join(letters))
    return gap + "(?:" + "|".join(hints) + ")"


# Each starts with one character, which the regex engine skips to in C: one pattern starting
# with either was twice as slow (a page's source is some 100 KB).
_HINT_AFTER_DOT = re.compile(r"\." + _letters_as_written(), re.IGNORECASE)
_HINT_AFTER_ESCAPED_DOT = re.compile(f"%[{URL_CONTROLS}]*2[{URL_CONTROLS}]*e" + _letters_as_written(), re.IGNORECASE)


def source_may_name_document(text: str) -> bool:
    """False when no link written in this page source can name a document by an extension
    in any spelling a browser reads as one ("a.p<LF>df", "a%2Epdf", "a.%50DF"). Character
    references ("a&#46;pdf") are the caller's to look for."""
    return _HINT_AFTER_DOT.search(text) is not None or _HINT_AFTER_ESCAPED_DOT.search(text) is not None


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
    # Read as a browser reads it, with no tab, CR or LF: urllib drops them too, but not from a
    # link it cannot read (``http://[endif]/a.p\ndf``).
    as_read = href.translate(_URL_CONTROLS)
    # Most links of a page hold no extension and no percent escape: no need to split them.
    if not _holds_document_hint(as_read):
        return False
    path, query = _path_and_query(as_read)
    if unquote(path).lower().endswith(ATTACHMENT_EXTENSIONS):  # "/2024%2Epdf" is the server's /2024.pdf
        return True
    # Hanweb: /module/download/downfile.jsp?classid=0&filename=<hex>.pdf; PDF viewers: ?file=...
    for values in parse_qs(query).values():
        if any(v.lower().split("?")[0].endswith(ATTACHMENT_EXTENSIONS) for v in values):
            return True
    return False


def may_name_document(href: str) -> bool:
    """False when the link cannot name a document: read as a browser reads it (no tab, CR or
    LF), it holds no extension hint and no percent escape (which may spell one: a%2Epdf)."""
    return _holds_document_hint(href.translate(_URL_CONTROLS))


def _holds_document_hint(as_read: str) -> bool:
    return "%" in as_read or ATTACHMENT_HINT.search(as_read) is not None


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
