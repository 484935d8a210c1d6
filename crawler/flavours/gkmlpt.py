"""Guangdong's gkmlpt (政府信息公开目录平台): a script shell, a JSON list API, JSON report bodies.

- The column page ``/gkmlpt/index`` holds no items, only ``window._CONFIG = {SID:'755031',
  TREE:[{id:2580, name:'政府信息公开年报', …}]}``; the category is the start URL's fragment
  (``/gkmlpt/index#2580``) or, without one, the tree node named like a report column. A site
  may need several (``#2580`` 政府信息公开年报, ``#2581`` 部门信息公开年报), and two sites (two
  bodies) may each name their own category of one shell: the spider asks for the shell once
  and hands this adapter every fragment the start URLs gave (``common.start_fragments``); each
  category's API pages are then crawled for the site that named it (``common.FOR_FRAGMENT``).
- Items: ``GET /gkmlpt/api/all/<category>?page=N&sid=<SID>`` (1-based) answers
  ``{"articles": [{id, title, url, publisher, display_publish_time, attachment}], "total": N}``.
- A report page ``…/content/…/post_<id>.html`` carries its body only inside the inline
  JSON ``DETAIL:{…"content":"\\u003Cp\\u003E…"}``. The archive keeps the page as received;
  the HTML the parser reads is rebuilt from it when the stored page is parsed, live and on
  reparse alike (archive/snapshot_parse.py ``parse_snapshot``, parsers/embedded_body.py). This
  adapter reads the attachments from the same JSON.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin, urlsplit

from parsers.embedded_body import attachment_list, detail, publish_date
from parsers.normalize import label_key

from ..listing import ListingItem, link_url
from .common import FOR_FRAGMENT, listing_request, start_fragments

NAME = "gkmlpt"

_SID = re.compile(r"""\bSID\s*:\s*['"]?(\w+)""")
_TREE_NODE = re.compile(r"""\bid\s*:\s*['"]?(\d+)['"]?\s*,\s*name\s*:\s*['"]([^'"]*)['"]""")
_REPORT_COLUMN = re.compile(r"年报|年度报告")  # in a column name's label_key (年報 is 年报)


def detect(url: str, text: str) -> bool:
    return "/gkmlpt/" in url or "window._CONFIG" in text


def _is_api(url: str) -> bool:
    return "/gkmlpt/api/" in urlsplit(url).path


def category_of(fragment: str, text: str) -> str | None:
    """The category a start URL's fragment names: its number, else the shell's report column."""
    if fragment.isdigit():
        return fragment
    for node_id, name in _TREE_NODE.findall(text):
        if _REPORT_COLUMN.search(label_key(name)):
            return node_id
    return None


def api_url(base_url: str, category: str, sid: str, page: int) -> str:
    return urljoin(base_url, f"/gkmlpt/api/all/{category}?page={page}&sid={sid}")


def _answer(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def listing_items(response, text: str):
    if not _is_api(response.url):
        return []  # the shell page lists nothing
    items = []
    for article in _answer(text).get("articles") or ():
        if isinstance(article, dict) and article.get("url"):
            items.append(ListingItem(
                url=link_url(response.url, article["url"]),
                title=" ".join(str(article.get("title") or "").split()),
                date=publish_date(article.get("display_publish_time")),
            ))
    return items


def listing_requests(response, text: str, max_pages: int):
    url = response.request.url if response.request is not None else response.url
    if not _is_api(url):
        sid = _SID.search(text)
        if not sid:
            return []
        # Each category once, for the fragment that named it first: "#2580" and no fragment
        # (the tree's report column) may be one. The spider makes each for that fragment's site.
        categories = {}
        for fragment in start_fragments(response):
            categories.setdefault(category_of(fragment, text), fragment)
        return [listing_request(api_url(url, category, sid.group(1), 1), meta={FOR_FRAGMENT: fragment})
                for category, fragment in categories.items() if category]
    query = dict(p.split("=", 1) for p in urlsplit(url).query.split("&") if "=" in p)
    if query.get("page") != "1":
        return []  # page 1 asks for all the others
    answer = _answer(text)
    per_page = len(answer.get("articles") or ())
    total = answer.get("total")
    if not per_page or not isinstance(total, int):
        return []
    last = min(-(-total // per_page), max_pages)
    category = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return [listing_request(api_url(url, category, query.get("sid", ""), n)) for n in range(2, last + 1)]


def attachments(response, text: str):
    record = detail(text) or {}
    return [ListingItem(url=link_url(response.url, a["url"]), title=str(a["name"]), date=None)
            for a in attachment_list(record)]
