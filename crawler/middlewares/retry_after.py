"""``Retry-After`` on 429/503: nothing more goes to that host until the time it asked for.

Scrapy's ``RetryMiddleware`` (550) retries a 429 or 503 at once, and the host's download
slot sends its next request as soon as an answer is in. So the answer is read on
``response_downloaded``, before the slot moves on, and the host is held:

- the slot is pushed back, so requests already queued there wait;
- ``process_request`` (570) makes any request to the host (the retry among them) wait
  out the rest of the hold before it reaches the slot.

The wait is bounded: a host asking for more than ``NIANBAO_RETRY_AFTER_MAX`` seconds is
blocked for the run instead (the crawler will not come back earlier than asked).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from time import monotonic

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from archive.blocks import RETRY_AFTER_TOO_LONG

from ..blocking import host_blocks
from ..drops import host_of
from ..settings import NIANBAO_RETRY_AFTER_MAX
from . import CrawlerMiddleware

logger = logging.getLogger(__name__)

STATUSES = (429, 503)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(CrawlerMiddleware):
    def __init__(self, crawler, max_wait: float):
        super().__init__(crawler)
        self.max_wait = max_wait
        self.holds: dict[str, float] = {}  # host -> monotonic time before which nothing is sent

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler, crawler.settings.getfloat("NIANBAO_RETRY_AFTER_MAX", NIANBAO_RETRY_AFTER_MAX))
        crawler.signals.connect(mw.response_downloaded, signal=signals.response_downloaded)
        return mw

    async def process_request(self, request):
        wait = self.holds.get(host_of(request), 0.0) - monotonic()
        if wait > 0:
            self.crawler.stats.inc_value("nianbao/retry_after/requests_held")
            from twisted.internet import reactor

            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return None

    def response_downloaded(self, response, request, spider=None):
        if response.status not in STATUSES:
            return
        header = response.headers.get("Retry-After")
        seconds = retry_after_seconds(header.decode("latin-1") if header else None)
        if seconds is None:
            return
        host = host_of(request)
        if seconds > self.max_wait:
            host_blocks(self.crawler).mark(
                request, RETRY_AFTER_TOO_LONG, f"HTTP {response.status} with Retry-After {seconds:g} s, "
                                               f"over NIANBAO_RETRY_AFTER_MAX ({self.max_wait:g} s)")
            return
        until = monotonic() + seconds
        self.holds[host] = max(self.holds.get(host, 0.0), until)
        self._push_back_slot(request, until)
        self.crawler.stats.inc_value("nianbao/retry_after/honoured")
        self.crawler.stats.max_value("nianbao/retry_after/max_seconds", seconds)
        logger.info("%s asked to wait %.1f s (HTTP %d); holding it", host, seconds, response.status)

    def process_response(self, request, response):
        host_blocks(self.crawler).settle(request, response)  # when ChallengeMiddleware is off
        return response

    def _push_back_slot(self, request, until: float) -> None:
        """Requests already queued in the host's slot: the slot releases the next one a
        download delay after ``lastseen``, so move ``lastseen`` to the end of the hold."""
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(request.meta.get("download_slot") or downloader.get_slot_key(request))
        if slot is not None:
            slot.lastseen = max(slot.lastseen, until)
