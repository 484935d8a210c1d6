"""Parse each fetched report page and store its normalized rows; record skips."""

from __future__ import annotations

import logging

from archive.records import record_error, record_skipped
from archive.reparse import parse_stored_snapshot
from crawler.extensions import crawl_archive
from crawler.items import FailedPage, ReportPage, SkippedPage

logger = logging.getLogger(__name__)


class ReportPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

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
            outcome = parse_stored_snapshot(archive.db, item.snapshot_id, run_id=archive.run_id)
            if outcome.report_id is None:
                self.stats.inc_value(f"nianbao/parse_error/{outcome.error}")
                logger.warning("Could not parse %s: %s", item.url, outcome.message)
            else:
                self.stats.inc_value("nianbao/reports_parsed")
        return item
