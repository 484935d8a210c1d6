"""Hanweb 大汉 jcms: columns at ``/col/col<id>/index.html``, reports at ``/art/Y/M/D/art_<col>_<id>.html``.

The first batch of items sits inside the column page as XML in a script:

    <script type="text/xml"><datastore><nextgroup><![CDATA[<a href="…dataproxy.jsp?page=2…">]]></nextgroup>
      <recordset><record><![CDATA[<li><a href=… title=…>…</a><b>2022-01-20</b></li>]]></record>…

Later batches come from ``dataproxy.jsp`` (its path differs by version:
``/module/web/jpage/``, ``/module/jslib/jquery/jpage/``), answered with the same XML:
- POST ``?startrecord=46&endrecord=90&perpage=15`` with the ``jpage({ajaxParam:{…}})`` fields
  form-encoded and the column page as Referer; a batch is perPage × groupSize records;
- GET ``?page=N&…``, the link given in ``<nextgroup>``, with ``<totalpage>`` when the answer has it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy

from ..listing import LinkAsWritten, extract_listing_items, is_url, link_url
from .common import between, linked_documents, listing_request

NAME = "hanweb"

# A record is what lies between these (common.between: one pass, whatever the answer holds).
_RECORD = (re.compile(r"<record>\s*<!\[CDATA\["), re.compile(r"\]\]>\s*</record>"))
_NEXTGROUP = (re.compile(r"<nextgroup>\s*<!\[CDATA\["), re.compile(r"\]\]>\s*</nextgroup>"))
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""")
_TOTAL_PAGE = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>")
_AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{([^}]*)\}", re.S)
_PAIR = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,\s}]+))""")
_FINGERPRINTS = re.compile(r"<datastore>|\.jpage\s*\(|dataproxy\.jsp|/col/col\d+/|art_\d+_\d+\.html|ZJEG_RSS|hanweb", re.I)


def detect(url: str, text: str) -> bool:
    return bool(_FINGERPRINTS.search(text)) or "/col/col" in url


def _number(settings: str, name: str) -> int | None:
    m = re.search(name + r"""\s*:\s*['"]?(\d+)""", settings)
    return int(m.group(1)) if m else None


def _string(settings: str, name: str) -> str | None:
    m = re.search(name + r"""\s*:\s*['"]([^'"]+)['"]""", settings)
    return m.group(1) if m else None


def _call_settings(text: str) -> str | None:
    """The text of the ``{...}`` passed to ``.jpage(``, braces matched."""
    start = text.find(".jpage(")
    if start < 0:
        return None
    open_at = text.find("{", start)
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[open_at:i + 1]
    return None


def jpage_settings(text: str) -> dict | None:
    """The ``jpage({...})`` call's settings: totalRecord, perPage, groupSize, proxyUrl, ajaxParam."""
    settings = _call_settings(text)
    if settings is None:
        return None
    params = {}
    ajax = _AJAX_PARAM.search(settings)
    if ajax:
        for m in _PAIR.finditer(ajax.group(1)):
            params[m.group(1)] = next(v for v in m.groups()[1:] if v is not None)
    return {
        "total": _number(settings, "totalRecord"),
        "per_page": _number(settings, "perPage") or 15,
        "group_size": _number(settings, "groupSize") or 1,
        "proxy_url": _string(settings, "proxyUrl") or "/module/web/jpage/dataproxy.jsp",
        "ajax_param": params,
    }


def records_html(text: str) -> str:
    """The records of every ``<datastore>`` in the page (or XML answer), joined as HTML."""
    return "\n".join(between(text, *_RECORD))


def listing_items(response, text: str):
    return extract_listing_items(response.url, records_html(text))


def post_batches(response, text: str, max_pages: int) -> list[scrapy.Request]:
    settings = jpage_settings(text)
    if not settings or not settings["total"]:
        return []
    step = settings["per_page"] * settings["group_size"]
    start = sum(1 for _ in between(text, *_RECORD)) + 1
    proxy = link_url(response.url, settings["proxy_url"])
    if not is_url(proxy):
        return [LinkAsWritten(proxy)]  # one row for it, not one per batch
    requests = []
    while start <= settings["total"] and len(requests) < max_pages:
        end = min(start + step - 1, settings["total"])
        query = urlencode({"startrecord": start, "endrecord": end, "perpage": settings["per_page"]})
        requests.append(listing_request(
            f"{proxy}?{query}", scrapy.FormRequest,
            formdata={k: str(v) for k, v in settings["ajax_param"].items()},
            headers={"Referer": response.url},
        ))
        start = end + 1
    return requests


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, str(page) if k == "page" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def get_pages(response, text: str, max_pages: int) -> list[scrapy.Request]:
    """GET batches: the ``<nextgroup>`` link, and every page up to ``<totalpage>`` when given."""
    group = next(between(text, *_NEXTGROUP), None)
    href = _HREF.search(group) if group is not None else None
    if not href or "dataproxy.jsp" not in href.group(1):
        return []
    next_url = link_url(response.url, href.group(1).replace("&amp;", "&"))
    if not is_url(next_url):
        return [LinkAsWritten(next_url)]
    page = dict(parse_qsl(urlsplit(next_url).query)).get("page", "")
    total = _TOTAL_PAGE.search(text)
    if not page.isdigit() or not total:
        return [listing_request(next_url)]
    last = min(int(total.group(1)), max_pages)
    return [listing_request(_with_page(next_url, n)) for n in range(int(page), last + 1)]


def listing_requests(response, text: str, max_pages: int):
    if jpage_settings(text):
        return post_batches(response, text, max_pages)
    if response.request is not None and response.request.method == "POST":
        return []  # a POST batch: the column page has already asked for all of them
    return get_pages(response, text, max_pages)


def attachments(response, text: str):
    # /module/download/downfile.jsp?classid=0&filename=<hex>.pdf is recognised by its filename.
    return linked_documents(response.url, text)
