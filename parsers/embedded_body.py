"""Report bodies a page carries inside a script instead of its HTML.

Guangdong's gkmlpt (政府信息公开目录平台) serves a report page as a script shell: the body is
only in the inline JSON ``DETAIL:{…"content":"\\u003Cp\\u003E…"}``. The archive keeps the
page as received; ``extracted_report_body`` rebuilds the HTML the parser reads from it, the
same way in a live crawl and a reparse of the archive (both parse the stored page through
archive/snapshot_parse.py ``parse_snapshot``). A pure function of the page's text, so a reparse
needs nothing of the crawler (nor Scrapy); the gkmlpt flavour reads a page's attachments
from the same JSON (``detail``, ``attachment_list``).
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta, timezone

_DETAIL = re.compile(r"""["']?DETAIL["']?\s*:\s*""")
_BEIJING = timezone(timedelta(hours=8))


def extracted_report_body(text: str) -> str | None:
    """The report HTML embedded in the page ``text`` (None: parse the page as it is)."""
    return gkmlpt_report_body(text)


def may_embed_a_report(body: bytes, encoding: str) -> bool:
    """False when the page's bytes (content-decoded) show it embeds no report, so it need
    not be decoded to ask ``extracted_report_body``: the marker is ASCII, which every
    encoding but UTF-16/32 writes as ASCII bytes."""
    return b"DETAIL" in body or encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32"))


def gkmlpt_report_body(text: str) -> str | None:
    """The report page rebuilt from gkmlpt's ``DETAIL`` (None when there is none)."""
    if "DETAIL" not in text:
        return None
    record = detail(text)
    if not record or not isinstance(record.get("content"), str):
        return None
    title = html.escape(str(record.get("title") or ""))
    published = publish_date(record.get("display_publish_time") or record.get("date")) or ""
    publisher = html.escape(str(record.get("publisher") or ""))
    links = "".join(
        f'<p><a href="{html.escape(a["url"])}">{html.escape(a["name"])}</a></p>' for a in attachment_list(record)
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        f'<meta name="ArticleTitle" content="{title}">'
        f'<meta name="PubDate" content="{published}">'
        f'<meta name="ContentSource" content="{publisher}">'
        f"</head><body><h1>{title}</h1>"
        f'<div class="article-content">{record["content"]}{links}</div>'
        "</body></html>\n"
    )


def detail(text: str) -> dict | None:
    """The inline ``DETAIL`` object of a gkmlpt report page."""
    for m in _DETAIL.finditer(text):
        try:
            value, _ = json.JSONDecoder().raw_decode(text, m.end())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def attachment_list(record: dict) -> list[dict]:
    """The attachments a gkmlpt record lists: [{"url", "name"}]."""
    found = []
    for entry in record.get("attachment") or record.get("attachments") or ():
        if isinstance(entry, dict) and (entry.get("url") or entry.get("link")):
            found.append({"url": entry.get("url") or entry.get("link"),
                          "name": entry.get("name") or entry.get("title") or ""})
    return found


def publish_date(value) -> str | None:
    """A gkmlpt date: Unix seconds (as Beijing dates) or a string starting YYYY-MM-DD."""
    if isinstance(value, (int, float)) and value > 0:
        return datetime.fromtimestamp(value, _BEIJING).strftime("%Y-%m-%d")
    return str(value)[:10] if value else None
