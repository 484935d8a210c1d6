"""Parse each fetched report page and store its normalized rows; record skips.

A page whose body was already parsed (a 304, or the same body as before: the
snapshot is a revisit) is not parsed again; its version stays, or becomes, current.
Only a body never parsed (new, changed, or stored by a crawl killed before it could
parse) is parsed, so re-running or resuming a crawl adds no rows.

Parsing runs in ``NIANBAO_PARSE_WORKERS`` worker processes (pipelines/parse_workers.py;
0: in the crawling process, on the reactor thread); either way this process stores the
rows, item by item in the order the spider yielded them.

The registry's sites are written to ``sites`` when the spider opens, and each report is
tied to the site it was found for (``archive.sites``), parsed now or earlier.
"""

from __future__ import annotations

import logging

from scrapy.utils.defer import maybe_deferred_to_future

from archive.records import mark_current_version, parsed_already, record_error, record_skipped
from archive.reparse import parse_stored_snapshot, store_parsed
from archive.sites import attach_site, record_sites
from crawler.crawl_archive import crawl_archive
from crawler.items import FailedPage, ReportPage, SkippedPage
from crawler.spiders.reports import COMMAND_LINE

from .parse_workers import IN_PROCESS, LOST, ParseLost, ParseQueue, configured_workers

logger = logging.getLogger(__name__)
# pdfminer logs every token it reads at DEBUG. Scrapy's root handler drops those records,
# but only after each was built: a third of a crawl's time where PDFs are many.
logging.getLogger("pdfminer").setLevel(logging.INFO)


class ReportPipeline:
    def __init__(self, crawler, workers: int = 0):
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers = workers
        self.site_ids: dict[str, int] = {}
        self.parsing: ParseQueue | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, configured_workers(crawler.settings))

    def open_spider(self):
        archive = crawl_archive(self.crawler)
        sites = [s for s in getattr(self.crawler.spider, "sites", ()) if s["name"] != COMMAND_LINE]
        if sites:
            self.site_ids = record_sites(archive.db, sites)
        if self.workers:
            self.parsing = ParseQueue(archive.db, self.workers, self._store, self.stats)
        self.stats.set_value("nianbao/parse_workers", self.workers if self.parsing and self.parsing.pool else 0)

    def close_spider(self):
        if self.parsing is not None:
            self.parsing.close()  # every item is stored by now: Scrapy waits for them first

    async def process_item(self, item):
        if self.parsing is None:
            self._store(item, IN_PROCESS)
            return item
        db = crawl_archive(self.crawler).db
        new_body = isinstance(item, ReportPage) and not parsed_already(db, item.snapshot_id)
        await maybe_deferred_to_future(self.parsing.add(item, item.snapshot_id if new_body else None))
        return item

    def _store(self, item, parsed) -> None:
        """Store one item; ``parsed``: what a worker read from a report page, IN_PROCESS to
        parse it here, LOST if its parse did not come back (or None: no parse asked for)."""
        archive = crawl_archive(self.crawler)
        if isinstance(item, SkippedPage):
            record_skipped(
                archive.db, url=item.url, title=item.title, reason=item.reason,
                found_on=item.found_on, run_id=archive.run_id,
            )
            self.stats.inc_value("nianbao/skipped")
        elif isinstance(item, FailedPage):
            record_error(
                archive.db, url=item.url, stage=item.stage, error=item.error, message=item.message,
                snapshot_id=item.snapshot_id, run_id=archive.run_id,
            )
            self.stats.inc_value(f"nianbao/{item.stage}_failed/{item.error}")
        elif isinstance(item, ReportPage):
            # Asked again at the item's turn: an item before it may have brought the same body.
            if parsed_already(archive.db, item.snapshot_id):
                mark_current_version(archive.db, item.url)
                self._attach_site(archive.db, item)
                self.stats.inc_value("nianbao/reports_unchanged")
                return
            if parsed is LOST:  # raised, so recorded as any item a pipeline failed on (crawler/extensions.py)
                self.stats.inc_value("nianbao/parse_lost")
                raise ParseLost("its parse did not come back: parse workers died on it and on the pages "
                                "parsed beside it, also when each was parsed alone (out of memory?)")
            if parsed is None or parsed is IN_PROCESS:
                outcome = parse_stored_snapshot(archive.db, item.snapshot_id, run_id=archive.run_id)
            else:
                outcome = store_parsed(archive.db, parsed, run_id=archive.run_id)
            if outcome.report_id is None:
                self.stats.inc_value(f"nianbao/parse_error/{outcome.error}")
                logger.warning("Could not parse %s: %s", item.url, outcome.message)
            else:
                self._attach_site(archive.db, item)
                self.stats.inc_value("nianbao/reports_parsed")

    def _attach_site(self, db, item: ReportPage) -> None:
        site_id = self.site_ids.get(item.site)
        if site_id is not None:
            attach_site(db, item.url, site_id)

