"""The crawl's link to the archive: one database and one ``crawl_runs`` row per crawl.

Whatever in the crawl reads or writes the archive (the middlewares, crawler/drops.py,
crawler/blocking.py, the report pipeline, crawler/progress.py, this extension) shares one
``CrawlArchive`` (one SQLite connection, used from the reactor thread only), found
through ``crawl_archive(crawler)``.

Resume after a crash: opening the archive takes its lock file; runs left ``running``
by a killed crawl are marked ``interrupted``, the new run ``resumes`` the last one,
and report snapshots the killed run stored but never parsed are parsed first.
Redoing the rest is cheap: report pages are asked for conditionally and unchanged
bodies are not stored or parsed again.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from archive.records import record_error
from archive.reparse import parse_pending
from archive.run_lock import lock_archive
from archive.runs import finish_run, logical_run_ids, mark_interrupted_runs, start_run
from archive.schema import open_database

logger = logging.getLogger(__name__)

DATABASE_NAME = "nianbao.db"


@dataclass
class CrawlArchive:
    db: sqlite_utils.Database
    run_id: int
    path: Path
    lock: object | None = None  # the open lock file, held until the run closes

    def close(self) -> None:
        self.db.close()
        if self.lock is not None:
            self.lock.close()


def crawl_archive(crawler) -> CrawlArchive:
    """The archive of this crawl, opened (and its run started) on first use."""
    archive = getattr(crawler, "nianbao_archive", None)
    if archive is None:
        data_dir = Path(crawler.settings.get("NIANBAO_DATA_DIR"))
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / DATABASE_NAME
        db = open_database(path)
        lock = lock_archive(path)
        resumes = None
        if lock is not None:
            resumes = mark_interrupted_runs(db, crawler.spidercls.name)
        else:
            logger.warning("Another crawl holds %s.lock; not resuming its runs", path)
        run_id = start_run(db, crawler.spidercls.name, resumes=resumes)
        archive = crawler.nianbao_archive = CrawlArchive(db=db, run_id=run_id, path=path, lock=lock)
        logger.info("Archiving into %s (run %d)", path, run_id)
        if resumes is not None:
            earlier = logical_run_ids(db, run_id)[1:]
            outcomes = parse_pending(db, earlier, run_id=run_id)
            crawler.stats.set_value("nianbao/resumed_run", resumes)
            crawler.stats.set_value("nianbao/reports_parsed_on_resume", len(outcomes))
            logger.info("Resuming run %d: parsed %d report(s) it had stored", resumes, len(outcomes))
    return archive


DISK_FULL = "disk_full"  # the close reason of a crawl stopped by a full disk
# A run's status from the crawl's close reason: Scrapy closes with "shutdown" when stopped from
# outside (Ctrl-C, SIGTERM, SIGHUP: crawler/interrupts.py); the next crawl resumes an interrupted run.
RUN_STATUS = {"finished": "finished", "shutdown": "interrupted"}


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

    def spider_error(self, failure, response, spider):
        self._stop_if_disk_full(failure.value)
        if not self.disk_full:
            self._record_spider_error(failure.value, response)

    def _record_spider_error(self, exc, response) -> None:
        """A callback that raised lost what its page would have given (the reports a listing
        page lists): an ``errors`` row for that page says so, not only a log line. The
        crawl goes on."""
        archive = crawl_archive(self.crawler)
        request = getattr(response, "request", None)
        record_error(archive.db, url=response.url, stage="spider", error=type(exc).__name__,
                     message=str(exc)[:1000] or None, run_id=archive.run_id,
                     snapshot_id=request.meta.get("nianbao_snapshot_id") if request is not None else None)
        self.crawler.stats.inc_value("nianbao/spider_errors")

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
