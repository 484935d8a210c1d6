"""Which hosts this run has given up on, and the bookkeeping of blocking one.

One ``HostBlocks`` per crawl (``host_blocks(crawler)``), shared by the challenge and
Retry-After middlewares. They judge each answer on Scrapy's ``response_downloaded``
signal, which fires before the host's download slot releases its next request: blocking
there (``mark``) fails every request to the host still waiting in a slot, so nothing
more is sent. Later, in ``process_response``, the snapshot middleware has archived the
deciding answer and ``settle`` writes the ``blocks`` row pointing at it. Requests still
to come are dropped by ``ChallengeMiddleware.process_request``.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from twisted.python.failure import Failure

from archive.blocks import record_block
from archive.skip_reasons import HOST_BLOCKED

from .drops import HostBlocked, drop, host_of, record_dropped, said
from .crawl_archive import crawl_archive

logger = logging.getLogger(__name__)


@dataclass
class Block:
    host: str
    site: str | None
    url: str  # the request whose answer decided it
    reason: str  # one of archive/blocks.py's few sentences
    detail: str | None  # what that answer showed
    snapshot_id: int | None = None  # that answer, once archived
    recorded: bool = False

    @property
    def in_words(self) -> str:
        """Why, in one line: the detail of the host's skipped requests, and the log's."""
        return said(self.reason, self.detail)


# Meta key of a request whose answer blocked its host (value: the reason and the detail).
BLOCKED_BY = "nianbao_blocked_by"


class HostBlocks:
    def __init__(self, crawler):
        self.crawler = crawler
        self.blocked: dict[str, Block] = {}
        self.refusals: Counter[str] = Counter()  # consecutive 403/429 answers per host
        self.sites: dict[str, str] = {}  # host -> registry site, learned from requests

    def note_site(self, request) -> None:
        site = request.meta.get("nianbao_site")
        if site:
            self.sites.setdefault(host_of(request), site)

    def block_of(self, request) -> Block | None:
        return self.blocked.get(host_of(request))

    def mark(self, request, reason: str, detail: str | None) -> Block:
        """Block the request's host for the run (the first reason wins) and fail the
        requests to it waiting in download slots. Call when the answer has arrived."""
        host = host_of(request)
        request.meta[BLOCKED_BY] = (reason, detail)
        if host in self.blocked:
            return self.blocked[host]
        site = request.meta.get("nianbao_site") or self.sites.get(host)
        block = self.blocked[host] = Block(host, site, request.url, reason, detail)
        self.crawler.stats.inc_value("nianbao/hosts_blocked")
        self._fail_queued(host, block)
        return block

    def settle(self, request, response) -> None:
        """For a request whose answer blocked its host: record the block with the archived
        answer as evidence (once per host), then drop the request."""
        blocked_by = request.meta.get(BLOCKED_BY)
        if blocked_by is None:
            return
        block = self.block_of(request) or self.mark(request, *blocked_by)
        if not block.recorded:
            block.recorded = True
            block.snapshot_id = request.meta.get("nianbao_snapshot_id")
            archive = crawl_archive(self.crawler)
            record_block(
                archive.db, run_id=archive.run_id, site=block.site, host=block.host, url=request.url,
                reason=block.reason, detail=block.detail, snapshot_id=block.snapshot_id, status=response.status,
            )
            logger.warning("Blocked %s for this run (site %s): %s; evidence: snapshot %s",
                           block.host, block.site, block.in_words, block.snapshot_id)
        drop(self.crawler, request, HostBlocked, HOST_BLOCKED, detail=block.in_words)

    def _fail_queued(self, host: str, block: Block) -> None:
        """Requests to the host that wait in a download slot (past every middleware's
        ``process_request``) are failed here instead of being sent."""
        downloader = getattr(self.crawler.engine, "downloader", None)
        if downloader is None:
            return
        for slot in list(downloader.slots.values()):
            doomed = [(r, d) for r, d in slot.queue if host_of(r) == host]
            for entry in doomed:
                slot.queue.remove(entry)
            for request, deferred in doomed:
                record_dropped(self.crawler, request, HOST_BLOCKED, detail=block.in_words)
                self.crawler.stats.inc_value("nianbao/dropped/HostBlocked")
                deferred.errback(Failure(HostBlocked(said(HOST_BLOCKED, block.in_words))))


def host_blocks(crawler) -> HostBlocks:
    blocks = getattr(crawler, "nianbao_host_blocks", None)
    if blocks is None:
        blocks = crawler.nianbao_host_blocks = HostBlocks(crawler)
    return blocks
