"""Ask for listing pages, report pages and attachments conditionally; answer a 304 from the archive.

A page is fetched every night but changes rarely. When the archive holds a 200
of the same URL, the request carries that answer's validators (``If-None-Match`` from
its ETag, ``If-Modified-Since`` from its Last-Modified). A ``304 Not Modified`` is
archived by the snapshot middleware as a revisit of that snapshot; this middleware
then hands the spider the archived 200 instead (meta ``nianbao_unchanged``), so the
spider sees a normal page and the pipeline knows not to parse it again.

Listing pages are conditional too, except the column's start pages: a listing that
answers 304 is walked from its archived body like a fresh one, so its items and its
further pages are all visited (and a later page that changed answers 200). The start
pages (meta ``nianbao_column_start``) are always fetched in full: that is where a new
report shows first, and one page per column a night is cheap insurance against a server
whose validators say "not modified" about a page that changed.

An archived answer whose body is damaged (``archive.snapshots.DamagedBody``) is never handed
on: the page is asked for again in full, and the intact body received puts the archive's
copy right (``payloads.store_payload``).

A file cancelled for its size has no snapshot: it is asked for with the validators its
cancelled answer carried (``oversize_files``), and a 304 ends as the same error as
before, saying the file is unchanged, without a byte of it downloaded again.

With a recheck interval (``NIANBAO_RECHECK_AFTER_DAYS``, ``nianbao crawl --recheck-after``),
a report page or attachment whose server was asked less than that long ago is not asked
again: the run goes on with the archived 200 as if the server had answered 304, and records
the page in ``not_asked`` (the snapshot middleware stores nothing for it). Reports are
rarely changed once published; a site of thousands of them need not be asked for each one
every night. Listing pages are always asked: that is where new reports appear.

Priority 800: its ``process_request`` runs before the snapshot middleware (900)
records the request, and its ``process_response`` after the snapshot middleware
stored the 304 but before ``HttpCompressionMiddleware`` (590) decodes the archived
body, which is kept as received (still content-encoded).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from archive.oversize import known_oversize, unchanged_message
from archive.snapshots import DamagedBody, last_asked, newest_fetch, read_snapshot, record_not_asked

from ..crawl_archive import crawl_archive
from ..settings import NIANBAO_CONDITIONAL_REQUESTS, NIANBAO_RECHECK_AFTER_DAYS
from . import CrawlerMiddleware
from .oversize import DownloadTooLarge

logger = logging.getLogger(__name__)

CONDITIONAL_KINDS = ("listing", "report", "attachment")
ASK_IN_FULL = "nianbao_ask_in_full"  # meta: no validators, no archived answer (its body is damaged)
RECHECKED_KINDS = ("report", "attachment")  # what a recheck interval may leave unasked


class ConditionalRequestMiddleware(CrawlerMiddleware):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.stats = crawler.stats
        days = crawler.settings.getfloat("NIANBAO_RECHECK_AFTER_DAYS", NIANBAO_RECHECK_AFTER_DAYS)
        self.recheck_after = timedelta(days=days) if days > 0 else None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NIANBAO_CONDITIONAL_REQUESTS", NIANBAO_CONDITIONAL_REQUESTS):
            raise NotConfigured
        return cls(crawler)

    def process_request(self, request):
        if request.method != "GET" or request.meta.get("nianbao_kind") not in CONDITIONAL_KINDS:
            return None
        if request.meta.get("nianbao_column_start") or request.meta.get(ASK_IN_FULL):
            return None  # always read in full (see above)
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None  # the caller chose its own validators
        db = crawl_archive(self.crawler).db
        previous = newest_fetch(db, request.url)
        if previous is None:
            return self._ask_for_oversize_file(db, request)
        if self.recheck_after is not None and request.meta.get("nianbao_kind") in RECHECKED_KINDS:
            asked = last_asked(db, request.url)
            if asked is not None and _age(asked) < self.recheck_after:
                return self._answer_from_archive(db, request, previous.id, asked)
        etag, last_modified = previous.header("ETag"), previous.header("Last-Modified")
        if not (etag or last_modified):
            return None  # no validators: an unchanged body is still recognised by its digest
        if etag:
            request.headers["If-None-Match"] = etag
        if last_modified:
            request.headers["If-Modified-Since"] = last_modified
        request.meta["nianbao_validated_from"] = previous.id
        self.stats.inc_value("nianbao/conditional/requests")
        return None

    def _answer_from_archive(self, db, request, snapshot_id: int, asked: str):
        try:
            response = archived_response(db, snapshot_id, request)
        except DamagedBody as exc:
            return self._ask_in_full(request, exc)
        archive = crawl_archive(self.crawler)
        record_not_asked(db, run_id=archive.run_id, url=request.url, kind=request.meta.get("nianbao_kind"),
                         snapshot_id=snapshot_id, last_asked=asked)
        request.meta["nianbao_not_asked"] = snapshot_id  # the snapshot middleware stores nothing
        request.meta["nianbao_unchanged"] = True
        self.stats.inc_value("nianbao/conditional/not_asked")
        return response

    def _ask_in_full(self, request, exc: DamagedBody):
        """The archived answer's body is damaged: ask for the page again without validators,
        so the server sends the body (and the archive takes the intact copy back)."""
        logger.warning("%s; asking for %s again in full", exc, request.url)
        self.stats.inc_value("nianbao/conditional/damaged")
        headers = {k: v for k, v in request.headers.items() if k not in (b"If-None-Match", b"If-Modified-Since")}
        meta = {k: v for k, v in request.meta.items() if k not in ("nianbao_validated_from", "nianbao_unchanged")}
        return request.replace(headers=headers, meta={**meta, ASK_IN_FULL: True}, dont_filter=True)

    def _ask_for_oversize_file(self, db, request) -> None:
        known = known_oversize(db, request.url, self._size_limit(request))
        if known is None:
            return None
        if known.etag:
            request.headers["If-None-Match"] = known.etag
        if known.last_modified:
            request.headers["If-Modified-Since"] = known.last_modified
        request.meta["nianbao_oversize"] = known
        self.stats.inc_value("nianbao/conditional/requests")
        return None

    def _size_limit(self, request) -> int:
        return request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_response(self, request, response):
        known = request.meta.get("nianbao_oversize")
        if known is not None and response.status == 304:
            self.stats.inc_value("nianbao/conditional/not_modified")
            self.stats.inc_value("nianbao/oversize")
            raise DownloadTooLarge(unchanged_message(known, self._size_limit(request)))
        validated_from = request.meta.get("nianbao_validated_from")
        if response.status != 304 or validated_from is None:
            return response
        self.stats.inc_value("nianbao/conditional/not_modified")
        try:
            archived = archived_response(crawl_archive(self.crawler).db, validated_from, request)
        except DamagedBody as exc:
            return self._ask_in_full(request, exc)
        request.meta["nianbao_unchanged"] = True
        return archived


def _age(fetched_at: str) -> timedelta:
    when = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    return datetime.now(timezone.utc) - (when if when.tzinfo else when.replace(tzinfo=timezone.utc))


def archived_response(db, snapshot_id: int, request):
    """The archived 200 as a fresh response: its headers and its body as received."""
    snapshot = read_snapshot(db, snapshot_id)
    headers = Headers()
    for name, value in snapshot.response_headers:
        headers.appendlist(name, value)
    cls = responsetypes.from_args(headers=headers, url=snapshot.url, body=snapshot.body)
    return cls(
        url=request.url, status=snapshot.status, headers=headers, body=snapshot.body,
        request=request, flags=["archived"],
    )
