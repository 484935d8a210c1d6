"""Record every exchange (robots.txt, listings, reports, attachments) in the archive.

Sits at priority 900, where ``HttpCacheMiddleware`` sits: its ``process_response``
runs before ``HttpCompressionMiddleware`` (590) decodes the body, so what is stored
is the body exactly as received, still content-encoded.

Revisits: a 304 answering a conditional request (``nianbao_validated_from``, set by
the conditional middleware) is stored as a revisit of the snapshot it validated; a
200 whose body the archive already holds for that URL is stored as a revisit too.
Either way the body is not stored again and meta ``nianbao_unchanged`` tells the
pipeline not to parse it again. A page the conditional middleware answered from the
archive without asking (``nianbao_not_asked``: its recheck interval) is no exchange:
nothing is stored for it.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from archive.snapshots import store_not_modified, store_snapshot
from parsers import ParseError, decode_http_body, detect_encoding

from ..crawl_archive import crawl_archive
from . import CrawlerMiddleware

logger = logging.getLogger(__name__)

# Bodies of these types are text whose encoding we detect and store with the snapshot.
TEXT_TYPES = ("text/", "html", "xml", "json", "javascript")


def header_pairs(headers) -> list[list[str]]:
    """Scrapy ``Headers`` as [name, value] pairs, one pair per value."""
    return [
        [name.decode("latin-1"), value.decode("latin-1")]
        for name, values in headers.items()
        for value in values
    ]


def request_header_pairs(request) -> list[list[str]]:
    """The request's headers as sent: Twisted adds Host, so we note it too."""
    pairs = header_pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in pairs):
        pairs.insert(0, ["Host", urlsplit(request.url).netloc])
    return pairs


def server_address(request, response) -> str | None:
    """The address of the server that answered (WARC-IP-Address), as Scrapy's download handler
    saw the connection's peer; None when it did not, or when the request went through a proxy
    (http_proxy): the peer was then the proxy, and its address is not the server's."""
    if response.ip_address is None or request.meta.get("proxy"):
        return None
    return str(response.ip_address)


def guess_text_encoding(body: bytes, content_type: str | None, content_encoding: str | None,
                        limit: int = 64 * 1024 * 1024):
    """(encoding, how it was decided) for a text body; (None, None) otherwise. A body that
    inflates past ``limit`` (DOWNLOAD_MAXSIZE) is not inflated: HttpCompressionMiddleware
    refuses it next."""
    if content_type and not any(t in content_type.lower() for t in TEXT_TYPES):
        return None, None
    try:
        guess = detect_encoding(decode_http_body(body, content_encoding, max_size=limit), content_type)
    except ParseError as exc:
        return None, f"undecodable: {exc}"
    return guess.encoding, guess.source


class SnapshotMiddleware(CrawlerMiddleware):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.stats = crawler.stats

    def process_response(self, request, response):
        archive = crawl_archive(self.crawler)
        kind = request.meta.get("nianbao_kind")
        if kind is None and urlsplit(request.url).path == "/robots.txt":
            kind = "robots"
        not_asked = request.meta.get("nianbao_not_asked")
        if not_asked is not None:  # the archived answer, the server not asked (conditional.py)
            self._remember(request, archive.db, not_asked)
            return response
        validated_from = request.meta.get("nianbao_validated_from")
        if response.status == 304 and validated_from is not None:
            snapshot_id = store_not_modified(
                archive.db, revisit_of=validated_from, run_id=archive.run_id, url=response.url,
                method=request.method, request_headers=request_header_pairs(request),
                status=response.status, response_headers=header_pairs(response.headers), kind=kind,
                ip_address=server_address(request, response),
            )
            self._remember(request, archive.db, snapshot_id)
            self.stats.inc_value("nianbao/snapshots_stored")
            self.stats.inc_value("nianbao/snapshots_not_modified")
            return response
        response_headers = header_pairs(response.headers)
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        content_encoding = response.headers.get("Content-Encoding", b"").decode("latin-1") or None
        limit = request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        encoding, encoding_source = guess_text_encoding(response.body, content_type, content_encoding, limit)
        snapshot_id = store_snapshot(
            archive.db,
            run_id=archive.run_id,
            url=response.url,
            method=request.method,
            request_headers=request_header_pairs(request),
            request_body=request.body,
            status=response.status,
            response_headers=response_headers,
            body=response.body,
            encoding=encoding,
            encoding_source=encoding_source,
            kind=kind,
            ip_address=server_address(request, response),
        )
        unchanged = self._remember(request, archive.db, snapshot_id)
        self.stats.inc_value("nianbao/snapshots_stored")
        self.stats.inc_value("nianbao/bytes_received", len(response.body))  # as the run's summary counts them
        if unchanged:
            self.stats.inc_value("nianbao/snapshots_unchanged")
        else:
            self.stats.inc_value("nianbao/bytes_stored", len(response.body))
        return response

    @staticmethod
    def _remember(request, db, snapshot_id) -> bool:
        """Tell the rest of the crawl which snapshot this is; return whether it is a revisit."""
        encoding, revisit_of = db.execute(
            "select encoding, revisit_of from snapshots where id = ?", [snapshot_id]
        ).fetchone()
        request.meta["nianbao_snapshot_id"] = snapshot_id
        request.meta["nianbao_encoding"] = encoding  # the spider decodes with it
        if revisit_of is not None:
            request.meta["nianbao_unchanged"] = True
        return revisit_of is not None

    def process_exception(self, request, exception):
        # Counted here; recorded in `errors` by the spider's errback once retries are
        # exhausted, so a failure that a retry cures leaves no error row.
        self.stats.inc_value(f"nianbao/fetch_error/{type(exception).__name__}")
        return None
