"""Parse each fetched report page and store its normalized rows; record skips.

A page whose body was already parsed (a 304, or the same body as before: the
snapshot is a revisit) is not parsed again; its version stays, or becomes, current.
Only a body never parsed (new, changed, or stored by a crawl killed before it could
parse) is parsed, so re-running or resuming a crawl adds no rows.

The registry's sites are written to ``sites`` when the spider opens, and each report is
tied to the site it was found for (``archive.sites``), parsed now or earlier.
"""

from __future__ import annotations

import logging

from archive.records import mark_current_version, parsed_already, record_error, record_skipped
from archive.reparse import parse_stored_snapshot
from archive.sites import attach_site, record_sites
from crawler.extensions import crawl_archive
from crawler.items import FailedPage, ReportPage, SkippedPage
from crawler.spiders.reports import COMMAND_LINE

logger = logging.getLogger(__name__)
# pdfminer logs every token it reads at DEBUG. Scrapy's root handler drops those records,
# but only after each was built: a third of a crawl's time where PDFs are many.
logging.getLogger("pdfminer").setLevel(logging.INFO)


class ReportPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.site_ids: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        sites = [s for s in getattr(self.crawler.spider, "sites", ()) if s["name"] != COMMAND_LINE]
        if sites:
            self.site_ids = record_sites(crawl_archive(self.crawler).db, sites)

    def process_item(self, item):
        archive = crawl_archive(self.crawler)
        if isinstance(item, SkippedPage):
            record_skipped(
                archive.db, url=item.url, title=item.title, reason=item.reason,
                found_on=item.found_on, run_id=archive.run_id,
            )
            self.stats.inc_value("nianbao/skipped")
        elif isinstance(item, FailedPage):
            record_error(
                archive.db, url=item.url, stage="fetch", error=item.error, message=item.message,
                snapshot_id=item.snapshot_id, run_id=archive.run_id,
            )
            self.stats.inc_value(f"nianbao/fetch_failed/{item.error}")
        elif isinstance(item, ReportPage):
            if parsed_already(archive.db, item.snapshot_id):
                mark_current_version(archive.db, item.url)
                self._attach_site(archive.db, item)
                self.stats.inc_value("nianbao/reports_unchanged")
                return item
            outcome = parse_stored_snapshot(archive.db, item.snapshot_id, run_id=archive.run_id)
            if outcome.report_id is None:
                self.stats.inc_value(f"nianbao/parse_error/{outcome.error}")
                logger.warning("Could not parse %s: %s", item.url, outcome.message)
            else:
                self._attach_site(archive.db, item)
                self.stats.inc_value("nianbao/reports_parsed")
        return item

    def _attach_site(self, db, item: ReportPage) -> None:
        site_id = self.site_ids.get(item.site)
        if site_id is not None:
            attach_site(db, item.url, site_id)
