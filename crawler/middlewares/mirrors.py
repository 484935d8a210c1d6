"""繁體 mirrors are never requested: ``/gate/big5/`` paths and ``big5.`` hosts.

Government sites publish a traditional-character copy through a gateway that converts
pages on the fly (``big5.www.gov.cn/gate/big5/www.gov.cn/...``). It duplicates pages the
crawler reads from the original host, and the gateways are slow and often broken. This
sits first (60, before robots.txt at 100), so not even a robots.txt goes to a mirror host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..drops import MirrorNotCrawled, drop
from . import CrawlerMiddleware

GATE_REASON = "big5 mirror (/gate/big5/ path): not crawled"
HOST_REASON = "big5 mirror host (big5.…): not crawled"


def mirror_reason(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.startswith("big5."):
        return HOST_REASON
    if "/gate/big5/" in parts.path.lower() + "/":
        return GATE_REASON
    return None


class MirrorMiddleware(CrawlerMiddleware):
    def process_request(self, request):
        reason = mirror_reason(request.url)
        if reason is not None:
            drop(self.crawler, request, MirrorNotCrawled, reason)
        return None
