"""The extension that closes a crawl's run: its counts and Scrapy stats into ``crawl_runs``,
its status from the close reason, a full disk stopping the crawl, and an ``errors`` row for each
page a spider callback or an item pipeline failed on (the archive it shares with the rest of
the crawl is crawler/crawl_archive.py)."""

from __future__ import annotations

import errno
import logging
import sqlite3

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from archive.records import record_error
from archive.runs import finish_run

from .crawl_archive import crawl_archive

logger = logging.getLogger(__name__)

DISK_FULL = "disk_full"  # the close reason of a crawl stopped by a full disk
# A run's status from the crawl's close reason: Scrapy closes with "shutdown" when stopped from
# outside (Ctrl-C, SIGTERM, SIGHUP: crawler/interrupts.py); the next crawl resumes an interrupted run.
RUN_STATUS = {"finished": "finished", "shutdown": "interrupted"}
# Items an item pipeline raised on whose ``errors`` row could not be written (a full disk, the
# archive refusing that write too): the run's checks (crawler/monitoring.py, "pages stored")
# count the store rows and these.
STORE_FAILED_UNRECORDED = "nianbao/store_failed_unrecorded"


def is_disk_full(exc: BaseException | None) -> bool:
    """SQLite's SQLITE_FULL ("database or disk is full"), or ENOSPC from a file write."""
    if isinstance(exc, sqlite3.OperationalError):
        return "full" in str(exc)
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


class CrawlRunExtension:
    """Closes the run: writes its counts and Scrapy stats to ``crawl_runs``.

    A full disk stops the crawl at the first write it refuses: fetching on would only
    fail every page again. SQLite rolls the refused transaction back, so what was
    committed before stays whole and readable."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.disk_full = False

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        return ext

    def spider_opened(self, spider):
        crawl_archive(self.crawler)

    def item_error(self, item, response, spider, failure):
        self._stop_if_disk_full(failure.value)
        if self.disk_full:
            self.crawler.stats.inc_value(STORE_FAILED_UNRECORDED)
        else:
            self._record_item_error(failure.value, item, response)

    def spider_error(self, failure, response, spider):
        self._stop_if_disk_full(failure.value)
        if not self.disk_full:
            self._record_spider_error(failure.value, response)

    def _record_spider_error(self, exc, response) -> None:
        """A callback that raised lost what its page would have given (the reports a listing
        page lists): an ``errors`` row for that page says so, not only a log line. The
        crawl goes on."""
        request = getattr(response, "request", None)
        self._record(exc, response.url, "spider",
                     request.meta.get("nianbao_snapshot_id") if request is not None else None)
        self.crawler.stats.inc_value("nianbao/spider_errors")

    def _record_item_error(self, exc, item, response) -> None:
        """An item pipeline raised (a bug, 'database is locked', a parse worker lost): the page
        was fetched, and archived if it is a report, but what it brought is not stored. Scrapy
        only logs that ("Error processing ..."); an ``errors`` row (stage ``store``) says so
        against the page, and the run's checks fail on it. Not stage ``parse``: the next
        crawl parses the page again (archive/records.py ``parsed_already``)."""
        url = getattr(item, "url", None) or getattr(response, "url", None) or repr(item)[:200]
        try:
            self._record(exc, url, "store", getattr(item, "snapshot_id", None))
        except sqlite3.Error as write_failed:
            self.crawler.stats.inc_value(STORE_FAILED_UNRECORDED)
            logger.error("Could not record that %s was not stored (%s): %s", url, exc, write_failed)
            self._stop_if_disk_full(write_failed)

    def _record(self, exc, url: str, stage: str, snapshot_id: int | None) -> None:
        archive = crawl_archive(self.crawler)
        record_error(archive.db, url=url, stage=stage, error=type(exc).__name__,
                     message=str(exc)[:1000] or None, run_id=archive.run_id, snapshot_id=snapshot_id)

    def _stop_if_disk_full(self, exc) -> None:
        if self.disk_full or not is_disk_full(exc):
            return
        self.disk_full = True
        logger.error("The disk holding %s is full (%s): stopping the crawl. Everything stored before "
                     "this write is intact; free space and crawl again to resume.",
                     crawl_archive(self.crawler).path, exc)
        self.crawler.stats.set_value("nianbao/disk_full", str(exc))
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=DISK_FULL))

    def spider_closed(self, spider, reason):
        archive = crawl_archive(self.crawler)
        status = RUN_STATUS.get(reason) or f"failed: {reason}"
        try:
            finish_run(archive.db, archive.run_id, status=status, stats=self.crawler.stats.get_stats())
        except sqlite3.OperationalError as exc:
            if not is_disk_full(exc):
                raise
            # The run's row stays `running`: the next crawl marks it interrupted and resumes it.
            logger.error("Could not record the end of run %d: %s", archive.run_id, exc)
        archive.close()
